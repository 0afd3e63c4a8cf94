"""Results as patients and clinicians both see them.

The helpers every result page uses (which result to show, the report context the
templates group by status) and the full report of one result from
:mod:`tailormed.report`: ``/ui/patients/{id}/results/{rid}/report.html`` and
``report.pdf``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation
from tailormed.record import NotFoundError, ResultView, get_result
from tailormed.report import build_report, plain, render_html
from tailormed.report.html import STATUS_LABELS
from tailormed.report.pdf import pdf_bytes
from tailormed.report.schema import Report
from tailormed.service.ui.common import DB, KB, PURPOSE, REPORT_CSP, Viewer, _day, router
from tailormed.service.ui.session import Me


def _pick_result(results: Sequence[ResultView], result_id: uuid.UUID | None) -> ResultView | None:
    if result_id is None:
        return results[0] if results else None
    found = next((r for r in results if r.id == result_id), None)
    if found is None:
        raise NotFoundError("no such result for this patient")
    return found


def plain_context(report: Report | None) -> dict[str, Any]:
    """What the result pages show of a report: the report, its drugs by status and the
    plain-language view (every patient-facing decision is made in :mod:`..report.plain`)."""
    drugs = report.drugs if report else []
    return {
        "report": report,
        "genes_by_name": {g.gene: g for g in report.genes} if report else {},
        "plain": plain.plain_view(report) if report else None,
        "by_status": {s: [d for d in drugs if d.status == s] for s in STATUS_LABELS},
    }


def _report_context(interpretation: Interpretation | None, kb: KnowledgeBase) -> dict[str, Any]:
    """The report built from ``interpretation`` and the groupings the result pages show."""
    report: Report | None = None if interpretation is None else build_report(interpretation, kb)
    return plain_context(report)


def _report_source(
    session: Session, me: Viewer, pid: uuid.UUID, rid: uuid.UUID, kb: KnowledgeBase
) -> tuple[ResultView, str]:
    result = get_result(session, me.actor, PURPOSE, pid, rid)
    return result, render_html(result.interpretation, kb)


@router.get("/patients/{pid}/results/{rid}/report.html")
def report_html(me: Me, session: DB, kb: KB, pid: uuid.UUID, rid: uuid.UUID) -> Response:
    _, html = _report_source(session, me, pid, rid, kb)
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/patients/{pid}/results/{rid}/report.pdf")
def report_pdf(me: Me, session: DB, kb: KB, pid: uuid.UUID, rid: uuid.UUID) -> Response:
    result, html = _report_source(session, me, pid, rid, kb)
    data = pdf_bytes(html, title="Pharmacogenomic report")
    name = f"tailormed-report-{_day(result.created_at)}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
