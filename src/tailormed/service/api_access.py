"""REST API: consents and share links; and the public share page.

* ``GET/POST /patients/{id}/consents``, ``POST /patients/{id}/consents/{cid}/revoke``:
  the patient grants (to a user or an organisation, for treatment or research, scope
  ``all`` / ``genes`` / ``reports``, optional expiry); the patient, an admin or the
  grantee revokes; revoked consents stay listed;
* ``GET/POST /patients/{id}/shares``, ``POST /patients/{id}/shares/{sid}/revoke``: the
  patient makes a time-limited link (at most 90 days); the token and the link
  ``/share/<token>`` are returned once, only the token's hash is stored;
* ``GET /share/{token}`` (no login): the shared report (HTML, or ``?format=pdf|json``),
  audited as a ``share`` disclosure; a wrong, expired or revoked token gets 403.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.security import HTTPAuthorizationCredentials

from tailormed.errors import InputError
from tailormed.recommend import Interpretation
from tailormed.record import (
    NotFoundError,
    authenticate,
    clock,
    create_share,
    grant_consent,
    list_consents,
    list_shares,
    resolve_share,
    revoke_consent,
    revoke_share,
)
from tailormed.record.errors import AuthorizationError
from tailormed.service.auth import CallerDep, SessionDep, StateDep, bearer_scheme, unauthorized
from tailormed.service.rendering import MEDIA_TYPES, render_report
from tailormed.service.schemas import ConsentIn, ConsentOut, ShareCreated, ShareIn, ShareOut

router = APIRouter()
public = APIRouter()


# ----------------------------------------------------------------------- consents
@router.get("/patients/{patient_id}/consents", response_model=list[ConsentOut], tags=["consents"])
def consents(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> list[ConsentOut]:
    """The patient's consents, active and past (the patient, admins)."""
    views = list_consents(session, caller.actor, caller.purpose, patient_id)
    return [ConsentOut.model_validate(v) for v in views]


@router.post(
    "/patients/{patient_id}/consents",
    response_model=ConsentOut,
    status_code=201,
    tags=["consents"],
)
def grant(
    patient_id: uuid.UUID, body: ConsentIn, caller: CallerDep, session: SessionDep
) -> ConsentOut:
    """The patient lets a clinician (or an organisation's clinicians) see their record."""
    view = grant_consent(
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        grantee_user_id=body.grantee_user_id,
        grantee_organisation=body.grantee_organisation,
        consent_purpose=body.purpose,
        scope=body.scope,
        genes=body.genes,
        expires_at=body.expires_at,
    )
    return ConsentOut.model_validate(view)


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/revoke",
    response_model=ConsentOut,
    tags=["consents"],
)
def revoke(
    patient_id: uuid.UUID, consent_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ConsentOut:
    """End a consent now (the patient, an admin, or the grantee giving it up)."""
    view = revoke_consent(session, caller.actor, caller.purpose, patient_id, consent_id)
    return ConsentOut.model_validate(view)


# ------------------------------------------------------------------------- shares
@router.get("/patients/{patient_id}/shares", response_model=list[ShareOut], tags=["shares"])
def shares(patient_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> list[ShareOut]:
    """The patient's share links, live and dead (the patient, admins)."""
    views = list_shares(session, caller.actor, caller.purpose, patient_id)
    return [ShareOut.model_validate(v) for v in views]


@router.post(
    "/patients/{patient_id}/shares",
    response_model=ShareCreated,
    status_code=201,
    tags=["shares"],
)
def share(
    patient_id: uuid.UUID,
    body: ShareIn,
    caller: CallerDep,
    session: SessionDep,
    state: StateDep,
) -> ShareCreated:
    """A time-limited link to part of the record (the patient); the token is shown once."""
    expires = clock.utcnow() + timedelta(days=body.expires_in_days)
    view, token = create_share(
        session,
        caller.actor,
        caller.purpose,
        patient_id,
        expires_at=expires,
        scope=body.scope,
        genes=body.genes,
    )
    url = f"{state.settings.public_url or ''}/share/{token}"
    return ShareCreated(share=ShareOut.model_validate(view), token=token, url=url)


@router.post(
    "/patients/{patient_id}/shares/{share_id}/revoke", response_model=ShareOut, tags=["shares"]
)
def unshare(
    patient_id: uuid.UUID, share_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ShareOut:
    """Stop a share link working (the patient, an admin)."""
    view = revoke_share(session, caller.actor, caller.purpose, patient_id, share_id)
    return ShareOut.model_validate(view)


# ------------------------------------------------------------------ public share
@public.get(
    "/share/{token}",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}, "application/json": {}}}},
    tags=["shares"],
)
def shared(
    token: str,
    session: SessionDep,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    format: Annotated[Literal["html", "pdf", "json"], Query()] = "html",
) -> Response:
    """What a share link shows: the newest result's report (JSON: the shared export).

    No login needed: the token is the credential, until it expires or is revoked. A
    signed-in user may send their bearer token too, so the disclosure is audited to them.
    """
    actor = None
    if credentials is not None:
        try:
            actor = authenticate(session, credentials.credentials.strip())
        except AuthorizationError:
            raise unauthorized("invalid or revoked token") from None
    if len(token) > 200:
        raise InputError("not a share token")
    data: dict[str, Any] = resolve_share(session, token, actor=actor)
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if format == "json":
        return Response(json.dumps(data), media_type=MEDIA_TYPES["json"], headers=headers)
    if not data["results"]:
        raise NotFoundError("this share holds no results yet")
    newest = data["results"][-1]
    interpretation = Interpretation.from_json(newest["interpretation"])
    body = render_report(interpretation, state.kb, format)
    return Response(body, media_type=MEDIA_TYPES[format], headers=headers)
