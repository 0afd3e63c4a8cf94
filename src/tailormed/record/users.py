"""Users and bearer tokens.

Tokens are 256-bit random strings handed out once; only their SHA-256 is stored
(``user_account.token_hash``), so a database copy does not let anyone sign in. High-
entropy tokens need no slow password hash. :func:`authenticate` turns a token into the
:class:`~tailormed.record.access.Actor` every repository function takes.

Only admins manage users; the first admin comes from :func:`bootstrap_admin`, which
works only while no admin exists.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import audit, clock
from tailormed.record.access import (
    Actor,
    Purpose,
    Role,
    deny_anonymous,
    operation,
    require_no_transaction,
)
from tailormed.record.errors import AuthorizationError, NotFoundError
from tailormed.record.models import ROLES, Patient, User


@dataclass(frozen=True, slots=True)
class UserView:
    id: uuid.UUID
    role: str
    patient_id: uuid.UUID | None
    organisation: str | None
    active: bool
    created_at: datetime

    @property
    def actor(self) -> Actor:
        return Actor(self.id, cast(Role, self.role))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def _view(u: User) -> UserView:
    return UserView(u.id, u.role, u.patient_id, u.organisation, u.active, u.created_at)


def bootstrap_admin(session: Session, *, organisation: str | None = None) -> tuple[UserView, str]:
    """Create the first admin and return it with its token (refused once an admin exists)."""
    require_no_transaction(session)
    with session.begin():
        if session.scalar(select(User.id).where(User.role == "admin").limit(1)) is not None:
            raise AuthorizationError("an admin exists already; ask them to create users")
        token, digest = _new_token()
        user = User(
            id=uuid.uuid4(),
            role="admin",
            organisation=organisation,
            token_hash=digest,
            active=True,
            created_at=clock.utcnow(),
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
        return _view(user), token


def create_user(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    *,
    role: Role,
    organisation: str | None = None,
    patient_id: uuid.UUID | None = None,
) -> tuple[UserView, str]:
    """A new user (admins only) and its bearer token, shown this once."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}")
    if (role == "patient") != (patient_id is not None):
        raise InputError("a patient user needs patient_id; other roles must not have one")
    with operation(session, actor, purpose, "create", "user") as op:
        op.require_role("admin")
        op.patient_id = patient_id
        if patient_id is not None and session.get(Patient, patient_id) is None:
            raise NotFoundError("no such patient", record=f"patient {patient_id}")
        token, digest = _new_token()
        user = User(
            id=uuid.uuid4(),
            role=role,
            patient_id=patient_id,
            organisation=organisation,
            token_hash=digest,
            active=True,
            created_at=clock.utcnow(),
        )
        session.add(user)
        session.flush()
        op.entity_id = str(user.id)
        return _view(user), token


def issue_token(session: Session, actor: Actor, purpose: Purpose, user_id: uuid.UUID) -> str:
    """Replace a user's token (the user themself, or an admin); the old one stops working."""
    with operation(session, actor, purpose, "update", "user", entity_id=str(user_id)) as op:
        if actor.user_id != user_id:
            op.require_role("admin")
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("no such user", record=f"user {user_id}")
        token, user.token_hash = _new_token()
        op.detail = "token replaced"
        return token


def deactivate_user(session: Session, actor: Actor, purpose: Purpose, user_id: uuid.UUID) -> None:
    """Disable a user and its token (admins only). Its consents stop counting at once."""
    with operation(session, actor, purpose, "update", "user", entity_id=str(user_id)) as op:
        op.require_role("admin")
        user = session.get(User, user_id)
        if user is None:
            raise NotFoundError("no such user", record=f"user {user_id}")
        user.active, user.token_hash = False, None
        op.detail = "deactivated"


def authenticate(session: Session, token: str) -> Actor:
    """The actor a bearer token belongs to; a bad token is audited and refused."""
    require_no_transaction(session)
    with session.begin():
        user = session.scalar(select(User).where(User.token_hash == token_hash(token)))
        found = None if user is None or not user.active else _view(user).actor
    if found is None:
        deny_anonymous(
            session, action="read", entity_type="user", reason="invalid or revoked token"
        )
    return found
