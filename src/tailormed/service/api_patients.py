"""REST API: users, patients, export and deletion, and the audit log.

* ``GET /me``: who the token belongs to;
* ``POST /users`` (admins): a new user and its token (shown once); ``POST
  /users/{id}/token``: a new token (the user themself or an admin); ``POST
  /users/{id}/deactivate`` (admins);
* ``POST /patients`` (clinicians, admins), ``GET /patients?external_id=``, ``GET`` /
  ``DELETE /patients/{id}`` (delete: the patient themself or an admin; the audit log
  keeps a ``delete`` event);
* ``GET /patients/{id}/export``: a zip with the record JSON, and per result the FHIR
  bundle and the HTML / PDF report (audited as ``export``);
* ``GET /patients/{id}/audit``: the record's audit trail (the patient, admins);
  ``GET /audit/verify`` (admins): check the hash chain.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tailormed.record import (
    check_audit_chain,
    create_patient,
    create_user,
    deactivate_user,
    delete_patient,
    export_patient,
    find_patient,
    get_patient,
    issue_token,
    list_audit_events,
)
from tailormed.record.access import operation
from tailormed.service.auth import CallerDep, SessionDep, StateDep
from tailormed.service.rendering import export_zip
from tailormed.service.schemas import (
    AuditEntryOut,
    AuditVerifyOut,
    MeOut,
    PatientIn,
    PatientOut,
    TokenOut,
    UserCreated,
    UserIn,
    UserOut,
)

router = APIRouter()


@router.get("/me", response_model=MeOut, tags=["users"])
def me(caller: CallerDep) -> MeOut:
    """The user the bearer token belongs to."""
    return MeOut(user_id=caller.actor.user_id, role=caller.role, purpose=caller.purpose)


@router.post("/users", response_model=UserCreated, status_code=201, tags=["users"])
def new_user(body: UserIn, caller: CallerDep, session: SessionDep) -> UserCreated:
    """Create a user (admins only); the response holds its bearer token, shown this once."""
    view, token = create_user(
        session,
        caller.actor,
        caller.purpose,
        role=body.role,
        organisation=body.organisation,
        patient_id=body.patient_id,
    )
    return UserCreated(user=UserOut.model_validate(view), token=token)


@router.post("/users/{user_id}/token", response_model=TokenOut, tags=["users"])
def new_token(user_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> TokenOut:
    """Replace a user's token (the user themself, or an admin); the old one stops working."""
    return TokenOut(token=issue_token(session, caller.actor, caller.purpose, user_id))


@router.post("/users/{user_id}/deactivate", status_code=204, tags=["users"])
def deactivate(user_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> Response:
    """Disable a user and its token (admins only)."""
    deactivate_user(session, caller.actor, caller.purpose, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/patients", response_model=PatientOut, status_code=201, tags=["patients"])
def new_patient(body: PatientIn, caller: CallerDep, session: SessionDep) -> PatientOut:
    """Register a patient (clinicians and admins)."""
    view = create_patient(
        session,
        caller.actor,
        caller.purpose,
        display_name=body.display_name,
        external_id=body.external_id,
        attest_treatment_consent=body.attest_treatment_consent,
        consent_expires_at=body.consent_expires_at,
    )
    return PatientOut.model_validate(view)


@router.get("/patients", response_model=PatientOut, tags=["patients"])
def find(
    external_id: Annotated[str, Query(min_length=1, max_length=200)],
    caller: CallerDep,
    session: SessionDep,
) -> PatientOut:
    """The patient with this external id (MRN) among the records the caller may read."""
    return PatientOut.model_validate(
        find_patient(session, caller.actor, caller.purpose, external_id)
    )


@router.get("/patients/{patient_id}", response_model=PatientOut, tags=["patients"])
def read_patient(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> PatientOut:
    return PatientOut.model_validate(get_patient(session, caller.actor, caller.purpose, patient_id))


@router.delete("/patients/{patient_id}", status_code=204, tags=["patients"])
def erase_patient(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> Response:
    """Erase the record (the patient themself, or an admin); the audit log stays."""
    delete_patient(session, caller.actor, caller.purpose, patient_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/patients/{patient_id}/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
    tags=["patients"],
)
def export(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    pdf: bool = True,
) -> Response:
    """Everything the caller may see of the record, as a zip (record JSON, FHIR, reports)."""
    data = export_patient(session, caller.actor, caller.purpose, patient_id)
    body = export_zip(data, state.kb, pdf=pdf)
    return Response(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="tailormed-{patient_id}.zip"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/patients/{patient_id}/audit", response_model=list[AuditEntryOut], tags=["audit"])
def patient_audit(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> list[AuditEntryOut]:
    """Who did what to this record (the patient themself, admins)."""
    events = list_audit_events(session, caller.actor, caller.purpose, patient_id)
    return [AuditEntryOut.model_validate(e) for e in events]


@router.get("/audit/verify", response_model=AuditVerifyOut, tags=["audit"])
def verify(
    caller: CallerDep,
    session: SessionDep,
    expected_head_id: int | None = None,
    expected_head_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> AuditVerifyOut:
    """Check the audit log's hash chain and MACs (admins). Pass a head recorded elsewhere
    (``tailormed admin audit-head``) to catch events deleted from the end."""
    expected = None
    if expected_head_id is not None and expected_head_hash is not None:
        expected = (expected_head_id, expected_head_hash)
    with operation(session, caller.actor, caller.purpose, "read", "audit_event") as op:
        op.require_role("admin")
        check = check_audit_chain(session, expected_head=expected)
        op.detail = "audit chain " + ("valid" if check.valid else f"broken at {check.first_bad_id}")
    return AuditVerifyOut(
        valid=check.valid,
        first_bad_id=check.first_bad_id,
        problem=check.problem or None,
        events=check.events,
        head_id=None if check.head is None else check.head[0],
        head_hash=None if check.head is None else check.head[1],
    )
