"""A horizontal bar chart as a standalone SVG string, with shaded category bands.

For a handful of values on one scale (risk estimates in percent, for example): one bar
per value, its value printed at the bar's end, optional background bands (risk
categories) labelled along the top, and a caption line. Plain SVG, no script, no external
reference, so HTML and PDF reports can inline it. Depends on nothing else of Tailormed.

>>> svg = bar_chart("10-year risk", [Bar("ASCVD (PREVENT)", 7.2)], unit="%",
...                 bands=[Band(0, 3, "low"), Band(3, 5, "borderline")])
>>> svg.startswith("<svg") and "7.2 %" in svg and "borderline" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

BAND_FILLS = ("#eef7f0", "#fdf6e3", "#fdeee2", "#fbe3e1", "#f3e8f8")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    colour: str = "#1f4e79"
    note: str = ""  # printed after the value (e.g. "30-year")


@dataclass(frozen=True)
class Band:
    start: float
    end: float | None  # None: to the chart's end
    label: str
    fill: str | None = None


def _nice(v: float) -> float:
    if v <= 0:
        return 1.0
    step = 10.0 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= v:
            return m * step
    return 10 * step


def _fmt(v: float) -> str:
    return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    unit: str = "",
    bands: Sequence[Band] = (),
    x_max: float | None = None,
    caption: str = "",
) -> str:
    """The chart as an SVG document (see the module docstring)."""
    left, right, top, row = 190, 40, 52, 30
    width = 720
    height = top + row * max(len(bars), 1) + (44 if caption else 26)
    top_value = x_max or max([b.value for b in bars] + [b.start for b in bands] + [1.0]) * 1.1
    step = _nice(top_value / 5)
    hi = math.ceil(top_value / step - 1e-9) * step
    plot_w = width - left - right

    def x(v: float) -> float:
        return left + max(0.0, min(v, hi)) / hi * plot_w

    bottom = top + row * max(len(bars), 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for i, band in enumerate(bands):
        x0, x1 = x(band.start), x(band.end if band.end is not None else hi)
        fill = band.fill or BAND_FILLS[i % len(BAND_FILLS)]
        out.append(
            f'<rect x="{x0:.1f}" y="{top - 16}" width="{max(x1 - x0, 0):.1f}" '
            f'height="{bottom - top + 16}" fill="{fill}"/>'
        )
        if len(band.label) * 6 < x1 - x0:  # too narrow: the caption names the bands
            out.append(
                f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 5}" font-size="10" fill="#555" '
                f'text-anchor="middle">{escape(band.label)}</text>'
            )
    for k in range(round(hi / step) + 1):
        v = step * k
        out.append(
            f'<line x1="{x(v):.1f}" y1="{top - 16}" x2="{x(v):.1f}" y2="{bottom}" '
            'stroke="#ccc" stroke-width="0.6"/>'
        )
        out.append(
            f'<text x="{x(v):.1f}" y="{bottom + 14}" font-size="10" fill="#555" '
            f'text-anchor="middle">{_fmt(v)}{escape(unit)}</text>'
        )
    for i, b in enumerate(bars):
        y = top + i * row + 6
        out.append(f'<text x="{left - 8}" y="{y + 13}" text-anchor="end">{escape(b.label)}</text>')
        out.append(
            f'<rect x="{left}" y="{y}" width="{x(b.value) - left:.1f}" height="{row - 12}" '
            f'fill="{escape(b.colour)}"><title>{escape(b.label)}: {_fmt(b.value)} '
            f"{escape(unit)}</title></rect>"
        )
        label = f"{_fmt(b.value)} {unit}".strip() + (f" {b.note}" if b.note else "")
        inside = x(b.value) + 90 > width - right  # no room after the bar: write inside it
        anchor = "end" if inside else "start"
        tx = x(b.value) - 6 if inside else x(b.value) + 6
        fill = "#fff" if inside else "#111"
        out.append(
            f'<text x="{tx:.1f}" y="{y + 13}" text-anchor="{anchor}" fill="{fill}" '
            f'font-weight="bold">{escape(label)}</text>'
        )
    out.append(f'<line x1="{left}" y1="{top - 16}" x2="{left}" y2="{bottom}" stroke="#333"/>')
    if caption:
        out.append(
            f'<text x="{left}" y="{height - 8}" font-size="10" fill="#555">{escape(caption)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)
