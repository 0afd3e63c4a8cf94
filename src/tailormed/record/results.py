"""Stored results: one sample's calls and interpretation, imported from an upload.

:func:`add_result` writes the upload row, the uploaded files (sealed, in 1 MiB chunks,
for the patient's export) and the result row in one transaction (with its audit
event): an error anywhere leaves nothing behind. Calls and interpretation are
stored as the stage JSON (``GeneCall.to_json`` / ``Interpretation.to_json``), encrypted,
and come back as the same frozen dataclasses.

What a reader gets depends on their access (:class:`~tailormed.record.access.Access`):
the whole result for the patient or a scope-``all`` consent; for scope ``genes`` only
the calls, phenotypes and drug reports of the listed genes (a drug only when every gene
its guidelines use is listed); for scope ``reports`` phenotypes and drug reports, and
calls without their per-variant evidence. Partial views never include the
interpretation's medication list or patient factors, and a ``genes`` view keeps only the
limitation sentences that name no gene outside its list (knowledge-base notes naming no
gene stay), ending with :data:`WITHHELD_LIMITATIONS` when any was withheld.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

import tailormed
from tailormed.calling.models import GeneCall
from tailormed.errors import InputError
from tailormed.knowledge import OUTSIDE_CALL_GENES, load_kb
from tailormed.recommend.models import Interpretation
from tailormed.record import clock
from tailormed.record.access import Access, Actor, Purpose, operation
from tailormed.record.errors import NotFoundError
from tailormed.record.models import UPLOAD_KINDS, Result, Upload, UploadChunk

UploadKind = Literal["vcf", "outside", "fhir"]
ReadAction = Literal["read", "cds"]
CHUNK = 1024 * 1024
WITHHELD_LIMITATIONS = (
    "Limitations that concern genes outside the scope of this consent or share are not shown."
)


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An uploaded file to keep (encrypted) for the patient's export.

    ``part`` is the upload's field (``file``, ``outside``); ``path`` is where it can be
    read now (the service's in-memory spool); ``sha256`` / ``size`` what was received.
    """

    part: str
    filename: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class UploadInfo:
    """What the service knows about the file a result came from (and the files to keep)."""

    kind: UploadKind
    sha256: str
    size_bytes: int
    original_filename: str | None = None
    files: tuple[StoredFile, ...] = ()

    def validate(self) -> None:
        if self.kind not in UPLOAD_KINDS:
            raise InputError(f"unknown upload kind {self.kind!r}")
        if not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise InputError("upload sha256 must be 64 lowercase hex digits")
        if self.size_bytes < 0:
            raise InputError("upload size must not be negative")
        if len({f.part for f in self.files}) != len(self.files):
            raise InputError("each uploaded part may be kept once")


@dataclass(frozen=True, slots=True)
class ResultView:
    """A stored result, decrypted and limited to what the reader may see.

    ``scope`` is ``"all"`` for a complete result, ``"partial"`` when genes or evidence
    were withheld.
    """

    id: uuid.UUID
    patient_id: uuid.UUID
    upload_id: uuid.UUID
    upload_kind: str
    sample: str
    kb_version: str
    tailormed_version: str
    created_at: datetime
    calls: tuple[GeneCall, ...]
    interpretation: Interpretation
    scope: Literal["all", "partial"]


def _strip_evidence(call: dict[str, Any]) -> dict[str, Any]:
    return {**call, "supporting_variants": {}, "genotypes": []}


def limit_calls(calls: list[dict[str, Any]], access: Access) -> list[dict[str, Any]]:
    """The stored calls JSON cut down to ``access``."""
    if access.full:
        return calls
    out = []
    for call in calls:
        if call.get("gene") in access.genes:
            out.append(call)
        elif access.reports:
            out.append(_strip_evidence(call))
    return out


def _gene_names(interp: dict[str, Any]) -> set[str]:
    """Every gene symbol a limitation sentence of ``interp`` could name."""
    kb = load_kb()
    names = set(kb.genes) | set(OUTSIDE_CALL_GENES) | {g for d in kb.drugs for g in d.genes}
    names |= {c.get("gene", "") for c in interp.get("calls", [])}
    names |= {p.get("gene", "") for p in interp.get("phenotypes", [])}
    names |= {g for d in interp.get("drugs", []) for g in d.get("genes", ())}
    return {n for n in names if n}


def _named_genes(sentence: str, names: set[str]) -> set[str]:
    """The gene symbols ``sentence`` names as whole words (CYP2C9 is not in CYP2C19)."""
    found = set()
    for token in re.findall(r"[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*", sentence.upper()):
        parts = re.split(r"([-_])", token)
        # every hyphen/underscore prefix: "HLA-B-positive" names HLA-B, "MT_RNR1" MT-RNR1
        for end in range(1, len(parts) + 1, 2):
            prefix = "".join(parts[:end])
            for name in (prefix, prefix.replace("_", "-")):
                if name in names:
                    found.add(name)
    return found


def limit_limitations(interp: dict[str, Any], allowed: frozenset[str]) -> list[str]:
    """The limitation sentences that name no gene outside ``allowed``, then a note if any
    sentence was withheld."""
    names = _gene_names(interp)
    kept, withheld = [], False
    for sentence in interp.get("limitations", []):
        if _named_genes(sentence, names) <= allowed:
            kept.append(sentence)
        else:
            withheld = True
    return [*kept, WITHHELD_LIMITATIONS] if withheld else kept


def limit_interpretation(interp: dict[str, Any], access: Access) -> dict[str, Any]:
    """The stored interpretation JSON cut down to ``access``."""
    if access.full:
        return interp

    def gene_ok(gene: str) -> bool:
        return access.reports or gene in access.genes

    limitations = interp.get("limitations", [])
    if not access.reports:
        limitations = limit_limitations(interp, access.genes)
    return {
        **interp,
        "calls": limit_calls(interp.get("calls", []), access),
        "phenotypes": [p for p in interp.get("phenotypes", []) if gene_ok(p["gene"])],
        "drugs": [d for d in interp.get("drugs", []) if all(gene_ok(g) for g in d["genes"])],
        "medications": [],
        "resolved_medications": [],
        "factors": {},
        "limitations": limitations,
    }


def result_view(row: Result, upload_kind: str, access: Access) -> ResultView:
    interp = limit_interpretation(row.interpretation, access)
    interpretation = Interpretation.from_json(interp)
    calls = tuple(
        GeneCall.from_json(interpretation.sample, c) for c in limit_calls(row.calls, access)
    )
    return ResultView(
        id=row.id,
        patient_id=row.patient_id,
        upload_id=row.upload_id,
        upload_kind=upload_kind,
        sample=row.sample,
        kb_version=row.kb_version,
        tailormed_version=row.tailormed_version,
        created_at=row.created_at,
        calls=calls,
        interpretation=interpretation,
        scope="all" if access.full else "partial",
    )


def _store_files(
    session: Session, patient_id: uuid.UUID, upload: Upload, files: Sequence[StoredFile]
) -> None:
    """Seal each file into :data:`CHUNK`-sized rows, checking it is what was received."""
    kept = []
    for f in files:
        digest, size, seq = hashlib.sha256(), 0, 0
        with open(f.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                session.add(
                    UploadChunk(
                        id=uuid.uuid4(),
                        upload_id=upload.id,
                        patient_id=patient_id,
                        part=f.part,
                        seq=seq,
                        data=chunk,
                    )
                )
                seq += 1
                if seq % 16 == 0:
                    session.flush()  # bounded memory for large files
        if (digest.hexdigest(), size) != (f.sha256, f.size):
            raise InputError("the file changed while it was stored", path=f.filename)
        kept.append({"part": f.part, "filename": f.filename, "sha256": f.sha256, "size": f.size})
    upload.files = kept
    session.flush()


def _store_result(
    session: Session,
    patient_id: uuid.UUID,
    upload: Upload,
    interpretation: Interpretation,
    calls: Sequence[GeneCall],
    tailormed_version: str,
) -> Result:
    row = Result(
        id=uuid.uuid4(),
        patient_id=patient_id,
        upload_id=upload.id,
        sample=interpretation.sample,
        kb_version=interpretation.kb_version,
        tailormed_version=tailormed_version,
        calls=[c.to_json() for c in calls],
        interpretation=interpretation.to_json(),
        created_at=clock.utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def add_result(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    interpretation: Interpretation,
    upload: UploadInfo,
    *,
    calls: Sequence[GeneCall] | None = None,
    tailormed_version: str | None = None,
) -> ResultView:
    """Store a result and the upload it came from, atomically.

    ``calls`` defaults to ``interpretation.calls``. Needs write access: the patient, or
    a clinician with a treatment consent of scope ``all``.
    """
    upload.validate()
    with operation(session, actor, purpose, "create", "result") as op:
        access = op.write_access(patient_id)
        up = Upload(
            id=uuid.uuid4(),
            patient_id=patient_id,
            kind=upload.kind,
            original_filename=upload.original_filename,
            sha256=upload.sha256,
            size_bytes=upload.size_bytes,
            status="imported",
            created_at=clock.utcnow(),
        )
        session.add(up)
        session.flush()
        _store_files(session, patient_id, up, upload.files)
        row = _store_result(
            session,
            patient_id,
            up,
            interpretation,
            interpretation.calls if calls is None else calls,
            tailormed_version or tailormed.__version__,
        )
        op.entity_id = str(row.id)
        return result_view(row, up.kind, access)


def list_results(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    audit_action: ReadAction = "read",
) -> list[ResultView]:
    """Every stored result of the patient, newest first, limited to the actor's access.

    ``audit_action="cds"`` records the read as a CDS Hooks call (the service's card
    lookups) instead of a plain read.
    """
    with operation(session, actor, purpose, audit_action, "result") as op:
        access = op.read_access(patient_id)
        rows = session.execute(
            select(Result, Upload.kind)
            .join(Upload, Upload.id == Result.upload_id)
            .where(Result.patient_id == patient_id)
            .order_by(Result.created_at.desc(), Result.id)
        ).all()
        op.detail = f"{len(rows)} results"
        return [result_view(r, kind, access) for r, kind in rows]


def get_result(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    result_id: uuid.UUID,
    *,
    audit_action: ReadAction = "read",
) -> ResultView:
    """One result of the patient (:class:`NotFoundError` if it is not theirs)."""
    entity = str(result_id)
    with operation(session, actor, purpose, audit_action, "result", entity_id=entity) as op:
        access = op.read_access(patient_id)
        found = session.execute(
            select(Result, Upload.kind)
            .join(Upload, Upload.id == Result.upload_id)
            .where(Result.id == result_id, Result.patient_id == patient_id)
        ).first()
        if found is None:
            raise NotFoundError("no such result for this patient", record=f"result {result_id}")
        return result_view(found[0], found[1], access)
