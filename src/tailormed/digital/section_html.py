"""A self-contained HTML page of one :class:`~tailormed.findings.Section` (interim).

The shared report renders every domain's section once the generic report (schema
``tailormed.report/3``) is on main; until then ``tailormed demo`` and ``tailormed digital
summarize`` write the digital section with this small renderer: findings (severity,
summary, recommendations, evidence, sources, limitations), tables and the SVG figures
(inline as ``data:`` images with their text alternative). Everything is escaped.
"""

from __future__ import annotations

import base64
from importlib import resources

from jinja2 import Environment, StrictUndefined

from tailormed.findings import Section

TEMPLATE = resources.files("tailormed.digital") / "templates" / "section.html.j2"


def render_section(section: Section) -> str:
    """The section as one HTML page (no script, no external resource)."""
    env = Environment(autoescape=True, undefined=StrictUndefined)
    figures = [
        {
            "title": f.title,
            "alt": f.alt,
            "src": "data:image/svg+xml;base64," + base64.b64encode(f.svg.encode()).decode(),
        }
        for f in section.figures
    ]
    return env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(s=section, figures=figures)
