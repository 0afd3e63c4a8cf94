"""Record document bodies of the oncology domain (validated at the boundary) and their readers.

Two document kinds are stored per patient (the record stores validated JSON; it never
imports this package — the service registers these models):

- ``oncology.tumor``: the ``tumor.json`` of ``tailormed tumor`` (:class:`TumorDocument`,
  schema ``tailormed.oncology.tumor/1``); :func:`report_from_document` gives back the
  typed :class:`~tailormed.oncology.models.TumorReport` that sections and FHIR are built
  from, so a stored profile renders exactly like a fresh one.
- ``oncology.ctdna``: one patient's ctDNA series (:class:`CtdnaSeriesDocument`, schema
  ``tailormed.oncology.ctdna-series/1``): the rows of the series TSV without the patient
  column, plus the therapies given. The status is computed on read
  (:func:`classify_document`) with the knowledge base's current rules, so a newer
  knowledge base re-reads old draws.

The same checks as the TSV reader apply: ISO calendar dates in order, fractions in
[0, 1] (a percentage is refused, not divided), ``alt_reads`` ≤ ``depth``, one row per
variant per draw.
"""

from __future__ import annotations

from datetime import date as Date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tailormed.errors import InputError
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.knowledge.protein import short_protein
from tailormed.oncology.ctdna import Rules, classify_patient, regimen_key
from tailormed.oncology.models import (
    Biomarker,
    CtdnaObservation,
    EligibilityCheck,
    EvidenceItem,
    Fusion,
    PatientCtdna,
    PgxResult,
    SomaticCall,
    TherapyOption,
    TumorReport,
    VariantReport,
)
from tailormed.oncology.output import TumorOut

TUMOR_KIND = "oncology.tumor"
CTDNA_KIND = "oncology.ctdna"
CTDNA_SERIES_SCHEMA: Literal["tailormed.oncology.ctdna-series/1"] = (
    "tailormed.oncology.ctdna-series/1"
)

TumorDocument = TumorOut  # the tumor.json contract is the document body


def _iso(text: str, what: str) -> str:
    try:
        Date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a YYYY-MM-DD calendar date") from None
    if len(text) != 10:
        raise ValueError(f"{what} {text!r} is not a YYYY-MM-DD calendar date")
    return text


def _short(text: str | None) -> str | None:
    """``T790M`` from ``p.Thr790Met`` or ``T790M``; None for no protein change."""
    if not text or not text.strip():
        return None
    text = text.strip()
    return short_protein(text) if text.startswith("p.") else text


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TherapyIn(_M):
    drug: str = Field(min_length=1, max_length=200)
    start: str | None = None

    @field_validator("start")
    @classmethod
    def _start(cls, v: str | None) -> str | None:
        return None if v is None else _iso(v, "therapy start")


class CtdnaRow(_M):
    """One tracked variant in one draw (a row of the series TSV, without ``patient``)."""

    date: str
    gene: str = Field(min_length=1, max_length=50)
    hgvs_p: str | None = Field(default=None, max_length=200)  # p.Thr790Met or T790M
    chrom: str = Field(min_length=1, max_length=50)
    pos: int = Field(ge=1)
    ref: str = Field(min_length=1, max_length=1000)
    alt: str = Field(min_length=1, max_length=1000)
    vaf: float = Field(ge=0.0, le=1.0, allow_inf_nan=False)
    alt_reads: int | None = Field(default=None, ge=0)
    depth: int | None = Field(default=None, ge=0)
    assay_lod: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    therapy: str | None = Field(default=None, max_length=200)
    therapy_start: str | None = None

    @field_validator("date")
    @classmethod
    def _date(cls, v: str) -> str:
        return _iso(v, "date")

    @field_validator("therapy_start")
    @classmethod
    def _therapy_start(cls, v: str | None) -> str | None:
        return None if v is None else _iso(v, "therapy_start")

    @model_validator(mode="after")
    def _reads(self) -> CtdnaRow:
        if self.alt_reads is not None and self.depth is not None and self.alt_reads > self.depth:
            raise ValueError(f"alt_reads {self.alt_reads} exceeds depth {self.depth}")
        return self

    @property
    def key(self) -> str:
        short = _short(self.hgvs_p)
        chrom = self.chrom.removeprefix("chr")
        return f"{self.gene} {short}" if short else f"{chrom}:{self.pos}{self.ref}>{self.alt}"


class CtdnaSeriesDocument(_M):
    """One patient's ctDNA draws (the ``oncology.ctdna`` document body)."""

    schema_id: Literal["tailormed.oncology.ctdna-series/1"] = CTDNA_SERIES_SCHEMA
    assay: str | None = Field(default=None, max_length=200)
    therapies: list[TherapyIn] = Field(default_factory=list, max_length=100)
    rows: list[CtdnaRow] = Field(min_length=1, max_length=100_000)

    @model_validator(mode="after")
    def _series(self) -> CtdnaSeriesDocument:
        seen: set[tuple[str, str]] = set()
        last = ""
        for i, row in enumerate(self.rows, start=1):
            if row.date < last:
                raise ValueError(
                    f"row {i}: date {row.date} comes after {last}; list the draws in date order"
                )
            last = row.date
            key = (row.date, row.key)
            if key in seen:
                raise ValueError(f"row {i}: {row.key} appears twice on {row.date}")
            seen.add(key)
        return self


def observations(doc: CtdnaSeriesDocument, patient: str) -> list[CtdnaObservation]:
    """The document's rows as observations of ``patient`` (the record's patient id)."""
    return [
        CtdnaObservation(
            patient=patient,
            date=r.date,
            gene=r.gene,
            hgvs_p=_short(r.hgvs_p),
            chrom=r.chrom.removeprefix("chr"),
            pos=r.pos,
            ref=r.ref,
            alt=r.alt,
            vaf=r.vaf,
            alt_reads=r.alt_reads,
            depth=r.depth,
            lod=r.assay_lod,
            therapy=r.therapy.lower() if r.therapy else None,
            therapy_start=r.therapy_start,
            record=f"row {i}",
        )
        for i, r in enumerate(doc.rows, start=1)
    ]


def classify_document(
    doc: CtdnaSeriesDocument, patient: str, kb: OncologyKnowledge
) -> PatientCtdna:
    """The patient's ctDNA status from a stored series, with the knowledge base's rules."""
    rules = Rules.of(kb.payload["ctdna_rules"])
    given = [(t.drug.strip().lower(), t.start) for t in doc.therapies]
    return classify_patient(patient, observations(doc, patient), rules, kb.resistance, given)


def series_document(
    path: Path, patient: str | None = None, therapies: list[tuple[str, str | None]] | None = None
) -> CtdnaSeriesDocument:
    """A series TSV (or manifest) read by the TSV reader, as one patient's document.

    A file holding several patients needs ``patient`` to choose one.
    """
    from tailormed.oncology.read_ctdna import read_series

    rows = read_series(path)
    patients = sorted({o.patient for o in rows})
    if patient is None:
        if len(patients) != 1:
            raise InputError(
                f"the series holds {len(patients)} patients ({', '.join(patients[:5])}): name one",
                path=path,
            )
        patient = patients[0]
    mine = [o for o in rows if o.patient == patient]
    if not mine:
        raise InputError(f"no rows for patient {patient!r}", path=path)
    return CtdnaSeriesDocument(
        therapies=[TherapyIn(drug=d, start=s) for d, s in therapies or ()],
        rows=[
            CtdnaRow(
                date=o.date,
                gene=o.gene,
                hgvs_p=o.hgvs_p,
                chrom=o.chrom,
                pos=o.pos,
                ref=o.ref,
                alt=o.alt,
                vaf=o.vaf,
                alt_reads=o.alt_reads,
                depth=o.depth,
                assay_lod=o.lod,
                therapy=o.therapy,
                therapy_start=o.therapy_start,
            )
            for o in mine
        ],
    )


def latest_draw(doc: CtdnaSeriesDocument) -> tuple[str, list[CtdnaRow]]:
    """The date of the latest draw and its rows."""
    last = max(r.date for r in doc.rows)
    return last, [r for r in doc.rows if r.date == last]


def detected(row: CtdnaRow) -> bool:
    """Tested and detected: VAF above 0 and at or above the assay's LoD."""
    return row.vaf > 0 and (row.assay_lod is None or row.vaf >= row.assay_lod)


# ------------------------------------------------------------------ tumor.json → TumorReport


def report_from_document(doc: TumorDocument) -> TumorReport:
    """The typed report back from a stored ``tumor.json`` (what sections and FHIR read)."""
    variants = tuple(
        VariantReport(
            call=SomaticCall(
                gene=v.gene,
                hgvs_p=v.hgvs_p,
                hgvs_p_short=v.hgvs_p_short,
                hgvs_c=v.hgvs_c,
                consequence=v.consequence,
                transcript=v.transcript,
                chrom=v.chrom,
                pos=v.pos,
                ref=v.ref,
                alt=v.alt,
                vaf=v.vaf,
                depth=v.depth,
                alt_reads=v.alt_reads,
                exon=None,
                intron=None,
                record=v.record,
            ),
            tier=v.tier,
            amp_level=v.amp_level,
            tier_basis=v.tier_basis,
            evidence=tuple(
                EvidenceItem(
                    source=e.source,
                    id=e.id,
                    level=e.level,
                    amp_level=e.amp_level,
                    evidence_type=e.type,
                    direction=e.direction,
                    significance=e.significance,
                    disease=e.disease,
                    disease_match=e.disease_match,
                    matched_oncotree=e.matched_oncotree,
                    variant_match=e.variant_match,
                    therapies=tuple(e.therapies),
                    on_label=e.on_label,
                    citation=e.citation,
                    profile=e.profile,
                    amp_tier=e.amp_tier,
                )
                for e in v.evidence
            ),
        )
        for v in doc.variants
    )
    therapies = tuple(
        TherapyOption(
            drug=t.drug,
            response=t.response,
            best_level=t.best_level,
            tier=t.tier,
            variants=tuple(t.variants),
            on_label=t.on_label,
            evidence=tuple(t.evidence),
            regulatory=tuple(t.regulatory),
            pgx=tuple(
                PgxResult(
                    drug=p.drug,
                    genes=tuple(p.genes),
                    status=p.status,
                    phenotypes=tuple(p.phenotypes.items()),
                    recommendations=tuple(p.recommendations),
                    dose=p.dose,
                    source=p.source,
                    note=p.note,
                )
                for p in t.pgx
            ),
            conflicts=tuple(t.conflicts),
        )
        for t in doc.therapies
    )
    fusions = []
    for label in doc.fusions:
        five, _, three = label.partition("::")
        fusions.append(Fusion(five, three, "tumor.json"))
    return TumorReport(
        sample=doc.sample,
        tumour_type=doc.tumour_type,
        tumour_name=doc.tumour_name,
        lineage=tuple(doc.lineage),
        input_path=doc.input,
        input_format=doc.input_format,
        knowledge_version=doc.knowledge.oncology,
        civic_release=doc.knowledge.civic_release,
        oncotree_version=doc.knowledge.oncotree,
        pgx_version=doc.knowledge.pgx,
        variants=variants,
        therapies=therapies,
        biomarkers=tuple(
            Biomarker(b.name, b.value, b.status, b.source, b.numeric) for b in doc.biomarkers
        ),
        eligibility=tuple(
            EligibilityCheck(
                drug=e.drug,
                tumour_type=e.tumour_type,
                requirement=e.requirement,
                hla_a=tuple(e.hla_a),
                result=e.result,
                other_requirements=e.other_requirements,
                label=e.label,
                verified_by=e.verified_by,
            )
            for e in doc.eligibility
        ),
        fusions=tuple(fusions),
        skipped=tuple(sorted(doc.not_reported.items())),
        limitations=tuple(doc.limitations),
    )


__all__ = [
    "CTDNA_KIND",
    "TUMOR_KIND",
    "CtdnaRow",
    "CtdnaSeriesDocument",
    "TherapyIn",
    "TumorDocument",
    "classify_document",
    "detected",
    "latest_draw",
    "observations",
    "regimen_key",
    "report_from_document",
    "series_document",
]
