"""Reports and FHIR bundles rendered on demand from stored interpretations.

Nothing rendered is stored: a report is a view of the stored
:class:`~tailormed.recommend.Interpretation`, made again on each request (the PDF with
WeasyPrint, in the request's worker thread).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from tailormed.fhir import export_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation
from tailormed.record import ExportedFile
from tailormed.report import build_report, render_html
from tailormed.report.pdf import pdf_bytes

ReportFormat = Literal["html", "pdf", "json"]
MEDIA_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "json": "application/json",
}


def render_report(
    interpretation: Interpretation,
    kb: KnowledgeBase,
    fmt: ReportFormat,
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """The report of one stored result as HTML, PDF or report JSON."""
    report = build_report(interpretation, kb, generated_at=generated_at)
    if fmt == "json":
        return report.to_json().encode("utf-8")
    html = render_html(report)
    if fmt == "html":
        return html.encode("utf-8")
    return pdf_bytes(html, title=f"Pharmacogenomic report {report.sample}")


def fhir_bundle(
    interpretation: Interpretation, patient_id: str, *, issued: datetime | None = None
) -> dict[str, Any]:
    """The Genomics Reporting bundle of one result, its subject ``Patient/<record id>``."""
    return export_bundle(interpretation, patient_ref=f"Patient/{patient_id}", issued=issued)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "result"


def export_zip(
    export: dict[str, Any],
    kb: KnowledgeBase,
    *,
    pdf: bool = True,
    files: Sequence[ExportedFile] = (),
) -> bytes:
    """A patient export (:func:`tailormed.record.export_patient`) as one zip file.

    ``record.json`` is the export itself; per result ``results/<n>-<sample>/`` holds the
    FHIR bundle, the HTML report and (with ``pdf``) the PDF report; ``uploads/`` the
    uploaded files as they were received (the patient's own export only).
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("record.json", json.dumps(export, indent=1, ensure_ascii=False))
        for n, f in enumerate(files, start=1):
            zf.writestr(f"uploads/{n}-{f.part}-{_slug(f.filename)}", f.data)
        for n, result in enumerate(export.get("results", []), start=1):
            interp = Interpretation.from_json(result["interpretation"])
            issued = datetime.fromisoformat(result["created_at"])
            folder = f"results/{n}-{_slug(result['sample'])}"
            bundle = fhir_bundle(interp, export["patient"]["id"], issued=issued)
            zf.writestr(f"{folder}/fhir-bundle.json", json.dumps(bundle, indent=1))
            report = build_report(interp, kb, generated_at=issued)
            html = render_html(report)
            zf.writestr(f"{folder}/report.html", html)
            if pdf:
                title = f"Pharmacogenomic report {report.sample}"
                zf.writestr(f"{folder}/report.pdf", pdf_bytes(html, title=title))
    return buf.getvalue()
