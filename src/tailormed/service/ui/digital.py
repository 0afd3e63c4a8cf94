"""Digital-health pages: questionnaires and trends for patients, alerts for clinicians.

Patients: ``/ui/me/health`` (their alerts in plain language, trend charts, scores, the
devices they let post data, with grant and revoke), ``/ui/me/questionnaires/{PHQ-9|PHQ-2|
GAD-7}`` (the form; answering stores a FHIR QuestionnaireResponse, shows the score and,
when PHQ-9 item 9 is above 0, crisis resources at once while the care team is alerted).

Clinicians: ``/ui/alerts`` (the dashboard: patients with open or escalated alerts, most
severe first, each with an acknowledge button), ``/ui/patients/{id}/digital`` (one
patient's alerts, trends, scores and weekly table).

Charts are SVG documents from :mod:`tailormed.charts`, shown as ``data:`` images (the
page's Content-Security-Policy allows no inline style) with their text alternative.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from tailormed.digital.schedule import due_questionnaires
from tailormed.digital.sections import section
from tailormed.errors import InputError
from tailormed.findings import Section
from tailormed.knowledge import load_kb
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tailormed.medications import resolve_medication
from tailormed.record import AuthorizationError, NotFoundError, add_medication, clock, get_patient
from tailormed.record import digital as rd
from tailormed.service.ui.clinician import _consented_patients
from tailormed.service.ui.common import DB, PURPOSE, Viewer, _Page, _redirect, render, router
from tailormed.service.ui.session import CSRF, Me, _patient_id, _require_clinician

SEVERITY_LABELS = {
    "critical": "Urgent",
    "high": "High",
    "moderate": "Moderate",
    "low": "Low",
    "info": "Information",
}


def _kb() -> DigitalKnowledge:
    return DigitalKnowledge.load()


def _figures(sec: Section, audience: str) -> list[dict[str, str]]:
    return [
        {
            "title": f.title,
            "alt": f.alt,
            "src": "data:image/svg+xml;base64," + base64.b64encode(f.svg.encode()).decode(),
        }
        for f in sec.figures
        if f.audience in (audience, "both")
    ]


def _section(record: rd.DigitalRecord, who: str, kb: DigitalKnowledge) -> Section:
    alerts = record.rule_alerts()
    states = {a.body.get("key", ""): a.state for a in record.alerts}
    context = replace(record.context, patient=who)  # chart titles name the person
    return section(
        record.table, record.scores, alerts, context, kb.version, subject=who, states=states
    )


# the genes the care rules use (antidepressant response; statin muscle symptoms)
RULE_GENES = ("CYP2C19", "CYP2D6", "SLCO1B1")


def _latest_scores(record: rd.DigitalRecord) -> list[Any]:
    return sorted(
        (s for s in record.scores if s.derived_from is None),
        key=lambda s: (s.day, s.authored),
        reverse=True,
    )


# ------------------------------------------------------------------ patients
@router.get("/me/health", response_class=HTMLResponse)
def my_health(request: Request, me: Me, session: DB) -> Response:
    pid = _patient_id(me)
    kb = _kb()
    record = rd.digital_record(session, me.actor, PURPOSE, pid, kb=kb)
    tokens = rd.list_device_tokens(session, me.actor, PURPOSE, pid)
    sec = _section(record, me.display_name or "me", kb)
    return _health_page(request, me, record, tokens, sec, kb)


def _health_page(
    request: Request,
    me: Viewer,
    record: rd.DigitalRecord,
    tokens: list[rd.DeviceTokenView],
    sec: Section,
    kb: DigitalKnowledge,
    *,
    new_token: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    open_alerts = [a for a in record.alerts if a.is_open]
    crisis = any(a.rule_id == "phq9-item9" for a in open_alerts)
    due = [
        d
        for d in due_questionnaires(record.context, record.scores, clock.utcnow().date(), kb)
        if d.status in ("due now", "overdue")
    ]
    return render(
        request,
        "my_health.html.j2",
        me=me,
        status=status,
        alerts=open_alerts,
        crisis=crisis,
        resources=kb.crisis_resources,
        figures=_figures(sec, "patient"),
        scores=_latest_scores(record)[:20],
        instruments=sorted(kb.instruments),
        due=due,
        tokens=[t for t in tokens if t.revoked_at is None],
        new_token=new_token,
        error=error,
        severity_labels=SEVERITY_LABELS,
    )


@router.post("/me/devices", response_class=HTMLResponse, dependencies=[CSRF])
def grant_device(
    request: Request, me: Me, session: DB, label: Annotated[str, Form()] = ""
) -> Response:
    pid = _patient_id(me)
    kb = _kb()
    new_token, error = None, None
    try:
        _, new_token = rd.grant_device_token(session, me.actor, PURPOSE, pid, label=label)
    except InputError as exc:
        error = exc.problem
    record = rd.digital_record(session, me.actor, PURPOSE, pid, kb=kb)
    tokens = rd.list_device_tokens(session, me.actor, PURPOSE, pid)
    return _health_page(
        request,
        me,
        record,
        tokens,
        _section(record, me.display_name or "me", kb),
        kb,
        new_token=new_token,
        error=error,
        status=400 if error else 201,
    )


@router.post("/me/devices/{tid}/revoke", dependencies=[CSRF])
def revoke_device(me: Me, session: DB, tid: uuid.UUID) -> Response:
    rd.revoke_device_token(session, me.actor, PURPOSE, _patient_id(me), tid)
    return _redirect("/ui/me/health")


def _instrument(name: str, kb: DigitalKnowledge) -> Any:
    if name not in kb.instruments:
        raise _Page(404, "Not found", "There is no such questionnaire.")
    return kb.instrument(name)


@router.get("/me/questionnaires/{name}", response_class=HTMLResponse)
def questionnaire_form(request: Request, me: Me, name: str) -> Response:
    _patient_id(me)
    kb = _kb()
    return render(
        request,
        "questionnaire.html.j2",
        me=me,
        spec=_instrument(name, kb),
        answers=kb.answers,
        given={},
        error=None,
    )


@router.post("/me/questionnaires/{name}", response_class=HTMLResponse, dependencies=[CSRF])
async def questionnaire_submit(request: Request, me: Me, session: DB, name: str) -> Response:
    pid = _patient_id(me)
    kb = _kb()
    spec = _instrument(name, kb)
    form = await request.form()
    given: dict[int, int] = {}
    for it in spec["items"]:
        raw = form.get(f"item-{it['n']}")
        if isinstance(raw, str) and raw in ("0", "1", "2", "3"):
            given[int(it["n"])] = int(raw)
    missing = [int(it["n"]) for it in spec["items"] if int(it["n"]) not in given]
    if missing:
        return render(
            request,
            "questionnaire.html.j2",
            me=me,
            status=400,
            spec=spec,
            answers=kb.answers,
            given=given,
            error="Please answer every question (missing: "
            + ", ".join(str(n) for n in missing)
            + ").",
        )
    resource = rd.new_questionnaire_response(name, given, kb=kb)
    result = rd.submit_questionnaire(session, me.actor, PURPOSE, pid, resource, kb=kb)
    main = next(s for s in result.scores if s.derived_from is None)
    return render(
        request,
        "questionnaire_done.html.j2",
        me=me,
        status=201,
        score=main,
        crisis=result.crisis,
        resources=kb.crisis_resources,
        alerts=result.alerts,
    )


# ------------------------------------------------------------------ clinicians
@router.get("/alerts", response_class=HTMLResponse)
def dashboard(request: Request, me: Me, session: DB) -> Response:
    """Patients with open (or escalated) alerts, most severe and oldest first."""
    _require_clinician(me)
    rows = []
    for pid, _ in _consented_patients(session, me):
        try:
            alerts = rd.list_alerts(session, me.actor, PURPOSE, pid, open_only=True)
            if not alerts:
                continue
            patient = get_patient(session, me.actor, PURPOSE, pid)
        except (AuthorizationError, NotFoundError):
            continue  # consent of a narrower scope, changed in between, or erased
        for a in alerts:
            rows.append((patient, a))
    rows.sort(
        key=lambda r: (
            r[1].state != "escalated",
            rd.SEVERITY_ORDER[r[1].severity],
            r[1].created_at,
        )
    )
    return render(
        request, "digital_alerts.html.j2", me=me, rows=rows, severity_labels=SEVERITY_LABELS
    )


@router.get("/patients/{pid}/digital", response_class=HTMLResponse)
def patient_digital(request: Request, me: Me, session: DB, pid: uuid.UUID) -> Response:
    _require_clinician(me)
    kb = _kb()
    patient = get_patient(session, me.actor, PURPOSE, pid)
    record = rd.digital_record(session, me.actor, PURPOSE, pid, kb=kb)
    sec = _section(record, patient.display_name or "patient", kb)
    return render(
        request,
        "digital_patient.html.j2",
        me=me,
        patient=patient,
        alerts=record.alerts,
        figures=_figures(sec, "clinician"),
        tables=[t for t in sec.tables if t.audience in ("clinician", "both")],
        findings=[f for f in sec.findings if f.code.startswith("digital.pro.")],
        medications=record.context.medications,
        phenotypes={g: p for g, p in record.context.phenotypes.items() if g in RULE_GENES},
        schedule=due_questionnaires(record.context, record.scores, clock.utcnow().date(), kb),
        limitations=sec.limitations,
        severity_labels=SEVERITY_LABELS,
    )


@router.post("/patients/{pid}/medication-starts", dependencies=[CSRF])
def medication_start(
    me: Me,
    session: DB,
    pid: uuid.UUID,
    name: Annotated[str, Form()] = "",
    started_on: Annotated[str, Form()] = "",
) -> Response:
    """Record that the patient started a medicine on a day (the rules' context)."""
    _require_clinician(me)
    text = name.strip()
    if not text or len(text) > 200:
        raise InputError("Enter the medicine's name (up to 200 characters).")
    try:
        when = date.fromisoformat(started_on.strip())
    except ValueError:
        raise InputError("Enter the start date as YYYY-MM-DD.") from None
    resolved = resolve_medication(text, load_kb(), suggest=True)
    if not resolved.ingredients:
        hint = (
            f" Did you mean {', '.join(resolved.suggestions[:3])}?" if resolved.suggestions else ""
        )
        raise InputError(f"The medicine {text!r} is not recognised.{hint}")
    add_medication(session, me.actor, PURPOSE, pid, name=text, started_on=when)
    rd.check_rules(session, me.actor, PURPOSE, pid)
    return _redirect(f"/ui/patients/{pid}/digital")


@router.post("/patients/{pid}/alerts/{aid}/acknowledge", dependencies=[CSRF])
def acknowledge(
    me: Me,
    session: DB,
    pid: uuid.UUID,
    aid: uuid.UUID,
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    _require_clinician(me)
    rd.acknowledge_alert(session, me.actor, PURPOSE, pid, aid, note=note or None)
    return _redirect("/ui/alerts" if back == "dashboard" else f"/ui/patients/{pid}/digital")
