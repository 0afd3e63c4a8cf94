"""JSON boundary of the oncology results: ``tumor.json`` and ``ctdna.json``.

The pydantic models below are the contract; their JSON schemas are committed beside
this module (``schemas/*.schema.json``) and the tests check both that the committed
schema is the one these models produce and that every written file validates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tailormed.oncology.models import PatientCtdna, TumorReport

TUMOR_SCHEMA_ID = "tailormed.oncology.tumor/1"
CTDNA_SCHEMA_ID = "tailormed.oncology.ctdna/1"


class _M(BaseModel):
    """Nullable fields default to None: a stored document (the record keeps JSON without
    its null fields) reads back as the file it came from."""

    model_config = ConfigDict(extra="forbid")


class EvidenceOut(_M):
    source: str
    id: str
    level: str
    amp_level: str
    type: str
    direction: str
    significance: str
    disease: str
    disease_match: Literal["exact", "parent", "pan-cancer", "other"]
    matched_oncotree: str | None = None
    variant_match: Literal["exact", "codon", "exon", "truncating", "gene", "fusion", "biomarker"]
    therapies: list[str]
    on_label: bool
    citation: str
    profile: str | None = None
    amp_tier: Literal["I", "II", "III"] | None = None


class VariantOut(_M):
    gene: str
    hgvs_p: str | None = None
    hgvs_p_short: str | None = None
    hgvs_c: str | None = None
    consequence: str
    transcript: str | None = None
    chrom: str
    pos: int
    ref: str
    alt: str
    vaf: float | None = None
    depth: int | None = None
    alt_reads: int | None = None
    record: str
    tier: Literal["I", "II", "III"]
    amp_level: str | None = None
    tier_basis: str
    evidence: list[EvidenceOut]


class PgxOut(_M):
    drug: str
    genes: list[str]
    status: str
    phenotypes: dict[str, str]
    recommendations: list[str]
    dose: str | None = None
    source: str
    note: str


class TherapyOut(_M):
    drug: str
    response: Literal["sensitive", "resistant"]
    best_level: str
    tier: Literal["I", "II"]
    variants: list[str]
    on_label: bool
    evidence: list[str]
    regulatory: list[str]
    pgx: list[PgxOut]
    conflicts: list[str]


class BiomarkerOut(_M):
    name: str
    value: str
    status: str
    source: str
    numeric: float | None = None


class EligibilityOut(_M):
    drug: str
    kind: Literal["eligibility-check"]
    tumour_type: str
    requirement: str
    hla_a: list[str]
    result: str
    other_requirements: str
    label: str
    verified_by: str


class KnowledgeOut(_M):
    oncology: str
    civic_release: str
    oncotree: str
    pgx: str | None = None


class TumorOut(_M):
    schema_id: Literal["tailormed.oncology.tumor/1"]
    sample: str
    tumour_type: str
    tumour_name: str
    lineage: list[str]
    input: str
    input_format: Literal["vep", "snpeff", "maf"]
    knowledge: KnowledgeOut
    tier_mapping: str
    variants: list[VariantOut]
    therapies: list[TherapyOut]
    biomarkers: list[BiomarkerOut]
    eligibility: list[EligibilityOut]
    fusions: list[str]
    not_reported: dict[str, int]
    limitations: list[str]


TIER_MAPPING = (
    "CIViC level A->AMP A, B->B, C->C, D->D, E->D; FDA-approved biomarker-drug pairs: A in "
    "the approved tumour type, C elsewhere. Tier I: A/B evidence (or a CIViC Tier I "
    "assertion) for the patient's OncoTree type or an ancestor of it (pan-cancer included); "
    "Tier II: A/B in another tumour type, any C/D, or gene-level evidence; Tier III: "
    "protein-altering, no supporting evidence (Li et al., J Mol Diagn 2017;19:4)."
)


def tumor_model(r: TumorReport) -> TumorOut:
    return TumorOut(
        schema_id="tailormed.oncology.tumor/1",
        sample=r.sample,
        tumour_type=r.tumour_type,
        tumour_name=r.tumour_name,
        lineage=list(r.lineage),
        input=r.input_path,
        input_format=r.input_format,  # type: ignore[arg-type]
        knowledge=KnowledgeOut(
            oncology=r.knowledge_version,
            civic_release=r.civic_release,
            oncotree=r.oncotree_version,
            pgx=r.pgx_version,
        ),
        tier_mapping=TIER_MAPPING,
        variants=[
            VariantOut(
                gene=v.call.gene,
                hgvs_p=v.call.hgvs_p,
                hgvs_p_short=v.call.hgvs_p_short,
                hgvs_c=v.call.hgvs_c,
                consequence=v.call.consequence,
                transcript=v.call.transcript,
                chrom=v.call.chrom,
                pos=v.call.pos,
                ref=v.call.ref,
                alt=v.call.alt,
                vaf=v.call.vaf,
                depth=v.call.depth,
                alt_reads=v.call.alt_reads,
                record=v.call.record,
                tier=v.tier,
                amp_level=v.amp_level,
                tier_basis=v.tier_basis,
                evidence=[
                    EvidenceOut(
                        source=e.source,
                        id=e.id,
                        level=e.level,
                        amp_level=e.amp_level,
                        type=e.evidence_type,
                        direction=e.direction,
                        significance=e.significance,
                        disease=e.disease,
                        disease_match=e.disease_match,
                        matched_oncotree=e.matched_oncotree,
                        variant_match=e.variant_match,
                        therapies=list(e.therapies),
                        on_label=e.on_label,
                        citation=e.citation,
                        profile=e.profile,
                        amp_tier=e.amp_tier,
                    )
                    for e in v.evidence
                ],
            )
            for v in r.variants
        ],
        therapies=[
            TherapyOut(
                drug=t.drug,
                response=t.response,
                best_level=t.best_level,
                tier=t.tier,  # type: ignore[arg-type]
                variants=list(t.variants),
                on_label=t.on_label,
                evidence=list(t.evidence),
                regulatory=list(t.regulatory),
                conflicts=list(t.conflicts),
                pgx=[
                    PgxOut(
                        drug=p.drug,
                        genes=list(p.genes),
                        status=p.status,
                        phenotypes=dict(p.phenotypes),
                        recommendations=list(p.recommendations),
                        dose=p.dose,
                        source=p.source,
                        note=p.note,
                    )
                    for p in t.pgx
                ],
            )
            for t in r.therapies
        ],
        biomarkers=[
            BiomarkerOut(
                name=b.name, value=b.value, status=b.status, source=b.source, numeric=b.numeric
            )
            for b in r.biomarkers
        ],
        eligibility=[
            EligibilityOut(
                drug=e.drug,
                kind="eligibility-check",
                tumour_type=e.tumour_type,
                requirement=e.requirement,
                hla_a=list(e.hla_a),
                result=e.result,
                other_requirements=e.other_requirements,
                label=e.label,
                verified_by=e.verified_by,
            )
            for e in r.eligibility
        ],
        fusions=[f.label for f in r.fusions],
        not_reported=dict(r.skipped),
        limitations=list(r.limitations),
    )


class StateOut(_M):
    variant: str
    detected: bool
    vaf: float | None = None
    lod: float | None = None


class DrawOut(_M):
    date: str
    therapy: str | None = None
    mean_vaf: float
    max_vaf: float
    tested: int
    detected: int
    fold_from_baseline: float | None = None
    variants: list[StateOut]


class EventOut(_M):
    kind: str
    date: str
    detail: str
    citation: str
    variant: str | None = None
    resistance_sources: list[str]


class PatientOut(_M):
    patient: str
    status: str
    baseline: str | None = None
    therapies: list[list[str | None]]
    draws: list[DrawOut]
    events: list[EventOut]
    notes: list[str]
    chart: str | None = None


class CtdnaOut(_M):
    schema_id: Literal["tailormed.oncology.ctdna/1"]
    input: str
    knowledge: KnowledgeOut
    rules: dict[str, dict[str, str | float | bool]]
    mean_vaf_rule: str
    patients: list[PatientOut]


MEAN_VAF_RULE = (
    "mean over the variants tested in the draw; a variant tested and not detected counts at "
    "its limit of detection (an upper bound, never zero); variants without a row are not tested"
)


def ctdna_model(
    path: str,
    kb_version: str,
    civic: str,
    oncotree: str,
    rules: dict[str, dict[str, str | float | bool]],
    patients: list[PatientCtdna],
    charts: dict[str, str],
) -> CtdnaOut:
    return CtdnaOut(
        schema_id="tailormed.oncology.ctdna/1",
        input=path,
        knowledge=KnowledgeOut(
            oncology=kb_version, civic_release=civic, oncotree=oncotree, pgx=None
        ),
        rules=rules,
        mean_vaf_rule=MEAN_VAF_RULE,
        patients=[
            PatientOut(
                patient=p.patient,
                status=p.status,
                baseline=p.baseline,
                therapies=[[d, s] for d, s in p.therapies],
                draws=[
                    DrawOut(
                        date=d.date,
                        therapy=d.therapy,
                        mean_vaf=d.mean_vaf,
                        max_vaf=d.max_vaf,
                        tested=d.tested,
                        detected=d.detected,
                        fold_from_baseline=d.fold_from_baseline,
                        variants=[
                            StateOut(variant=s.variant, detected=s.detected, vaf=s.vaf, lod=s.lod)
                            for s in d.states
                        ],
                    )
                    for d in p.draws
                ],
                events=[
                    EventOut(
                        kind=e.kind,
                        date=e.date,
                        detail=e.detail,
                        citation=e.citation,
                        variant=e.variant,
                        resistance_sources=list(e.resistance_sources),
                    )
                    for e in p.events
                ],
                notes=list(p.notes),
                chart=charts.get(p.patient),
            )
            for p in patients
        ],
    )


def schema_dir() -> Path:
    from importlib import resources

    return Path(str(resources.files("tailormed.oncology") / "schemas"))


def schemas() -> dict[str, dict[str, object]]:
    return {
        "tumor.schema.json": {"$id": TUMOR_SCHEMA_ID, **TumorOut.model_json_schema()},
        "ctdna.schema.json": {"$id": CTDNA_SCHEMA_ID, **CtdnaOut.model_json_schema()},
    }


def write_json(model: BaseModel, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.model_dump(mode="json"), indent=2) + "\n", encoding="utf-8")
    return path
