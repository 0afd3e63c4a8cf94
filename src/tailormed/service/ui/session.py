"""Sign-in for the web UI: the session cookie, the signed-in viewer, CSRF and origin checks.

Also the pages every visitor meets first: ``/ui`` (sends each role to its home page),
``/ui/login``, ``/ui/logout`` and the static files (CSS, the share-form script).
"""

from __future__ import annotations

import hmac
import uuid
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tailormed.record import AuthorizationError, authenticate
from tailormed.record.models import User
from tailormed.service.auth import get_state
from tailormed.service.ui.common import (
    AUTH_COOKIE,
    COOKIE_PATH,
    CSRF_COOKIE,
    DB,
    HERE,
    Viewer,
    _cookie_args,
    _login_required,
    _Page,
    _redirect,
    expected_csrf,
    render,
    router,
)

STATIC_FILES = {"ui.css": "text/css", "shared.js": "text/javascript"}


# ------------------------------------------------------------------ the signed-in viewer
def current_viewer(request: Request, session: DB) -> Viewer:
    token = request.cookies.get(AUTH_COOKIE)
    if not token:
        raise _login_required()
    try:
        actor = authenticate(session, token)
    except AuthorizationError:
        raise _login_required() from None
    with session.begin():  # account facts only (no PHI): which patient, which organisation
        user = session.get(User, actor.user_id)
        if user is None:
            raise _login_required()
        return Viewer(actor, user.patient_id, user.organisation, user.display_name)


Me = Annotated[Viewer, Depends(current_viewer)]


def _optional_viewer(request: Request, session: Session) -> Viewer | None:
    try:
        return current_viewer(request, session) if request.cookies.get(AUTH_COOKIE) else None
    except _Page:
        return None


def _patient_id(me: Viewer) -> uuid.UUID:
    if me.role != "patient" or me.patient_id is None:
        raise _Page(403, "For patients", "This page is for patients viewing their own results.")
    return me.patient_id


def _require_clinician(me: Viewer) -> None:
    if me.role != "clinician":
        raise _Page(403, "For clinicians", "This page is for clinicians.")


# ------------------------------------------------------------------ CSRF
def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _own_origins(request: Request) -> set[str]:
    """This site as the browser sees it: the request's origin, and the public URL's."""
    origins = {_origin(request)}
    public = get_state(request).settings.public_url
    if public:
        parts = urlsplit(public)
        origins.add(f"{parts.scheme}://{parts.netloc}")
    return origins


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every POST form: token match plus a same-origin Origin/Referer."""
    verify_csrf(request, csrf_token)


def verify_csrf(request: Request, csrf_token: str) -> None:
    """The CSRF check itself (uploads call it from their streaming form reader)."""
    expected = expected_csrf(request)
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        parts = urlsplit(request.headers["referer"])
        origin = f"{parts.scheme}://{parts.netloc}"
    if (
        not expected
        or not hmac.compare_digest(expected.encode(), csrf_token.encode())
        or (origin is not None and origin not in _own_origins(request))
    ):
        raise _Page(
            403,
            "Form expired",
            "This form could not be accepted (it came from another site or has expired). "
            "Go back, reload the page and try again.",
        )


CSRF = Depends(check_csrf)


# ------------------------------------------------------------------ sign-in
@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse)
def home(me: Me) -> Response:
    if me.role == "patient":
        return _redirect("/ui/me")
    if me.role == "clinician":
        return _redirect("/ui/patients")
    raise _Page(
        403,
        "Administrators",
        "Administrator accounts have no access to patient records here; manage users "
        "with the command line or the REST API.",
    )


def sign_in(request: Request, response: Response, token: str) -> None:
    """Set the session cookie (and drop the anonymous CSRF cookie)."""
    response.set_cookie(AUTH_COOKIE, token, **_cookie_args(request))
    response.delete_cookie(CSRF_COOKIE, path=COOKIE_PATH)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return render(request, "login.html.j2", me=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[CSRF])
def login(request: Request, session: DB, token: Annotated[str, Form()] = "") -> Response:
    token = token.strip()
    try:
        if not token or len(token) > 512:
            raise AuthorizationError("empty or oversized token")
        authenticate(session, token)
    except AuthorizationError:
        return render(
            request,
            "login.html.j2",
            me=None,
            status=401,
            error="That access token was not accepted. Check it and try again.",
        )
    response = _redirect("/ui/")
    sign_in(request, response, token)
    return response


@router.post("/logout", dependencies=[CSRF])
def logout() -> Response:
    response = _redirect("/ui/login")
    response.delete_cookie(AUTH_COOKIE, path=COOKIE_PATH)
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC_FILES:
        raise _Page(404, "Not found", "No such file.")
    data = (HERE / "static" / name).read_bytes()
    return Response(
        data, media_type=STATIC_FILES[name], headers={"Cache-Control": "public, max-age=3600"}
    )
