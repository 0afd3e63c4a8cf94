"""Oncology report parts as shared :class:`~tailormed.findings.Section` objects (pure functions).

:func:`tumor_section` turns one :class:`TumorReport` into the tumour-profile section:
its findings (:func:`~tailormed.oncology.findings.to_findings`) and the tables a tumour
board reads — therapy options with the patient's germline PGx beside each, the somatic
variants with their tier and how the evidence matched, the immunotherapy biomarkers, and
the cell-therapy eligibility checks (checks, never recommendations).

:func:`ctdna_section` turns one patient's :class:`PatientCtdna` into the ctDNA section:
the status finding, a table per draw, the events with their rule's citation, and the
VAF-over-time chart (SVG from :mod:`tailormed.charts`).

The report, web UI and record render these generically; they never import this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tailormed.findings import Figure, Section, Table
from tailormed.oncology.charts import chart_alt, vaf_chart
from tailormed.oncology.findings import ctdna_findings, to_findings
from tailormed.oncology.models import (
    EvidenceItem,
    PatientCtdna,
    TumorReport,
    VariantReport,
)
from tailormed.oncology.output import MEAN_VAF_RULE, TIER_MAPPING
from tailormed.oncology.pgx import pgx_dose, pgx_text

if TYPE_CHECKING:
    from tailormed.knowledge.oncology_kb import OncologyKnowledge
    from tailormed.oncology.documents import CtdnaSeriesDocument, TumorDocument
    from tailormed.oncology.pgx import GermlinePgx

NOT_A_RECOMMENDATION = (
    "Eligibility checks for marker-restricted cell and gene therapies: whether the marker "
    "the label requires is in the record. They are not recommendations; the other label "
    "requirements are checked by the treating team."
)


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{value:.1%}"


def evidence_match(best: EvidenceItem | None) -> str:
    """How the strongest evidence item matched: variant level, then disease level."""
    if best is None:
        return "no evidence"
    variant = {
        "exact": "exact variant",
        "codon": "same codon",
        "exon": "same exon",
        "truncating": "truncating in gene",
        "gene": "gene-level",
        "fusion": "fusion",
        "biomarker": "biomarker",
    }[best.variant_match]
    disease = {
        "exact": "this tumour type",
        "parent": f"parent type {best.matched_oncotree}",
        "pan-cancer": "pan-cancer",
        "other": "other tumour type",
    }[best.disease_match]
    return f"{variant}; {disease}"


def _best(v: VariantReport) -> EvidenceItem | None:
    supporting = [e for e in v.evidence if e.direction == "Supports"]
    return next(iter(supporting or v.evidence), None)


def tumor_tables(report: TumorReport) -> tuple[Table, ...]:
    therapies = Table(
        title="Therapy options",
        columns=(
            "drug",
            "response",
            "best level",
            "tier",
            "variants",
            "label",
            "FDA approval",
            "germline PGx",
            "PGx dose / advice",
            "evidence",
        ),
        rows=tuple(
            (
                t.drug,
                t.response,
                t.best_level,
                t.tier,
                ", ".join(t.variants),
                "on-label (this tumour type)" if t.on_label else "off-label (other types)",
                ", ".join(t.regulatory) or None,
                pgx_text(t.pgx),
                pgx_dose(t.pgx),
                ", ".join(t.evidence[:6])
                + (f" +{len(t.evidence) - 6}" if len(t.evidence) > 6 else ""),
            )
            for t in report.therapies
        ),
        caption=(
            f"AMP/ASCO/CAP levels from CIViC {report.civic_release} and verified FDA approvals; "
            "germline PGx from germline data only (never the tumour). Options for a tumour "
            "board, not prescriptions."
        ),
    )
    variants = Table(
        title="Somatic variants",
        columns=(
            "gene",
            "protein",
            "protein (short)",
            "cDNA",
            "consequence",
            "VAF",
            "depth",
            "tier",
            "AMP level",
            "evidence match",
            "transcript",
        ),
        rows=tuple(
            (
                v.call.gene,
                v.call.hgvs_p,
                v.call.hgvs_p_short,
                v.call.hgvs_c,
                v.call.consequence,
                _percent(v.call.vaf),
                v.call.depth,
                v.tier,
                v.amp_level,
                evidence_match(_best(v)),
                v.call.transcript,
            )
            for v in report.variants
        ),
        caption=TIER_MAPPING,
    )
    biomarkers = Table(
        title="Immunotherapy biomarkers",
        columns=("biomarker", "value", "status", "source"),
        rows=tuple((b.name, b.value, b.status, b.source) for b in report.biomarkers),
    )
    tables = [therapies, variants, biomarkers]
    if report.eligibility:
        tables.append(
            Table(
                title="Cell-therapy eligibility checks",
                columns=(
                    "therapy",
                    "requirement",
                    "patient HLA-A",
                    "result",
                    "other requirements",
                    "label",
                    "verified by",
                ),
                rows=tuple(
                    (
                        e.drug,
                        e.requirement,
                        " / ".join(e.hla_a) or "not typed",
                        e.result,
                        e.other_requirements,
                        e.label,
                        e.verified_by,
                    )
                    for e in report.eligibility
                ),
                caption=NOT_A_RECOMMENDATION,
            )
        )
    return tuple(tables)


def tumor_section(report: TumorReport) -> Section:
    """The tumour-profile section of one report."""
    knowledge = {
        "oncology": report.knowledge_version,
        "civic": report.civic_release,
        "oncotree": report.oncotree_version,
    }
    if report.pgx_version:
        knowledge["pgx"] = report.pgx_version
    skipped = ", ".join(f"{n} {reason}" for reason, n in report.skipped)
    limitations = list(report.limitations)
    if skipped:
        limitations.append(f"Calls not reported: {skipped}.")
    return Section(
        domain="oncology",
        title=f"Tumour profile: {report.tumour_name} ({report.tumour_type})",
        subject=report.sample,
        findings=tuple(to_findings(report)),
        tables=tumor_tables(report),
        limitations=tuple(limitations),
        knowledge=knowledge,
    )


def _pct(value: float | None) -> float | None:
    """A fraction as a percentage number (full precision kept to 1e-6 of a fraction)."""
    return None if value is None else round(value * 100, 4)


DRAW_COLUMNS = (
    "date",
    "baseline",
    "therapy",
    "tested",
    "detected",
    "mean VAF %",
    "mean is an upper bound",
    "max VAF %",
    "mean vs baseline",
)
MEASUREMENT_COLUMNS = ("date", "variant", "result", "VAF %", "LoD %")


def ctdna_section(patient: PatientCtdna, knowledge_version: str) -> Section:
    """The ctDNA monitoring section of one patient.

    Tables hold numbers, not formatted text (percentages, folds), so that what a
    renderer shows and what FHIR sends (:mod:`.fhir` reads these tables) are the same.
    """
    draws = Table(
        title="ctDNA draws",
        columns=DRAW_COLUMNS,
        rows=tuple(
            (
                d.date,
                "baseline" if d.date == patient.baseline else None,
                d.therapy,
                d.tested,
                d.detected,
                _pct(d.mean_vaf),
                "yes" if d.detected < d.tested else "no",
                _pct(d.max_vaf),
                None if d.fold_from_baseline is None else round(d.fold_from_baseline, 6),
            )
            for d in patient.draws
        ),
        caption=f"Mean VAF: {MEAN_VAF_RULE}. 'mean vs baseline': the fold change of the mean "
        "VAF of the baseline-detected variants.",
        audience="clinician",
    )
    measurements = Table(
        title="ctDNA measurements",
        columns=MEASUREMENT_COLUMNS,
        rows=tuple(
            (
                d.date,
                s.variant,
                "detected" if s.detected else "not detected",
                _pct(s.vaf) if s.detected else None,
                _pct(s.lod),
            )
            for d in patient.draws
            for s in d.states
        ),
        caption="One row per tracked variant per draw; 'not detected' is below the assay's "
        "limit of detection (LoD), never zero; a variant without a row was not tested.",
        audience="clinician",
    )
    events = Table(
        title="ctDNA events",
        columns=("date", "event", "variant", "detail", "resistance evidence", "rule source"),
        rows=tuple(
            (
                e.date,
                e.kind,
                e.variant,
                e.detail,
                "; ".join(e.resistance_sources) or None,
                e.citation,
            )
            for e in patient.events
        ),
        caption="Rules are data (thresholds configurable), each with its citation.",
    )
    tables = (draws, measurements, events) if patient.events else (draws, measurements)
    figures: tuple[Figure, ...] = ()
    if patient.draws:
        figures = (
            Figure(
                title=f"ctDNA VAF over time ({patient.patient})",
                svg=vaf_chart(patient),
                alt=chart_alt(patient),
                audience="both",
            ),
        )
    return Section(
        domain="oncology",
        title=f"ctDNA monitoring: {patient.status.replace('-', ' ')}",
        subject=patient.patient,
        findings=tuple(ctdna_findings([patient], knowledge_version)),
        tables=tables,
        figures=figures,
        limitations=(*patient.notes, f"Mean VAF: {MEAN_VAF_RULE}."),
        knowledge={"oncology": knowledge_version},
    )


def sections(
    tumor: TumorReport | None,
    ctdna: Sequence[PatientCtdna],
    knowledge_version: str,
) -> list[Section]:
    """Every oncology section for what was given (tumour first, then each patient's ctDNA)."""
    out = [tumor_section(tumor)] if tumor is not None else []
    out += [ctdna_section(p, knowledge_version) for p in ctdna]
    return out


def document_sections(
    tumor: TumorDocument | None,
    ctdna: CtdnaSeriesDocument | None,
    subject: str,
    kb: OncologyKnowledge,
    germline: GermlinePgx | None = None,
) -> list[Section]:
    """The sections of a patient's stored oncology documents (what the service shows).

    The tumour profile is read back as stored (its subject stays the tumour sample, its
    knowledge version the one it was made with); with ``germline`` (the record's germline
    interpretation) its therapy PGx and eligibility checks are made again from it. The
    ctDNA series is classified on read with the current knowledge base, under the
    record's patient id ``subject``.
    """
    from tailormed.oncology.documents import classify_document, report_from_document
    from tailormed.oncology.pgx import with_germline

    report = report_from_document(tumor) if tumor is not None else None
    if report is not None and germline is not None:
        report = with_germline(report, germline, kb)
    patients = [classify_document(ctdna, subject, kb)] if ctdna is not None else []
    return sections(report, patients, kb.version)
