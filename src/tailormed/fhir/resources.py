"""Builders for the Genomics Reporting resources of one sample: plain FHIR JSON dicts.

Each builder returns a dict that :mod:`.export` validates through the
``fhir.resources.R4B`` model before it goes into the Bundle. References between the
resources are ``urn:uuid:`` ids (:func:`resource_id`), stable for a sample: the same
sample, gene or recommendation always gets the same id, so a re-export updates rather
than duplicates.

How calls are represented (the reader of :mod:`.importer` relies on this):

* a called gene: ``valueCodeableConcept.text`` = ``"<GENE> <allele>/<allele>"``
  (``"CYP2C19 *1/*2"``); haploid calls have one allele;
* tied diplotypes (the caller keeps every top-scoring one): the text lists them all,
  shown one first, joined by ``" or "`` (``"CYP2C9 *1/*2 or *1/*3"``), with a note;
* a no-call: no value, ``dataAbsentReason`` = ``unknown`` with the reason as text; such
  an Observation does not claim the Genotype profile (which requires a value);
* method text says VCF call, research-mode call or outside call; warnings, missing
  positions and uncertain alleles are notes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from tailormed.calling.models import GeneCall
from tailormed.fhir import codes as C
from tailormed.fhir.hgnc import HGNC_SYSTEM, hgnc_id
from tailormed.phenotype.models import GenePhenotype
from tailormed.recommend.models import DrugReport, MatchedRecommendation

# Fixed namespace for Tailormed's uuid5 resource ids (never change: ids must stay stable).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://tailormed.org/fhir")
TIE_SEPARATOR = " or "


def resource_id(sample: str, *parts: str) -> str:
    """A stable uuid5 id for one resource of ``sample``.

    >>> resource_id("S1", "genotype", "CYP2C19") == resource_id("S1", "genotype", "CYP2C19")
    True
    """
    return str(uuid.uuid5(ID_NAMESPACE, "\x1f".join((sample, *parts))))


def urn(resource_id_: str) -> str:
    return f"urn:uuid:{resource_id_}"


@dataclass(frozen=True, slots=True)
class Context:
    """What every resource of one export shares."""

    sample: str
    subject: dict[str, Any]
    issued: str | None = None  # FHIR instant, when the caller gave one


def _note(text: str) -> dict[str, Any]:
    return {"text": text}


def _observation(
    ctx: Context, rid: str, profile: str | None, code: dict[str, Any]
) -> dict[str, Any]:
    obs: dict[str, Any] = {"resourceType": "Observation", "id": rid}
    if profile:
        obs["meta"] = {"profile": [profile]}
    obs |= {"status": "final", "category": C.GENOMIC_CATEGORIES, "code": code}
    obs["subject"] = ctx.subject
    if ctx.issued:
        obs["issued"] = ctx.issued
    return obs


def gene_studied(gene: str) -> dict[str, Any]:
    code = hgnc_id(gene)
    value = (
        C.concept(HGNC_SYSTEM, code, gene, text=gene) if code else {"text": gene}
    )  # a gene HGNC does not list keeps its symbol as text
    return {
        "code": C.concept(C.LOINC, C.GENE_STUDIED_CODE, "Gene studied [ID]"),
        "valueCodeableConcept": value,
    }


def genotype_text(call: GeneCall) -> str:
    """``"CYP2C19 *1/*2"``; ties as ``"CYP2C9 *1/*2 or *1/*3"``."""
    return f"{call.gene} " + TIE_SEPARATOR.join(d.text for d in call.diplotypes)


def _method(call: GeneCall, kb_version: str) -> str:
    kb = call.kb_version or kb_version
    if call.source == "outside":
        return (
            "Outside call: diplotype supplied with the request and not called by Tailormed "
            "from sequence data"
        )
    if call.source == "vcf-research":
        return (
            f"Tailormed star-allele matching of VCF genotypes, research mode (knowledge base "
            f"{kb}); not for clinical use"
        )
    return f"Tailormed star-allele matching of VCF genotypes (knowledge base {kb})"


def genotype(ctx: Context, call: GeneCall, kb_version: str) -> dict[str, Any]:
    """The Genotype Observation (LOINC 84413-4) of one gene call."""
    rid = resource_id(ctx.sample, "genotype", call.gene)
    code = C.concept(C.LOINC, C.GENOTYPE_CODE, "Genotype display name")
    obs = _observation(ctx, rid, C.PROFILE_GENOTYPE if call.called else None, code)
    notes: list[str] = []
    if call.called:
        obs["valueCodeableConcept"] = {"text": genotype_text(call)}
        if len(call.diplotypes) > 1:
            notes.append(
                f"Ambiguous call: {len(call.diplotypes)} diplotypes fit equally well "
                f"({', '.join(d.text for d in call.diplotypes)}); reports show the first."
            )
    else:
        why = "; ".join(call.warnings) or "no diplotype could be called"
        obs["dataAbsentReason"] = {
            **C.concept(C.DATA_ABSENT_REASON, "unknown", "Unknown"),
            "text": f"No call: {why}",
        }
    obs["method"] = {"text": _method(call, kb_version)}
    if call.source == "outside" and (call.phenotype or call.activity_score):
        supplied = ", ".join(
            f"{k} {v}"
            for k, v in (("phenotype", call.phenotype), ("activity score", call.activity_score))
            if v
        )
        notes.append(f"Outside call also supplied {supplied}.")
    notes.extend(w for w in call.warnings if call.called)
    if call.missing_positions:
        notes.append(
            f"{len(call.missing_positions)} defining position(s) missing from the input: "
            + ", ".join(str(p) for p in call.missing_positions)
        )
    if call.uncertain_alleles:
        notes.append(
            "Alleles not excluded because a defining position is missing: "
            + ", ".join(call.uncertain_alleles)
        )
    if call.called and call.source != "outside":
        notes.append("Phased input." if call.phased else "Unphased input.")
    obs["component"] = [gene_studied(call.gene)]
    if notes:
        obs["note"] = [_note(n) for n in notes]
    return obs


def _implication_component(gene: str, phenotype: str, *candidates: str) -> dict[str, Any]:
    """The therapeutic-implication component: text ``"<gene> <phenotype>"``, coded with the
    LOINC answer of ``phenotype`` or else of the first of ``candidates`` that has one."""
    answer = next(
        (a for p in (phenotype, *candidates) if (a := C.phenotype_answer(p)) is not None), None
    )
    text = f"{gene} {phenotype}"
    value = C.concept(C.LOINC, answer[0], answer[1], text=text) if answer else {"text": text}
    return {
        "code": C.concept(C.TBD_CODES, C.THERAPEUTIC_IMPLICATION, "Therapeutic Implication"),
        "valueCodeableConcept": value,
    }


def _conclusion(text: str) -> dict[str, Any]:
    return {
        "code": C.concept(C.TBD_CODES, C.CONCLUSION_STRING, "Conclusion Text"),
        "valueString": text,
    }


ACTIVITY_SCORE_TEXT = "activity score"


def gene_implication(ctx: Context, pheno: GenePhenotype, genotype_ref: str) -> dict[str, Any]:
    """A TherapeuticImplication for a gene's metabolizer/function/risk phenotype."""
    rid = resource_id(ctx.sample, "implication", pheno.gene)
    code = C.concept(C.TBD_CODES, C.THERAPEUTIC_IMPLICATION, "Therapeutic Implication")
    obs = _observation(ctx, rid, C.PROFILE_THERAPEUTIC_IMPLICATION, code)
    obs["derivedFrom"] = [{"reference": genotype_ref, "display": f"{pheno.gene} genotype"}]
    components = [_implication_component(pheno.gene, pheno.phenotype)]
    if pheno.activity_score:
        components.append(
            {"code": {"text": ACTIVITY_SCORE_TEXT}, "valueString": pheno.activity_score}
        )
    summary = f"{pheno.gene} {pheno.diplotype}: {pheno.phenotype}"
    if pheno.activity_score:
        summary += f" (activity score {pheno.activity_score})"
    components.append(_conclusion(summary))
    obs["component"] = components
    notes = list(pheno.notes)
    if pheno.dpwg_phenotype and pheno.dpwg_phenotype != pheno.phenotype:
        notes.append(f"DPWG phenotype: {pheno.dpwg_phenotype}")
    pc = pheno.phenoconversion
    if pc is not None and pc.adjusted:
        notes.append(
            f"Phenotype adjusted for co-medication ({', '.join(pc.caused_by)}; "
            f"{pc.strength} inhibitor, {pc.method}). Genotype-only phenotype: "
            f"{pc.genotype_phenotype}"
            + (
                f" (activity score {pc.genotype_activity_score})"
                if pc.genotype_activity_score
                else ""
            )
        )
    elif pc is not None:
        notes.append(f"Co-medication noted, phenotype not adjusted ({pc.method}).")
    if notes:
        obs["note"] = [_note(n) for n in notes]
    return obs


def _rec_key(rec: MatchedRecommendation) -> tuple[str, ...]:
    return (rec.drug.lower(), rec.source, rec.recommendation_id)


def _shown_phenotypes(shown: str, key: object) -> list[str]:
    """Where a phenotype may sit in a recommendation's display string: the lookup key that
    selected it, the text before ``", "`` / ``" ("``, and the parenthesised parts.

    >>> _shown_phenotypes("Normal Metabolizer (activity score 2.0)", "2.0")
    ['2.0', 'Normal Metabolizer', 'activity score 2.0']
    >>> _shown_phenotypes("2.0 (Normal Metabolizer)", "2.0 (Normal Metabolizer)")[-1]
    'Normal Metabolizer'
    """
    out = [key] if isinstance(key, str) else []
    out.append(re.split(r",| \(", shown, maxsplit=1)[0].strip())
    out.extend(inner.strip() for inner in re.findall(r"\(([^()]*)\)", shown))
    return out


def rxnorm_code(value: str | None) -> str | None:
    """``"32968"`` from ``"32968"`` or ``"RxNorm:32968"``; ``None`` if absent."""
    if not value:
        return None
    code = value.split(":", 1)[1] if ":" in value else value
    return code.strip() or None


def drug_implication(
    ctx: Context, report: DrugReport, rec: MatchedRecommendation, genotype_refs: dict[str, str]
) -> dict[str, Any]:
    """A TherapeuticImplication for one matched guideline recommendation."""
    rid = resource_id(ctx.sample, "implication", *_rec_key(rec))
    code = C.concept(C.TBD_CODES, C.THERAPEUTIC_IMPLICATION, "Therapeutic Implication")
    obs = _observation(ctx, rid, C.PROFILE_THERAPEUTIC_IMPLICATION, code)
    if rec.guideline_url or rec.guideline_name:
        artifact: dict[str, Any] = {
            "type": "citation",
            "display": f"{rec.source}: {rec.guideline_name}",
        }
        if rec.guideline_url:
            artifact["url"] = rec.guideline_url
        obs["extension"] = [{"url": C.EXT_RELATED_ARTIFACT, "valueRelatedArtifact": artifact}]
    derived = [
        {"reference": genotype_refs[g], "display": f"{g} genotype"}
        for g in rec.genes
        if g in genotype_refs
    ]
    if derived:
        obs["derivedFrom"] = derived
    components = [
        _implication_component(g, shown, *_shown_phenotypes(shown, rec.lookup_key.get(g)))
        for g, shown in rec.phenotypes.items()
    ]
    rxcui = rxnorm_code(report.rxnorm)
    medication = (
        C.concept(C.RXNORM, rxcui, rec.drug, text=rec.drug) if rxcui else {"text": rec.drug}
    )
    components.append(
        {
            "code": C.concept(C.LOINC, C.MEDICATION_ASSESSED_CODE, "Medication assessed"),
            "valueCodeableConcept": medication,
        }
    )
    if rec.classification and rec.classification.strip().upper() not in ("N/A", "NA"):
        components.append(
            {
                "code": C.concept(C.LOINC, C.EVIDENCE_LEVEL_CODE, "Level of evidence"),
                "valueCodeableConcept": {"text": f"{rec.source} {rec.classification}"},
            }
        )
    components.append(_conclusion(rec.text))
    obs["component"] = components
    notes = [f"Implication: {i}" for i in rec.implications]
    if rec.population:
        notes.append(f"Population: {rec.population}")
    if rec.phenoconverted:
        notes.append("Selected with a phenotype adjusted for an interacting co-medication.")
    if not derived:
        notes.append("No genotype in this report supports this recommendation's genes.")
    notes.extend(f"Computed dose: {d.text} ({d.method}; {d.source})" for d in report.doses)
    if notes:
        obs["note"] = [_note(n) for n in notes]
    return obs


def medication_task(
    ctx: Context, rec: MatchedRecommendation, implication_ref: str
) -> dict[str, Any]:
    """A MedicationRecommendation Task for an actionable recommendation."""
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": resource_id(ctx.sample, "task", *_rec_key(rec)),
        "meta": {"profile": [C.PROFILE_MEDICATION_RECOMMENDATION]},
        "status": "requested",
        "intent": "proposal",
    }
    action = C.recommendation_action(
        rec.text, alternate_drug=rec.alternate_drug, dosing_information=rec.dosing_information
    )
    if action is not None:
        task["code"] = C.concept(C.LOINC, action[0], action[1])
    task["description"] = f"{rec.drug} ({rec.source}): {rec.text}"
    task["for"] = ctx.subject
    if ctx.issued:
        task["authoredOn"] = ctx.issued
    task["reasonReference"] = {"reference": implication_ref, "display": f"{rec.drug} implication"}
    return task


def gene_implication_wanted(pheno: GenePhenotype) -> bool:
    """Whether a gene phenotype gets its own TherapeuticImplication."""
    return C.phenotype_kind(pheno.phenotype) is not None
