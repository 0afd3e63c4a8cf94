"""Per-patient trend charts (SVG): steps, sleep, heart rate and questionnaire scores, each
with the medication start dates and the alerts that concern it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tailormed.charts.svg import Event, Line, Marker, Reference, time_chart
from tailormed.digital.aggregate import DailyTable, day_number, day_text
from tailormed.digital.context import PatientContext
from tailormed.digital.pro import Score
from tailormed.digital.rules import Alert

CHART_RULES = {
    "steps": ("activity-drop", "statin-activity-drop"),
    "sleep": (),
    "heart-rate": ("hr-rise",),
    "questionnaires": ("phq9-item9", "phq9-no-response-8w", "pro-overdue"),
}


def _x(v: float) -> str:
    return day_text(round(v))


def _events(context: PatientContext) -> list[Event]:
    return [
        Event(day_number(m.start.isoformat()), f"{m.drug} start {m.start.isoformat()}")
        for m in context.medications
    ]


def _markers(alerts: Sequence[Alert], rules: Sequence[str]) -> list[Marker]:
    return [Marker(day_number(a.day), f"{a.day}: {a.title}") for a in alerts if a.rule_id in rules]


def _line(table: DailyTable, column: str, label: str) -> Line:
    values = table.column(column)
    return Line(label, [(float(d), float(v)) for d, v in zip(table.days, values, strict=True)])


def patient_charts(
    table: DailyTable, scores: Sequence[Score], alerts: Sequence[Alert], context: PatientContext
) -> dict[str, str]:
    """Chart name → SVG document, for the charts the patient has data for."""
    events = _events(context)
    out: dict[str, str] = {}
    who = context.patient

    def has(column: str) -> bool:
        return bool(len(table)) and not bool(np.all(np.isnan(table.column(column))))

    if has("steps"):
        out["steps"] = time_chart(
            f"Daily steps - {who}",
            "steps/day",
            [_line(table, "steps", "steps")],
            events=events,
            markers=_markers(alerts, CHART_RULES["steps"]),
            x_label=_x,
        )
    if has("sleep_min"):
        lines = [_line(table, "sleep_min", "asleep (min)")]
        if has("time_in_bed_min"):
            lines.append(_line(table, "time_in_bed_min", "in bed (min)"))
        out["sleep"] = time_chart(
            f"Sleep - {who}",
            "minutes",
            lines,
            events=events,
            references=[Reference(420, "7 h")],
            x_label=_x,
        )
    if has("hr_mean") or has("resting_hr"):
        lines = [
            _line(table, c, label)
            for c, label in (
                ("resting_hr", "resting"),
                ("night_hr", "night-time"),
                ("hr_mean", "daily mean"),
            )
            if has(c)
        ]
        out["heart-rate"] = time_chart(
            f"Heart rate - {who}",
            "beats/min",
            lines,
            events=events,
            markers=_markers(alerts, CHART_RULES["heart-rate"]),
            x_label=_x,
            y_min=None,
        )
    totals = [s for s in scores if s.total is not None and s.derived_from is None]
    if totals:
        lines = []
        for instrument in sorted({s.instrument for s in totals}):
            pts = sorted(
                (float(day_number(s.day)), float(s.total or 0))
                for s in totals
                if s.instrument == instrument
            )
            lines.append(Line(instrument, pts, dots=True))
        out["questionnaires"] = time_chart(
            f"Questionnaire scores - {who}",
            "total score",
            lines,
            events=events,
            markers=_markers(alerts, CHART_RULES["questionnaires"]),
            references=[Reference(10, "PHQ-9/GAD-7 10 (moderate)")],
            x_label=_x,
            y_max=27,
        )
    return out
