"""REST API: uploads that become stored results.

``POST /patients/{id}/uploads/vcf`` (multipart: ``file``, optional ``outside`` TSV and
``sample``), ``.../uploads/outside`` (``file``, optional ``sample``) and
``.../uploads/fhir`` (``file``: a Genomics Reporting Bundle). Each:

1. checks that the caller may see the record at all (so strangers cannot make the
   service do work for a record that is not theirs);
2. spools the upload into a private temporary folder, hashing it (bodies over the
   configured cap were already refused with 413 by :mod:`.limits`);
3. runs calling and :func:`~tailormed.recommend.build_interpretation` in the request's
   worker thread; unusable input → 422 with the :class:`InputError` message, and
   nothing is stored;
4. stores upload and result with :func:`tailormed.record.add_result`, one transaction
   (which checks write access again); the temporary folder is removed in every case.

The response is the new result's summary (201).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.recommend import Interpretation
from tailormed.record import UploadInfo, add_result, get_patient
from tailormed.record.results import UploadKind
from tailormed.service import imports
from tailormed.service.auth import Caller, CallerDep, SessionDep, StateDep
from tailormed.service.jsonguard import json_problem
from tailormed.service.schemas import ResultSummary

router = APIRouter(tags=["uploads"])

SampleField = Annotated[
    str | None,
    Form(max_length=200, description="The sample to import (needed for multi-sample files)"),
]


def _store(
    session: Session,
    caller: Caller,
    patient_id: uuid.UUID,
    interpretation: Interpretation,
    kind: UploadKind,
    main: imports.Spooled,
) -> ResultSummary:
    info = UploadInfo(kind, main.sha256, main.size, main.filename)
    view = add_result(session, caller.actor, caller.purpose, patient_id, interpretation, info)
    return ResultSummary.of(view)


def _check_json(upload: imports.Spooled) -> None:
    """Refuse a bundle nested too deeply to parse, or holding NUL, naming file and line."""
    found = json_problem(upload.path.read_bytes())
    if found is not None:
        raise InputError(found[0], path=upload.filename, line=found[1])


def _precheck(session: Session, caller: Caller, patient_id: uuid.UUID) -> None:
    get_patient(session, caller.actor, caller.purpose, patient_id)


@router.post("/patients/{patient_id}/uploads/vcf", response_model=ResultSummary, status_code=201)
def upload_vcf(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="VCF, VCF.gz or BCF")],
    outside: Annotated[
        UploadFile | None, File(description="Optional outside calls (TSV), e.g. CYP2D6")
    ] = None,
    sample: SampleField = None,
) -> ResultSummary:
    """Call and interpret a VCF (plus optional outside calls) and store the result."""
    _precheck(session, caller, patient_id)
    with imports.spooled(state.settings.upload_dir) as folder:
        vcf = imports.spool(file.file, folder, file.filename, "upload.vcf")
        extra = (
            imports.spool(outside.file, folder, outside.filename, "outside.tsv")
            if outside
            else None
        )
        interpretation = imports.interpret_vcf(vcf, state.kb, sample=sample, outside=extra)
    return _store(session, caller, patient_id, interpretation, "vcf", vcf)


@router.post(
    "/patients/{patient_id}/uploads/outside", response_model=ResultSummary, status_code=201
)
def upload_outside(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="Outside calls: gene <TAB> diplotype ...")],
    sample: SampleField = None,
) -> ResultSummary:
    """Interpret outside calls (another lab's diplotypes) and store the result."""
    _precheck(session, caller, patient_id)
    with imports.spooled(state.settings.upload_dir) as folder:
        tsv = imports.spool(file.file, folder, file.filename, "outside.tsv")
        interpretation = imports.interpret_outside(tsv, state.kb, sample=sample)
    return _store(session, caller, patient_id, interpretation, "outside", tsv)


@router.post("/patients/{patient_id}/uploads/fhir", response_model=ResultSummary, status_code=201)
def upload_fhir(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
    file: Annotated[UploadFile, File(description="FHIR Bundle (Genomics Reporting) JSON")],
) -> ResultSummary:
    """Import the Genotype observations of a FHIR Bundle, interpret and store them."""
    _precheck(session, caller, patient_id)
    with imports.spooled(state.settings.upload_dir) as folder:
        bundle = imports.spool(file.file, folder, file.filename, "bundle.json")
        _check_json(bundle)
        interpretation = imports.interpret_fhir(bundle, state.kb)
    return _store(session, caller, patient_id, interpretation, "fhir", bundle)
