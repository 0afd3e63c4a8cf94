"""The PDF report: the HTML report laid out on A4 pages by WeasyPrint.

WeasyPrint is imported on first use, so the rest of the report package works without
it; it needs the Pango, HarfBuzz and fontconfig system libraries (Debian packages in
``scripts/system-packages.txt``). A missing library is reported as one readable
:class:`~tailormed.errors.TailormedError`, not an import traceback.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.errors import TailormedError
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report.html import as_report, render_html
from tailormed.report.schema import Report

INSTALL_HINT = (
    "PDF reports need WeasyPrint (`pip install weasyprint`) and the Pango libraries "
    "(Debian: libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)"
)


def _weasyprint() -> Any:
    try:
        import weasyprint  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:  # OSError: a system library failed to load
        raise TailormedError(f"{INSTALL_HINT}: {exc}") from None
    return weasyprint


def pdf_bytes(html: str, *, title: str | None = None) -> bytes:
    """Lay out an HTML document (self-contained: no URLs are fetched) as PDF bytes."""
    weasyprint = _weasyprint()
    # No protocol allowed: a stray URL in the data can never make the renderer fetch it.
    fetcher = weasyprint.URLFetcher(allowed_protocols=())
    doc = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    if title:
        doc.metadata.title = title
    data: bytes = doc.write_pdf()
    return data


def render_pdf(
    source: Report | Interpretation,
    path: Path,
    kb: KnowledgeBase | None = None,
    *,
    generated_at: datetime | None = None,
) -> Path:
    """Write the report as PDF to ``path`` (atomically) and return the path."""
    report = as_report(source, kb, generated_at)
    data = pdf_bytes(render_html(report), title=f"Pharmacogenomic report {report.sample}")
    return write_atomic(Path(path), data)
