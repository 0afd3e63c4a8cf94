"""REST API: the clinical domains' documents, findings and report sections of a patient.

* ``PUT /patients/{id}/documents/{kind}``: a new version of a document (the body is
  checked by the kind's registered model, :mod:`.documents`); the domain's findings are
  computed from the patient's documents and stored with it. Write access (the patient,
  or a treatment consent of scope ``all``).
* ``GET /patients/{id}/documents`` / ``GET .../documents/{kind}``: the newest versions
  (full access); ``DELETE .../documents/{kind}``: every version (write access); the
  domain's findings are recomputed from what remains.
* ``GET /patients/{id}/findings``: the stored findings, most severe first (full access,
  or scope ``reports`` without per-variant evidence).
* ``GET /patients/{id}/sections``: the report sections, computed now from the documents
  (or, for scope ``reports``, from the stored findings).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Body, Response, status
from pydantic import BaseModel

from tailormed.findings import FindingModel, SectionModel
from tailormed.record import (
    delete_document,
    get_document,
    list_documents,
    list_findings,
    put_document,
    replace_findings,
)
from tailormed.record.documents import domain_of
from tailormed.service.auth import CallerDep, SessionDep, StateDep
from tailormed.service.documents import (
    SectionInputs,
    compute_sections,
    newest_interpretation,
    patient_documents,
    patient_sections,
    refresh_findings,
    section_provider,
    validate_body,
)

router = APIRouter(tags=["clinical domains"])
DOCS = "/patients/{patient_id}/documents"


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    version: int
    body: Any
    created_by: uuid.UUID
    created_at: datetime


class StoredFindingOut(BaseModel):
    id: uuid.UUID
    document_id: uuid.UUID | None
    created_at: datetime
    scope: str
    finding: FindingModel


def _out(v: Any) -> DocumentOut:
    return DocumentOut(
        id=v.id,
        kind=v.kind,
        version=v.version,
        body=v.body,
        created_by=v.created_by,
        created_at=v.created_at,
    )


@router.put(DOCS + "/{kind}", response_model=DocumentOut)
def put(
    patient_id: uuid.UUID,
    kind: str,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    body: Any = Body(...),  # noqa: B008 (FastAPI's way to take any JSON body)
) -> DocumentOut:
    """Store a new version of a clinical document and recompute its domain's findings."""
    docs = patient_documents(session, caller.actor, caller.purpose, patient_id)
    if docs is None:  # the record refuses (audited) before looking at kind or body
        put_document(session, caller.actor, caller.purpose, patient_id, kind, body)
        docs = {}
    domain = domain_of(kind)
    clean = validate_body(kind, body)
    # Compute first (a provider error is a 422 before anything is stored).
    docs[kind] = clean
    findings = None
    if section_provider(domain) is not None:
        interp = newest_interpretation(session, caller.actor, caller.purpose, patient_id)
        inputs = SectionInputs(str(patient_id), state.kb, interp)
        findings = [f for s in compute_sections(docs, inputs, domain=domain) for f in s.findings]
    view = put_document(session, caller.actor, caller.purpose, patient_id, kind, clean)
    if findings is not None:
        replace_findings(
            session,
            caller.actor,
            caller.purpose,
            patient_id,
            domain,
            findings,
            document_id=view.id,
        )
    return _out(view)


@router.get(DOCS, response_model=list[DocumentOut])
def documents(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> list[DocumentOut]:
    return [_out(v) for v in list_documents(session, caller.actor, caller.purpose, patient_id)]


@router.get(DOCS + "/{kind}", response_model=DocumentOut)
def document(
    patient_id: uuid.UUID, kind: str, caller: CallerDep, session: SessionDep
) -> DocumentOut:
    return _out(get_document(session, caller.actor, caller.purpose, patient_id, kind))


@router.delete(DOCS + "/{kind}", status_code=204)
def remove(
    patient_id: uuid.UUID, kind: str, caller: CallerDep, session: SessionDep, state: StateDep
) -> Response:
    """Delete every version of a document; the domain's findings follow what remains."""
    delete_document(session, caller.actor, caller.purpose, patient_id, kind)
    domain = domain_of(kind)
    docs = patient_documents(session, caller.actor, caller.purpose, patient_id) or {}
    refresh_findings(
        session, caller.actor, caller.purpose, patient_id, state.kb, domain=domain, documents=docs
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/patients/{patient_id}/findings", response_model=list[StoredFindingOut])
def findings(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep, domain: str | None = None
) -> list[StoredFindingOut]:
    views = list_findings(session, caller.actor, caller.purpose, patient_id, domain=domain)
    return [
        StoredFindingOut(
            id=v.id,
            document_id=v.document_id,
            created_at=v.created_at,
            scope=v.scope,
            finding=FindingModel.of(v.finding),
        )
        for v in views
    ]


@router.get("/patients/{patient_id}/sections", response_model=list[SectionModel])
def sections(
    patient_id: uuid.UUID, caller: CallerDep, session: SessionDep, state: StateDep
) -> list[SectionModel]:
    found = patient_sections(
        session, caller.actor, caller.purpose, patient_id, state.kb, strict=True
    )
    return [SectionModel.of(s) for s in found]
