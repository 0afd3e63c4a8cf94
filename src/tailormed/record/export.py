"""Export: a patient's record as one JSON-ready dict for the FHIR and PDF exporters.

Format ``tailormed.record-export/1``::

    {"schema", "exported_at", "access": {"full", "genes", "reports"},
     "patient": {"id", "display_name", "external_id", "created_at"},
     "uploads": [{"id", "kind", "original_filename", "sha256", "size_bytes", "status",
                  "created_at", "files": [{"part", "filename", "sha256", "size"}]}],
     "results": [{"id", "upload_id", "sample", "kb_version", "tailormed_version",
                  "created_at", "calls": [GeneCall JSON], "interpretation": {...}}],
     "medications": [...], "family_history": [...], "consents": [...],
     "documents": [{"id", "kind", "version", "body", "created_by", "created_at"}],
     "findings": [{"id", "document_id", "created_at", "finding": {...}}],
     "digital": {"daily", "questionnaire_responses", "alerts", "imports"}}

Ids are strings, timestamps ISO 8601 UTC; ``calls`` / ``interpretation`` are the stage
JSON (``GeneCall.to_json`` / ``Interpretation.to_json``), cut down to the reader's
access like :mod:`tailormed.record.results`. Medications, family history, uploads and
consents, clinical documents (every version) and findings appear only with full access;
the others get empty lists. ``digital`` (only with full access) holds the per-day
aggregates, questionnaire responses, alerts and import batches of
:mod:`tailormed.record.digital`; the raw points stay in their chunks.

The uploaded files themselves (the genome as it was uploaded, decrypted from its sealed
chunks and checked against its SHA-256) go to the patient alone:
:func:`export_uploaded_files`, audited as an export of its own.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.record import clock
from tailormed.record.access import Access, Actor, Purpose, operation
from tailormed.record.errors import KeyUnavailableError, NotFoundError
from tailormed.record.models import (
    ClinicalDocument,
    Consent,
    DigitalAlert,
    DigitalDay,
    DigitalImport,
    FamilyHistory,
    FindingRow,
    Medication,
    Patient,
    ProResponse,
    Result,
    Upload,
    UploadChunk,
)
from tailormed.record.results import limit_calls, limit_interpretation

SCHEMA = "tailormed.record-export/1"
EPOCH = date(1970, 1, 1)


def _ts(value: datetime | None) -> str | None:
    return None if value is None else clock.as_utc(value).isoformat()


def _id(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def build_export(session: Session, access: Access) -> dict[str, Any]:
    """The export dict for ``access`` (authorisation and audit are the caller's)."""
    pid = access.patient_id
    patient = session.get(Patient, pid)
    if patient is None:
        raise NotFoundError("no such patient", record=f"patient {pid}")
    results = session.scalars(
        select(Result).where(Result.patient_id == pid).order_by(Result.created_at, Result.id)
    ).all()
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "exported_at": _ts(clock.utcnow()),
        "access": {
            "full": access.full,
            "genes": sorted(access.genes),
            "reports": access.reports,
        },
        "patient": {
            "id": str(patient.id),
            "display_name": patient.display_name,
            "external_id": patient.external_id,
            "created_at": _ts(patient.created_at),
        },
        "results": [
            {
                "id": str(r.id),
                "upload_id": str(r.upload_id),
                "sample": r.sample,
                "kb_version": r.kb_version,
                "tailormed_version": r.tailormed_version,
                "created_at": _ts(r.created_at),
                "calls": limit_calls(r.calls, access),
                "interpretation": limit_interpretation(r.interpretation, access),
            }
            for r in results
        ],
        "uploads": [],
        "medications": [],
        "family_history": [],
        "consents": [],
        "documents": [],
        "findings": [],
    }
    if access.full:
        out["documents"] = [
            {
                "id": str(d.id),
                "kind": d.kind,
                "version": d.version,
                "body": d.body,
                "created_by": str(d.created_by),
                "created_at": _ts(d.created_at),
            }
            for d in _rows(session, ClinicalDocument, pid, ClinicalDocument.created_at)
        ]
        out["findings"] = [
            {
                "id": str(f.id),
                "document_id": _id(f.document_id),
                "created_at": _ts(f.created_at),
                "finding": f.body,
            }
            for f in _rows(session, FindingRow, pid, FindingRow.created_at)
        ]
        out["uploads"] = [_upload(u) for u in _rows(session, Upload, pid, Upload.created_at)]
        out["medications"] = [
            _medication(m) for m in _rows(session, Medication, pid, Medication.created_at)
        ]
        out["family_history"] = [
            _family(f) for f in _rows(session, FamilyHistory, pid, FamilyHistory.created_at)
        ]
        out["consents"] = [_consent(c) for c in _rows(session, Consent, pid, Consent.granted_at)]
        out["digital"] = _digital(session, pid)
    return out


def _digital(session: Session, pid: uuid.UUID) -> dict[str, Any]:
    """Digital health: per-day aggregates, questionnaire responses with scores, alerts
    and import batches (the points themselves stay in their chunks: millions of them)."""
    days = _rows(session, DigitalDay, pid, DigitalDay.day)
    return {
        "daily": [
            {"date": (EPOCH + timedelta(days=d.day)).isoformat(), **d.aggregates} for d in days
        ],
        "questionnaire_responses": [
            {"id": str(r.id), "resource": r.resource, "scores": r.scores}
            for r in _rows(session, ProResponse, pid, ProResponse.authored_at)
        ],
        "alerts": [
            {
                "id": str(a.id),
                "state": a.state,
                "created_at": _ts(a.created_at),
                "acknowledged_at": _ts(a.acknowledged_at) if a.acknowledged_at else None,
                "escalated_at": _ts(a.escalated_at) if a.escalated_at else None,
                "note": a.note,
                **a.body,
            }
            for a in _rows(session, DigitalAlert, pid, DigitalAlert.created_at)
        ],
        "imports": [
            {
                "id": str(b.id),
                "via": b.via,
                "points": b.points,
                "new_points": b.new_points,
                "created_at": _ts(b.created_at),
                **b.summary,
            }
            for b in _rows(session, DigitalImport, pid, DigitalImport.created_at)
        ],
    }


def _rows(session: Session, model: Any, pid: uuid.UUID, order: Any) -> list[Any]:
    query = select(model).where(model.patient_id == pid).order_by(order, model.id)
    return list(session.scalars(query).all())


def _upload(u: Upload) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "kind": u.kind,
        "original_filename": u.original_filename,
        "sha256": u.sha256,
        "size_bytes": u.size_bytes,
        "status": u.status,
        "created_at": _ts(u.created_at),
        "files": list(u.files or ()),
    }


def _medication(m: Medication) -> dict[str, Any]:
    return {
        "id": str(m.id),
        "name": m.name,
        "rxnorm": m.rxnorm,
        "active": m.active,
        "note": m.note,
        "created_at": _ts(m.created_at),
        "updated_at": _ts(m.updated_at),
    }


def _family(f: FamilyHistory) -> dict[str, Any]:
    return {
        "id": str(f.id),
        "relationship": f.relationship,
        "condition": f.condition,
        "genetic_result": f.genetic_result,
        "notes": f.notes,
        "created_at": _ts(f.created_at),
        "updated_at": _ts(f.updated_at),
    }


def _consent(c: Consent) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "grantee_user_id": _id(c.grantee_user_id),
        "grantee_organisation": c.grantee_organisation,
        "purpose": c.purpose,
        "scope": c.scope,
        "genes": list(c.genes or ()),
        "status": c.status,
        "granted_by": str(c.granted_by),
        "granted_at": _ts(c.granted_at),
        "expires_at": _ts(c.expires_at),
        "revoked_at": _ts(c.revoked_at),
    }


def export_patient(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> dict[str, Any]:
    """Everything the actor may see of the record, audited as an ``export``."""
    with operation(session, actor, purpose, "export", "patient", entity_id=str(patient_id)) as op:
        access = op.read_access(patient_id)
        return build_export(session, access)


@dataclass(frozen=True, slots=True)
class ExportedFile:
    """An uploaded file as it was received, for the patient's export."""

    upload_id: uuid.UUID
    part: str
    filename: str
    sha256: str
    data: bytes


def export_uploaded_files(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[ExportedFile]:
    """The files the patient's uploads kept, decrypted (the patient themself only)."""
    with operation(session, actor, purpose, "export", "upload", entity_id=str(patient_id)) as op:
        access = op.read_access(patient_id)
        if access.via != "self":
            op.deny("uploaded files are exported to the patient only")
        out = []
        for upload in _rows(session, Upload, patient_id, Upload.created_at):
            for meta in upload.files or ():
                chunks = session.scalars(
                    select(UploadChunk.data)
                    .where(UploadChunk.upload_id == upload.id, UploadChunk.part == meta["part"])
                    .order_by(UploadChunk.seq)
                ).all()
                data = b"".join(chunks)
                if hashlib.sha256(data).hexdigest() != meta["sha256"] or len(data) != meta["size"]:
                    raise KeyUnavailableError(
                        "a stored upload does not match its SHA-256",
                        record=f"upload {upload.id} {meta['part']}",
                    )
                out.append(
                    ExportedFile(upload.id, meta["part"], meta["filename"], meta["sha256"], data)
                )
        op.detail = f"{len(out)} uploaded files"
        return out
