"""The ctDNA VAF-over-time chart of one patient, drawn by the shared :mod:`tailormed.charts`.

One line per tracked variant. A detected VAF is a filled point; a draw where the variant
was tested and not detected is an open point at the assay's limit of detection (an upper
bound, never zero) joined by dashed segments; a draw where it was not tested breaks the
line. Therapy starts are dashed vertical lines; resistance emergence and rises from the
nadir are red markers on the top edge.
"""

from __future__ import annotations

from datetime import date

from tailormed.charts import Event, Line, Marker, time_chart
from tailormed.oncology.models import PatientCtdna

MARKED = ("resistance-emergence", "rise-from-nadir")


def _day(text: str) -> float:
    return float(date.fromisoformat(text).toordinal())


def _label(v: float) -> str:
    return date.fromordinal(round(v)).isoformat()


def vaf_chart(patient: PatientCtdna) -> str:
    """The patient's VAF-over-time chart as a standalone SVG document."""
    variants = sorted({s.variant for d in patient.draws for s in d.states})
    lines: list[Line] = []
    for name in variants:
        points: list[tuple[float, float | None]] = []
        hollow: set[int] = set()
        for d in patient.draws:
            state = next((s for s in d.states if s.variant == name), None)
            if state is None:  # not tested in this draw: a gap, not a value
                points.append((_day(d.date), None))
                continue
            if state.detected and state.vaf is not None:
                points.append((_day(d.date), state.vaf))
            else:
                hollow.add(len(points))
                points.append((_day(d.date), state.lod or 0.0))
        lines.append(Line(name, points, hollow=frozenset(hollow)))
    first = min((_day(d.date) for d in patient.draws), default=0.0)
    last = max((_day(d.date) for d in patient.draws), default=0.0)
    events = [
        Event(_day(start), f"{drug} start {start}")
        for drug, start in patient.therapies
        if start and first <= _day(start) <= last
    ]
    markers = [
        Marker(_day(e.date), f"{e.date}: {e.detail}") for e in patient.events if e.kind in MARKED
    ]
    return time_chart(
        f"ctDNA VAF - {patient.patient} ({patient.status})",
        "variant allele fraction",
        lines,
        events=events,
        markers=markers,
        x_label=_label,
        y_format=lambda v: f"{v:.1%}",
        hollow_label="not detected (at LoD)",
    )


def chart_alt(patient: PatientCtdna) -> str:
    """A text alternative of the chart (what a screen reader or a plain-text report shows)."""
    parts = []
    for d in patient.draws:
        found = ", ".join(
            f"{s.variant} {s.vaf:.2%}" if s.detected and s.vaf is not None else f"{s.variant} n.d."
            for s in d.states
        )
        parts.append(f"{d.date}: {found}")
    return f"ctDNA VAF by draw for {patient.patient} ({patient.status}): " + "; ".join(parts) + "."
