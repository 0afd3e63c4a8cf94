"""Build the :class:`~tailormed.report.schema.Report` from an Interpretation.

This is the only place that reads the recommendation stage's dataclasses; the HTML,
PDF and JSON renderings all read the :class:`Report` it returns, so they cannot
disagree. Nothing is re-interpreted here: the report orders, labels and cross-references
what the earlier stages decided, and adds the limitations every report must state.

>>> from tailormed.recommend.models import Interpretation
>>> r = build_report(Interpretation("S1", "kb-1", (), (), ()))
>>> r.sample, r.provenance.kb_version, r.drugs
('S1', 'kb-1', [])
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import tailormed
from tailormed.calling.models import GeneCall, VariantEvidence
from tailormed.errors import KnowledgeError
from tailormed.findings import FindingModel, Section, SectionModel
from tailormed.findings.models import SEVERITIES
from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.medications import ResolvedMedication, resolve_all
from tailormed.phenotype.models import INDETERMINATE, NO_RESULT, GenePhenotype
from tailormed.recommend.models import (
    SCHEMA as INTERPRETATION_SCHEMA,
)
from tailormed.recommend.models import (
    DoseCalculation,
    DrugReport,
    Interpretation,
    MatchedRecommendation,
)
from tailormed.report.limitations import report_limitations
from tailormed.report.schema import (
    Action,
    AllelePresence,
    Dose,
    DrugResult,
    GeneResult,
    GeneSource,
    Guideline,
    KnowledgeSource,
    MedicationEntry,
    PatientFactors,
    PhenoconversionNote,
    Provenance,
    Recommendation,
    Report,
    Summary,
    Variant,
)

STATUS_ORDER = {"actionable": 0, "no change": 1, "no result": 2, "no guideline": 3}
ACTION_ORDER: dict[Action, int] = {"alternative drug": 0, "dose change": 1, "other change": 2}
STRENGTH_ORDER = {"strong": 0, "moderate": 1, "optional": 2}

_SOURCES: dict[str, GeneSource] = {
    "vcf": "VCF",
    "outside": "outside",
    "vcf-research": "research",
    "research": "research",
}


def build_report(
    interpretation: Interpretation,
    kb: KnowledgeBase | None = None,
    *,
    generated_at: datetime | None = None,
    sections: Sequence[Section] = (),
) -> Report:
    """The report of one sample, with the clinical domains' ``sections``.

    ``kb`` supplies the manifest (source versions and dates) and the list of genes the
    knowledge base covers, used to name the genes this sample was not tested for. Without
    it the bundled knowledge base is used when its version is the interpretation's;
    otherwise sources are left empty and a limitation says so. ``generated_at`` defaults
    to now (UTC); pass it for reproducible output.
    """
    kb = _matching_kb(interpretation.kb_version, kb)
    when = generated_at or datetime.now(UTC).replace(microsecond=0)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)

    genes = _genes(interpretation)
    drugs = sorted((_drug(d, interpretation) for d in interpretation.drugs), key=drug_order)
    summary = _summary(genes, drugs, kb)
    return Report(
        sample=interpretation.sample,
        generated_at=when,
        provenance=_provenance(interpretation.kb_version, kb),
        summary=summary,
        genes=genes,
        drugs=drugs,
        medications=medication_entries(interpretation, kb),
        patient_factors=PatientFactors(**interpretation.factors.to_json()),
        limitations=report_limitations(interpretation, genes, summary, kb),
        findings=section_findings(sections),
        sections=[SectionModel.of(s) for s in sections],
    )


def section_findings(sections: Sequence[Section]) -> list[FindingModel]:
    """Every finding of ``sections``, most severe first (stable within a severity)."""
    found = [f for s in sections for f in s.findings]
    ordered = sorted(found, key=lambda f: SEVERITIES.index(f.severity))
    return [FindingModel.of(f) for f in ordered]


# --------------------------------------------------------------------------- provenance
def _matching_kb(version: str, kb: KnowledgeBase | None) -> KnowledgeBase | None:
    if kb is None:
        try:
            kb = load_kb()
        except KnowledgeError:
            return None
    return kb if kb.version == version else None


def _provenance(kb_version: str, kb: KnowledgeBase | None) -> Provenance:
    if kb is None:
        return Provenance(
            tailormed_version=tailormed.__version__,
            kb_version=kb_version,
            interpretation_schema=INTERPRETATION_SCHEMA,
        )
    m = kb.manifest
    return Provenance(
        tailormed_version=tailormed.__version__,
        kb_version=kb_version,
        kb_built_at=m.built_at,
        kb_sources=[
            KnowledgeSource(
                name=s.name,
                description=s.description,
                version=s.version,
                date=s.date,
                commit=s.commit,
                licence=s.licence,
            )
            for s in m.sources
        ],
        interpretation_schema=INTERPRETATION_SCHEMA,
    )


# --------------------------------------------------------------------------- genes
def _variant(e: VariantEvidence) -> Variant:
    return Variant(
        position=e.position,
        rsid=e.rsid,
        ref=e.ref,
        genotype=e.genotype,
        phased=e.phased,
        source=e.source,
    )


def _source(raw: str) -> GeneSource:
    try:
        return _SOURCES[raw]
    except KeyError:
        raise ValueError(f"unknown call source {raw!r}") from None


def _phenoconversion(p: GenePhenotype) -> PhenoconversionNote | None:
    pc = p.phenoconversion
    if pc is None:
        return None
    drugs = ", ".join(pc.caused_by or tuple(i.drug for i in pc.inhibitors))
    inhibitor = f"{drugs} ({pc.strength} {p.gene} inhibitor)"
    if pc.adjusted and p.phenotype != pc.genotype_phenotype:
        text = (
            f"{inhibitor}: advice uses {p.phenotype}; the genotype alone predicts "
            f"{pc.genotype_phenotype}."
        )
    elif pc.adjusted:
        text = f"{inhibitor} noted: the genotype already predicts {p.phenotype}."
    else:
        text = (
            f"{inhibitor} noted; no adjustment applies, advice uses the genotype-predicted "
            f"{pc.genotype_phenotype}."
        )
    return PhenoconversionNote(
        inhibitors=[i.drug for i in pc.inhibitors],
        strength=pc.strength,
        adjusted=pc.adjusted,
        genotype_phenotype=pc.genotype_phenotype,
        genotype_activity_score=pc.genotype_activity_score,
        method=pc.method,
        text=text,
    )


def _presence(ph: GenePhenotype | None) -> list[AllelePresence]:
    if ph is None:
        return []
    return [
        AllelePresence.model_validate({"allele": a, "status": s}) for a, s in ph.allele_presence
    ]


def _phenotype_only(ph: GenePhenotype) -> GeneResult:
    """A gene known only from its phenotype (no GeneCall was passed on)."""
    return GeneResult(
        gene=ph.gene,
        source=_source(ph.call_source),
        diplotype=None if ph.diplotype in ("", "no call") else ph.diplotype,
        phenotype=ph.phenotype,
        activity_score=ph.activity_score,
        lookup_keys=list(ph.lookup_keys),
        dpwg_phenotype=ph.dpwg_phenotype,
        reason=ph.reason,
        phased=False,
        notes=list(ph.notes),
        phenoconversion=_phenoconversion(ph),
        allele_presence=_presence(ph),
    )


def _gene(call: GeneCall, ph: GenePhenotype | None) -> GeneResult:
    return GeneResult(
        gene=call.gene,
        source=_source(call.source),
        diplotype=call.diplotype if call.called else None,
        alternatives=list(call.alternatives),
        phenotype=ph.phenotype if ph is not None else call.phenotype,
        activity_score=ph.activity_score if ph is not None else call.activity_score,
        lookup_keys=list(ph.lookup_keys) if ph is not None else [],
        dpwg_phenotype=ph.dpwg_phenotype if ph is not None else None,
        reason=ph.reason if ph is not None else None,
        phased=call.phased,
        missing_positions=list(call.missing_positions),
        uncertain_alleles=list(call.uncertain_alleles),
        warnings=list(call.warnings),
        notes=list(ph.notes) if ph is not None else [],
        supporting_variants={a: [_variant(e) for e in ev] for a, ev in call.evidence.items()},
        genotypes=[_variant(e) for e in call.genotypes],
        phenoconversion=_phenoconversion(ph) if ph is not None else None,
        allele_presence=_presence(ph),
    )


def _genes(i: Interpretation) -> list[GeneResult]:
    """Genes in call order (the KB's), then phenotype-only genes in their own order."""
    phenotypes = {p.gene: p for p in i.phenotypes}
    out = [_gene(c, phenotypes.get(c.gene)) for c in i.calls]
    called = {c.gene for c in i.calls}
    out += [_phenotype_only(p) for p in i.phenotypes if p.gene not in called]
    return out


# --------------------------------------------------------------------------- drugs
def _dose(d: DoseCalculation) -> Dose:
    return Dose(
        kind=d.kind,
        value=d.value,
        text=d.text,
        method=d.method,
        source=d.source,
        inputs=dict(d.inputs),
        missing_inputs=list(d.missing_inputs),
    )


def _phenoconversion_note(rec: MatchedRecommendation, i: Interpretation) -> str | None:
    if not rec.phenoconverted:
        return None
    notes = []
    for gene in rec.genes:
        p = i.phenotype(gene)
        if p is not None and p.phenoconversion is not None and p.phenoconversion.adjusted:
            pc = p.phenoconversion
            inhibitor = f"{', '.join(pc.caused_by)} ({pc.strength} inhibitor)"
            if p.phenotype != pc.genotype_phenotype:
                notes.append(
                    f"selected with the {gene} phenotype adjusted for {inhibitor}: "
                    f"{p.phenotype}; the genotype alone predicts {pc.genotype_phenotype}"
                )
            else:
                notes.append(
                    f"selected while taking {inhibitor}; the {gene} genotype alone already "
                    f"predicts {p.phenotype}"
                )
    if not notes:
        return "Selected with a phenotype adjusted for co-medication (phenoconversion)."
    text = "; ".join(notes)
    return text[0].upper() + text[1:] + "."


def _recommendation(rec: MatchedRecommendation, i: Interpretation) -> Recommendation:
    return Recommendation(
        source=rec.source,
        recommendation_id=rec.recommendation_id,
        guideline=Guideline(id=rec.guideline_id, name=rec.guideline_name, url=rec.guideline_url),
        genes=list(rec.genes),
        lookup_key=dict(rec.lookup_key),
        phenotypes=dict(rec.phenotypes),
        classification=rec.classification,
        population=rec.population,
        text=rec.text,
        implications=list(rec.implications),
        actionable=rec.actionable,
        alternate_drug=rec.alternate_drug,
        dosing_information=rec.dosing_information,
        phenoconverted=rec.phenoconverted,
        phenoconversion_note=_phenoconversion_note(rec, i),
    )


def on_medication_list(d: DrugReport, i: Interpretation) -> bool:
    """Whether a recognised medication line names the drug (name, brand, combination
    product or RxNorm code, as the one resolver read it)."""
    return i.on_medication_list(d.drug)


def medication_entries(i: Interpretation, kb: KnowledgeBase | None) -> list[MedicationEntry]:
    """One entry per medication line, as the interpretation's resolver read it.

    An interpretation stored before lines were resolved is read now with its own
    knowledge-base version; without it each line is said to be not checked.
    """
    resolved: tuple[ResolvedMedication, ...] = i.resolved_medications
    if not resolved and i.medications:
        if kb is not None:
            resolved = resolve_all(i.medications, kb)
        else:
            resolved = tuple(
                ResolvedMedication(
                    m,
                    "not recognised",
                    note=f"not checked: knowledge base {i.kb_version} was not available",
                )
                for m in i.medications
            )
    return [
        MedicationEntry(
            line=m.line,
            status=m.status,
            ingredients=list(m.ingredients),
            rxnorm=list(m.rxnorm),
            suggestions=list(m.suggestions),
            note=m.note if not m.recognised else (m.via or None),
        )
        for m in resolved
    ]


def _actions(d: DrugReport) -> list[Action]:
    """What an actionable drug's advice asks for, from the guidelines' own flags."""
    if d.status != "actionable":
        return []
    acting = [r for r in d.recommendations if r.actionable]
    out: list[Action] = []
    if any(r.alternate_drug for r in acting):
        out.append("alternative drug")
    if any(r.dosing_information for r in acting):
        out.append("dose change")
    return out or ["other change"]


def severity(d: DrugResult) -> tuple[int, int]:
    """Lower is more severe: the most drastic action asked for (an alternative drug, then a
    dose change, then other changes), then the strongest CPIC classification among the
    actionable recommendations (Strong, Moderate, Optional; DPWG gives none)."""
    action = min((ACTION_ORDER[a] for a in d.actions), default=len(ACTION_ORDER))
    strength = min(
        (
            STRENGTH_ORDER.get((r.classification or "").lower(), len(STRENGTH_ORDER))
            for r in d.recommendations
            if r.actionable
        ),
        default=len(STRENGTH_ORDER),
    )
    return action, strength


def drug_order(d: DrugResult) -> tuple[int, bool, tuple[int, int], str]:
    """Status, then on the medication list first, then (actionable) most severe, then name."""
    rank = severity(d) if d.status == "actionable" else (0, 0)
    return STATUS_ORDER[d.status], not d.on_medication_list, rank, d.drug.lower()


def _drug(d: DrugReport, i: Interpretation) -> DrugResult:
    # Actionable advice first within a drug, then CPIC before DPWG, the strongest first,
    # keeping stage order otherwise.
    recs = sorted(
        d.recommendations,
        key=lambda r: (
            not r.actionable,
            r.source != "CPIC",
            STRENGTH_ORDER.get((r.classification or "").lower(), len(STRENGTH_ORDER)),
        ),
    )
    return DrugResult(
        drug=d.drug,
        rxnorm=d.rxnorm,
        genes=list(d.genes),
        status=d.status,
        reason=d.reason,
        on_medication_list=on_medication_list(d, i),
        recommendations=[_recommendation(r, i) for r in recs],
        doses=[_dose(x) for x in d.doses],
        actions=_actions(d),
    )


# --------------------------------------------------------------------------- summary
def _kb_genes(kb: KnowledgeBase | None) -> set[str]:
    if kb is None:
        return set()
    genes = set(kb.genes) | set(kb.phenotype_genes)
    for drug in kb.drugs:
        genes |= set(drug.genes)
    return genes


def _summary(genes: list[GeneResult], drugs: list[DrugResult], kb: KnowledgeBase | None) -> Summary:
    tested = [g.gene for g in genes]
    used = _kb_genes(kb) | {gene for d in drugs for gene in d.genes}
    return Summary(
        actionable_drugs=[d.drug for d in drugs if d.status == "actionable"],
        genes_tested=tested,
        genes_not_tested=sorted(used - set(tested)),
        genes_without_result=[
            g.gene
            for g in genes
            if (g.diplotype is None and g.phenotype is None)
            or g.phenotype in (NO_RESULT, INDETERMINATE)
        ],
        genes_with_missing_data=[g.gene for g in genes if g.missing_positions],
    )
