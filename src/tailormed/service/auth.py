"""Request plumbing: the service state, one session per request, bearer-token callers.

Every API request carries ``Authorization: Bearer <token>``; :func:`current_caller`
resolves it with :func:`tailormed.record.authenticate` (a bad token is audited by the
record layer and answered with 401). The caller's *purpose* of use is the
``X-Purpose`` header (``treatment``, ``research`` or ``operations``); without it,
patients and clinicians act for ``treatment`` and admins for ``operations``. The record
layer then checks consent for every patient-data access; the routes add role checks
where an endpoint is meant for one role only (:func:`require_role`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tailormed.knowledge import KnowledgeBase
from tailormed.record import Actor, AuthorizationError, Purpose, Role, authenticate
from tailormed.record.access import PURPOSES_ALLOWED, deny_anonymous
from tailormed.service.cds_auth import CdsAuthError, CdsClients, looks_like_jwt
from tailormed.service.settings import Settings

DEFAULT_PURPOSE: dict[str, Purpose] = {
    "patient": "treatment",
    "clinician": "treatment",
    "admin": "operations",
}


@dataclass(frozen=True, slots=True)
class ServiceState:
    """What the app opened at startup (``app.state.tailormed``)."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    kb: KnowledgeBase
    cds_clients: CdsClients | None = None  # registered EHRs that sign JWTs (CDS Hooks)


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: who, and for which purpose of use."""

    actor: Actor
    purpose: Purpose

    @property
    def role(self) -> Role:
        return self.actor.role


def get_state(request: Request) -> ServiceState:
    state = getattr(request.app.state, "tailormed", None)
    if state is None:  # pragma: no cover - only when the lifespan did not run
        raise HTTPException(503, "the service is starting or its database is not open")
    return cast(ServiceState, state)


def get_session(state: Annotated[ServiceState, Depends(get_state)]) -> Iterator[Session]:
    """One SQLAlchemy session per request; every record call on it is its own transaction."""
    with state.sessions() as session:
        yield session


bearer_scheme = HTTPBearer(auto_error=False, description="A Tailormed bearer token")


def unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def _purpose(actor: Actor, x_purpose: str | None) -> Purpose:
    if x_purpose is None:
        return DEFAULT_PURPOSE[actor.role]
    if x_purpose in PURPOSES_ALLOWED:
        return cast(Purpose, x_purpose)
    raise HTTPException(422, f"unknown purpose {x_purpose!r}")


PurposeHeader = Annotated[
    str | None,
    Header(description="Purpose of use: treatment (default), research or operations"),
]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]


def _token(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    return credentials.credentials.strip()


def current_caller(
    session: Annotated[Session, Depends(get_session)],
    credentials: Credentials,
    x_purpose: PurposeHeader = None,
) -> Caller:
    """The authenticated caller, or 401."""
    token = _token(credentials)
    try:
        actor = authenticate(session, token)
    except AuthorizationError:
        raise unauthorized("invalid or revoked token") from None
    return Caller(actor, _purpose(actor, x_purpose))


def cds_caller(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    state: Annotated[ServiceState, Depends(get_state)],
    credentials: Credentials,
    x_purpose: PurposeHeader = None,
) -> Caller:
    """For the CDS Hooks routes: a Tailormed token, or a registered EHR's signed JWT
    (:mod:`tailormed.service.cds_auth`), which acts as its clinician account."""
    token = _token(credentials)
    if state.cds_clients is None or not looks_like_jwt(token):
        return current_caller(session, credentials, x_purpose)
    public = state.settings.public_url
    audience = f"{public}{request.url.path}" if public else str(request.url.replace(query=""))
    try:
        user_id = state.cds_clients.verify(token, audience.rstrip("?"))
    except CdsAuthError as exc:
        with contextlib.suppress(AuthorizationError):  # audited, then refused here
            deny_anonymous(session, action="cds", entity_type="cds_client", reason=str(exc))
        raise unauthorized(str(exc)) from None
    actor = Actor(user_id, "clinician")
    return Caller(actor, _purpose(actor, x_purpose))


def require_role(*roles: Role) -> Callable[[Caller], Caller]:
    """A dependency: the caller, if their role is one of ``roles`` (else 403)."""

    def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in roles:
            raise HTTPException(403, f"this endpoint is for role(s): {', '.join(roles)}")
        return caller

    return check


def require_cds_clinician(caller: Annotated[Caller, Depends(cds_caller)]) -> Caller:
    """A CDS caller acting as a clinician (else 403)."""
    if caller.role != "clinician":
        raise HTTPException(403, "CDS services are for clinician accounts")
    return caller


SessionDep = Annotated[Session, Depends(get_session)]
CallerDep = Annotated[Caller, Depends(current_caller)]
StateDep = Annotated[ServiceState, Depends(get_state)]
