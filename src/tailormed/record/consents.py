"""Consents: the patient's permission for a user or an organisation to see their record.

A consent names one grantee (a user id *or* an organisation), one purpose
(``treatment`` or ``research``), a scope (``all``, ``genes`` with a gene list, or
``reports``) and optionally an expiry. It counts while ``status == "active"`` and the
expiry has not passed (:mod:`tailormed.record.access`). Only the patient grants
consents (plus the attestation a clinician may record when registering a patient, see
:func:`tailormed.record.patients.create_patient`). The patient, an admin, or the
grantee themself (giving access up) can revoke one; revoked consents stay listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import clock
from tailormed.record.access import Actor, Purpose, operation
from tailormed.record.errors import NotFoundError
from tailormed.record.models import PURPOSES, SCOPES, Consent, User

ConsentPurpose = Literal["treatment", "research"]
Scope = Literal["all", "genes", "reports"]


@dataclass(frozen=True, slots=True)
class ConsentView:
    id: uuid.UUID
    patient_id: uuid.UUID
    grantee_user_id: uuid.UUID | None
    grantee_organisation: str | None
    purpose: str
    scope: str
    genes: tuple[str, ...]
    status: str
    granted_by: uuid.UUID
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    grantee_name: str | None = None  # the grantee user's display name, for people to read

    def in_force(self, now: datetime | None = None) -> bool:
        """Active and not expired at ``now`` (default: the current time)."""
        now = now or clock.utcnow()
        return self.status == "active" and (self.expires_at is None or self.expires_at > now)


def consent_view(c: Consent, grantee_name: str | None = None) -> ConsentView:
    return ConsentView(
        id=c.id,
        patient_id=c.patient_id,
        grantee_user_id=c.grantee_user_id,
        grantee_organisation=c.grantee_organisation,
        purpose=c.purpose,
        scope=c.scope,
        genes=tuple(c.genes or ()),
        status=c.status,
        granted_by=c.granted_by,
        granted_at=c.granted_at,
        expires_at=c.expires_at,
        revoked_at=c.revoked_at,
        grantee_name=grantee_name,
    )


def _grantee_names(session: Session, consents: Iterable[Consent]) -> dict[uuid.UUID, str | None]:
    ids = {c.grantee_user_id for c in consents if c.grantee_user_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()
    return {uid: name for uid, name in rows}


def check_scope(scope: str, genes: Iterable[str] | None) -> list[str] | None:
    """Validate a scope and its gene list; returns the genes to store."""
    if scope not in SCOPES:
        raise InputError(f"unknown scope {scope!r} (expected one of {', '.join(SCOPES)})")
    gene_list = sorted({g.strip() for g in genes or () if g.strip()})
    if scope == "genes" and not gene_list:
        raise InputError("scope 'genes' needs at least one gene")
    if scope != "genes" and gene_list:
        raise InputError("a gene list is only allowed with scope 'genes'")
    return gene_list or None


def grant_consent(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    grantee_user_id: uuid.UUID | None = None,
    grantee_organisation: str | None = None,
    consent_purpose: ConsentPurpose = "treatment",
    scope: Scope = "all",
    genes: Iterable[str] | None = None,
    expires_at: datetime | None = None,
) -> ConsentView:
    """The patient lets a clinician (or everyone of an organisation) see their record."""
    if (grantee_user_id is None) == (grantee_organisation is None):
        raise InputError("name exactly one grantee: a user id or an organisation")
    if consent_purpose not in PURPOSES:
        raise InputError(f"unknown consent purpose {consent_purpose!r}")
    gene_list = check_scope(scope, genes)
    if expires_at is not None and clock.as_utc(expires_at) <= clock.utcnow():
        raise InputError("a consent's expiry must be in the future")
    with operation(session, actor, purpose, "create", "consent") as op:
        op.require_role("patient")
        op.read_access(patient_id)
        name = None
        if grantee_user_id is not None:
            grantee = session.get(User, grantee_user_id)
            if grantee is None or grantee.role == "patient":
                raise NotFoundError("no such clinician or admin", record=str(grantee_user_id))
            name = grantee.display_name
        row = Consent(
            id=uuid.uuid4(),
            patient_id=patient_id,
            grantee_user_id=grantee_user_id,
            grantee_organisation=grantee_organisation,
            purpose=consent_purpose,
            scope=scope,
            genes=gene_list,
            status="active",
            granted_by=actor.user_id,
            granted_at=clock.utcnow(),
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        op.detail = f"{consent_purpose} consent, scope {scope}"
        return consent_view(row, name)


def revoke_consent(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, consent_id: uuid.UUID
) -> ConsentView:
    """End a consent now (the patient, an admin, or the grantee giving it up)."""
    entity = str(consent_id)
    with operation(session, actor, purpose, "update", "consent", entity_id=entity) as op:
        op.patient_id = patient_id
        row = session.get(Consent, consent_id)
        own_grant = row is not None and row.grantee_user_id == actor.user_id
        if actor.role == "patient":
            op.read_access(patient_id)
        elif actor.role == "clinician" and not own_grant:
            op.deny("a clinician can only give up consents granted to them")
        if row is None or row.patient_id != patient_id:
            raise NotFoundError("no such consent for this patient", record=entity)
        if row.status != "revoked":
            row.status, row.revoked_at, row.revoked_by = "revoked", clock.utcnow(), actor.user_id
        session.flush()
        op.detail = "revoked"
        return consent_view(row)


def list_consents(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[ConsentView]:
    """The patient's consents, active and past (for the patient and for admins)."""
    with operation(session, actor, purpose, "read", "consent") as op:
        op.owner_or_admin(patient_id)
        rows = session.scalars(
            select(Consent)
            .where(Consent.patient_id == patient_id)
            .order_by(Consent.granted_at, Consent.id)
        ).all()
        names = _grantee_names(session, rows)
        return [
            consent_view(c, names.get(c.grantee_user_id) if c.grantee_user_id else None)
            for c in rows
        ]
