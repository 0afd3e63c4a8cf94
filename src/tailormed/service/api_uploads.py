"""REST API: uploads that become stored results.

``POST /patients/{id}/uploads/vcf`` (multipart: ``file``, optional ``outside`` TSV and
``sample``), ``.../uploads/outside`` (``file``, optional ``sample``) and
``.../uploads/fhir`` (``file``: a Genomics Reporting Bundle). Each:

1. checks that the caller may see the record at all (so strangers cannot make the
   service do work for a record that is not theirs);
2. streams the body into the sealed spool (:mod:`.spool`, :mod:`.multipart`): on disk
   only ever as ciphertext under a key that lives in memory (bodies over the configured
   cap are cut off with 413 by :mod:`.limits`);
3. runs calling and :func:`~tailormed.recommend.build_interpretation` in a worker thread
   on the plaintext held in memory; unusable input → 422 with the
   :class:`InputError` message, and nothing is stored;
4. stores upload, result and the uploaded files themselves (encrypted, for the patient's
   export) with :func:`tailormed.record.add_result`, one transaction (which checks write
   access again); the spool folder is removed in every case.

The response is the new result's summary (201).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation
from tailormed.record import Actor, Purpose, ResultView, UploadInfo, add_result, get_patient
from tailormed.record.results import StoredFile, UploadKind
from tailormed.service import imports
from tailormed.service.auth import CallerDep, SessionDep, StateDep
from tailormed.service.documents import refresh_findings
from tailormed.service.jsonguard import json_problem
from tailormed.service.multipart import Received, receive_upload
from tailormed.service.schemas import ResultSummary
from tailormed.service.spool import Spooled, SpoolFolder

router = APIRouter(tags=["uploads"])
MAX_SAMPLE = 200


@dataclass(frozen=True, slots=True)
class UploadKindSpec:
    """One kind of upload: its file fields (with default names) and text fields."""

    kind: UploadKind
    files: dict[str, str]
    fields: frozenset[str]


SAMPLE = frozenset({"sample"})
KINDS: dict[str, UploadKindSpec] = {
    "vcf": UploadKindSpec("vcf", {"file": "upload.vcf", "outside": "outside.tsv"}, SAMPLE),
    "outside": UploadKindSpec("outside", {"file": "outside.tsv"}, SAMPLE),
    "fhir": UploadKindSpec("fhir", {"file": "bundle.json"}, frozenset()),
}
# the web UI's form: any kind, named in its "kind" field (and its CSRF token)
ANY_KIND = UploadKindSpec(
    "vcf", {"file": "upload", "outside": "outside.tsv"}, frozenset({"sample", "kind", "csrf_token"})
)


def _form_doc(spec: UploadKindSpec, what: str) -> dict[str, Any]:
    """The multipart body in the OpenAPI document (the route reads the stream itself)."""
    props: dict[str, Any] = {name: {"type": "string", "format": "binary"} for name in spec.files}
    props["file"]["description"] = what
    if "outside" in props:
        props["outside"]["description"] = "Optional outside calls (TSV), e.g. CYP2D6"
    if "sample" in spec.fields:
        props["sample"] = {
            "type": "string",
            "maxLength": MAX_SAMPLE,
            "description": "The sample to import (needed for multi-sample files)",
        }
    schema = {"type": "object", "properties": props, "required": ["file"]}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


def check_json_upload(upload: Spooled) -> None:
    """Refuse a bundle nested too deeply to parse, or holding NUL, naming file and line."""
    found = json_problem(upload.path.read_bytes())
    if found is not None:
        raise InputError(found[0], path=upload.filename, line=found[1])


def interpret(
    kind: UploadKind, got: dict[str, Spooled], fields: dict[str, str], kb: KnowledgeBase
) -> Interpretation:
    """Run the stages on the spooled files of one upload."""
    sample = fields.get("sample", "").strip() or None
    if sample is not None and len(sample) > MAX_SAMPLE:
        raise InputError(f"the sample name is longer than {MAX_SAMPLE} characters")
    main = got["file"]
    if kind == "vcf":
        return imports.interpret_vcf(main, kb, sample=sample, outside=got.get("outside"))
    if kind == "outside":
        return imports.interpret_outside(main, kb, sample=sample)
    check_json_upload(main)
    return imports.interpret_fhir(main, kb)


def import_upload(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kind: UploadKind,
    folder: SpoolFolder,
    received: Received,
    kb: KnowledgeBase,
) -> ResultView:
    """Decrypt the received files into memory, interpret them, store the result (sync)."""
    got = {name: folder.open(sealed) for name, sealed in received.files.items()}
    interpretation = interpret(kind, got, received.fields, kb)
    main = got["file"]
    stored = tuple(
        StoredFile(role, f.filename, f.path, f.sha256, f.size) for role, f in got.items()
    )
    info = UploadInfo(kind, main.sha256, main.size, main.filename, files=stored)
    view = add_result(session, actor, purpose, patient_id, interpretation, info)
    # the clinical domains' stored findings follow the new genotypes (e.g. the statin choice)
    refresh_findings(session, actor, purpose, patient_id, kb)
    return view


async def receive_and_import(
    request: Request,
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kind: UploadKind | None,
    kb: KnowledgeBase,
    upload_dir: Path | None,
    *,
    before_files: Callable[[dict[str, str]], None] | None = None,
) -> ResultView:
    """The whole upload: precheck, stream into the sealed spool, import, clean up.

    ``kind`` ``None``: the form says which (a ``kind`` field, as the web UI sends it).
    """
    await run_in_threadpool(get_patient, session, actor, purpose, patient_id)
    spec = KINDS[kind] if kind is not None else ANY_KIND
    with SpoolFolder(upload_dir) as folder:
        received = await receive_upload(
            request, folder, files=spec.files, fields=spec.fields, before_files=before_files
        )
        if kind is None:
            kind = _form_kind(received)
        return await run_in_threadpool(
            import_upload, session, actor, purpose, patient_id, kind, folder, received, kb
        )


def _form_kind(received: Received) -> UploadKind:
    chosen = received.fields.get("kind", "vcf")
    if chosen not in KINDS:
        raise InputError(f"unknown kind of upload {chosen!r} (vcf, outside or fhir)")
    extra = set(received.files) - set(KINDS[chosen].files)
    if extra:
        raise InputError(f"a {chosen} upload takes no {', '.join(sorted(extra))} file")
    return cast(UploadKind, chosen)


async def _upload(
    kind: UploadKind,
    patient_id: uuid.UUID,
    request: Request,
    caller: Any,
    session: Session,
    state: Any,
) -> ResultSummary:
    view = await receive_and_import(
        request,
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        kind,
        state.kb,
        state.settings.upload_dir,
    )
    return ResultSummary.of(view)


@router.post(
    "/patients/{patient_id}/uploads/vcf",
    response_model=ResultSummary,
    status_code=201,
    openapi_extra=_form_doc(KINDS["vcf"], "VCF, VCF.gz or BCF"),
)
async def upload_vcf(
    patient_id: uuid.UUID, request: Request, caller: CallerDep, session: SessionDep, state: StateDep
) -> ResultSummary:
    """Call and interpret a VCF (plus optional outside calls) and store the result."""
    return await _upload("vcf", patient_id, request, caller, session, state)


@router.post(
    "/patients/{patient_id}/uploads/outside",
    response_model=ResultSummary,
    status_code=201,
    openapi_extra=_form_doc(KINDS["outside"], "Outside calls: gene <TAB> diplotype ..."),
)
async def upload_outside(
    patient_id: uuid.UUID, request: Request, caller: CallerDep, session: SessionDep, state: StateDep
) -> ResultSummary:
    """Interpret outside calls (another lab's diplotypes) and store the result."""
    return await _upload("outside", patient_id, request, caller, session, state)


@router.post(
    "/patients/{patient_id}/uploads/fhir",
    response_model=ResultSummary,
    status_code=201,
    openapi_extra=_form_doc(KINDS["fhir"], "FHIR Bundle (Genomics Reporting) JSON"),
)
async def upload_fhir(
    patient_id: uuid.UUID, request: Request, caller: CallerDep, session: SessionDep, state: StateDep
) -> ResultSummary:
    """Import the Genotype observations of a FHIR Bundle, interpret and store them."""
    return await _upload("fhir", patient_id, request, caller, session, state)
