"""REST API: users, patients, export and deletion, and the audit log.

* ``GET /me``: who the token belongs to;
* ``POST /users`` (admins): a new clinician or admin account and its activation code
  (shown once; never a patient account, never a token); ``GET /users`` (admins);
  ``POST /users/{id}/activation`` (admins: void a lost token, new code); ``POST
  /users/{id}/token`` (the user themself: a new token); ``POST /users/{id}/deactivate``
  (admins);
* ``POST /patients/{id}/enrolment`` (the patient's clinician): an enrolment code for the
  patient; ``POST /activate`` (no sign-in): redeem any code for the account's token;
  ``GET /clinicians?name=`` (patients, clinicians): the clinician directory;
* ``POST /patients`` (clinicians, admins), ``GET /patients?external_id=``, ``GET`` /
  ``DELETE /patients/{id}`` (delete: the patient themself or an admin; the audit log
  keeps a ``delete`` event);
* ``GET /patients/{id}/export``: a zip with the record JSON, per result the FHIR bundle
  and the HTML / PDF report, and for the patient the uploaded files (audited as
  ``export``);
* ``GET /patients/{id}/audit``: the record's audit trail (the patient, admins);
  ``GET /audit/verify`` (admins): check the hash chain.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from tailormed.record import (
    IssuedCode,
    check_audit_chain,
    create_enrolment,
    create_patient,
    create_user,
    deactivate_user,
    delete_patient,
    export_patient,
    export_uploaded_files,
    find_clinicians,
    find_patient,
    get_patient,
    issue_token,
    list_audit_events,
    list_users,
    redeem_code,
    reset_activation,
)
from tailormed.record.access import operation
from tailormed.service.auth import CallerDep, SessionDep, StateDep
from tailormed.service.rendering import export_zip
from tailormed.service.schemas import (
    AuditEntryOut,
    AuditVerifyOut,
    ClinicianOut,
    CodeOut,
    MeOut,
    PatientIn,
    PatientOut,
    Redeemed,
    RedeemIn,
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
    """Create a clinician or admin account (admins only), with its activation code.

    The account has no token yet: hand the code to the person, who redeems it at
    ``POST /activate`` for a token only they see. Patient accounts are refused (403):
    they come only from an enrolment code the patient's clinic hands to the patient.
    """
    view, issued = create_user(
        session,
        caller.actor,
        caller.purpose,
        role=body.role,
        display_name=body.display_name,
        organisation=body.organisation,
    )
    return UserCreated(user=UserOut.model_validate(view), activation=_code(issued))


@router.get("/users", response_model=list[UserOut], tags=["users"])
def users(caller: CallerDep, session: SessionDep) -> list[UserOut]:
    """Every account (admins only): roles, names, organisations, state; no tokens."""
    return [UserOut.model_validate(v) for v in list_users(session, caller.actor, caller.purpose)]


@router.post("/users/{user_id}/activation", response_model=CodeOut, tags=["users"])
def new_activation(user_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> CodeOut:
    """A clinician or admin lost their token: void it and issue a new activation code
    (admins only; never for patient accounts)."""
    return _code(reset_activation(session, caller.actor, caller.purpose, user_id))


@router.post("/users/{user_id}/token", response_model=TokenOut, tags=["users"])
def new_token(user_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> TokenOut:
    """Replace your own token (only the user themself); the old one stops working."""
    return TokenOut(token=issue_token(session, caller.actor, caller.purpose, user_id))


@router.post("/users/{user_id}/deactivate", status_code=204, tags=["users"])
def deactivate(user_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> Response:
    """Disable a user, its token and its open codes (admins only)."""
    deactivate_user(session, caller.actor, caller.purpose, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/activate", response_model=Redeemed, tags=["users"])
def activate(body: RedeemIn, session: SessionDep) -> Redeemed:
    """Redeem an enrolment or activation code (no sign-in: the code is the credential).

    Returns the account and its bearer token, shown this once. A wrong, used, replaced
    or expired code is 403 (and audited).
    """
    view, token = redeem_code(session, body.code)
    return Redeemed(user=UserOut.model_validate(view), token=token)


@router.get("/clinicians", response_model=list[ClinicianOut], tags=["users"])
def clinicians(
    caller: CallerDep,
    session: SessionDep,
    name: Annotated[str, Query(max_length=200)] = "",
) -> list[ClinicianOut]:
    """Clinicians whose name contains ``name`` (patients choosing whom to consent to)."""
    found = find_clinicians(session, caller.actor, caller.purpose, name)
    return [ClinicianOut.model_validate(c) for c in found]


@router.post(
    "/patients/{patient_id}/enrolment", response_model=CodeOut, status_code=201, tags=["patients"]
)
def enrol(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> CodeOut:
    """An enrolment code for the patient of this record (a clinician of their care: the
    one who registered the record, or one with a treatment consent of scope all).

    Hand the code to the patient; they redeem it at ``POST /activate`` (or ``/ui/enrol``)
    for their account. Not for admins; not while the record has an active patient
    account.
    """
    return _code(create_enrolment(session, caller.actor, caller.purpose, patient_id))


def _code(issued: IssuedCode) -> CodeOut:
    return CodeOut(code=issued.code, role=issued.role, expires_at=issued.expires_at)


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
    """Everything the caller may see of the record, as a zip (record JSON, FHIR, reports;
    for the patient, the uploaded files too, decrypted only into this zip)."""
    data = export_patient(session, caller.actor, caller.purpose, patient_id)
    files = []
    if caller.role == "patient":  # the uploaded genome goes to the patient alone
        files = export_uploaded_files(session, caller.actor, caller.purpose, patient_id)
    body = export_zip(data, state.kb, pdf=pdf, files=files)
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
