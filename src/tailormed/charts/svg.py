"""A time-series chart as a standalone SVG string: lines over days, event lines, markers.

Our own small writer instead of matplotlib (a large dependency with a font cache for a
few polylines); the output is a plain SVG document that HTML reports can embed. Missing
values break a line (no interpolation across a gap). Events (e.g. medication starts) are
dashed vertical lines with a label; markers (e.g. alerts) are red triangles on the top
edge with a ``<title>`` tooltip. A line may mark some points as upper bounds (``hollow``:
e.g. a lab value below the assay's limit of detection, drawn at that limit): they are open
circles and the segments touching them are dashed, so a reader never takes a bound for a
measurement. Depends on nothing else of Tailormed.

>>> svg = time_chart("Steps", "steps/day", [Line("steps", [(0, 100.0), (1, 200.0)])],
...                  x_label=str)
>>> svg.startswith("<svg") and "steps/day" in svg
True
>>> svg = time_chart("VAF", "VAF", [Line("EGFR T790M", [(0, 0.001), (30, 0.04)], hollow={0})],
...                  x_label=str, y_format=lambda v: f"{v:.1%}")
>>> 'fill="white"' in svg and "stroke-dasharray" in svg and "5.0%" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class Line:
    label: str
    points: Sequence[tuple[float, float | None]]  # (x, y); None or NaN breaks the line
    colour: str | None = None
    dots: bool = False
    hollow: frozenset[int] | set[int] = frozenset()  # indices of points that are upper bounds


@dataclass(frozen=True)
class Event:
    x: float
    label: str
    colour: str = "#555"


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    colour: str = "#d62728"


@dataclass(frozen=True)
class Reference:
    y: float
    label: str


@dataclass(frozen=True)
class _Frame:
    x0: float
    x1: float
    y0: float
    y1: float
    left: int = 64
    right: int = 150
    top: int = 36
    bottom: int = 40
    width: int = 720
    height: int = 280
    extra: dict[str, float] = field(default_factory=dict)

    def x(self, v: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return self.left + (v - self.x0) / span * (self.width - self.left - self.right)

    def y(self, v: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        return (
            self.height
            - self.bottom
            - (v - self.y0) / span * (self.height - self.top - self.bottom)
        )


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    step = float(10.0 ** math.floor(math.log10(v)))
    for m in (1, 2, 2.5, 5, 10):
        if m * step >= v:
            return m * step
    return 10 * step


def y_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Round tick values between ``lo`` and ``hi`` (steps of 1, 2, 2.5 or 5 × 10^n).

    >>> y_ticks(0, 27)
    [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    >>> y_ticks(0, 0.2)
    [0.0, 0.05, 0.1, 0.15, 0.2]
    >>> y_ticks(3, 3)
    [3.0]
    """
    span = hi - lo
    if span <= 0:
        return [float(lo)]
    step = _nice_max(span / most)
    first = math.ceil(lo / step - 1e-9)
    out: list[float] = []
    k = first
    while k * step <= hi + step * 1e-9:
        out.append(round(k * step, 10))
        k += 1
    return out


def _plain_line(f: _Frame, ln: Line, colour: str) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    runs: list[list[str]] = []
    for x, y in ln.points:
        if y is None or math.isnan(y):
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{f.x(x):.1f},{f.y(y):.1f}")
        if ln.dots:
            out.append(f'<circle cx="{f.x(x):.1f}" cy="{f.y(y):.1f}" r="3" fill="{colour}"/>')
    if run:
        runs.append(run)
    for segment in runs:
        out.append(
            f'<polyline points="{" ".join(segment)}" fill="none" stroke="{colour}" '
            'stroke-width="1.5"/>'
        )
    return out


def _bounded_line(f: _Frame, ln: Line, colour: str) -> list[str]:
    """A line whose ``hollow`` points are upper bounds: open circles, dashed segments."""
    out: list[str] = []
    previous: tuple[float, float, bool] | None = None
    dots: list[str] = []
    for i, (x, y) in enumerate(ln.points):
        if y is None or math.isnan(y):
            previous = None
            continue
        px, py, bound = f.x(x), f.y(y), i in ln.hollow
        if previous is not None:
            dash = ' stroke-dasharray="4,3"' if bound or previous[2] else ""
            out.append(
                f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{px:.1f}" '
                f'y2="{py:.1f}" stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
        fill = "white" if bound else colour
        dots.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{fill}" stroke="{colour}"/>')
        previous = (px, py, bound)
    return out + dots


def time_chart(
    title: str,
    y_label: str,
    lines: Sequence[Line],
    *,
    events: Sequence[Event] = (),
    markers: Sequence[Marker] = (),
    references: Sequence[Reference] = (),
    x_label: Callable[[float], str],
    y_min: float | None = 0.0,
    y_max: float | None = None,
    y_format: Callable[[float], str] | None = None,
    hollow_label: str = "upper bound",
) -> str:
    """The chart as an SVG document (see the module docstring)."""
    xs = [x for ln in lines for x, y in ln.points if y is not None and not math.isnan(y)]
    xs += [e.x for e in events] + [m.x for m in markers]
    ys = [y for ln in lines for _, y in ln.points if y is not None and not math.isnan(y)]
    ys += [r.y for r in references]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    lo = y_min if y_min is not None else (min(ys) if ys else 0.0)
    hi = y_max if y_max is not None else _nice_max(max(ys) * 1.05 if ys else 1.0)
    if y_min is None and ys:
        lo = math.floor(lo * 0.95)
    f = _Frame(x0, x1, lo, hi)
    plot_bottom = f.height - f.bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{f.width}" height="{f.height}" '
        f'viewBox="0 0 {f.width} {f.height}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="{f.left}" y="20" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<text x="14" y="{(f.top + f.height - f.bottom) / 2:.0f}" font-size="10" fill="#555" '
        f'text-anchor="middle" transform="rotate(-90 14 {(f.top + f.height - f.bottom) / 2:.0f})">'
        f"{escape(y_label)}</text>",
        f'<line x1="{f.left}" y1="{plot_bottom}" x2="{f.width - f.right}" y2="{plot_bottom}" '
        'stroke="#333"/>',
        f'<line x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{plot_bottom}" stroke="#333"/>',
    ]
    for v in y_ticks(lo, hi):
        yy = f.y(v)
        out.append(
            f'<line x1="{f.left}" y1="{yy:.1f}" x2="{f.width - f.right}" y2="{yy:.1f}" '
            'stroke="#eee"/>'
        )
        tick = escape(y_format(v)) if y_format else f"{v:g}"
        out.append(f'<text x="{f.left - 6}" y="{yy + 4:.1f}" text-anchor="end">{tick}</text>')
    ticks = 6 if x1 > x0 else 1
    for k in range(ticks):
        v = x0 + (x1 - x0) * k / max(ticks - 1, 1)
        out.append(
            f'<text x="{f.x(v):.1f}" y="{plot_bottom + 16}" text-anchor="middle" '
            f'font-size="9">{escape(x_label(v))}</text>'
        )
    for r in references:
        yy = f.y(r.y)
        out.append(
            f'<line x1="{f.left}" y1="{yy:.1f}" x2="{f.width - f.right}" y2="{yy:.1f}" '
            'stroke="#999" stroke-dasharray="6,3"/>'
        )
        out.append(
            f'<text x="{f.width - f.right - 2}" y="{yy - 3:.1f}" text-anchor="end" '
            f'font-size="9" fill="#777">{escape(r.label)}</text>'
        )
    for e in events:
        ex = f.x(e.x)
        out.append(
            f'<line x1="{ex:.1f}" y1="{f.top}" x2="{ex:.1f}" y2="{plot_bottom}" '
            f'stroke="{e.colour}" stroke-dasharray="3,3"><title>{escape(e.label)}</title></line>'
        )
        out.append(
            f'<text x="{ex + 3:.1f}" y="{f.top + 10}" font-size="9">{escape(e.label)}</text>'
        )
    for i, ln in enumerate(lines):
        colour = ln.colour or PALETTE[i % len(PALETTE)]
        if ln.hollow:
            out.extend(_bounded_line(f, ln, colour))
        else:
            out.extend(_plain_line(f, ln, colour))
        ly = f.top + 14 * i
        out.append(
            f'<rect x="{f.width - f.right + 12}" y="{ly}" width="10" height="10" fill="{colour}"/>'
        )
        out.append(f'<text x="{f.width - f.right + 26}" y="{ly + 9}">{escape(ln.label)}</text>')
    for m in markers:
        mx = f.x(m.x)
        out.append(
            f'<path d="M{mx - 5:.1f},{f.top - 8} L{mx + 5:.1f},{f.top - 8} L{mx:.1f},{f.top}Z" '
            f'fill="{m.colour}"><title>{escape(m.label)}</title></path>'
        )
    rows = len(lines)  # legend rows used so far
    if any(ln.hollow for ln in lines):
        ly = f.top + 14 * rows + 6
        out.append(
            f'<circle cx="{f.width - f.right + 17}" cy="{ly + 4}" r="4" fill="white" '
            'stroke="#333"/>'
        )
        out.append(f'<text x="{f.width - f.right + 26}" y="{ly + 8}">{escape(hollow_label)}</text>')
        rows += 1
    if markers:
        ly = f.top + 14 * rows + 6
        out.append(
            f'<path d="M{f.width - f.right + 12},{ly} L{f.width - f.right + 22},{ly} '
            f'L{f.width - f.right + 17},{ly + 8}Z" fill="#d62728"/>'
        )
        out.append(f'<text x="{f.width - f.right + 26}" y="{ly + 8}">alert</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
