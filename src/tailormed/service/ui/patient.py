"""Patient pages: their results, who may see them, and share links.

``/ui/me`` (results in plain language, and a form to add a result), ``/ui/me/access``
(consents: list, grant to a clinician chosen by name or to an organisation, revoke),
``/ui/me/shares`` (share links: create, shown once; list, revoke) and ``/ui/shared``,
where anyone holding a share link opens it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal, cast

from fastapi import Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.recommend import Interpretation
from tailormed.record import (
    AuthorizationError,
    NotFoundError,
    clock,
    create_share,
    find_clinicians,
    get_patient,
    grant_consent,
    list_consents,
    list_results,
    list_shares,
    resolve_share,
    revoke_consent,
    revoke_share,
)
from tailormed.record.shares import MAX_SHARE_DAYS
from tailormed.service.auth import get_state
from tailormed.service.documents import patient_sections
from tailormed.service.ui.common import DB, KB, PURPOSE, _redirect, render, router
from tailormed.service.ui.reports import _pick_result, _report_context
from tailormed.service.ui.session import CSRF, Me, _optional_viewer, _origin, _patient_id


# ------------------------------------------------------------------ results
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
        upload_action="/ui/me/uploads",
        upload_title="Add a test result",
        **_report_context(chosen.interpretation if chosen else None, kb),
        sections=patient_sections(session, me.actor, PURPOSE, pid, kb),
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
    request: Request,
    me: Me,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
    find: str | None = None,
) -> Response:
    pid = _patient_id(me)
    consents = list_consents(session, me.actor, PURPOSE, pid)
    now = clock.utcnow()
    found = None
    if find is not None:
        found = find_clinicians(session, me.actor, PURPOSE, find.strip())
    return render(
        request,
        "my_access.html.j2",
        me=me,
        status=status,
        error=error,
        find=find,
        found=found,
        current=[c for c in consents if c.in_force(now)],
        past=[c for c in consents if not c.in_force(now)],
    )


@router.get("/me/access", response_class=HTMLResponse)
def my_access(
    request: Request, me: Me, session: DB, find: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    """Consents; with ``find``, the clinicians whose name contains it, to choose from."""
    return _access_page(request, me, session, find=find)


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
            raise InputError("Choose a clinician from the list, or name an organisation, not both.")
        try:
            user_id = uuid.UUID(clinician_id.strip()) if clinician_id.strip() else None
        except ValueError:
            raise InputError("Choose the clinician from the list of names.") from None
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
        return _access_page(request, me, session, status=400, error="That clinician was not found.")
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
