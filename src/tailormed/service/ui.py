"""The web UI for patients and clinicians: server-rendered HTML under ``/ui``.

Pages (all HTML; forms are plain POSTs, the only script prefills the share-link form):

* ``/ui/login`` (paste an access token), ``/ui/logout`` (POST);
* patients: ``/ui/me`` (results in plain language), ``/ui/me/access`` (consents: list,
  grant, revoke), ``/ui/me/shares`` (share links: create, shown once; list, revoke);
* clinicians: ``/ui/patients`` (patients with a treatment consent, find by MRN),
  ``/ui/patients/{id}`` (gene results and a medication review);
* both: ``/ui/patients/{id}/results/{rid}/report.html`` / ``report.pdf`` (the full report
  from :mod:`tailormed.report`) and ``/ui/shared`` (open a share link).

**Authorisation** is the record layer's: every page calls the repository functions as
the signed-in :class:`~tailormed.record.Actor` (purpose ``treatment``), and their
:class:`~tailormed.record.AuthorizationError` becomes a 403 page, ``NotFoundError`` a 404
page. The UI never decides on its own who may see a record.

**Sign-in**: the bearer token is kept in an ``HttpOnly``, ``SameSite=Strict`` cookie
scoped to ``/ui`` (``Secure`` when the request came over https: run behind TLS, with
uvicorn's ``--proxy-headers`` if TLS ends at a proxy). The REST API never reads this
cookie, so cookie-borne requests cannot reach it. Every request re-authenticates the
token (a revoked token signs the user out); logout forgets the cookie, it does not
revoke the token.

**CSRF**: every POST needs (1) a ``csrf_token`` form field equal to the expected token —
signed in, an HMAC of the session cookie (an attacker who cannot read the cookie cannot
compute it); signed out (login, share form), a random value also set as an
``HttpOnly`` cookie (double submit) — and (2) an ``Origin`` (or, without one,
``Referer``) header naming this site (the request's own origin, or that of
``TAILORMED_PUBLIC_URL``) whenever the browser sends one. ``SameSite=Strict`` cookies
are a third layer. A failed check is a 403 page and changes nothing.

Pages send a strict Content-Security-Policy (no inline script or style), ``no-store``
caching and ``frame-ancestors 'none'``; templates autoescape every value.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, cast
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tailormed import __version__
from tailormed.errors import InputError, TailormedError
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, review_medications
from tailormed.record import (
    Actor,
    AuthorizationError,
    ConsentError,
    NotFoundError,
    Purpose,
    ResultView,
    add_medication,
    authenticate,
    clock,
    create_share,
    find_patient,
    get_patient,
    get_result,
    grant_consent,
    list_consents,
    list_medications,
    list_results,
    list_shares,
    resolve_share,
    revoke_consent,
    revoke_share,
)
from tailormed.record.models import Consent, User
from tailormed.record.shares import MAX_SHARE_DAYS
from tailormed.report import build_report, plain, render_html
from tailormed.report.html import STATUS_LABELS, safe_url, split_text
from tailormed.report.pdf import pdf_bytes
from tailormed.report.schema import Report
from tailormed.service.auth import ServiceState, get_session, get_state

HERE = Path(__file__).resolve().parent
AUTH_COOKIE = "tm_ui_session"
CSRF_COOKIE = "tm_ui_csrf"
COOKIE_PATH = "/ui"
PURPOSE: Purpose = "treatment"
MAX_MEDICATIONS, MAX_MEDICATION_CHARS = 50, 200
STATIC_FILES = {"ui.css": "text/css", "shared.js": "text/javascript"}
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# The full report is one self-contained page with inline CSS and no script.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
FLASH = {
    "granted": "Consent granted.",
    "revoked": "Consent revoked. That person or organisation can no longer see your results.",
    "share-revoked": "Share link revoked. It no longer works.",
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
                text = exc.problem if isinstance(exc, InputError) else "The form was incomplete."
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

    @property
    def role(self) -> str:
        return self.actor.role


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
        return Viewer(actor, user.patient_id, user.organisation)


Me = Annotated[Viewer, Depends(current_viewer)]


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


def expected_csrf(request: Request) -> str | None:
    """The token a form must carry: bound to the session cookie, else the anonymous cookie."""
    auth = request.cookies.get(AUTH_COOKIE)
    if auth:
        return hmac.new(auth.encode(), b"tailormed-ui-csrf", hashlib.sha256).hexdigest()
    return request.cookies.get(CSRF_COOKIE) or None


def check_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every POST: token match plus a same-origin Origin/Referer."""
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
    env.globals.update(
        status_label=STATUS_LABELS.get,
        phenotype_meaning=plain.phenotype_meaning,
        drug_meaning=plain.drug_meaning,
        is_notable=plain.is_notable,
        is_undetermined=plain.is_undetermined,
        tailormed_version=__version__,
        max_share_days=MAX_SHARE_DAYS,
    )
    return env


def _cookie_args(request: Request) -> dict[str, Any]:
    return {
        "httponly": True,
        "samesite": "strict",
        "secure": request.url.scheme == "https",
        "path": COOKIE_PATH,
    }


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
    response.set_cookie(AUTH_COOKIE, token, **_cookie_args(request))
    response.delete_cookie(CSRF_COOKIE, path=COOKIE_PATH)
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


# ------------------------------------------------------------------ results
def _pick_result(results: Sequence[ResultView], result_id: uuid.UUID | None) -> ResultView | None:
    if result_id is None:
        return results[0] if results else None
    found = next((r for r in results if r.id == result_id), None)
    if found is None:
        raise NotFoundError("no such result for this patient")
    return found


def _report_context(interpretation: Interpretation | None, kb: KnowledgeBase) -> dict[str, Any]:
    """The report built from ``interpretation`` and the groupings the result pages show."""
    report: Report | None = None if interpretation is None else build_report(interpretation, kb)
    drugs = report.drugs if report else []
    return {
        "report": report,
        "genes_by_name": {g.gene: g for g in report.genes} if report else {},
        "notable": [g for g in report.genes if plain.is_notable(g.phenotype)] if report else [],
        "by_status": {s: [d for d in drugs if d.status == s] for s in STATUS_LABELS},
    }


@router.get("/me", response_class=HTMLResponse)
def my_results(
    request: Request, me: Me, session: DB, kb: KB, result: uuid.UUID | None = None
) -> Response:
    pid = _patient_id(me)
    patient = get_patient(session, me.actor, PURPOSE, pid)
    results = list_results(session, me.actor, PURPOSE, pid)
    chosen = _pick_result(results, result)
    return render(
        request,
        "my_results.html.j2",
        me=me,
        patient=patient,
        results=results,
        result=chosen,
        **_report_context(chosen.interpretation if chosen else None, kb),
    )


def _report_source(
    session: Session, me: Viewer, pid: uuid.UUID, rid: uuid.UUID, kb: KnowledgeBase
) -> tuple[ResultView, str]:
    result = get_result(session, me.actor, PURPOSE, pid, rid)
    return result, render_html(result.interpretation, kb)


@router.get("/patients/{pid}/results/{rid}/report.html")
def report_html(me: Me, session: DB, kb: KB, pid: uuid.UUID, rid: uuid.UUID) -> Response:
    _, html = _report_source(session, me, pid, rid, kb)
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})


@router.get("/patients/{pid}/results/{rid}/report.pdf")
def report_pdf(me: Me, session: DB, kb: KB, pid: uuid.UUID, rid: uuid.UUID) -> Response:
    result, html = _report_source(session, me, pid, rid, kb)
    data = pdf_bytes(html, title="Pharmacogenomic report")
    name = f"tailormed-report-{_day(result.created_at)}.pdf"
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# ------------------------------------------------------------------ consents
def _expiry(day: str) -> datetime | None:
    """A consent's end: the end (UTC) of the day chosen, or ``None`` for no end date."""
    if not day.strip():
        return None
    try:
        chosen = date.fromisoformat(day.strip())
    except ValueError:
        raise InputError("enter the end date as YYYY-MM-DD") from None
    return datetime.combine(chosen + timedelta(days=1), time(), tzinfo=UTC)


def _genes(scope: str, genes: str) -> list[str] | None:
    listed = [g.strip().upper() for g in genes.replace(";", ",").split(",") if g.strip()]
    return listed if scope == "genes" else None


def _access_page(
    request: Request, me: Me, session: Session, *, status: int = 200, error: str | None = None
) -> Response:
    pid = _patient_id(me)
    consents = list_consents(session, me.actor, PURPOSE, pid)
    now = clock.utcnow()
    return render(
        request,
        "my_access.html.j2",
        me=me,
        status=status,
        error=error,
        current=[c for c in consents if c.in_force(now)],
        past=[c for c in consents if not c.in_force(now)],
    )


@router.get("/me/access", response_class=HTMLResponse)
def my_access(request: Request, me: Me, session: DB) -> Response:
    return _access_page(request, me, session)


@router.post("/me/consents", response_class=HTMLResponse, dependencies=[CSRF])
def grant(
    request: Request,
    me: Me,
    session: DB,
    clinician_id: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    consent_purpose: Annotated[str, Form()] = "treatment",
    scope: Annotated[str, Form()] = "all",
    genes: Annotated[str, Form()] = "",
    expires: Annotated[str, Form()] = "",
) -> Response:
    pid = _patient_id(me)
    try:
        if bool(clinician_id.strip()) == bool(organisation.strip()):
            raise InputError("Fill in either a clinician's user id or an organisation, not both.")
        try:
            user_id = uuid.UUID(clinician_id.strip()) if clinician_id.strip() else None
        except ValueError:
            raise InputError("A clinician's user id looks like 1b4e28ba-2fa1-11d2-…") from None
        grant_consent(
            session,
            me.actor,
            PURPOSE,
            pid,
            grantee_user_id=user_id,
            grantee_organisation=organisation.strip() or None,
            consent_purpose=cast(Literal["treatment", "research"], consent_purpose),
            scope=cast(Literal["all", "genes", "reports"], scope),
            genes=_genes(scope, genes),
            expires_at=_expiry(expires),
        )
    except InputError as exc:
        return _access_page(request, me, session, status=400, error=exc.problem)
    except NotFoundError:
        return _access_page(request, me, session, status=400, error="No clinician has that id.")
    return _redirect("/ui/me/access?done=granted")


@router.post("/me/consents/{cid}/revoke", dependencies=[CSRF])
def revoke(me: Me, session: DB, cid: uuid.UUID) -> Response:
    revoke_consent(session, me.actor, PURPOSE, _patient_id(me), cid)
    return _redirect("/ui/me/access?done=revoked")


# ------------------------------------------------------------------ shares
def _shares_page(
    request: Request,
    me: Me,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
    new_link: str | None = None,
    new_expiry: datetime | None = None,
) -> Response:
    pid = _patient_id(me)
    shares = list_shares(session, me.actor, PURPOSE, pid)
    now = clock.utcnow()
    live = [s for s in shares if not s.revoked and s.expires_at > now]
    return render(
        request,
        "my_shares.html.j2",
        me=me,
        status=status,
        error=error,
        live=live,
        dead=[s for s in shares if s not in live],
        new_link=new_link,
        new_expiry=new_expiry,
    )


@router.get("/me/shares", response_class=HTMLResponse)
def my_shares(request: Request, me: Me, session: DB) -> Response:
    return _shares_page(request, me, session)


@router.post("/me/shares", response_class=HTMLResponse, dependencies=[CSRF])
def new_share(
    request: Request,
    me: Me,
    session: DB,
    days: Annotated[int, Form()] = 7,
    scope: Annotated[str, Form()] = "reports",
    genes: Annotated[str, Form()] = "",
) -> Response:
    pid = _patient_id(me)
    try:
        if not 1 <= days <= MAX_SHARE_DAYS:
            raise InputError(f"A share link can last 1 to {MAX_SHARE_DAYS} days.")
        share, token = create_share(
            session,
            me.actor,
            PURPOSE,
            pid,
            expires_at=clock.utcnow() + timedelta(days=days),
            scope=cast(Literal["all", "genes", "reports"], scope),
            genes=_genes(scope, genes),
        )
    except InputError as exc:
        return _shares_page(request, me, session, status=400, error=exc.problem)
    # The token travels in the fragment, which browsers never send to a server or log.
    base = get_state(request).settings.public_url or _origin(request)
    link = f"{base.rstrip('/')}/ui/shared#{token}"
    return _shares_page(
        request, me, session, status=201, new_link=link, new_expiry=share.expires_at
    )


@router.post("/me/shares/{sid}/revoke", dependencies=[CSRF])
def end_share(me: Me, session: DB, sid: uuid.UUID) -> Response:
    revoke_share(session, me.actor, PURPOSE, _patient_id(me), sid)
    return _redirect("/ui/me/shares?done=share-revoked")


def _optional_viewer(request: Request, session: Session) -> Viewer | None:
    try:
        return current_viewer(request, session) if request.cookies.get(AUTH_COOKIE) else None
    except _Page:
        return None


@router.get("/shared", response_class=HTMLResponse)
def shared_form(request: Request, kb: KB) -> Response:
    return render(request, "shared.html.j2", me=None, shared=None, **_report_context(None, kb))


@router.post("/shared", response_class=HTMLResponse, dependencies=[CSRF])
def shared_view(
    request: Request, session: DB, kb: KB, token: Annotated[str, Form()] = ""
) -> Response:
    me = _optional_viewer(request, session)
    try:
        data = resolve_share(session, token.strip(), actor=me.actor if me else None)
    except AuthorizationError:
        return render(
            request,
            "shared.html.j2",
            me=me,
            status=403,
            shared=None,
            **_report_context(None, kb),
            error="This share link does not work: it is wrong, has expired or was revoked.",
        )
    results = data.get("results") or []
    newest = results[-1] if results else None  # the export lists results oldest first
    interp = Interpretation.from_json(newest["interpretation"]) if newest else None
    return render(
        request,
        "shared.html.j2",
        me=me,
        shared=data,
        result=newest,
        **_report_context(interp, kb),
    )


# ------------------------------------------------------------------ clinicians
def _consented_patients(session: Session, me: Viewer) -> list[tuple[uuid.UUID, datetime | None]]:
    """Patients with a treatment consent naming this clinician or their organisation.

    Only consent rows (ids and dates, no PHI) are read here; each patient is then opened
    through :func:`~tailormed.record.get_patient`, which checks and audits the access.
    """
    grantee = Consent.grantee_user_id == me.actor.user_id
    if me.organisation:
        grantee = or_(grantee, Consent.grantee_organisation == me.organisation)
    with session.begin():
        rows = session.execute(
            select(Consent.patient_id, Consent.expires_at).where(
                Consent.status == "active", Consent.purpose == PURPOSE, grantee
            )
        ).all()
    now = clock.utcnow()
    found: dict[uuid.UUID, datetime | None] = {}
    for pid, expires in rows:
        if expires is not None and expires <= now:
            continue
        known = found.get(pid, expires)
        found[pid] = None if known is None or expires is None else max(known, expires)
    return list(found.items())


def _patients_page(
    request: Request, me: Viewer, session: Session, *, status: int = 200, error: str | None = None
) -> Response:
    _require_clinician(me)
    rows = []
    for pid, expires in _consented_patients(session, me):
        try:
            rows.append((get_patient(session, me.actor, PURPOSE, pid), expires))
        except (AuthorizationError, NotFoundError):
            continue  # consent changed in between, or the record was erased
    rows.sort(key=lambda r: ((r[0].display_name or "").lower(), str(r[0].id)))
    return render(request, "patients.html.j2", me=me, status=status, rows=rows, error=error)


@router.get("/patients", response_class=HTMLResponse)
def patients(request: Request, me: Me, session: DB) -> Response:
    return _patients_page(request, me, session)


@router.post("/patients/find", response_class=HTMLResponse, dependencies=[CSRF])
def find(request: Request, me: Me, session: DB, mrn: Annotated[str, Form()] = "") -> Response:
    _require_clinician(me)
    try:
        if not mrn.strip():
            raise InputError("enter an MRN")
        found = find_patient(session, me.actor, PURPOSE, mrn.strip())
    except (InputError, NotFoundError):
        return _patients_page(
            request, me, session, status=404, error="No patient you have consent for has that MRN."
        )
    return _redirect(f"/ui/patients/{found.id}")


def _medications(text: str) -> list[str]:
    meds = [line.strip() for line in text.splitlines() if line.strip()]
    if len(meds) > MAX_MEDICATIONS or any(len(m) > MAX_MEDICATION_CHARS for m in meds):
        raise InputError(
            f"Enter at most {MAX_MEDICATIONS} medications, one a line, "
            f"each under {MAX_MEDICATION_CHARS} characters."
        )
    return meds


def _patient_page(
    request: Request,
    me: Viewer,
    session: Session,
    kb: KnowledgeBase,
    pid: uuid.UUID,
    result_id: uuid.UUID | None,
    *,
    meds_text: str | None = None,
    save: bool = False,
) -> Response:
    patient = get_patient(session, me.actor, PURPOSE, pid)
    results = list_results(session, me.actor, PURPOSE, pid)
    chosen = _pick_result(results, result_id)
    # Medications need scope "all": only ask when the result shows full access, so a
    # narrower consent does not log a refused read on every visit.
    full = chosen is not None and chosen.scope == "all"
    on_record = (
        [m.name for m in list_medications(session, me.actor, PURPOSE, pid, active_only=True)]
        if full
        else []
    )
    review, error, saved = None, None, 0
    if meds_text is not None and chosen is not None:
        try:
            meds = _medications(meds_text)
            if not meds:
                raise InputError("Enter at least one medication.")
            review = review_medications(chosen.interpretation, meds, kb)
            if save and full:
                known = {m.lower() for m in on_record}
                for med in meds:
                    if med.lower() not in known:
                        add_medication(session, me.actor, PURPOSE, pid, name=med)
                        known.add(med.lower())
                        saved += 1
        except InputError as exc:
            error = exc.problem
    return render(
        request,
        "patient.html.j2",
        me=me,
        status=400 if error else 200,
        patient=patient,
        results=results,
        result=chosen,
        **_report_context(chosen.interpretation if chosen else None, kb),
        full=full,
        meds_text=meds_text if meds_text is not None else "\n".join(on_record),
        review=review,
        error=error,
        saved=saved,
    )


@router.get("/patients/{pid}", response_class=HTMLResponse)
def patient_page(
    request: Request, me: Me, session: DB, kb: KB, pid: uuid.UUID, result: uuid.UUID | None = None
) -> Response:
    return _patient_page(request, me, session, kb, pid, result)


@router.post("/patients/{pid}/review", response_class=HTMLResponse, dependencies=[CSRF])
def medication_review(
    request: Request,
    me: Me,
    session: DB,
    kb: KB,
    pid: uuid.UUID,
    medications: Annotated[str, Form()] = "",
    result: Annotated[str, Form()] = "",
    save: Annotated[bool, Form()] = False,
) -> Response:
    try:
        rid = uuid.UUID(result) if result else None
    except ValueError:
        raise InputError("unknown result") from None
    return _patient_page(request, me, session, kb, pid, rid, meds_text=medications, save=save)


@router.get("/{rest:path}", response_class=HTMLResponse)
def not_found(rest: str) -> Response:
    """Any other address under ``/ui``: an HTML 404 (the app's JSON one is for the API)."""
    raise _Page(404, "Not found", "There is no page at this address.")
