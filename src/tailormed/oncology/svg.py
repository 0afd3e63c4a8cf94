"""A small SVG writer for the VAF-over-time chart of one patient.

Our own ~100 lines instead of matplotlib: the chart is a few polylines, matplotlib would
add a large dependency (and a font cache) to draw them, and a plain SVG string is easy to
embed in the HTML report later. Detected VAFs are filled circles joined by solid lines;
a draw where a variant was tested and not detected is an open circle at the assay LoD
(an upper bound, drawn dashed); therapy starts are vertical lines.
"""

from __future__ import annotations

import itertools
from datetime import date
from html import escape

from tailormed.oncology.models import PatientCtdna

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 60, 170, 40, 50
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f")


def _day(text: str) -> int:
    return date.fromisoformat(text).toordinal()


def chart(patient: PatientCtdna) -> str:
    """The patient's VAF-over-time chart as a standalone SVG document."""
    days = [_day(d.date) for d in patient.draws]
    first, last = min(days), max(days)
    span = max(last - first, 1)
    top_vaf = (
        max(
            [s.vaf or 0.0 for d in patient.draws for s in d.states]
            + [s.lod or 0.0 for d in patient.draws for s in d.states]
            + [0.01]
        )
        * 1.1
    )
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: int) -> float:
        return LEFT + (day - first) / span * plot_w

    def y(vaf: float) -> float:
        return TOP + plot_h - vaf / top_vaf * plot_h

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11">',
        f"<title>ctDNA allele fraction over time, patient {escape(patient.patient)}</title>",
        f'<text x="{LEFT}" y="20" font-size="13" font-weight="bold">'
        f"ctDNA VAF — {escape(patient.patient)} ({escape(patient.status)})</text>",
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" '
        'stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#333"/>',
    ]
    for k in range(5):
        v = top_vaf * k / 4
        out.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1%}</text>')
        out.append(
            f'<line x1="{LEFT}" y1="{y(v):.1f}" x2="{LEFT + plot_w}" y2="{y(v):.1f}" '
            'stroke="#eee"/>'
        )
    for d in patient.draws:
        out.append(
            f'<text x="{x(_day(d.date)):.1f}" y="{TOP + plot_h + 16}" '
            f'text-anchor="middle" font-size="9">{d.date}</text>'
        )
    for drug, start in patient.therapies:
        if start and first <= _day(start) <= last:
            sx = x(_day(start))
            out.append(
                f'<line x1="{sx:.1f}" y1="{TOP}" x2="{sx:.1f}" y2="{TOP + plot_h}" '
                'stroke="#555" stroke-dasharray="2,2"/>'
            )
            out.append(f'<text x="{sx + 3:.1f}" y="{TOP + 10}" font-size="9">{escape(drug)}</text>')
    variants = sorted({s.variant for d in patient.draws for s in d.states})
    for i, name in enumerate(variants):
        colour = COLOURS[i % len(COLOURS)]
        points: list[tuple[float, float, bool]] = []
        for d in patient.draws:
            for s in d.states:
                if s.variant == name:
                    value = s.vaf if s.detected and s.vaf is not None else (s.lod or 0.0)
                    points.append((x(_day(d.date)), y(value), s.detected))
        for (x1, y1, det1), (x2, y2, det2) in itertools.pairwise(points):
            dash = "" if det1 and det2 else ' stroke-dasharray="4,3"'
            out.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'stroke="{colour}" stroke-width="2"{dash}/>'
            )
        for px, py, det in points:
            fill = colour if det else "white"
            out.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{fill}" stroke="{colour}"/>'
            )
        ly = TOP + 14 * i
        out.append(
            f'<rect x="{WIDTH - RIGHT + 12}" y="{ly}" width="10" height="10" fill="{colour}"/>'
        )
        out.append(f'<text x="{WIDTH - RIGHT + 26}" y="{ly + 9}">{escape(name)}</text>')
    ly = TOP + 14 * len(variants) + 10
    out.append(
        f'<circle cx="{WIDTH - RIGHT + 17}" cy="{ly + 4}" r="4" fill="white" stroke="#333"/>'
    )
    out.append(f'<text x="{WIDTH - RIGHT + 26}" y="{ly + 8}">not detected (at LoD)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
