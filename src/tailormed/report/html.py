"""The HTML report: one self-contained file (inline CSS, no scripts, no external assets).

Rendered with Jinja2 from ``templates/report.html.j2``; every value is escaped
(autoescape on for every template, undefined names are errors), and links are only
made from ``http(s)`` URLs, so a knowledge-base or input string can never inject markup
or a ``javascript:`` link. The same HTML is the input of the PDF rendering, so the CSS
carries print rules (A4 pages, running footer, page breaks between the views).

>>> from tailormed.recommend.models import Interpretation
>>> html = render_html(Interpretation("S<1>", "kb-1", (), (), ()))
>>> "S&lt;1&gt;" in html and "S<1>" not in html
True
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from tailormed.atomic import write_atomic
from tailormed.findings import Figure
from tailormed.findings.sections import FigureModel
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report import plain
from tailormed.report.build import build_report
from tailormed.report.layout import (
    ACTION_LABELS,
    blocks,
    cards,
    cause_groups,
    causes,
    dosed,
    gap,
    phenoconverted,
    reason_groups,
    split_text,
    unresolved,
)
from tailormed.report.schema import DrugResult, GeneResult, Report, Variant

SEVERITY_LABELS = {
    "critical": "Act now",
    "high": "High",
    "moderate": "Moderate",
    "low": "Low",
    "info": "Information",
}
DOMAIN_LABELS = {
    "pgx": "Pharmacogenomics",
    "cardio": "Cardiovascular",
    "oncology": "Oncology",
    "rare": "Rare disease",
    "digital": "Digital health",
}

STATUS_LABELS = {
    "actionable": "Actionable",
    "no change": "No change",
    "no result": "No result",
    "no guideline": "No guideline",
}


def as_report(
    source: Report | Interpretation,
    kb: KnowledgeBase | None = None,
    generated_at: datetime | None = None,
) -> Report:
    """A :class:`Report`, building it when given an Interpretation."""
    if isinstance(source, Report):
        return source
    return build_report(source, kb, generated_at=generated_at)


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else ``None`` (never a script link).

    >>> safe_url("https://cpicpgx.org/guidelines/"), safe_url("javascript:alert(1)")
    ('https://cpicpgx.org/guidelines/', None)
    """
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def _format_score(value: str | None) -> str:
    return "—" if value in (None, "", "n/a") else str(value)


def anchor(name: str) -> str:
    """An HTML id for a drug card: ``"drug-"`` and the name's letters and digits.

    >>> anchor("Peginterferon alfa-2b")
    'drug-peginterferon-alfa-2b'
    """
    return "drug-" + "-".join(re.findall(r"[a-z0-9]+", name.lower()))


def report_title(report: Report) -> str:
    """ "Pharmacogenomic report", or "Personalised medicine report" when clinical domains
    add sections."""
    return "Personalised medicine report" if report.sections else "Pharmacogenomic report"


def figure_svg(figure: FigureModel) -> Markup | None:
    """The figure's SVG for inlining, checked again (a report read back from JSON did not
    pass the :class:`~tailormed.findings.Figure` checks); None if it fails them.

    >>> figure_svg(FigureModel(title="t", svg='<svg onload="x()"></svg>', alt="a")) is None
    True
    """
    try:
        Figure(figure.title, figure.svg, figure.alt, figure.audience)
    except ValueError:
        return None
    return Markup(figure.svg)


def cell_number(value: float) -> str:
    """A table number: integers as they are, others to at most 3 significant decimals.

    >>> cell_number(7), cell_number(5.38123), cell_number(0.000123)
    ('7', '5.38', '0.000123')
    """
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}".rstrip("0").rstrip(".")


def anchor_id(text: str) -> str:
    """Letters, digits and hyphens of ``text`` (for HTML ids).

    >>> anchor_id("cardio.prs.PGS001229")
    'cardio-prs-pgs001229'
    """
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def group_sources(sources: list[Any]) -> list[dict[str, Any]]:
    """Sources that differ only by entry id, as one line with every id (a decision citing
    seven CPIC recommendations of one guideline shows the guideline once)."""
    groups: dict[tuple[str, str, str | None, str | None], dict[str, Any]] = {}
    for s in sources:
        key = (s.name, s.version, s.citation, s.url)
        g = groups.setdefault(
            key,
            {"name": s.name, "version": s.version, "citation": s.citation, "url": s.url, "ids": []},
        )
        if s.id and s.id not in g["ids"]:
            g["ids"].append(s.id)
    return list(groups.values())


def _variant_label(v: Variant) -> str:
    return v.rsid or f"g.{v.position}"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("tailormed.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["score"] = _format_score
    env.filters["anchor"] = anchor
    env.filters["advice"] = lambda text: split_text(text)[0]
    env.filters["considerations"] = lambda text: split_text(text)[1]
    env.filters["variant_label"] = _variant_label
    env.filters["figure_svg"] = figure_svg
    env.filters["cell_number"] = cell_number
    env.filters["anchor_id"] = anchor_id
    env.filters["group_sources"] = group_sources
    env.globals["severity_label"] = SEVERITY_LABELS.__getitem__
    env.globals["domain_label"] = lambda d: DOMAIN_LABELS.get(d, d)
    env.globals["status_label"] = STATUS_LABELS.__getitem__
    env.globals["action_label"] = ACTION_LABELS.__getitem__
    env.globals["phenoconverted"] = phenoconverted
    env.globals["drug_meaning"] = plain.drug_meaning
    return env


def _drug_genes(drug: DrugResult, genes: dict[str, GeneResult]) -> list[GeneResult]:
    return [genes[g] for g in drug.genes if g in genes]


def _context(report: Report) -> dict[str, Any]:
    by_gene = {g.gene: g for g in report.genes}
    counts = {s: sum(d.status == s for d in report.drugs) for s in STATUS_LABELS}
    view = plain.plain_view(report)
    meanings = {m.gene: m for m in view.genes}
    actionable = [d for d in report.drugs if d.status == "actionable"]
    with_dose = dosed(report.drugs)
    return {
        "r": report,
        "plain": view,
        "meanings": meanings,
        "genes_by_name": by_gene,
        "drug_genes": lambda d: _drug_genes(d, by_gene),
        "causes": lambda d: causes(d, by_gene),
        "blocks": lambda d: blocks(d, by_gene),
        "gap": gap,
        "unresolved": lambda d: unresolved(d, by_gene),
        "cards": cards(actionable, by_gene),
        "counts": counts,
        "actionable": actionable,
        "listed_actionable": [d for d in actionable if d.on_medication_list],
        "listed_other": [
            d for d in report.drugs if d.on_medication_list and d.status != "actionable"
        ],
        "other_groups": cause_groups([d for d in actionable if not d.on_medication_list], by_gene),
        "dosed_individual": [d for d in with_dose if d.individual_dose],
        "dosed_standard": [d for d in with_dose if not d.individual_dose],
        "phenoconverted_genes": [g for g in report.genes if g.phenoconversion is not None],
        "undetermined_genes": [g for g in report.genes if meanings[g.gene].undetermined],
        "untested_use": {
            gene: names
            for gene in report.summary.genes_not_tested
            if (
                names := [
                    d.drug
                    for d in report.drugs
                    if gene in d.genes and d.status in ("actionable", "no result")
                ]
            )
        },
        "no_change": [d for d in report.drugs if d.status == "no change"],
        "no_change_groups": reason_groups([d for d in report.drugs if d.status == "no change"]),
        "unanswered": [d for d in report.drugs if d.status in ("no result", "no guideline")],
        "with_evidence": [g for g in report.genes if g.genotypes],
        "generated": report.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip(),
        "title": report_title(report),
    }


def render_html(
    source: Report | Interpretation,
    kb: KnowledgeBase | None = None,
    *,
    generated_at: datetime | None = None,
) -> str:
    """The report as one self-contained HTML document (a ``str``)."""
    report = as_report(source, kb, generated_at)
    return _environment().get_template("report.html.j2").render(**_context(report))


def write_html(
    source: Report | Interpretation,
    path: Path,
    kb: KnowledgeBase | None = None,
    *,
    generated_at: datetime | None = None,
) -> Path:
    """Write :func:`render_html` to ``path`` (UTF-8, atomically) and return the path."""
    html = render_html(source, kb, generated_at=generated_at)
    return write_atomic(Path(path), html.encode("utf-8"))


__all__ = [
    "SEVERITY_LABELS",
    "STATUS_LABELS",
    "anchor",
    "as_report",
    "render_html",
    "report_title",
    "safe_url",
    "split_text",
    "write_html",
]
