"""Uploads from the web UI: a patient adds their own result, a clinician one for a patient.

``POST /ui/me/uploads`` and ``POST /ui/patients/{id}/uploads`` (multipart: ``csrf_token``
first, ``kind`` = ``vcf`` / ``outside`` / ``fhir``, ``file``, for a VCF optionally
``outside`` and ``sample``). The body streams into the sealed spool like the API's
(:func:`tailormed.service.api_uploads.receive_and_import`); the CSRF token and the
request's origin are checked when the first file part begins, before a byte of it is
kept. The record layer decides who may add a result (the patient, or a clinician with a
treatment consent of scope ``all``). Success redirects to the new result.
"""

from __future__ import annotations

import uuid

from fastapi import Request, Response

from tailormed.service.api_uploads import receive_and_import
from tailormed.service.auth import get_state
from tailormed.service.ui.common import DB, KB, PURPOSE, Viewer, _redirect, router
from tailormed.service.ui.session import Me, _patient_id, _require_clinician, verify_csrf


async def _upload(request: Request, me: Viewer, session: DB, kb: KB, pid: uuid.UUID) -> uuid.UUID:
    def csrf_first(fields: dict[str, str]) -> None:
        verify_csrf(request, fields.get("csrf_token", ""))

    view = await receive_and_import(
        request,
        session,
        me.actor,
        PURPOSE,
        pid,
        None,  # the form's "kind" field says which
        kb,
        get_state(request).settings.upload_dir,
        before_files=csrf_first,
    )
    return view.id


@router.post("/me/uploads")
async def my_upload(request: Request, me: Me, session: DB, kb: KB) -> Response:
    rid = await _upload(request, me, session, kb, _patient_id(me))
    return _redirect(f"/ui/me?result={rid}&done=uploaded")


@router.post("/patients/{pid}/uploads")
async def patient_upload(request: Request, me: Me, session: DB, kb: KB, pid: uuid.UUID) -> Response:
    _require_clinician(me)
    rid = await _upload(request, me, session, kb, pid)
    return _redirect(f"/ui/patients/{pid}?result={rid}&done=uploaded")
