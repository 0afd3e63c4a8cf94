"""Taking up an account with a code: ``/ui/enrol``.

A patient enters the enrolment code their clinician handed them; a clinician or admin
the activation code from the administrator. The code is redeemed
(:func:`tailormed.record.redeem_code`), the person is signed in, and their new access
token is shown once, to them only. A wrong, used, replaced or expired code gets the
form again with what went wrong (and is audited by the record layer).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse

from tailormed.record import AuthorizationError, redeem_code
from tailormed.service.ui.common import DB, Viewer, render, router
from tailormed.service.ui.session import CSRF, sign_in


@router.get("/enrol", response_class=HTMLResponse)
def enrol_page(request: Request) -> Response:
    return render(request, "enrol.html.j2", me=None)


@router.post("/enrol", response_class=HTMLResponse, dependencies=[CSRF])
def enrol(
    request: Request, session: DB, code: Annotated[str, Form(max_length=64)] = ""
) -> Response:
    try:
        if not code.strip():
            raise AuthorizationError("no code entered")
        user, token = redeem_code(session, code)
    except AuthorizationError as exc:
        reason = exc.problem if "code" in exc.problem else "That code was not accepted."
        return render(
            request,
            "enrol.html.j2",
            me=None,
            status=403,
            error=f"{reason[0].upper()}{reason[1:]}. Check it, or ask for a new one.",
        )
    viewer = Viewer(user.actor, user.patient_id, user.organisation, user.display_name)
    response = render(request, "enrolled.html.j2", me=viewer, token=token)
    sign_in(request, response, token)
    return response
