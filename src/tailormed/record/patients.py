"""Patients: create, read, find by external id, delete; and a patient's audit trail.

``delete_patient`` removes every row the patient owns (results, uploads, medications,
family history, consents, shares, the patient's own user accounts) and the patient row
with its encrypted name and external id, in one transaction. What stays is the audit
log, which holds no PHI: its events name the patient only by the record's random UUID,
and a final ``delete`` event records who erased the record and when. (SQLite runs with
``secure_delete`` so freed pages are zeroed; on PostgreSQL, dead tuples remain on disk,
as ciphertext, until VACUUM reuses them.)
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import audit, clock
from tailormed.record.access import Actor, Operation, Purpose, operation
from tailormed.record.crypto import keyring_for
from tailormed.record.errors import NotFoundError
from tailormed.record.models import PATIENT_TABLES, AuditEvent, Consent, Patient


@dataclass(frozen=True, slots=True)
class PatientView:
    """A patient's identity as the API returns it (decrypted)."""

    id: uuid.UUID
    display_name: str | None
    external_id: str | None
    created_at: datetime


def patient_view(row: Patient) -> PatientView:
    return PatientView(row.id, row.display_name, row.external_id, row.created_at)


def load_patient(op: Operation, patient_id: uuid.UUID) -> Patient:
    row = op.session.get(Patient, patient_id)
    if row is None:
        raise NotFoundError("no such patient", record=f"patient {patient_id}")
    return row


def create_patient(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    *,
    display_name: str | None,
    external_id: str | None = None,
    attest_treatment_consent: bool = False,
    consent_expires_at: datetime | None = None,
) -> PatientView:
    """Register a patient (clinicians and admins).

    A clinician who registers a record may hand the patient an enrolment code for it
    (:func:`tailormed.record.enrolment.create_enrolment`); an admin may not.

    With ``attest_treatment_consent`` a *clinician* records, at registration, the
    patient's treatment consent for the clinician's organisation (or the clinician alone
    when they have none): the one way a consent is created by someone other than the
    patient, and only for a record the clinician creates. The consent names the
    clinician in ``granted_by`` and can be revoked by the patient like any other.
    """
    if external_id is not None and not external_id.strip():
        raise InputError("external id must not be blank")
    with operation(session, actor, purpose, "create", "patient") as op:
        op.require_role("clinician", "admin")
        row = Patient(
            id=uuid.uuid4(),
            display_name=display_name,
            external_id=external_id,  # its blind index is set on flush (models.BLIND_INDEXES)
            created_by=actor.user_id,
            created_at=clock.utcnow(),
        )
        session.add(row)
        session.flush()
        op.patient_id, op.entity_id = row.id, str(row.id)
        if attest_treatment_consent:
            if actor.role != "clinician":
                op.deny("only a clinician can attest a patient's consent")
            org = op.user.organisation
            session.add(
                Consent(
                    patient_id=row.id,
                    grantee_user_id=None if org else op.user.id,
                    grantee_organisation=org,
                    purpose="treatment",
                    scope="all",
                    status="active",
                    granted_by=op.user.id,
                    granted_at=clock.utcnow(),
                    expires_at=consent_expires_at,
                )
            )
            op.detail = "treatment consent attested at registration"
        return patient_view(row)


def get_patient(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> PatientView:
    """The patient's identity (any read access)."""
    with operation(session, actor, purpose, "read", "patient", entity_id=str(patient_id)) as op:
        op.read_access(patient_id)
        return patient_view(load_patient(op, patient_id))


def find_patient(session: Session, actor: Actor, purpose: Purpose, external_id: str) -> PatientView:
    """The patient with this external id / MRN among the records the actor may read.

    Records the actor may not read are treated as absent (no existence oracle).
    """
    with operation(session, actor, purpose, "read", "patient") as op:
        ring = keyring_for(session.get_bind())
        candidates = session.scalars(
            select(Patient).where(Patient.external_id_index.in_(ring.blind_indexes(external_id)))
        ).all()
        for row in candidates:
            if row.external_id == external_id and op.try_read_access(row.id) is not None:
                op.entity_id = str(row.id)
                return patient_view(row)
        raise NotFoundError("no accessible patient with this external id")


def delete_patient(session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID) -> None:
    """Erase the record (the patient themself, or an admin); the audit log stays."""
    with operation(session, actor, purpose, "delete", "patient", entity_id=str(patient_id)) as op:
        if actor.role == "patient":
            op.read_access(patient_id)
        else:
            op.require_role("admin")
            op.patient_id = patient_id
        load_patient(op, patient_id)
        counts = []
        for model in PATIENT_TABLES:
            table = cast(Table, model.__table__)
            result = session.execute(delete(table).where(table.c.patient_id == patient_id))
            n = cast("CursorResult[Any]", result).rowcount
            counts.append(f"{model.__tablename__}={n}")
        session.execute(delete(Patient).where(Patient.id == patient_id))
        session.expunge_all()
        op.detail = "erased: " + ", ".join(counts)


def list_audit_events(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[audit.AuditEntry]:
    """Who did what to a record: for the patient themself and for admins."""
    with operation(session, actor, purpose, "read", "audit_event") as op:
        if actor.role == "patient":
            op.read_access(patient_id)
        else:
            op.require_role("admin")
            op.patient_id = patient_id
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.patient_id == patient_id).order_by(AuditEvent.id)
        ).all()
        return [audit.entry(ev) for ev in rows]
