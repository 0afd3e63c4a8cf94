"""REST API: digital health — device and app observations, questionnaires, alerts.

* ``POST /devices/observations`` — a device or app posts a batch (Open mHealth data points
  as JSON, a JSON array or JSON lines; or a FHIR R4 Observation / QuestionnaireResponse /
  Bundle) with ``Authorization: Bearer <device token>``: a token the *patient* granted
  (``POST /patients/{id}/device-tokens``) and can revoke. It posts only into that
  patient's record; the audit event names the token.
* ``POST /patients/{id}/observations`` — the same for a signed-in user (the patient, or a
  clinician with a treatment consent of scope ``all``).
* ``GET/POST /patients/{id}/device-tokens``, ``POST .../device-tokens/{tid}/revoke``.
* ``GET /questionnaires/{PHQ-9|PHQ-2|GAD-7}`` — the FHIR Questionnaire (any signed-in user).
* ``POST /patients/{id}/questionnaire-responses`` — a FHIR QuestionnaireResponse, scored;
  the answer says whether to show crisis resources (PHQ-9 item 9 above 0) and which
  alerts it raised.
* ``GET /patients/{id}/alerts``, ``POST /patients/{id}/alerts/{aid}/acknowledge``
  (clinicians), ``POST /alerts/escalate`` (admins: the scheduled check),
  ``GET /patients/{id}/digital/daily`` (the per-day trend table).

Every body is untrusted JSON: the service's :mod:`~tailormed.service.jsonguard` and the
readers' :func:`tailormed.jsonsafe.json_problem` check depth and NUL before parsing.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from tailormed.digital.models import Observations
from tailormed.digital.pro import questionnaire
from tailormed.errors import InputError
from tailormed.jsonsafe import json_problem
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tailormed.record import AuthorizationError
from tailormed.record import digital as rd
from tailormed.service.auth import CallerDep, Credentials, SessionDep, get_session, unauthorized

router = APIRouter()
MAX_BATCH_BYTES = 64 * 1024 * 1024


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class AlertOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    rule_id: str
    title: str
    severity: str
    state: str
    day: str
    patient_text: str
    clinician_text: str
    action: str
    citation: str
    published: bool
    created_at: datetime
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None
    note: str | None
    escalated_at: datetime | None


class ImportOut(Out):
    batch_id: uuid.UUID | None
    duplicate: bool
    points: int
    new_points: int
    days: int
    responses: int
    alerts: list[AlertOut]
    notes: list[str]


class ScoreOut(BaseModel):
    instrument: str
    day: str
    total: int | None
    band: str | None
    loinc: str
    item9: int | None
    derived_from: str | None
    notes: list[str]


class CrisisResource(BaseModel):
    locale: str
    name: str
    contact: str
    emergency: str
    note: str


class QuestionnaireOut(BaseModel):
    response_id: uuid.UUID | None
    duplicate: bool
    scores: list[ScoreOut]
    alerts: list[AlertOut]
    crisis: bool
    crisis_resources: list[CrisisResource]


class TokenIn(BaseModel):
    label: str = Field(min_length=1, max_length=200)


class TokenOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(BaseModel):
    token: str  # shown once
    device_token: TokenOut


class AckIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class EscalatedOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    severity: str
    created_at: datetime


def _alerts(views: Any) -> list[AlertOut]:
    return [AlertOut.model_validate(v) for v in views]


def _import_out(report: rd.ImportReport) -> ImportOut:
    return ImportOut(
        batch_id=report.batch_id,
        duplicate=report.duplicate,
        points=report.points,
        new_points=report.new_points,
        days=report.days,
        responses=report.responses,
        alerts=_alerts(report.alerts),
        notes=list(report.notes),
    )


async def _batch(request: Request) -> tuple[Observations, str]:
    from tailormed.digital.read import read_json_bytes

    data = await request.body()
    if len(data) > MAX_BATCH_BYTES:
        raise InputError(f"a batch may hold at most {MAX_BATCH_BYTES // 2**20} MiB")
    kind = request.headers.get("content-type", "")
    lines = "ndjson" in kind or "jsonl" in kind
    series, responses, count, notes = read_json_bytes(data, Path("request body"), lines=lines)
    obs = Observations(tuple(series), tuple(responses), (count,), tuple(notes))
    return obs, rd.content_hash([data])


def _device(session: Annotated[Session, Depends(get_session)], credentials: Credentials) -> Any:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorized("a device token is required")
    try:
        return rd.authenticate_device(session, credentials.credentials)
    except AuthorizationError:
        raise unauthorized("invalid or revoked device token") from None


@router.post("/devices/observations", response_model=ImportOut, status_code=201, tags=["digital"])
async def device_observations(
    request: Request,
    session: SessionDep,
    device: Annotated[rd.DeviceIdentity, Depends(_device)],
) -> ImportOut:
    obs, digest = await _batch(request)
    report = rd.import_observations(
        session,
        device.actor,
        "treatment",
        device.patient_id,
        obs,
        content_sha256=digest,
        via="device",
        device_token_id=device.token_id,
    )
    return _import_out(report)


@router.post(
    "/patients/{patient_id}/observations",
    response_model=ImportOut,
    status_code=201,
    tags=["digital"],
)
async def user_observations(
    patient_id: uuid.UUID, request: Request, caller: CallerDep, session: SessionDep
) -> ImportOut:
    obs, digest = await _batch(request)
    report = rd.import_observations(
        session, caller.actor, caller.purpose, patient_id, obs, content_sha256=digest, via="api"
    )
    return _import_out(report)


@router.get("/patients/{patient_id}/device-tokens", response_model=list[TokenOut], tags=["digital"])
def device_tokens(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> list[TokenOut]:
    views = rd.list_device_tokens(session, caller.actor, caller.purpose, patient_id)
    return [TokenOut.model_validate(v) for v in views]


@router.post(
    "/patients/{patient_id}/device-tokens",
    response_model=NewTokenOut,
    status_code=201,
    tags=["digital"],
)
def new_device_token(
    patient_id: uuid.UUID, body: TokenIn, caller: CallerDep, session: SessionDep
) -> NewTokenOut:
    view, token = rd.grant_device_token(
        session, caller.actor, caller.purpose, patient_id, label=body.label
    )
    return NewTokenOut(token=token, device_token=TokenOut.model_validate(view))


@router.post(
    "/patients/{patient_id}/device-tokens/{token_id}/revoke",
    response_model=TokenOut,
    tags=["digital"],
)
def revoke_device_token(
    patient_id: uuid.UUID, token_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> TokenOut:
    view = rd.revoke_device_token(session, caller.actor, caller.purpose, patient_id, token_id)
    return TokenOut.model_validate(view)


@router.get("/questionnaires/{instrument}", tags=["digital"])
def get_questionnaire(instrument: str, _caller: CallerDep) -> dict[str, Any]:
    """The FHIR R4 Questionnaire of PHQ-9, PHQ-2 or GAD-7 (LOINC-coded items; any
    signed-in user, like every API route)."""
    kb = DigitalKnowledge.load()
    if instrument not in kb.instruments:
        raise InputError(f"unknown questionnaire {instrument!r} (PHQ-9, PHQ-2, GAD-7)")
    return questionnaire(instrument, kb)


def crisis_resources() -> list[CrisisResource]:
    return [
        CrisisResource(**{k: str(r.get(k, "")) for k in CrisisResource.model_fields})
        for r in DigitalKnowledge.load().crisis_resources
    ]


def questionnaire_out(result: rd.QuestionnaireResult) -> QuestionnaireOut:
    return QuestionnaireOut(
        response_id=None if result.duplicate else result.response_id,
        duplicate=result.duplicate,
        scores=[
            ScoreOut(
                instrument=s.instrument,
                day=s.day,
                total=s.total,
                band=s.band,
                loinc=s.total_code,
                item9=s.safety_item_score,
                derived_from=s.derived_from,
                notes=list(s.notes),
            )
            for s in result.scores
        ],
        alerts=_alerts(result.alerts),
        crisis=result.crisis,
        crisis_resources=crisis_resources() if result.crisis else [],
    )


@router.post(
    "/patients/{patient_id}/questionnaire-responses",
    response_model=QuestionnaireOut,
    status_code=201,
    tags=["digital"],
)
async def questionnaire_response(
    patient_id: uuid.UUID, request: Request, caller: CallerDep, session: SessionDep
) -> QuestionnaireOut:
    data = await request.body()
    problem = json_problem(data)
    if problem is not None:
        raise InputError(problem[0], line=problem[1])
    try:
        resource = json.loads(data)
    except ValueError:
        raise InputError("the body is not JSON") from None
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        raise InputError("expected a FHIR QuestionnaireResponse")
    result = rd.submit_questionnaire(session, caller.actor, caller.purpose, patient_id, resource)
    return questionnaire_out(result)


@router.get("/patients/{patient_id}/alerts", response_model=list[AlertOut], tags=["digital"])
def alerts(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep, open_only: bool = False
) -> list[AlertOut]:
    views = rd.list_alerts(session, caller.actor, caller.purpose, patient_id, open_only=open_only)
    return _alerts(views)


@router.post(
    "/patients/{patient_id}/alerts/{alert_id}/acknowledge",
    response_model=AlertOut,
    tags=["digital"],
)
def acknowledge(
    patient_id: uuid.UUID,
    alert_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    body: AckIn | None = None,
) -> AlertOut:
    view = rd.acknowledge_alert(
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        alert_id,
        note=body.note if body else None,
    )
    return AlertOut.model_validate(view)


@router.post("/alerts/escalate", response_model=list[EscalatedOut], tags=["digital"])
def escalate(caller: CallerDep, session: SessionDep) -> list[EscalatedOut]:
    """The scheduled escalation check (admins; reads no PHI)."""
    return [EscalatedOut.model_validate(e) for e in rd.escalate_overdue(session, caller.actor)]


@router.get("/patients/{patient_id}/digital/daily", tags=["digital"])
def daily(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    first: Annotated[date | None, Query()] = None,
    last: Annotated[date | None, Query()] = None,
) -> list[dict[str, object]]:
    """The per-day aggregates (steps, sleep, heart rate...) for a date range."""
    table = rd.read_daily(session, caller.actor, caller.purpose, patient_id, first=first, last=last)
    return table.rows()
