"""Users and bearer tokens: admins manage accounts, never what the accounts can read.

Tokens are 256-bit random strings handed out once; only their SHA-256 is stored
(``user_account.token_hash``), so a database copy does not let anyone sign in. High-
entropy tokens need no slow password hash. :func:`authenticate` turns a token into the
:class:`~tailormed.record.access.Actor` every repository function takes.

Who gets which token (the rule that keeps admins away from patient data):

* the first admin comes from :func:`bootstrap_admin` (the operator at the server's
  command line, and only while no admin exists);
* clinician and admin accounts are made by an admin (:func:`create_user`) or the
  operator, **without a token**: they come with an activation code
  (:mod:`tailormed.record.enrolment`) that the new user redeems for a token only they
  see; :func:`reset_activation` voids a lost token and issues a new code;
* patient accounts are never made here: only an enrolment code from the patient's
  clinic creates one (:func:`tailormed.record.enrolment.create_enrolment`);
* a token is replaced (:func:`issue_token`) only by its own user.

An admin who redeemed a clinician's activation code themself would hold that
clinician's access; the real clinician would then find their code used (and the audit
log shows who issued it and when it was redeemed), which is why codes go to the person,
not back to the admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import audit, clock
from tailormed.record.access import (
    Actor,
    Operator,
    Purpose,
    Role,
    admin_operation,
    deny_anonymous,
    operation,
    require_no_transaction,
)
from tailormed.record.accounts import UserView, new_token, token_hash, user_view
from tailormed.record.enrolment import ACTIVATION_DAYS, IssuedCode, issue_code, revoke_codes
from tailormed.record.errors import AuthorizationError, NotFoundError
from tailormed.record.models import User

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class ClinicianView:
    """A clinician as a patient picks them for a consent: name and organisation."""

    id: uuid.UUID
    display_name: str
    organisation: str | None


def _clean(value: str | None, what: str) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > MAX_NAME:
        raise InputError(f"{what} must be at most {MAX_NAME} characters")
    return value.strip()


def bootstrap_admin(
    session: Session, *, organisation: str | None = None, display_name: str | None = None
) -> tuple[UserView, str]:
    """Create the first admin and return it with its token (refused once an admin exists)."""
    require_no_transaction(session)
    with session.begin():
        if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
            raise AuthorizationError("an admin exists already; ask them to create users")
        token, digest = new_token()
        now = clock.utcnow()
        user = User(
            id=uuid.uuid4(),
            role="admin",
            display_name=_clean(display_name, "name"),
            organisation=_clean(organisation, "organisation"),
            token_hash=digest,
            active=True,
            created_at=now,
            activated_at=now,
        )
        session.add(user)
        session.flush()
        audit.append(
            session,
            actor_id=user.id,
            actor_role="admin",
            action="create",
            entity_type="user",
            entity_id=str(user.id),
            purpose="operations",
            outcome="success",
            detail="bootstrap admin",
        )
        return user_view(user), token


def create_user(
    session: Session,
    who: Actor | Operator,
    purpose: Purpose,
    *,
    role: Role,
    display_name: str | None = None,
    organisation: str | None = None,
    valid_days: float = ACTIVATION_DAYS,
) -> tuple[UserView, IssuedCode]:
    """A new clinician or admin account (admins, or the operator) and its activation code.

    The account has no token until its user redeems the code
    (:func:`tailormed.record.enrolment.redeem_code`). Patient accounts are refused: they
    come only from an enrolment code (:func:`~tailormed.record.enrolment.create_enrolment`).
    """
    name = _clean(display_name, "name")
    org = _clean(organisation, "organisation")
    with admin_operation(session, who, purpose, "create", "user") as op:
        if role not in ("clinician", "admin"):
            op.deny(
                f"an admin cannot create a {role} account: patient accounts are created only "
                "by an enrolment code the patient's clinic hands to the patient"
            )
        user = User(
            id=uuid.uuid4(),
            role=role,
            display_name=name,
            organisation=org,
            token_hash=None,
            active=True,
            created_at=clock.utcnow(),
        )
        session.add(user)
        session.flush()
        created_by = who.user_id if isinstance(who, Actor) else None
        issued = issue_code(
            session, role=role, user_id=user.id, created_by=created_by, days=valid_days
        )
        op.entity_id = str(user.id)
        op.detail = f"{role} account created; activation code issued"
        return user_view(user), issued


def reset_activation(
    session: Session,
    who: Actor | Operator,
    purpose: Purpose,
    user_id: uuid.UUID,
    *,
    valid_days: float = ACTIVATION_DAYS,
) -> IssuedCode:
    """Void a clinician's or admin's token and issue a new activation code (lost token).

    Patient accounts are not reset here: the patient's clinic re-enrols them after an
    admin has deactivated the old account.
    """
    with admin_operation(session, who, purpose, "update", "user", entity_id=str(user_id)) as op:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("no such user", record=f"user {user_id}")
        if user.role == "patient":
            op.deny("a patient account is not reset by an admin; the patient's clinic re-enrols")
        if not user.active:
            op.deny("the account is deactivated")
        user.token_hash = None
        created_by = who.user_id if isinstance(who, Actor) else None
        issued = issue_code(
            session, role=user.role, user_id=user.id, created_by=created_by, days=valid_days
        )
        op.detail = "token voided; new activation code issued"
        return issued


def issue_token(session: Session, actor: Actor, purpose: Purpose, user_id: uuid.UUID) -> str:
    """Replace the caller's own token; the old one stops working."""
    with operation(session, actor, purpose, "update", "user", entity_id=str(user_id)) as op:
        if actor.user_id != user_id:
            op.deny(
                "only the user themself can replace their token (an admin resets a "
                "clinician's account with a new activation code)"
            )
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("no such user", record=f"user {user_id}")
        token, user.token_hash = new_token()
        op.detail = "token replaced"
        return token


def deactivate_user(
    session: Session, who: Actor | Operator, purpose: Purpose, user_id: uuid.UUID
) -> None:
    """Disable a user, its token and its open codes. Its consents stop counting at once."""
    with admin_operation(session, who, purpose, "update", "user", entity_id=str(user_id)) as op:
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("no such user", record=f"user {user_id}")
        user.active, user.token_hash = False, None
        revoke_codes(session, user_id=user.id)
        op.patient_id = user.patient_id
        op.detail = "deactivated"


def list_users(session: Session, who: Actor | Operator, purpose: Purpose) -> list[UserView]:
    """Every account (admins, the operator): ids, roles, names, organisations, state."""
    with admin_operation(session, who, purpose, "read", "user") as op:
        rows = session.scalars(select(User).order_by(User.created_at, User.id)).all()
        op.detail = f"{len(rows)} users listed"
        return [user_view(u) for u in rows]


def find_clinicians(
    session: Session, actor: Actor, purpose: Purpose, name: str = "", *, limit: int = 50
) -> list[ClinicianView]:
    """Active clinicians whose name contains ``name`` (case-insensitive), by name.

    For patients choosing whom to consent to (and clinicians): names and organisations
    only. Names are encrypted, so the match runs here, not in SQL.
    """
    wanted = name.strip().casefold()
    with operation(session, actor, purpose, "read", "user") as op:
        op.require_role("patient", "clinician")
        rows = session.scalars(
            select(User).where(
                User.role == "clinician", User.active.is_(True), User.activated_at.is_not(None)
            )
        ).all()
        found = [
            ClinicianView(u.id, u.display_name or "", u.organisation)
            for u in rows
            if u.display_name and wanted in u.display_name.casefold()
        ]
        found.sort(key=lambda c: (c.display_name.casefold(), c.organisation or "", str(c.id)))
        op.detail = f"clinician directory: {len(found)} found"
        return found[:limit]


def authenticate(session: Session, token: str) -> Actor:
    """The actor a bearer token belongs to; a bad token is audited and refused."""
    require_no_transaction(session)
    with session.begin():
        user = session.scalar(select(User).where(User.token_hash == token_hash(token)))
        found = None if user is None or not user.active else user_view(user).actor
    if found is None:
        deny_anonymous(
            session, action="read", entity_type="user", reason="invalid or revoked token"
        )
    return found
