"""Share links: a patient hands someone a token that shows part of their record.

The token (256 random bits) is returned once by :func:`create_share`; only its SHA-256
is stored. A share has a scope like a consent (``all``, ``genes``, ``reports``), must
expire (at most :data:`MAX_SHARE_DAYS` ahead) and can be revoked by the patient or an
admin. :func:`resolve_share` returns the shared part of the record in the
:func:`~tailormed.record.export.export_patient` format and audits the disclosure as
action ``share``; a wrong, expired or revoked token is audited and refused.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import audit, clock
from tailormed.record.access import (
    Access,
    Actor,
    Purpose,
    deny_anonymous,
    operation,
    require_no_transaction,
)
from tailormed.record.accounts import token_hash
from tailormed.record.consents import Scope, check_scope
from tailormed.record.errors import NotFoundError
from tailormed.record.export import build_export
from tailormed.record.models import Share, User

MAX_SHARE_DAYS = 90


@dataclass(frozen=True, slots=True)
class ShareView:
    id: uuid.UUID
    patient_id: uuid.UUID
    scope: str
    genes: tuple[str, ...]
    created_by: uuid.UUID
    created_at: datetime
    expires_at: datetime
    revoked: bool


def share_view(s: Share) -> ShareView:
    return ShareView(
        s.id,
        s.patient_id,
        s.scope,
        tuple(s.genes or ()),
        s.created_by,
        s.created_at,
        s.expires_at,
        s.revoked,
    )


def create_share(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    expires_at: datetime,
    scope: Scope = "reports",
    genes: Iterable[str] | None = None,
) -> tuple[ShareView, str]:
    """A new share link of the patient's own record; the token is returned only here."""
    gene_list = check_scope(scope, genes)
    now = clock.utcnow()
    expires = clock.as_utc(expires_at)
    if not now < expires <= now + timedelta(days=MAX_SHARE_DAYS):
        raise InputError(f"a share must expire in the future, within {MAX_SHARE_DAYS} days")
    with operation(session, actor, purpose, "share", "share") as op:
        op.require_role("patient")
        op.read_access(patient_id)
        token = secrets.token_urlsafe(32)
        row = Share(
            id=uuid.uuid4(),
            patient_id=patient_id,
            token_hash=token_hash(token),
            scope=scope,
            genes=gene_list,
            created_by=actor.user_id,
            created_at=now,
            expires_at=expires,
            revoked=False,
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        op.detail = f"share link, scope {scope}"
        return share_view(row), token


def resolve_share(
    session: Session, token: str, *, actor: Actor | None = None, purpose: Purpose = "treatment"
) -> dict[str, Any]:
    """What a share token shows; ``actor`` is the signed-in user using it, if any."""
    require_no_transaction(session)
    with session.begin():
        share = session.scalar(select(Share).where(Share.token_hash == token_hash(token)))
        user = session.get(User, actor.user_id) if actor is not None else None
        if share is None:
            problem: str | None = "unknown share token"
        elif share.revoked:
            problem = "share link revoked"
        elif share.expires_at <= clock.utcnow():
            problem = "share link expired"
        elif actor is not None and (user is None or not user.active or user.role != actor.role):
            problem = "unknown or deactivated user"
        else:
            problem = None
        share_id = None if share is None else str(share.id)
        if problem is None and share is not None:
            access = Access(
                share.patient_id,
                full=share.scope == "all",
                genes=frozenset(share.genes or ()),
                reports=share.scope == "reports",
                via="share",
            )
            data = build_export(session, access)
            audit.append(
                session,
                actor_id=None if actor is None else actor.user_id,
                actor_role=None if actor is None else actor.role,
                action="share",
                entity_type="share",
                entity_id=share_id,
                patient_id=share.patient_id,
                purpose=purpose,
                outcome="success",
                detail=f"share link used, scope {share.scope}",
            )
            return data
    deny_anonymous(
        session,
        action="share",
        entity_type="share",
        entity_id=share_id,
        reason=problem or "share refused",
    )


def revoke_share(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, share_id: uuid.UUID
) -> ShareView:
    """Stop a share link working (the patient, or an admin)."""
    with operation(session, actor, purpose, "update", "share", entity_id=str(share_id)) as op:
        op.owner_or_admin(patient_id)
        row = session.get(Share, share_id)
        if row is None or row.patient_id != patient_id:
            raise NotFoundError("no such share for this patient", record=str(share_id))
        if not row.revoked:
            row.revoked, row.revoked_at = True, clock.utcnow()
        session.flush()
        op.detail = "revoked"
        return share_view(row)


def list_shares(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[ShareView]:
    """The patient's share links, live and dead (for the patient and for admins)."""
    with operation(session, actor, purpose, "read", "share") as op:
        op.owner_or_admin(patient_id)
        rows = session.scalars(
            select(Share).where(Share.patient_id == patient_id).order_by(Share.created_at, Share.id)
        ).all()
        return [share_view(s) for s in rows]
