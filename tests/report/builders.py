"""Hand-built Interpretations for report tests, read like clinical statements.

Calls are written by hand (or called from PharmCAT's example VCF), phenotypes come from
the phenotype stage, and drug reports are assembled from the knowledge base's own CPIC
and DPWG recommendations, so the report is tested on real guideline text without
depending on the recommendation stage.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from tailormed.calling.models import Diplotype, GeneCall, VariantEvidence
from tailormed.knowledge import KnowledgeBase
from tailormed.medications import resolve_all
from tailormed.phenotype import interpret_all
from tailormed.recommend.models import (
    DoseCalculation,
    DrugReport,
    Interpretation,
    MatchedRecommendation,
    PatientFactors,
)

SAMPLE = "NA-TEST-01"
INJECTED = '<script>alert("x")</script>'
GENERATED_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def need(tool: str, reason: str) -> None:
    """Fail under CI (the tool must be installed there), skip loudly elsewhere."""
    message = f"{tool} is not available: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must install it: see scripts/system-packages.txt)")
    pytest.skip(f"SKIPPED LOCALLY, WOULD FAIL IN CI: {message}")


def variant(pos: int, rsid: str, ref: str, gt: str) -> VariantEvidence:
    alleles = tuple(gt.replace("|", "/").split("/"))
    return VariantEvidence(pos, rsid, ref, gt, alleles, "|" in gt, "vcf")


def gene_calls(sample: str = SAMPLE, *, warning: str | None = None) -> tuple[GeneCall, ...]:
    """CYP2C19 *2/*2, CYP2B6 *1/*6, CYP2C9 *1/*1, SLCO1B1 *1/*1 with a missing position,
    VKORC1 reference, DPYD reference. No CYP2D6 (not callable from a VCF)."""
    rs4244285 = variant(94781859, "rs4244285", "G", "A/A")
    rs12769205 = variant(94775367, "rs12769205", "A", "G/G")
    rs3745274 = variant(41006936, "rs3745274", "G", "G/T")
    rs2279343 = variant(41009358, "rs2279343", "A", "A/G")
    slco_missing = variant(21178615, "rs2306283", "A", "./.")
    return (
        GeneCall(
            sample,
            "CYP2B6",
            (Diplotype.of("*1", "*6"),),
            False,
            evidence={"*1": (), "*6": (rs3745274, rs2279343)},
            genotypes=(rs3745274, rs2279343),
        ),
        GeneCall(
            sample,
            "CYP2C19",
            (Diplotype.of("*2", "*2"),),
            False,
            evidence={"*2": (rs12769205, rs4244285)},
            genotypes=(rs12769205, rs4244285),
        ),
        GeneCall(sample, "CYP2C9", (Diplotype.of("*1", "*1"),), False, evidence={"*1": ()}),
        GeneCall(
            sample,
            "SLCO1B1",
            (Diplotype.of("*1", "*1"),),
            False,
            missing_positions=(21178615,),
            uncertain_alleles=("*37",),
            warnings=(
                "1 defining position missing (rs2306283): *37 cannot be ruled out",
                *((warning,) if warning else ()),
            ),
            evidence={"*1": ()},
            genotypes=(slco_missing,),
        ),
        GeneCall(
            sample,
            "VKORC1",
            (Diplotype.of("rs9923231 reference (C)", "rs9923231 reference (C)"),),
            False,
            evidence={"rs9923231 reference (C)": ()},
        ),
    )


def matched(
    kb: KnowledgeBase,
    drug: str,
    lookup: Mapping[str, str],
    *,
    actionable: bool,
    phenotypes: Mapping[str, str] | None = None,
    phenoconverted: bool = False,
) -> tuple[MatchedRecommendation, ...]:
    out = []
    for r in kb.recommendations(drug=drug, lookup=lookup):
        g = kb.guideline(r.guideline_id)
        out.append(
            MatchedRecommendation(
                drug=drug,
                source=r.source,
                recommendation_id=r.id,
                guideline_id=g.id,
                guideline_name=g.name,
                guideline_url=g.url,
                genes=tuple(r.lookup_key),
                lookup_key={k: str(v) for k, v in r.lookup_key.items()},
                phenotypes=dict(phenotypes or {k: str(v) for k, v in r.lookup_key.items()}),
                classification=r.classification,
                population=r.population,
                text=r.text,
                implications=r.implications,
                actionable=actionable and r.classification != "No recommendation",
                alternate_drug=r.alternate_drug,
                dosing_information=r.dosing_information,
                phenoconverted=phenoconverted,
            )
        )
    assert out, f"no {drug} recommendation for {lookup}"
    return tuple(out)


def drug_reports(kb: KnowledgeBase) -> tuple[DrugReport, ...]:
    pm = {"CYP2C19": "Poor Metabolizer"}
    warfarin_dose = DoseCalculation(
        drug="warfarin",
        kind="mg_per_week",
        value=None,
        text="Not calculated: age, height and weight are needed",
        method="IWPC pharmacogenetic algorithm with CPIC 2017 adjustments",
        source="CPIC warfarin guideline 2017 (Johnson et al.)",
        inputs={"CYP2C9": "*1/*1", "VKORC1": "-1639 GG"},
        missing_inputs=("age", "height", "weight"),
    )
    return (
        # Stage order is deliberately not status order: the report must sort.
        DrugReport(
            "simvastatin",
            "36567",
            ("SLCO1B1",),
            "no change",
            "SLCO1B1 Normal Function: CPIC advises the usual starting dose.",
            matched(kb, "simvastatin", {"SLCO1B1": "Normal Function"}, actionable=False),
        ),
        DrugReport(
            "codeine",
            "2670",
            ("CYP2D6",),
            "no result",
            "CYP2D6 was not tested, so no codeine recommendation can be selected.",
        ),
        DrugReport(
            "clopidogrel",
            "32968",
            ("CYP2C19",),
            "actionable",
            "CYP2C19 Poor Metabolizer: avoid clopidogrel if possible.",
            matched(kb, "clopidogrel", pm, actionable=True, phenoconverted=True),
        ),
        DrugReport(
            "warfarin",
            "11289",
            ("CYP2C9", "VKORC1", "CYP4F2"),
            "no change",
            "CYP2C9 *1/*1 and VKORC1 -1639 GG: usual warfarin sensitivity.",
            matched(kb, "warfarin", {"VKORC1": "-1639 GG"}, actionable=False),
            (warfarin_dose,),
        ),
        DrugReport(
            "efavirenz",
            "195085",
            ("CYP2B6",),
            "actionable",
            "CYP2B6 Intermediate Metabolizer: consider a reduced efavirenz dose.",
            matched(kb, "efavirenz", {"CYP2B6": "Intermediate Metabolizer"}, actionable=True),
        ),
        DrugReport("metformin", None, (), "no guideline", "No CPIC or DPWG guideline covers it."),
        DrugReport(
            "citalopram",
            "2556",
            ("CYP2C19",),
            "actionable",
            "CYP2C19 Poor Metabolizer: consider another antidepressant or a lower dose.",
            matched(kb, "citalopram", pm, actionable=True),
        ),
    )


def interpretation(
    kb: KnowledgeBase,
    *,
    sample: str = SAMPLE,
    warning: str | None = None,
    limitations: tuple[str, ...] = (
        "CYP2D6, HLA-A, HLA-B and MT-RNR1 were not tested: they need outside calls.",
    ),
) -> Interpretation:
    calls = gene_calls(sample, warning=warning)
    medications = ("citalopram", "fluoxetine", "metformin")
    return Interpretation(
        sample=sample,
        kb_version=kb.version,
        calls=calls,
        phenotypes=tuple(interpret_all(calls, kb, medications)),
        drugs=drug_reports(kb),
        medications=medications,
        factors=PatientFactors(age_years=54),
        limitations=limitations,
        resolved_medications=resolve_all(medications, kb),
    )
