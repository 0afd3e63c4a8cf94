"""Clinician pages: the patients who consented, and one patient's results.

``/ui/patients`` (patients with a treatment consent naming this clinician or their
organisation, find by MRN, register a patient and print their enrolment code) and
``/ui/patients/{id}`` (gene results, a medication review optionally saved to the
record, uploading a result, a new enrolment code for a patient without an account).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.medications import medication_lines, record_line
from tailormed.recommend import review_medications
from tailormed.record import (
    AuthorizationError,
    IssuedCode,
    NotFoundError,
    add_medication,
    clock,
    create_enrolment,
    create_patient,
    find_patient,
    get_patient,
    list_medications,
    list_results,
)
from tailormed.record.access import grantee_clause, names_grantee
from tailormed.record.models import Consent, User
from tailormed.service.auth import get_state
from tailormed.service.documents import patient_sections
from tailormed.service.ui.common import DB, KB, PURPOSE, Viewer, _Page, _redirect, render, router
from tailormed.service.ui.reports import _pick_result, _report_context
from tailormed.service.ui.session import CSRF, Me, _origin, _require_clinician

MAX_MEDICATIONS, MAX_MEDICATION_CHARS = 50, 200


def _consented_patients(session: Session, me: Viewer) -> list[tuple[uuid.UUID, datetime | None]]:
    """Patients with a treatment consent naming this clinician or their organisation.

    Only consent rows (ids, dates, the grantee) are read here; each patient is then
    opened through :func:`~tailormed.record.get_patient`, which checks and audits the
    access.
    """
    with session.begin():
        user = session.get(User, me.actor.user_id)
        if user is None:
            return []
        rows = [
            (c.patient_id, c.expires_at)
            for c in session.scalars(
                select(Consent).where(
                    Consent.status == "active",
                    Consent.purpose == PURPOSE,
                    grantee_clause(session, user),
                )
            )
            if names_grantee(c, user)
        ]
    now = clock.utcnow()
    found: dict[uuid.UUID, datetime | None] = {}
    for pid, expires in rows:
        if expires is not None and expires <= now:
            continue
        known = found.get(pid, expires)
        found[pid] = None if known is None or expires is None else max(known, expires)
    return list(found.items())


def _patients_page(
    request: Request,
    me: Viewer,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
    register_error: str | None = None,
) -> Response:
    _require_clinician(me)
    rows = []
    for pid, expires in _consented_patients(session, me):
        try:
            rows.append((get_patient(session, me.actor, PURPOSE, pid), expires))
        except (AuthorizationError, NotFoundError):
            continue  # consent changed in between, or the record was erased
    rows.sort(key=lambda r: ((r[0].display_name or "").lower(), str(r[0].id)))
    return render(
        request,
        "patients.html.j2",
        me=me,
        status=status,
        rows=rows,
        error=error,
        register_error=register_error,
    )


@router.get("/patients", response_class=HTMLResponse)
def patients(request: Request, me: Me, session: DB) -> Response:
    return _patients_page(request, me, session)


@router.post("/patients/find", response_class=HTMLResponse, dependencies=[CSRF])
def find(request: Request, me: Me, session: DB, mrn: Annotated[str, Form()] = "") -> Response:
    _require_clinician(me)
    try:
        if not mrn.strip():
            raise InputError("enter an MRN")
        found = find_patient(session, me.actor, PURPOSE, mrn.strip())
    except (InputError, NotFoundError):
        return _patients_page(
            request, me, session, status=404, error="No patient you have consent for has that MRN."
        )
    return _redirect(f"/ui/patients/{found.id}")


def _medications(text: str) -> list[str]:
    meds = [entry for _, entry in medication_lines(text)]
    if len(meds) > MAX_MEDICATIONS or any(len(m) > MAX_MEDICATION_CHARS for m in meds):
        raise InputError(
            f"Enter at most {MAX_MEDICATIONS} medications, one a line, "
            f"each under {MAX_MEDICATION_CHARS} characters."
        )
    return meds


def _patient_page(
    request: Request,
    me: Viewer,
    session: Session,
    kb: KnowledgeBase,
    pid: uuid.UUID,
    result_id: uuid.UUID | None,
    *,
    meds_text: str | None = None,
    save: bool = False,
) -> Response:
    patient = get_patient(session, me.actor, PURPOSE, pid)
    results = list_results(session, me.actor, PURPOSE, pid)
    chosen = _pick_result(results, result_id)
    # Medications need scope "all": only ask when the result shows full access, so a
    # narrower consent does not log a refused read on every visit.
    full = chosen is not None and chosen.scope == "all"
    on_record = (
        [
            record_line(m.name, m.rxnorm, kb)
            for m in list_medications(session, me.actor, PURPOSE, pid, active_only=True)
        ]
        if full
        else []
    )
    review, error, saved = None, None, 0
    if meds_text is not None and chosen is not None:
        try:
            meds = _medications(meds_text)
            if not meds:
                raise InputError("Enter at least one medication.")
            review = review_medications(chosen.interpretation, meds, kb)
            if save and full:
                known = {m.lower() for m in on_record}
                for med in meds:
                    if med.lower() not in known:
                        add_medication(session, me.actor, PURPOSE, pid, name=med)
                        known.add(med.lower())
                        saved += 1
        except InputError as exc:
            error = exc.problem
    return render(
        request,
        "patient.html.j2",
        me=me,
        status=400 if error else 200,
        patient=patient,
        results=results,
        result=chosen,
        **_report_context(chosen.interpretation if chosen else None, kb),
        full=full,
        upload_action=f"/ui/patients/{pid}/uploads",
        upload_title="Add a result for this patient",
        meds_text=meds_text if meds_text is not None else "\n".join(on_record),
        review=review,
        error=error,
        saved=saved,
        sections=patient_sections(
            session, me.actor, PURPOSE, pid, kb, subject=patient.display_name or str(pid)
        ),
    )


def _code_page(
    request: Request, me: Viewer, name: str | None, pid: uuid.UUID | None, issued: IssuedCode
) -> Response:
    base = get_state(request).settings.public_url or _origin(request)
    return render(
        request,
        "code_issued.html.j2",
        me=me,
        status=201,
        issued=issued,
        patient_name=name,
        patient_id=pid,
        enrol_url=f"{base.rstrip('/')}/ui/enrol",
    )


@router.post("/patients/register", response_class=HTMLResponse, dependencies=[CSRF])
def register(
    request: Request,
    me: Me,
    session: DB,
    name: Annotated[str, Form(max_length=500)] = "",
    mrn: Annotated[str, Form(max_length=200)] = "",
    attest: Annotated[bool, Form()] = False,
) -> Response:
    """Register a patient and hand them an enrolment code (with the patient's treatment
    consent attested, the record opens for this clinician or their organisation)."""
    _require_clinician(me)
    try:
        if not name.strip():
            raise InputError("Enter the patient's name.")
        patient = create_patient(
            session,
            me.actor,
            PURPOSE,
            display_name=name.strip(),
            external_id=mrn.strip() or None,
            attest_treatment_consent=attest,
        )
        issued = create_enrolment(session, me.actor, PURPOSE, patient.id)
    except InputError as exc:
        return _patients_page(request, me, session, status=400, register_error=exc.problem)
    return _code_page(request, me, patient.display_name, patient.id if attest else None, issued)


@router.post("/patients/{pid}/enrolment", response_class=HTMLResponse, dependencies=[CSRF])
def new_enrolment(request: Request, me: Me, session: DB, pid: uuid.UUID) -> Response:
    """A new enrolment code for a patient without an active account (e.g. lost token)."""
    _require_clinician(me)
    patient = get_patient(session, me.actor, PURPOSE, pid)
    try:
        issued = create_enrolment(session, me.actor, PURPOSE, pid)
    except AuthorizationError as exc:
        raise _Page(
            403, "No enrolment code", exc.problem[0].upper() + exc.problem[1:] + "."
        ) from None
    return _code_page(request, me, patient.display_name, pid, issued)


@router.get("/patients/{pid}", response_class=HTMLResponse)
def patient_page(
    request: Request, me: Me, session: DB, kb: KB, pid: uuid.UUID, result: uuid.UUID | None = None
) -> Response:
    return _patient_page(request, me, session, kb, pid, result)


@router.post("/patients/{pid}/review", response_class=HTMLResponse, dependencies=[CSRF])
def medication_review(
    request: Request,
    me: Me,
    session: DB,
    kb: KB,
    pid: uuid.UUID,
    medications: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    save: Annotated[bool, Form()] = False,
) -> Response:
    try:
        rid = uuid.UUID(result) if result else None
    except ValueError:
        raise InputError("unknown result") from None
    return _patient_page(request, me, session, kb, pid, rid, meds_text=medications, save=save)
