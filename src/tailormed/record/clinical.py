"""Clinical context: medications and family history (create, list, update, delete).

Medication names, notes, family-history conditions, genetic results and notes are free
text and stored encrypted; the RxNorm code, the active flag and the relationship are
plain so they can be coded. Reading needs full access (own record, or a consent with
scope ``all``); changing needs write access (own record, or a treatment consent with
scope ``all``).

Updates take keyword arguments; leave one out (or pass :data:`UNSET`) to keep the stored
value, pass ``None`` to clear an optional one.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, TypeAlias, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import clock
from tailormed.record.access import Actor, Operation, Purpose, operation
from tailormed.record.errors import NotFoundError
from tailormed.record.models import FamilyHistory, Medication


class _Unset(enum.Enum):
    UNSET = 0


UNSET: Final = _Unset.UNSET
T = TypeVar("T")
Maybe: TypeAlias = T | Literal[_Unset.UNSET]
M = TypeVar("M", Medication, FamilyHistory)


@dataclass(frozen=True, slots=True)
class MedicationView:
    id: uuid.UUID
    patient_id: uuid.UUID
    name: str
    rxnorm: str | None
    active: bool
    note: str | None
    created_at: datetime
    updated_at: datetime
    started_on: date | None = None  # the day the patient started it (digital-health rules)


@dataclass(frozen=True, slots=True)
class FamilyHistoryView:
    id: uuid.UUID
    patient_id: uuid.UUID
    relationship: str
    condition: str
    genetic_result: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


def medication_view(m: Medication) -> MedicationView:
    return MedicationView(
        m.id,
        m.patient_id,
        m.name,
        m.rxnorm,
        m.active,
        m.note,
        m.created_at,
        m.updated_at,
        m.started_on,
    )


def family_history_view(f: FamilyHistory) -> FamilyHistoryView:
    return FamilyHistoryView(
        f.id,
        f.patient_id,
        f.relationship,
        f.condition,
        f.genetic_result,
        f.notes,
        f.created_at,
        f.updated_at,
    )


def _required(value: str, what: str) -> str:
    if not value or not value.strip():
        raise InputError(f"{what} must not be empty")
    return value


def _own(op: Operation, model: type[M], pid: uuid.UUID, item_id: uuid.UUID) -> M:
    row = op.session.get(model, item_id)
    if row is None or row.patient_id != pid:
        raise NotFoundError(f"no such {op.entity_type} for this patient", record=str(item_id))
    return row


# ------------------------------------------------------------------------ medications
def add_medication(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    name: str,
    rxnorm: str | None = None,
    active: bool = True,
    note: str | None = None,
    started_on: date | None = None,
) -> MedicationView:
    _required(name, "medication name")
    with operation(session, actor, purpose, "create", "medication") as op:
        op.clinical_access(patient_id, write=True)
        now = clock.utcnow()
        row = Medication(
            id=uuid.uuid4(),
            patient_id=patient_id,
            name=name,
            rxnorm=rxnorm,
            active=active,
            note=note,
            started_on=started_on,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        return medication_view(row)


def list_medications(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    active_only: bool = False,
) -> list[MedicationView]:
    with operation(session, actor, purpose, "read", "medication") as op:
        op.clinical_access(patient_id)
        query = select(Medication).where(Medication.patient_id == patient_id)
        if active_only:
            query = query.where(Medication.active.is_(True))
        rows = session.scalars(query.order_by(Medication.created_at, Medication.id)).all()
        op.detail = f"{len(rows)} medications"
        return [medication_view(m) for m in rows]


def update_medication(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
    *,
    name: Maybe[str] = UNSET,
    rxnorm: Maybe[str | None] = UNSET,
    active: Maybe[bool] = UNSET,
    note: Maybe[str | None] = UNSET,
    started_on: Maybe[date | None] = UNSET,
) -> MedicationView:
    if name is not UNSET:
        _required(name, "medication name")
    entity = str(medication_id)
    with operation(session, actor, purpose, "update", "medication", entity_id=entity) as op:
        op.clinical_access(patient_id, write=True)
        row = _own(op, Medication, patient_id, medication_id)
        if name is not UNSET:
            row.name = name
        if rxnorm is not UNSET:
            row.rxnorm = rxnorm
        if active is not UNSET:
            row.active = active
        if note is not UNSET:
            row.note = note
        if started_on is not UNSET:
            row.started_on = started_on
        row.updated_at = clock.utcnow()
        session.flush()
        return medication_view(row)


def delete_medication(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
) -> None:
    entity = str(medication_id)
    with operation(session, actor, purpose, "delete", "medication", entity_id=entity) as op:
        op.clinical_access(patient_id, write=True)
        session.delete(_own(op, Medication, patient_id, medication_id))


# --------------------------------------------------------------------- family history
def add_family_history(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    relationship: str,
    condition: str,
    genetic_result: str | None = None,
    notes: str | None = None,
) -> FamilyHistoryView:
    _required(relationship, "relationship")
    _required(condition, "condition")
    with operation(session, actor, purpose, "create", "family_history") as op:
        op.clinical_access(patient_id, write=True)
        now = clock.utcnow()
        row = FamilyHistory(
            id=uuid.uuid4(),
            patient_id=patient_id,
            relationship=relationship,
            condition=condition,
            genetic_result=genetic_result,
            notes=notes,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        return family_history_view(row)


def list_family_history(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[FamilyHistoryView]:
    with operation(session, actor, purpose, "read", "family_history") as op:
        op.clinical_access(patient_id)
        rows = session.scalars(
            select(FamilyHistory)
            .where(FamilyHistory.patient_id == patient_id)
            .order_by(FamilyHistory.created_at, FamilyHistory.id)
        ).all()
        op.detail = f"{len(rows)} entries"
        return [family_history_view(f) for f in rows]


def update_family_history(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    entry_id: uuid.UUID,
    *,
    relationship: Maybe[str] = UNSET,
    condition: Maybe[str] = UNSET,
    genetic_result: Maybe[str | None] = UNSET,
    notes: Maybe[str | None] = UNSET,
) -> FamilyHistoryView:
    if relationship is not UNSET:
        _required(relationship, "relationship")
    if condition is not UNSET:
        _required(condition, "condition")
    entity = str(entry_id)
    with operation(session, actor, purpose, "update", "family_history", entity_id=entity) as op:
        op.clinical_access(patient_id, write=True)
        row = _own(op, FamilyHistory, patient_id, entry_id)
        if relationship is not UNSET:
            row.relationship = relationship
        if condition is not UNSET:
            row.condition = condition
        if genetic_result is not UNSET:
            row.genetic_result = genetic_result
        if notes is not UNSET:
            row.notes = notes
        row.updated_at = clock.utcnow()
        session.flush()
        return family_history_view(row)


def delete_family_history(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, entry_id: uuid.UUID
) -> None:
    entity = str(entry_id)
    with operation(session, actor, purpose, "delete", "family_history", entity_id=entity) as op:
        op.clinical_access(patient_id, write=True)
        session.delete(_own(op, FamilyHistory, patient_id, entry_id))
