"""Oncology results as shared :class:`~tailormed.findings.Finding` objects (a pure function).

Findings: one per tier I/II variant (``oncology.variant.<gene>.<change>``), one per
therapy option with its germline PGx beside it (``oncology.therapy.<drug>.<response>``),
one per eligibility check (``oncology.eligibility.<drug>``, never a recommendation), the
immunotherapy biomarkers, and one ctDNA status per patient (``oncology.ctdna.status``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tailormed.findings import Coding, Evidence, Finding, Source
from tailormed.findings.models import Severity
from tailormed.oncology.models import PatientCtdna, TumorReport
from tailormed.oncology.pgx import pgx_dose, pgx_text

CIVIC_URL = "https://civicdb.org/links/evidence_items/"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _sources(ids: Sequence[str], version: str) -> tuple[Source, ...]:
    out = []
    for i in ids:
        if i.startswith("EID"):
            out.append(Source("CIViC", version, i, url=CIVIC_URL + i[3:]))
        elif i.startswith("AID"):
            out.append(
                Source("CIViC", version, i, url="https://civicdb.org/links/assertions/" + i[3:])
            )
        else:
            out.append(Source("FDA", version, i))
    return tuple(out)


def to_findings(report: TumorReport) -> list[Finding]:
    """Findings of one tumour profile."""
    knowledge = {"oncology": report.knowledge_version}
    if report.pgx_version:
        knowledge["pgx"] = report.pgx_version
    # the tumour type is context, not what a finding states: it goes in ``values`` (the
    # generic FHIR layer makes ``codes`` the Observation's code)
    tumour = {"tumour_type": report.tumour_type, "tumour_name": report.tumour_name}
    out: list[Finding] = []
    for v in report.variants:
        if v.tier == "III":
            continue
        c = v.call
        change = "fusion" if c.consequence == "gene_fusion" else c.hgvs_p_short or c.consequence
        severity: Severity = "high" if v.tier == "I" else "moderate"
        level = f" level {v.amp_level}" if v.amp_level else ""
        vaf = f" (VAF {c.vaf:.0%})" if c.vaf is not None else ""
        out.append(
            Finding(
                domain="oncology",
                code=f"oncology.variant.{_slug(c.gene)}.{_slug(change)}",
                title=f"{c.gene} {change}: AMP tier {v.tier}",
                severity=severity,
                summary=f"{c.gene} {c.hgvs_p or change}{vaf} is AMP/ASCO/CAP tier {v.tier}{level} "
                f"in {report.tumour_name}: {v.tier_basis}.",
                subject=report.sample,
                patient_summary=f"Your tumour has a change in the {c.gene} gene "
                f"({'fusion' if change == 'fusion' else c.hgvs_p_short or change}) that is "
                "known to matter for choosing a cancer treatment. Your care team will discuss "
                "what it means for you.",
                evidence=(
                    Evidence(
                        "variant",
                        f"{c.gene} {c.hgvs_p or change}",
                        c.vaf,
                        "fraction",
                        (Coding("http://www.genenames.org", c.gene),),
                    ),
                ),
                sources=_sources([e.id for e in v.evidence[:10]], report.knowledge_version),
                limitations=report.limitations[:2],
                values={
                    **tumour,
                    "tier": v.tier,
                    "amp_level": v.amp_level,
                    "gene": c.gene,
                    "hgvs_p": c.hgvs_p,
                    "hgvs_p_short": c.hgvs_p_short,
                    "vaf": c.vaf,
                    "civic_release": report.civic_release,
                    "hgvs_c": c.hgvs_c,
                    "transcript": c.transcript,
                    "consequence": c.consequence,
                    "depth": c.depth,
                    "alt_reads": c.alt_reads,
                    "chrom": c.chrom or None,
                    "pos": c.pos or None,
                    "ref": c.ref or None,
                    "alt": c.alt or None,
                    "record": c.record,
                    "tier_basis": v.tier_basis,
                    "label": c.label,
                },
                knowledge=knowledge,
            )
        )
    for t in report.therapies:
        pgx_lines = tuple(
            f"Germline {'/'.join(p.genes)} for {p.drug}: {p.status}"
            + (f" ({'; '.join(f'{g} {ph}' for g, ph in p.phenotypes)})" if p.phenotypes else "")
            + (f"; dose: {p.dose}" if p.dose else "")
            for p in t.pgx
        )
        verb = "may respond to" if t.response == "sensitive" else "is likely resistant to"
        out.append(
            Finding(
                domain="oncology",
                code=f"oncology.therapy.{_slug(t.drug)}.{t.response}",
                title=f"{t.drug} ({t.response}, tier {t.tier}, level {t.best_level})",
                severity="high"
                if t.tier == "I" and t.on_label
                else "moderate"
                if t.tier == "I"
                else "low",
                summary=f"The tumour ({', '.join(t.variants)}) {verb} {t.drug}: best evidence "
                f"level {t.best_level}, "
                f"{'for this tumour type' if t.on_label else 'in other tumour types only'}.",
                subject=report.sample,
                recommendations=pgx_lines,
                evidence=tuple(Evidence("variant", label) for label in t.variants),
                sources=_sources(t.evidence[:10], report.knowledge_version),
                limitations=(*t.conflicts, report.limitations[-1]),
                values={
                    **tumour,
                    "drug": t.drug,
                    "response": t.response,
                    "tier": t.tier,
                    "best_level": t.best_level,
                    "on_label": t.on_label,
                    "fda": ", ".join(t.regulatory) or None,
                    "pgx_status": "; ".join(f"{p.drug}: {p.status}" for p in t.pgx) or None,
                    "variants": " | ".join(t.variants),
                    "evidence": ", ".join(t.evidence),
                    "pgx": pgx_text(t.pgx),
                    "pgx_dose": pgx_dose(t.pgx),
                    "conflicts": " | ".join(t.conflicts) or None,
                },
                knowledge=knowledge,
            )
        )
    for e in report.eligibility:
        out.append(
            Finding(
                domain="oncology",
                code=f"oncology.eligibility.{_slug(e.drug)}",
                title=f"Eligibility check: {e.drug}",
                severity="info",
                summary=f"{e.drug} requires {e.requirement} ({e.other_requirements}): {e.result}. "
                "This is an eligibility check, not a recommendation.",
                subject=report.sample,
                evidence=tuple(Evidence("genotype", f"HLA-A{a}") for a in e.hla_a),
                sources=(Source("FDA label", report.knowledge_version, citation=e.verified_by),),
                values={
                    **tumour,
                    "drug": e.drug,
                    "result": e.result,
                    "requirement": e.requirement,
                },
                knowledge=knowledge,
            )
        )
    for b in report.biomarkers:
        if b.status == "not assessed":
            continue
        out.append(
            Finding(
                domain="oncology",
                code=f"oncology.biomarker.{_slug(b.name)}",
                title=f"{b.name}: {b.value}",
                severity="moderate" if b.status in ("TMB-high", "MSI-H", "dMMR") else "info",
                summary=f"{b.name} {b.value} ({b.status}); {b.source}.",
                subject=report.sample,
                evidence=(
                    Evidence(
                        "measurement", b.name, b.numeric if b.numeric is not None else b.value
                    ),
                ),
                values={
                    "name": b.name,
                    "status": b.status,
                    "value": b.value,
                    "numeric": b.numeric,
                    "source": b.source,
                },
                knowledge=knowledge,
            )
        )
    return out


PATIENT_STATUS = {
    "molecular-response": "the amount of tumour DNA in your blood fell by more than half "
    "after treatment started, and a later test confirmed it",
    "response-pending-confirmation": "the amount of tumour DNA in your blood fell after "
    "treatment started; a further test is needed to confirm it",
    "response-not-confirmed": "the amount of tumour DNA in your blood fell once, but the "
    "next test did not confirm the fall",
    "clearance": "tumour DNA was no longer found in your blood at the test's detection limit",
    "molecular-progression": "the amount of tumour DNA in your blood rose again after "
    "its lowest point",
    "molecular-progression-resistance": "a tumour DNA change known to make your current "
    "treatment work less well was found in your blood",
    "new-variant": "a tumour DNA change not seen before was found in your blood",
    "no-molecular-response": "the amount of tumour DNA in your blood has not fallen by "
    "more than half since treatment started",
    "baseline-only": "only the first blood test is available so far",
    "not-evaluable": "no tumour DNA change was found in the first blood test, so changes "
    "cannot be followed",
}


def patient_ctdna_text(status: str, draws: int) -> str:
    """Plain-language ctDNA status for the patient's own page (from the status code only).

    >>> patient_ctdna_text("clearance", 3)[:40]
    'Across your 3 blood tests, tumour DNA wa'
    """
    what = PATIENT_STATUS.get(status, f"the result is {status}")
    return (
        f"Across your {draws} blood test{'s' if draws != 1 else ''}, {what}. Your care team "
        "will explain what this means for your treatment."
    )


SEVERITY = {
    "molecular-progression-resistance": "high",
    "molecular-progression": "high",
    "new-variant": "moderate",
    "no-molecular-response": "moderate",
    "response-not-confirmed": "moderate",
}


def ctdna_findings(patients: Sequence[PatientCtdna], knowledge_version: str) -> list[Finding]:
    """One ctDNA status finding per patient."""
    out = []
    for p in patients:
        last = p.draws[-1] if p.draws else None
        severity: Severity = SEVERITY.get(p.status, "info")  # type: ignore[assignment]
        out.append(
            Finding(
                domain="oncology",
                code="oncology.ctdna.status",
                title=f"ctDNA status: {p.status}",
                severity=severity,
                summary=f"ctDNA {p.status} over {len(p.draws)} draws from baseline {p.baseline}"
                + (
                    f"; latest {last.date}: {last.detected}/{last.tested} variants detected, "
                    f"mean VAF ≤ {last.mean_vaf:.2%}"
                    if last
                    else ""
                )
                + ".",
                subject=p.patient,
                patient_summary=patient_ctdna_text(p.status, len(p.draws)),
                recommendations=tuple(
                    e.detail for e in p.events if e.kind == "resistance-emergence"
                ),
                evidence=tuple(
                    Evidence("measurement", f"{e.kind} {e.date}", e.detail) for e in p.events
                ),
                sources=tuple(
                    Source("ctDNA rule", knowledge_version, e.kind, citation=e.citation)
                    for e in p.events[:10]
                ),
                limitations=p.notes,
                values={
                    "status": p.status,
                    "baseline": p.baseline,
                    "draws": len(p.draws),
                    "latest": last.date if last else None,
                },
                knowledge={"oncology": knowledge_version},
            )
        )
    return out
