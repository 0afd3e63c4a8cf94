"""Enrolment and activation codes: how a person takes up an account themself.

A code is 16 characters of Crockford base32 (80 random bits), printed in groups of four
(``K7QM-2XPD-9HTR-4WNB``) so a clinic can hand it over on paper; typing is forgiving
(case, spaces and dashes ignored; O read as 0, I and L as 1). Only the SHA-256 of the
normalised code is stored. A code is single use, expires, and issuing a new one for the
same target voids the older ones.

* **Patient enrolment** (:func:`create_enrolment`): a clinician of the patient's care —
  the one who registered the record, or one with a treatment consent of scope ``all`` —
  issues a code for a record that has no active patient account. Redeeming it creates
  the patient's account. Admins cannot issue these: whoever holds a patient account
  reads the record.
* **Account activation** (:func:`tailormed.record.users.create_user`,
  :func:`~tailormed.record.users.reset_activation`): a clinician's or admin's account is
  created without a token; its code, redeemed by the person, sets their token.

:func:`redeem_code` needs no sign-in (the code is the credential). Issuing is audited
with the issuer as actor; redeeming with the new account as actor, naming the issuer.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tailormed.record import audit, clock
from tailormed.record.access import (
    Actor,
    Purpose,
    deny_anonymous,
    operation,
    require_no_transaction,
)
from tailormed.record.accounts import UserView, new_token, user_view
from tailormed.record.errors import NotFoundError
from tailormed.record.models import EnrolmentCode, Patient, User

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
CODE_CHARS = 16
ENROLMENT_DAYS = 14
ACTIVATION_DAYS = 7
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A code as issued: shown this once, to hand to the person it is for."""

    id: uuid.UUID
    code: str
    role: str
    expires_at: datetime
    patient_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normalise(code: str) -> str:
    """The code as stored (hashed): upper case, separators dropped, look-alikes mapped."""
    return re.sub(r"[^0-9A-Z]", "", code.upper()).translate(_READ_AS)


def code_hash(code: str) -> str:
    return hashlib.sha256(("tailormed-code:" + normalise(code)).encode()).hexdigest()


def revoke_codes(
    session: Session, *, patient_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None
) -> None:
    """Void the open codes of a record or an account (inside the caller's transaction)."""
    target = (
        EnrolmentCode.patient_id == patient_id
        if patient_id is not None
        else EnrolmentCode.user_id == user_id
    )
    session.execute(
        update(EnrolmentCode)
        .where(target, EnrolmentCode.used_at.is_(None), EnrolmentCode.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow())
    )


def issue_code(
    session: Session,
    *,
    role: str,
    patient_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    created_by: uuid.UUID | None,
    days: float,
) -> IssuedCode:
    """Store a new code for a record (role patient) or an account, voiding older ones."""
    revoke_codes(session, patient_id=patient_id, user_id=user_id)
    code = new_code()
    now = clock.utcnow()
    row = EnrolmentCode(
        id=uuid.uuid4(),
        code_hash=code_hash(code),
        role=role,
        patient_id=patient_id,
        user_id=user_id,
        created_by=created_by,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    return IssuedCode(row.id, code, role, row.expires_at, patient_id, user_id)


def _active_patient_account(session: Session, patient_id: uuid.UUID) -> bool:
    found = session.scalar(
        select(User.id)
        .where(User.patient_id == patient_id, User.role == "patient", User.active.is_(True))
        .limit(1)
    )
    return found is not None


def create_enrolment(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    valid_days: float = ENROLMENT_DAYS,
) -> IssuedCode:
    """An enrolment code for the patient of a record (clinicians of their care only)."""
    with operation(session, actor, purpose, "create", "enrolment", patient_id=patient_id) as op:
        op.require_role("clinician")
        patient = session.get(Patient, patient_id)
        if patient is None:
            raise NotFoundError("no such patient", record=f"patient {patient_id}")
        if patient.created_by != actor.user_id:
            op.write_access(patient_id)  # else: a treatment consent of scope all
        if _active_patient_account(session, patient_id):
            op.deny(
                "the record has an active patient account; the patient manages it (an admin "
                "deactivates a lost account first)"
            )
        issued = issue_code(
            session,
            role="patient",
            patient_id=patient_id,
            created_by=actor.user_id,
            days=valid_days,
        )
        op.entity_id = str(issued.id)
        op.detail = f"patient enrolment code issued, valid until {issued.expires_at:%Y-%m-%d}"
        return issued


def redeem_code(session: Session, code: str) -> tuple[UserView, str]:
    """Take up the account a code is for; returns it with its new bearer token.

    Refusals (unknown, used, voided or expired code; a record that already has an active
    account; a deactivated account) are audited and raise
    :class:`~tailormed.record.errors.AuthorizationError`.
    """
    require_no_transaction(session)
    problem = "unknown enrolment code"
    code_id: str | None = None
    if 12 <= len(normalise(code)) <= 64:
        with session.begin():
            row = session.scalar(
                select(EnrolmentCode).where(EnrolmentCode.code_hash == code_hash(code))
            )
            now = clock.utcnow()
            if row is not None:
                code_id = str(row.id)
                if row.used_at is not None:
                    problem = "this code was already used"
                elif row.revoked_at is not None:
                    problem = "this code is no longer valid (a newer code replaced it)"
                elif row.expires_at <= now:
                    problem = "this code has expired; ask for a new one"
                else:
                    user, token, problem = _take_up(session, row, now)
                    if user is not None:
                        return user_view(user), token
    deny_anonymous(
        session, action="update", entity_type="enrolment", reason=problem, entity_id=code_id
    )


def _take_up(session: Session, row: EnrolmentCode, now: datetime) -> tuple[User | None, str, str]:
    """Create (patient) or activate (others) the account of a valid code."""
    token, digest = new_token()
    if row.role == "patient":
        assert row.patient_id is not None
        if session.get(Patient, row.patient_id) is None:
            return None, "", "the record of this code was erased"
        if _active_patient_account(session, row.patient_id):
            return None, "", "the record already has an active patient account"
        user = User(
            id=uuid.uuid4(),
            role="patient",
            patient_id=row.patient_id,
            token_hash=digest,
            active=True,
            created_at=now,
            activated_at=now,
        )
        session.add(user)
    else:
        found = session.get(User, row.user_id) if row.user_id else None
        if found is None or not found.active or found.role != row.role:
            return None, "", "the account of this code is deactivated"
        user = found
        user.token_hash = digest
        user.activated_at = user.activated_at or now
    row.used_at, row.used_by = now, user.id
    session.flush()
    issuer = str(row.created_by) if row.created_by else "the command line"
    audit.append(
        session,
        actor_id=user.id,
        actor_role=user.role,
        action="create" if row.role == "patient" else "update",
        entity_type="enrolment",
        entity_id=str(row.id),
        patient_id=row.patient_id,
        purpose="operations",
        outcome="success",
        detail=f"{row.role} code redeemed (issued by {issuer})",
    )
    return user, token, ""
