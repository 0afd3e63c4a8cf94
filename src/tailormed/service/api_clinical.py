"""REST API: medications and family history of a patient (create, list, update, delete).

Reading needs full access (the patient, or a consent of scope ``all``); changing needs
write access (the patient, or a treatment consent of scope ``all``): the record layer
checks both. ``PATCH`` changes only the fields given (``null`` clears an optional one).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from tailormed.record import (
    add_family_history,
    add_medication,
    delete_family_history,
    delete_medication,
    list_family_history,
    list_medications,
    update_family_history,
    update_medication,
)
from tailormed.service.auth import CallerDep, SessionDep
from tailormed.service.schemas import (
    FamilyHistoryIn,
    FamilyHistoryOut,
    FamilyHistoryPatch,
    MedicationIn,
    MedicationOut,
    MedicationPatch,
)

router = APIRouter()
MEDS = "/patients/{patient_id}/medications"
FAMILY = "/patients/{patient_id}/family-history"


@router.get(MEDS, response_model=list[MedicationOut], tags=["medications"])
def medications(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep, active_only: bool = False
) -> list[MedicationOut]:
    views = list_medications(
        session, caller.actor, caller.purpose, patient_id, active_only=active_only
    )
    return [MedicationOut.model_validate(v) for v in views]


@router.post(MEDS, response_model=MedicationOut, status_code=201, tags=["medications"])
def new_medication(
    patient_id: uuid.UUID, body: MedicationIn, caller: CallerDep, session: SessionDep
) -> MedicationOut:
    view = add_medication(session, caller.actor, caller.purpose, patient_id, **body.model_dump())
    return MedicationOut.model_validate(view)


@router.patch(MEDS + "/{medication_id}", response_model=MedicationOut, tags=["medications"])
def change_medication(
    patient_id: uuid.UUID,
    medication_id: uuid.UUID,
    body: MedicationPatch,
    caller: CallerDep,
    session: SessionDep,
) -> MedicationOut:
    view = update_medication(
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        medication_id,
        **body.model_dump(exclude_unset=True),
    )
    return MedicationOut.model_validate(view)


@router.delete(MEDS + "/{medication_id}", status_code=204, tags=["medications"])
def remove_medication(
    patient_id: uuid.UUID, medication_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> Response:
    delete_medication(session, caller.actor, caller.purpose, patient_id, medication_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(FAMILY, response_model=list[FamilyHistoryOut], tags=["family history"])
def family_history(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> list[FamilyHistoryOut]:
    views = list_family_history(session, caller.actor, caller.purpose, patient_id)
    return [FamilyHistoryOut.model_validate(v) for v in views]


@router.post(FAMILY, response_model=FamilyHistoryOut, status_code=201, tags=["family history"])
def new_family_history(
    patient_id: uuid.UUID, body: FamilyHistoryIn, caller: CallerDep, session: SessionDep
) -> FamilyHistoryOut:
    view = add_family_history(
        session, caller.actor, caller.purpose, patient_id, **body.model_dump()
    )
    return FamilyHistoryOut.model_validate(view)


@router.patch(FAMILY + "/{entry_id}", response_model=FamilyHistoryOut, tags=["family history"])
def change_family_history(
    patient_id: uuid.UUID,
    entry_id: uuid.UUID,
    body: FamilyHistoryPatch,
    caller: CallerDep,
    session: SessionDep,
) -> FamilyHistoryOut:
    view = update_family_history(
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        entry_id,
        **body.model_dump(exclude_unset=True),
    )
    return FamilyHistoryOut.model_validate(view)


@router.delete(FAMILY + "/{entry_id}", status_code=204, tags=["family history"])
def remove_family_history(
    patient_id: uuid.UUID, entry_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> Response:
    delete_family_history(session, caller.actor, caller.purpose, patient_id, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
