"""REST API: stored results, their reports and FHIR bundles, and medication review.

* ``GET /patients/{id}/results``: summaries, newest first; ``GET
  /patients/{id}/results/{rid}``: one result with its calls and interpretation JSON;
* ``GET /patients/{id}/results/{rid}/report?format=html|pdf|json``: the report, rendered
  now from the stored interpretation; ``GET .../fhir``: its Genomics Reporting bundle;
* ``POST /patients/{id}/review``: what the results say about a medication list (by
  default the record's active medications) via
  :func:`tailormed.recommend.review_medications`.

What a caller sees of a result is what the record layer gives them (a consent of scope
``genes`` or ``reports`` yields a partial result, and partial reports and bundles).
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from tailormed.errors import InputError
from tailormed.medications import clean_medications, record_line
from tailormed.recommend import review_medications
from tailormed.record import NotFoundError, get_result, list_medications, list_results
from tailormed.service.auth import CallerDep, SessionDep, StateDep
from tailormed.service.rendering import MEDIA_TYPES, ReportFormat, fhir_bundle, render_report
from tailormed.service.schemas import ResultOut, ResultSummary, ReviewIn, ReviewOut

router = APIRouter(tags=["results"])


@router.get("/patients/{patient_id}/results", response_model=list[ResultSummary])
def results(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> list[ResultSummary]:
    """The patient's results, newest first (summaries: genes, phenotypes, actionable drugs)."""
    views = list_results(session, caller.actor, caller.purpose, patient_id)
    return [ResultSummary.of(v) for v in views]


@router.get("/patients/{patient_id}/results/{result_id}", response_model=ResultOut)
def result(
    patient_id: uuid.UUID, result_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ResultOut:
    """One result with its calls and interpretation JSON."""
    view = get_result(session, caller.actor, caller.purpose, patient_id, result_id)
    return ResultOut.full(view)


@router.get(
    "/patients/{patient_id}/results/{result_id}/report",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
)
def report(
    patient_id: uuid.UUID,
    result_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    format: Annotated[ReportFormat, Query()] = "html",
) -> Response:
    """The result's report, rendered now from the stored interpretation."""
    view = get_result(session, caller.actor, caller.purpose, patient_id, result_id)
    body = render_report(view.interpretation, state.kb, format, generated_at=view.created_at)
    headers = {"Cache-Control": "no-store"}
    if format == "pdf":
        headers["Content-Disposition"] = f'inline; filename="report-{result_id}.pdf"'
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)


@router.get(
    "/patients/{patient_id}/results/{result_id}/fhir",
    response_class=Response,
    responses={200: {"content": {"application/fhir+json": {}}}},
)
def fhir(
    patient_id: uuid.UUID, result_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> Response:
    """The result as an HL7 Genomics Reporting (IG 3.0.0) collection Bundle."""
    view = get_result(session, caller.actor, caller.purpose, patient_id, result_id)
    bundle = fhir_bundle(view.interpretation, str(patient_id), issued=view.created_at)
    return Response(
        json.dumps(bundle),
        media_type="application/fhir+json",
        headers={"Cache-Control": "no-store"},
    )


@router.post("/patients/{patient_id}/review", response_model=ReviewOut)
def review(
    patient_id: uuid.UUID,
    body: ReviewIn,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
) -> ReviewOut:
    """Check a medication list (default: the record's active medications) against a result."""
    if body.result_id is not None:
        view = get_result(session, caller.actor, caller.purpose, patient_id, body.result_id)
    else:
        views = list_results(session, caller.actor, caller.purpose, patient_id)
        if not views:
            raise NotFoundError("the patient has no stored results", record=f"patient {patient_id}")
        view = views[0]
    if body.medications is not None:
        medications = clean_medications(body.medications)
    else:
        meds = list_medications(session, caller.actor, caller.purpose, patient_id, active_only=True)
        medications = [record_line(m.name, m.rxnorm, state.kb) for m in meds]
    if not medications:
        raise InputError("no medications to review: list some, or add them to the record")
    reviews = review_medications(view.interpretation, medications, state.kb)
    return ReviewOut(
        result_id=view.id,
        kb_version=view.interpretation.kb_version,
        reviews=[r.to_json() for r in reviews],
        limitations=list(view.interpretation.limitations),
    )
