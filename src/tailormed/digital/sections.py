"""The digital-health part of a report as a shared :class:`~tailormed.findings.Section`.

Built from typed results only (the per-day table, questionnaire scores, alerts, the
patient context): the findings of :func:`tailormed.digital.findings.to_findings`, a table
of questionnaire scores (both audiences), a table of weekly means (clinician), a table of
alerts with their state when they come from the record (clinician), and the trend charts
of :func:`tailormed.digital.charts.patient_charts` as figures with a text alternative.
The pipeline's adapter (``tailormed run --observations``) is
:func:`tailormed.pipeline.digital.adapter`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tailormed.digital.aggregate import DailyTable, day_text
from tailormed.digital.charts import patient_charts
from tailormed.digital.context import PatientContext
from tailormed.digital.findings import to_findings
from tailormed.digital.pro import Score
from tailormed.digital.rules import Alert
from tailormed.findings import Figure, Section, Table

CHART_TITLES = {
    "steps": "Daily steps",
    "sleep": "Sleep",
    "heart-rate": "Heart rate",
    "questionnaires": "Questionnaire scores",
}
LIMITATIONS = (
    "Consumer wearable data are not validated medical measurements; gaps (device not "
    "worn) are shown as gaps, never filled in.",
    "Questionnaire totals are computed only when every item is answered (no pro-rating).",
    "Crisis resources shown to patients are for the United States (988 Suicide & Crisis "
    "Lifeline, 911); a deployment elsewhere must configure its own.",
)


def _alt(name: str, table: DailyTable, scores: Sequence[Score], alerts: Sequence[Alert]) -> str:
    if name == "questionnaires":
        totals = [s for s in scores if s.total is not None and s.derived_from is None]
        span = f"{min(s.day for s in totals)} to {max(s.day for s in totals)}" if totals else ""
        return f"{len(totals)} questionnaire totals from {span}; {len(alerts)} alert(s) marked."
    column = {"steps": "steps", "sleep": "sleep_min", "heart-rate": "resting_hr"}[name]
    values = table.column(column)
    has = ~np.isnan(values)
    if not has.any():
        column = "hr_mean"
        values = table.column(column)
        has = ~np.isnan(values)
    first, last = day_text(int(table.days[has][0])), day_text(int(table.days[has][-1]))
    return (
        f"{CHART_TITLES[name]} from {first} to {last}, {int(has.sum())} days with data; "
        f"median {float(np.median(values[has])):.0f}, range {float(values[has].min()):.0f}"
        f"-{float(values[has].max()):.0f} ({column.replace('_', ' ')})."
    )


def _weekly(table: DailyTable) -> Table:
    rows: list[tuple[str | float | int | None, ...]] = []
    if len(table):
        week = (table.days + 3) // 7  # weeks starting on Monday (1970-01-01 was a Thursday)
        for w in np.unique(week):
            sel = week == w
            cells: list[str | float | int | None] = [day_text(int(w * 7 - 3))]
            for col in ("steps", "sleep_min", "resting_hr", "night_hr"):
                v = table.column(col)[sel]
                v = v[~np.isnan(v)]
                cells.append(round(float(v.mean()), 1) if len(v) else None)
            cells.append(int(sel.sum()))
            rows.append(tuple(cells))
    return Table(
        "Weekly means",
        ("week of", "steps/day", "sleep min/night", "resting HR /min", "night HR /min", "days"),
        tuple(rows),
        caption="Means of the days with data in each week (Monday to Sunday, local days).",
        audience="clinician",
    )


def section(
    table: DailyTable,
    scores: Sequence[Score],
    alerts: Sequence[Alert],
    context: PatientContext,
    knowledge_version: str,
    *,
    subject: str | None = None,
    states: Mapping[str, str] | None = None,
) -> Section:
    """The digital-health section of one patient. ``states`` maps an alert's key to its
    state in the record (open, acknowledged, escalated), when it comes from there."""
    who = subject or context.patient
    findings = tuple(to_findings(alerts, scores, who, knowledge_version))
    score_rows = tuple(
        (s.day, s.instrument, s.total, s.band or "incomplete", s.safety_item_score)
        for s in sorted(scores, key=lambda s: (s.day, s.instrument))
        if s.derived_from is None
    )
    tables = [
        Table(
            "Questionnaire scores",
            ("date", "questionnaire", "total", "severity", "PHQ-9 item 9"),
            score_rows,
            caption="PHQ-9 total LOINC 44261-6, GAD-7 total LOINC 70274-6, PHQ-2 total "
            "LOINC 55758-7; bands as published (Kroenke 2001, Spitzer 2006, Kroenke 2003).",
            audience="both",
        ),
        _weekly(table),
    ]
    if alerts:
        tables.append(
            Table(
                "Alerts",
                ("date", "severity", "alert", "state", "rule"),
                tuple(
                    (
                        a.day,
                        a.severity,
                        a.title,
                        (states or {}).get(a.key, "raised"),
                        a.rule_id + ("" if a.published else " (local rule)"),
                    )
                    for a in alerts
                ),
                audience="clinician",
            )
        )
    charts = patient_charts(table, scores, alerts, context)
    figures = tuple(
        Figure(CHART_TITLES.get(name, name), svg, _alt(name, table, scores, alerts), "both")
        for name, svg in charts.items()
    )
    return Section(
        domain="digital",
        title="Digital health: wearables, questionnaires and care alerts",
        subject=who,
        findings=findings,
        tables=tuple(tables),
        figures=figures,
        limitations=LIMITATIONS,
        knowledge={"digital": knowledge_version},
    )
