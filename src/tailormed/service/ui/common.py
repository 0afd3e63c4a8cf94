"""Shared building blocks of the web UI: settings, error pages, rendering, the router.

Every other module of :mod:`tailormed.service.ui` builds on this one: the cookie names
and page constants, :class:`_Page` (raise it to answer with a message page or a
redirect), :class:`UIRoute` (turns errors into HTML pages and adds security headers to
every response), the shared :data:`router`, the Jinja environment and :func:`render`,
and the ``DB``/``KB`` dependencies.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from tailormed import __version__
from tailormed.errors import InputError, TailormedError
from tailormed.knowledge import KnowledgeBase
from tailormed.record import (
    Actor,
    AuthorizationError,
    ConsentError,
    NotFoundError,
    Purpose,
    clock,
)
from tailormed.record.shares import MAX_SHARE_DAYS
from tailormed.report import plain
from tailormed.report.html import (
    DOMAIN_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    anchor_id,
    cell_number,
    figure_svg,
    group_sources,
    safe_url,
    split_text,
)
from tailormed.service.auth import ServiceState, get_session, get_state

# The service package: the UI's ``templates/`` and ``static/`` live beside this package.
HERE = Path(__file__).resolve().parent.parent
AUTH_COOKIE = "tm_ui_session"
CSRF_COOKIE = "tm_ui_csrf"
COOKIE_PATH = "/ui"
PURPOSE: Purpose = "treatment"
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The full report is one self-contained page with inline CSS and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
FLASH = {
    "uploaded": "The file was analysed and its result added to the record.",
    "granted": "Consent granted.",
    "revoked": "Consent revoked. That person or organisation can no longer see your results.",
    "share-revoked": "Share link revoked. It no longer works.",
    "rare-saved": "Phenotype saved and ranked.",
}


# ------------------------------------------------------------------ errors as pages
class _Page(Exception):
    """Stop handling and answer with a message page (or a redirect)."""

    def __init__(self, status: int, title: str, text: str, *, redirect: str | None = None):
        super().__init__(title)
        self.status, self.title, self.text, self.redirect = status, title, text, redirect


def _login_required() -> _Page:
    return _Page(303, "Sign in", "Please sign in.", redirect="/ui/login")


class UIRoute(APIRoute):
    """A route whose errors become HTML pages and whose responses get security headers."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Page as page:
                response = _message_response(request, page)
            except ConsentError:
                response = _message_response(request, _no_consent())
            except AuthorizationError:
                response = _message_response(request, _forbidden())
            except NotFoundError:
                response = _message_response(
                    request, _Page(404, "Not found", "There is no such record, or it was removed.")
                )
            except (InputError, RequestValidationError) as exc:
                # the message names the uploaded file and line where there is one
                text = exc.message if isinstance(exc, InputError) else "The form was incomplete."
                response = _message_response(request, _Page(400, "Please check the form", text))
            except TailormedError as exc:  # e.g. the PDF renderer is not installed
                response = _message_response(request, _Page(503, "Not available", exc.problem))
            _secure_headers(response)
            return response

        return handle


def _forbidden() -> _Page:
    return _Page(403, "No access", "You do not have access to this page or record.")


def _no_consent() -> _Page:
    return _Page(
        403,
        "No consent",
        "The patient has not given you an active consent that covers this. Ask the "
        "patient to grant it under “Who can see my results”.",
    )


def _secure_headers(response: Response) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("Cache-Control", "no-store")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"


# The one router every page module adds its routes to; the package assembles it.
router = APIRouter(prefix="/ui", route_class=UIRoute, include_in_schema=False)


# ------------------------------------------------------------------ dependencies
def get_kb(state: Annotated[ServiceState, Depends(get_state)]) -> KnowledgeBase:
    return state.kb


DB = Annotated[Session, Depends(get_session)]
KB = Annotated[KnowledgeBase, Depends(get_kb)]


@dataclass(frozen=True, slots=True)
class Viewer:
    """The signed-in user: the actor, and the account facts the pages need."""

    actor: Actor
    patient_id: uuid.UUID | None
    organisation: str | None
    display_name: str | None = None

    @property
    def role(self) -> str:
        return self.actor.role


# ------------------------------------------------------------------ cookies
def expected_csrf(request: Request) -> str | None:
    """The token a form must carry: bound to the session cookie, else the anonymous cookie."""
    auth = request.cookies.get(AUTH_COOKIE)
    if auth:
        return hmac.new(auth.encode(), b"tailormed-ui-csrf", hashlib.sha256).hexdigest()
    return request.cookies.get(CSRF_COOKIE) or None


def _cookie_args(request: Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
        "path": COOKIE_PATH,
    }


# ------------------------------------------------------------------ rendering
def _when(value: datetime | None) -> str:
    return "—" if value is None else clock.as_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _day(value: datetime | None) -> str:
    return "—" if value is None else clock.as_utc(value).strftime("%Y-%m-%d")


@cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=_when, day=_day, safe_url=safe_url)
    env.filters["advice"] = lambda text: split_text(text)[0]
    env.filters.update(
        figure_svg=figure_svg,
        cell_number=cell_number,
        anchor_id=anchor_id,
        group_sources=group_sources,
    )
    env.globals.update(
        severity_label=SEVERITY_LABELS.__getitem__,
        domain_label=lambda d: DOMAIN_LABELS.get(d, d),
    )
    env.globals.update(
        status_label=STATUS_LABELS.get,
        is_notable=plain.is_notable,
        tailormed_version=__version__,
        max_share_days=MAX_SHARE_DAYS,
    )
    return env


def render(
    request: Request, template: str, *, me: Viewer | None, status: int = 200, **context: Any
) -> HTMLResponse:
    """A page from ``templates/``, with the CSRF token its forms need."""
    csrf = expected_csrf(request)
    new_cookie = None
    if csrf is None:
        csrf = new_cookie = secrets.token_urlsafe(32)
    flash = FLASH.get(request.query_params.get("done", ""))
    html = (
        _environment()
        .get_template(template)
        .render(
            me=me,
            signed_in=me is not None or AUTH_COOKIE in request.cookies,
            csrf=csrf,
            path=request.url.path,
            flash=flash,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    if new_cookie:
        response.set_cookie(CSRF_COOKIE, new_cookie, **_cookie_args(request))
    return response


def _message_response(request: Request, page: _Page) -> Response:
    if page.redirect:
        response: Response = RedirectResponse(page.redirect, status_code=303)
        response.delete_cookie(AUTH_COOKIE, path=COOKIE_PATH)
        return response
    return render(
        request, "message.html.j2", me=None, status=page.status, title=page.title, text=page.text
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
