"""Digital-health results as shared :class:`~tailormed.findings.Finding` objects (pure).

Findings: one per alert (``digital.alert.<rule id>``, its severity, the clinician text as
summary, the plain-language patient text, the PGx advice as recommendations, and a
limitation saying so when the rule is local), and one per questionnaire for its latest
score (``digital.pro.<instrument>``, LOINC total code, band).
"""

from __future__ import annotations

from collections.abc import Sequence

from tailormed.digital.pro import Score
from tailormed.digital.rules import Alert
from tailormed.findings import Coding, Evidence, Finding, Source
from tailormed.findings.models import Severity

LOINC = "http://loinc.org"
BAND_SEVERITY: dict[str, Severity] = {
    "none-minimal": "info",
    "minimal": "info",
    "negative screen": "info",
    "mild": "low",
    "moderate": "moderate",
    "positive screen": "moderate",
    "moderately severe": "high",
    "severe": "high",
}


def to_findings(
    alerts: Sequence[Alert], scores: Sequence[Score], patient: str, knowledge_version: str
) -> list[Finding]:
    """Findings of one patient's alerts and latest questionnaire scores."""
    knowledge = {"digital": knowledge_version}
    out: list[Finding] = []
    for a in alerts:
        recommendations: tuple[str, ...] = ()
        limitations: list[str] = []
        know = dict(knowledge)
        if a.pgx is not None:
            recommendations = (
                a.pgx.sentence,
                *a.pgx.recommendations,
                *(f"Alternative in the same class: {x}" for x in a.pgx.alternatives[:6]),
            )
            if a.pgx.kb_version:
                know["pgx"] = a.pgx.kb_version
        if not a.published:
            limitations.append("Local rule, not a published threshold.")
        limitations.append("Wearable data are not validated medical measurements.")
        out.append(
            Finding(
                domain="digital",
                code=f"digital.alert.{a.rule_id}",
                title=a.title,
                severity=a.severity,
                summary=a.clinician_text,
                subject=patient,
                patient_summary=a.patient_text,
                recommendations=recommendations,
                evidence=tuple(
                    Evidence("measurement", label, value, unit) for label, value, unit in a.evidence
                ),
                sources=(
                    Source(
                        "Tailormed digital care rule",
                        knowledge_version,
                        a.rule_id,
                        citation=a.citation,
                    ),
                ),
                limitations=tuple(limitations),
                values={
                    "rule": a.rule_id,
                    "date": a.day,
                    "action": a.action,
                    "published": a.published,
                },
                knowledge=know,
            )
        )
    latest: dict[str, Score] = {}
    for s in scores:
        if s.derived_from is None and (
            s.instrument not in latest or s.day >= latest[s.instrument].day
        ):
            latest[s.instrument] = s
    for s in latest.values():
        total = "not computed" if s.total is None else str(s.total)
        out.append(
            Finding(
                domain="digital",
                code=f"digital.pro.{s.instrument.lower()}",
                title=f"{s.instrument} {total} ({s.band or 'incomplete'})",
                severity=BAND_SEVERITY.get(s.band or "", "info"),
                summary=f"{s.instrument} total {total} on {s.day}"
                + (f": {s.band}." if s.band else f" ({'; '.join(s.notes)}).")
                + ("" if s.safety_item_score is None else f" Item 9 = {s.safety_item_score}."),
                subject=patient,
                patient_summary=f"Your {s.instrument} score on {s.day} was {total}"
                + (f" ({s.band})." if s.band else "."),
                evidence=(
                    Evidence(
                        "questionnaire",
                        f"{s.instrument} total",
                        s.total,
                        "{score}",
                        (Coding(LOINC, s.total_code),),
                    ),
                ),
                sources=(Source(s.instrument, knowledge_version, citation=s.citation),),
                limitations=s.notes,
                codes=(Coding(LOINC, s.total_code),),
                values={
                    "instrument": s.instrument,
                    "total": s.total,
                    "band": s.band,
                    "date": s.day,
                },
                knowledge=knowledge,
            )
        )
    return out
