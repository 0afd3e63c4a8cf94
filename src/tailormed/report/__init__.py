"""The report stage: one sample's Interpretation → JSON, HTML and PDF; cohorts → TSV.

Every rendering is made from one :class:`~tailormed.report.schema.Report` (schema
``tailormed.report/3``), built by :func:`build_report`, so the JSON, the HTML and the
PDF always say the same thing. The HTML is one self-contained file with a clinician
view, a plain-language patient view, and the evidence (supporting variants), the
limitations and the knowledge-base provenance; the PDF is that HTML laid out on A4.
``README.md`` beside this module documents the JSON fields and the cohort TSV columns.

Typical use::

    paths = write_reports(interpretation, Path("out/S1"))
    paths["html"]  # out/S1/report.html
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from tailormed.atomic import replacing
from tailormed.findings import Section
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report.build import build_report
from tailormed.report.cohort import (
    COHORT_DRUG_COLUMNS,
    COHORT_GENE_COLUMNS,
    write_cohort,
    write_cohort_drugs_tsv,
    write_cohort_tsv,
)
from tailormed.report.html import render_html, report_title, write_html
from tailormed.report.pdf import pdf_bytes, render_pdf
from tailormed.report.schema import (
    REPORT_SCHEMA,
    Report,
    load_report,
    report_json_schema,
    write_schema,
)

REPORT_FILES = {"json": "report.json", "html": "report.html", "pdf": "report.pdf"}


def write_reports(
    interpretation: Interpretation,
    out_dir: Path,
    kb: KnowledgeBase | None = None,
    *,
    generated_at: datetime | None = None,
    pdf: bool = True,
    sections: Sequence[Section] = (),
) -> dict[str, Path]:
    """Write ``report.json``, ``report.html`` and ``report.pdf`` into ``out_dir``.

    Returns ``{"json": path, "html": path, "pdf": path}``. All three are rendered to
    temporary files first and renamed only when every one succeeded, so a failure (a
    missing PDF library, a full disk) leaves no new, partial set behind. ``pdf=False``
    skips the PDF (machines without Pango). ``sections`` are the clinical domains' parts
    (:class:`~tailormed.findings.Section`), rendered in every view.
    """
    out_dir = Path(out_dir)
    report = build_report(interpretation, kb, generated_at=generated_at, sections=sections)
    html = render_html(report)
    contents = {
        "json": report.to_json().encode("utf-8"),
        "html": html.encode("utf-8"),
    }
    if pdf:
        contents["pdf"] = pdf_bytes(html, title=f"{report_title(report)} {report.sample}")
    paths = {kind: out_dir / REPORT_FILES[kind] for kind in contents}
    with ExitStack() as stack:
        for kind, data in contents.items():
            stack.enter_context(replacing(paths[kind])).write_bytes(data)
    return paths


__all__ = [
    "COHORT_DRUG_COLUMNS",
    "COHORT_GENE_COLUMNS",
    "REPORT_FILES",
    "REPORT_SCHEMA",
    "Report",
    "build_report",
    "load_report",
    "render_html",
    "render_pdf",
    "report_json_schema",
    "write_cohort",
    "write_cohort_drugs_tsv",
    "write_cohort_tsv",
    "write_html",
    "write_reports",
    "write_schema",
]
