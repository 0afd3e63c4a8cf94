"""Clinical documents and findings of the clinical domains (put, get, list, delete).

A **document** is one domain's clinical input for a patient, as validated JSON: its
``kind`` is ``<domain>.<name>`` (``cardio.factors``, ``oncology.tumor``,
``oncology.ctdna``, ``rare.phenotype``, ``rare.ranking``, ``digital.series``...). Putting a
document adds a new version (the older ones stay, for the history); reading gets the
newest; deleting removes every version of that kind. The record stays generic: it checks
the kind's shape and that the body is JSON (no NUL, bounded nesting); the *meaning* of a
body is checked by the pydantic model the service registered for the kind
(:mod:`tailormed.service.documents`) before it gets here.

A **finding** is a stored :class:`~tailormed.findings.Finding` computed from documents
(and the patient's results); :func:`replace_findings` swaps a domain's findings at once.

Access, exactly as for medications and results (:mod:`tailormed.record.access`), each call
one audited transaction with the real actor:

* documents (inputs: clinical history, factors, tumour findings, phenotypes): reading
  needs full access — the patient, or a consent of scope ``all``; changing needs write
  access (the patient, or a treatment consent of scope ``all``);
* findings (results): full access reads them all; a consent of scope ``reports`` reads
  them without their per-variant evidence (evidence of kind ``variant`` or ``genotype``),
  like the pharmacogenomic reports; a consent of scope ``genes`` (a gene list for
  pharmacogenomic results) covers no clinical domain, so it reads none.

Kinds, domains and codes are encrypted (they name conditions); their blind indexes allow
lookup without storing them in clear.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.findings import DOMAINS, Finding, FindingModel
from tailormed.jsonsafe import json_problem
from tailormed.record import clock
from tailormed.record.access import Access, Actor, Operation, Purpose, operation
from tailormed.record.crypto import keyring_for
from tailormed.record.errors import NotFoundError
from tailormed.record.models import ClinicalDocument, FindingRow

KIND = re.compile(r"(?P<domain>[a-z]+)\.[a-z0-9][a-z0-9_.-]{0,60}")
MAX_BODY_BYTES = 5 * 1024 * 1024
WITHHELD_EVIDENCE = ("variant", "genotype")


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: uuid.UUID
    patient_id: uuid.UUID
    kind: str
    version: int
    body: Any
    created_by: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, slots=True)
class FindingView:
    id: uuid.UUID
    patient_id: uuid.UUID
    finding: Finding
    document_id: uuid.UUID | None
    created_at: datetime
    scope: str  # "all", or "partial" when evidence was withheld


def domain_of(kind: str) -> str:
    """The domain of a document kind, checking the kind's shape.

    >>> domain_of("cardio.factors")
    'cardio'
    >>> domain_of("Cardio factors")
    Traceback (most recent call last):
    ...
    tailormed.errors.InputError: document kind 'Cardio factors' must be <domain>.<name> (lower case)
    """
    match = KIND.fullmatch(kind)
    if match is None:
        raise InputError(f"document kind {kind!r} must be <domain>.<name> (lower case)")
    domain = match["domain"]
    if domain not in DOMAINS:
        raise InputError(f"document kind {kind!r}: unknown domain {domain!r}")
    return domain


def check_body(body: Any) -> bytes:
    """The body as canonical JSON bytes; refuses non-JSON, NUL, deep nesting, huge bodies."""
    try:
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise InputError(f"document body is not JSON ({exc})") from None
    if len(data) > MAX_BODY_BYTES:
        raise InputError(f"document body is over {MAX_BODY_BYTES // (1024 * 1024)} MiB")
    problem = json_problem(data)
    if problem is not None:
        raise InputError(f"document body: {problem[0]}")
    return data


def _index(op: Operation, value: str, domain: str) -> list[str]:
    return keyring_for(op.session.get_bind()).blind_indexes(value, domain=domain)


def _view(row: ClinicalDocument) -> DocumentView:
    return DocumentView(
        row.id, row.patient_id, row.kind, row.version, row.body, row.created_by, row.created_at
    )


def _newest(op: Operation, patient_id: uuid.UUID, kind: str) -> ClinicalDocument | None:
    rows = op.session.scalars(
        select(ClinicalDocument)
        .where(
            ClinicalDocument.patient_id == patient_id,
            ClinicalDocument.kind_index.in_(_index(op, kind, "document-kind")),
        )
        .order_by(ClinicalDocument.version.desc())
    ).all()
    return next((r for r in rows if r.kind == kind), None)


# ---------------------------------------------------------------------- documents
def put_document(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kind: str,
    body: Any,
) -> DocumentView:
    """Store a new version of the patient's ``kind`` document (write access; the access
    is checked before the kind and body, so a refusal says nothing about them)."""
    with operation(session, actor, purpose, "create", "clinical_document") as op:
        op.clinical_access(patient_id, write=True)
        domain_of(kind)
        check_body(body)
        newest = _newest(op, patient_id, kind)
        row = ClinicalDocument(
            id=uuid.uuid4(),
            patient_id=patient_id,
            kind=kind,
            version=1 if newest is None else newest.version + 1,
            body=body,
            created_by=actor.user_id,
            created_at=clock.utcnow(),
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        op.detail = f"version {row.version}"
        return _view(row)


def get_document(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kind: str,
    *,
    audit_action: str = "read",
) -> DocumentView:
    """The newest version of the patient's ``kind`` document (:class:`NotFoundError` if
    there is none)."""
    with operation(session, actor, purpose, audit_action, "clinical_document") as op:
        op.clinical_access(patient_id)
        domain_of(kind)
        row = _newest(op, patient_id, kind)
        if row is None:
            raise NotFoundError("no such document for this patient", record=kind)
        op.entity_id = str(row.id)
        return _view(row)


def list_documents(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    domain: str | None = None,
    audit_action: str = "read",
) -> list[DocumentView]:
    """The newest version of every document kind of the patient (optionally of one
    domain), by kind."""
    with operation(session, actor, purpose, audit_action, "clinical_document") as op:
        op.clinical_access(patient_id)
        rows = session.scalars(
            select(ClinicalDocument)
            .where(ClinicalDocument.patient_id == patient_id)
            .order_by(ClinicalDocument.version.desc(), ClinicalDocument.created_at.desc())
        ).all()
        newest: dict[str, ClinicalDocument] = {}
        for r in rows:
            if domain is None or r.kind.split(".", 1)[0] == domain:
                newest.setdefault(r.kind, r)
        op.detail = f"{len(newest)} documents"
        return [_view(newest[k]) for k in sorted(newest)]


def delete_document(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, kind: str
) -> int:
    """Delete every version of the patient's ``kind`` document; returns how many."""
    with operation(session, actor, purpose, "delete", "clinical_document") as op:
        op.clinical_access(patient_id, write=True)
        domain_of(kind)
        rows = [
            r
            for r in session.scalars(
                select(ClinicalDocument).where(
                    ClinicalDocument.patient_id == patient_id,
                    ClinicalDocument.kind_index.in_(_index(op, kind, "document-kind")),
                )
            ).all()
            if r.kind == kind
        ]
        if not rows:
            raise NotFoundError("no such document for this patient", record=kind)
        for r in rows:
            session.delete(r)
        op.detail = f"{len(rows)} versions"
        return len(rows)


# ----------------------------------------------------------------------- findings
def _finding_access(op: Operation, patient_id: uuid.UUID) -> Access:
    access = op.read_access(patient_id)
    if not (access.full or access.reports):
        op.deny("the consent's scope does not cover clinical findings", consent=True)
    return access


def _finding_view(row: FindingRow, access: Access) -> FindingView:
    data = dict(row.body)
    if not access.full:
        data["evidence"] = [
            e for e in data.get("evidence", []) if e.get("kind") not in WITHHELD_EVIDENCE
        ]
    return FindingView(
        row.id,
        row.patient_id,
        FindingModel.model_validate(data).to_finding(),
        row.document_id,
        row.created_at,
        "all" if access.full else "partial",
    )


def replace_findings(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    domain: str,
    findings: Sequence[Finding],
    *,
    document_id: uuid.UUID | None = None,
) -> list[FindingView]:
    """Replace every stored finding of ``domain`` with ``findings`` (write access)."""
    if domain not in DOMAINS:
        raise InputError(f"unknown domain {domain!r}")
    for f in findings:
        if f.domain != domain:
            raise InputError(f"finding {f.code!r} is not of domain {domain!r}")
    with operation(session, actor, purpose, "update", "finding") as op:
        access = op.write_access(patient_id)
        rows = write_findings(op, patient_id, domain, findings, document_id=document_id)
        return [_finding_view(r, access) for r in rows]


def write_findings(
    op: Operation,
    patient_id: uuid.UUID,
    domain: str,
    findings: Sequence[Finding],
    *,
    document_id: uuid.UUID | None = None,
) -> list[FindingRow]:
    """Inside an operation that has checked write access: replace every stored finding of
    ``domain`` with ``findings`` (a domain that keeps its findings in step with its own
    writes, e.g. :mod:`tailormed.record.digital`, calls it in the same transaction)."""
    session = op.session
    old = [
        r.id
        for r in session.scalars(
            select(FindingRow).where(
                FindingRow.patient_id == patient_id,
                FindingRow.domain_index.in_(_index(op, domain, "finding-domain")),
            )
        ).all()
        if r.domain == domain
    ]
    if old:
        session.execute(delete(FindingRow).where(FindingRow.id.in_(old)))
    now = clock.utcnow()
    rows = []
    for f in findings:
        row = FindingRow(
            id=uuid.uuid4(),
            patient_id=patient_id,
            domain=domain,
            code=f.code,
            severity=f.severity,
            body=FindingModel.of(f).model_dump(mode="json"),
            document_id=document_id,
            created_by=op.actor.user_id,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    detail = f"{domain} findings: {len(old)} replaced by {len(rows)}"
    op.detail = f"{op.detail}; {detail}" if op.detail else detail
    return rows


def list_findings(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    domain: str | None = None,
    audit_action: str = "read",
) -> list[FindingView]:
    """The patient's stored findings (optionally of one domain), most severe first."""
    from tailormed.findings import SEVERITIES

    with operation(session, actor, purpose, audit_action, "finding") as op:
        access = _finding_access(op, patient_id)
        query = select(FindingRow).where(FindingRow.patient_id == patient_id)
        if domain is not None:
            query = query.where(FindingRow.domain_index.in_(_index(op, domain, "finding-domain")))
        rows = [
            r
            for r in session.scalars(query.order_by(FindingRow.created_at, FindingRow.id)).all()
            if domain is None or r.domain == domain
        ]
        op.detail = f"{len(rows)} findings"
        views = [_finding_view(r, access) for r in rows]
        return sorted(views, key=lambda v: SEVERITIES.index(v.finding.severity))


def count_documents(session: Session, patient_id: uuid.UUID) -> int:
    """How many document rows a patient has (no PHI; for tests and the admin's counts)."""
    with session.begin():
        n = session.scalar(
            select(func.count())
            .select_from(ClinicalDocument)
            .where(ClinicalDocument.patient_id == patient_id)
        )
    return int(n or 0)
