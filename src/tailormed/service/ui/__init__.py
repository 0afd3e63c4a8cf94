"""The web UI for patients and clinicians: server-rendered HTML under ``/ui``.

Pages (all HTML; forms are plain POSTs, the only script prefills the share-link form):

* ``/ui/login`` (paste an access token), ``/ui/logout`` (POST), ``/ui/enrol`` (redeem
  an enrolment or activation code: signed in, the new token shown once);
* patients: ``/ui/me`` (results in plain language; upload a result), ``/ui/me/access``
  (consents: list, grant to a clinician found by name or to an organisation, revoke),
  ``/ui/me/shares`` (share links: create, shown once; list, revoke);
* clinicians: ``/ui/patients`` (patients with a treatment consent, find by MRN,
  register a patient and hand them an enrolment code), ``/ui/patients/{id}`` (gene
  results, a medication review, upload a result, a new enrolment code);
* digital health (:mod:`~tailormed.service.ui.digital`): patients ``/ui/me/health`` and
  the questionnaires ``/ui/me/questionnaires/{name}``; clinicians ``/ui/alerts`` (the
  dashboard) and ``/ui/patients/{id}/digital``;
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

The package: :mod:`~tailormed.service.ui.common` (constants, error pages, rendering, the
shared router), :mod:`~tailormed.service.ui.session` (sign-in, the viewer, CSRF),
:mod:`~tailormed.service.ui.reports` (result helpers, the full report),
:mod:`~tailormed.service.ui.patient` and :mod:`~tailormed.service.ui.clinician` (their
pages), :mod:`~tailormed.service.ui.rare` (a patient's HPO phenotype entry and ranking),
:mod:`~tailormed.service.ui.uploads` (streamed uploads) and :mod:`~tailormed.service.ui.enrol`
(codes). Import :data:`router` from here: importing
the package registers every page.
"""

from __future__ import annotations

from fastapi import Response
from fastapi.responses import HTMLResponse

# Importing the page modules adds their routes to the shared router.
from tailormed.service.ui import (
    clinician,
    digital,
    enrol,
    patient,
    rare,
    reports,
    session,
    uploads,
)
from tailormed.service.ui.common import (
    AUTH_COOKIE,
    COOKIE_PATH,
    CSP,
    CSRF_COOKIE,
    PURPOSE,
    REPORT_CSP,
    UIRoute,
    Viewer,
    _Page,
    expected_csrf,
    render,
    router,
)
from tailormed.service.ui.session import CSRF, Me, check_csrf, current_viewer

__all__ = [
    "AUTH_COOKIE",
    "COOKIE_PATH",
    "CSP",
    "CSRF",
    "CSRF_COOKIE",
    "PURPOSE",
    "REPORT_CSP",
    "Me",
    "UIRoute",
    "Viewer",
    "check_csrf",
    "clinician",
    "current_viewer",
    "digital",
    "enrol",
    "expected_csrf",
    "patient",
    "rare",
    "render",
    "reports",
    "router",
    "session",
    "uploads",
]


# Registered here, after every page module above, so that it matches only what they do not.
@router.get("/{rest:path}", response_class=HTMLResponse)
def not_found(rest: str) -> Response:
    """Any other address under ``/ui``: an HTML 404 (the app's JSON one is for the API)."""
    raise _Page(404, "Not found", "There is no page at this address.")
