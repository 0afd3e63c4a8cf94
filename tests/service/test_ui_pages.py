"""The web UI through FastAPI's TestClient: every page and form, access rules and CSRF."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailormed.record import (
    create_patient,
    deactivate_user,
    grant_consent,
    list_consents,
    list_medications,
    list_shares,
)
from tailormed.report import plain
from tailormed.service import ui
from tests.service.ui_support import World, build_app, csrf_of, login, new_world, post_form


@pytest.fixture
def world(tmp_path: Path) -> World:
    return new_world(tmp_path)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(build_app(world)) as c:
        yield c


def signed_in(client: TestClient, world: World, who: str) -> TestClient:
    login(client, world.tokens[who])
    return client


# ------------------------------------------------------------------ sign-in
def test_login_page_has_csrf_field_cookie_and_strict_headers(client: TestClient) -> None:
    page = client.get("/ui/login")
    assert page.status_code == 200
    assert 'name="token"' in page.text and csrf_of(page.text)
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "SameSite=strict" in page.headers["set-cookie"]
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


def test_login_sets_httponly_strict_cookie_and_lands_on_role_home(
    client: TestClient, world: World
) -> None:
    page = client.get("/ui/login")
    response = client.post(
        "/ui/login",
        data={"token": world.tokens["a"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/ui/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(ui.AUTH_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/ui" in cookie
    assert "Secure" not in cookie  # plain http in tests; https sets Secure
    assert client.get("/ui/", follow_redirects=False).headers["location"] == "/ui/me"


def test_clinician_lands_on_patient_list(client: TestClient, world: World) -> None:
    assert "My patients" in login(client, world.tokens["c"])


def test_bad_token_is_refused_without_a_cookie(client: TestClient) -> None:
    page = client.get("/ui/login")
    response = client.post(
        "/ui/login", data={"token": "not-a-token", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 401
    assert "was not accepted" in response.text
    assert ui.AUTH_COOKIE not in client.cookies


def test_pages_need_sign_in(client: TestClient, world: World) -> None:
    for url in (
        "/ui/",
        "/ui/me",
        "/ui/me/access",
        "/ui/patients",
        f"/ui/patients/{world.patient_a}",
    ):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"] == "/ui/login"


def test_logout_forgets_the_token(client: TestClient, world: World) -> None:
    page = login(client, world.tokens["a"])
    response = client.post("/ui/logout", data={"csrf_token": csrf_of(page)})
    assert response.url.path == "/ui/login"
    assert client.get("/ui/me", follow_redirects=False).status_code == 303


def test_deactivated_user_is_signed_out(client: TestClient, world: World) -> None:
    login(client, world.tokens["c"])
    with world.session() as s:
        deactivate_user(s, world.admin, "operations", world.clin_c.user_id)
    response = client.get("/ui/patients", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"


def test_admin_has_no_record_pages(client: TestClient, world: World) -> None:
    page = login(client, world.tokens["admin"], expect=403)
    assert "Administrator accounts have no access" in page
    assert 'action="/ui/logout"' in page  # a signed-in admin can still sign out
    assert client.get("/ui/me").status_code == 403
    assert client.get(f"/ui/patients/{world.patient_a}").status_code == 403


def test_static_files(client: TestClient) -> None:
    css = client.get("/ui/static/ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/ui/static/shared.js").status_code == 200
    assert client.get("/ui/static/..%2fui.py").status_code == 404
    assert client.get("/ui/static/nope.css").status_code == 404
    missing = client.get("/ui/no/such/page")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


# ------------------------------------------------------------------ patient: results
def test_my_results_in_plain_language(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    page = client.get("/ui/me")
    assert page.status_code == 200
    text = page.text
    assert "Alex Example" in text and "Blake" not in text
    assert "CYP2C19" in text and "Poor Metabolizer" in text
    assert plain.phenotype_meaning("CYP2C19", "Poor Metabolizer") in text
    assert "Clopidogrel" in text  # an actionable medicine, with what it means
    assert "Your genes may change how this medicine works for you" in text
    assert "What to tell a prescriber" in text
    assert "I have had a pharmacogenomic test" in text
    assert "What this test cannot tell you" in text and "This is not a diagnosis" in text
    interp_kb = re.search(r"Knowledge base <strong>([^<]+)</strong>", text)
    assert interp_kb and interp_kb.group(1) in text
    assert "Not tested: CYP2D6" in text  # the result's own limitations
    assert f"/ui/patients/{world.patient_a}/results/{world.result_a}/report.html" in text
    assert f"/ui/patients/{world.patient_a}/results/{world.result_a}/report.pdf" in text


def test_full_report_html_and_pdf(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    base = f"/ui/patients/{world.patient_a}/results/{world.result_a}"
    html = client.get(f"{base}/report.html")
    assert html.status_code == 200 and "*2/*2" in html.text
    assert "Your results in plain language" in html.text
    assert "script-src" not in html.headers["content-security-policy"]
    assert "default-src 'none'" in html.headers["content-security-policy"]
    pdf = client.get(f"{base}/report.pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.content.startswith(b"%PDF")
    assert "attachment" in pdf.headers["content-disposition"]


def test_patient_cannot_open_another_patients_pages(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    for url in (
        f"/ui/patients/{world.patient_b}",
        f"/ui/patients/{world.patient_b}/results/{world.result_b}/report.html",
        f"/ui/patients/{world.patient_b}/results/{world.result_b}/report.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "Blake" not in response.text and "No access" in response.text
    # B's result under A's own id: not found, and nothing of B leaks
    response = client.get(f"/ui/patients/{world.patient_a}/results/{world.result_b}/report.html")
    assert response.status_code == 404
    assert client.get(f"/ui/me?result={world.result_b}").status_code == 404


def test_patient_cannot_revoke_another_patients_consent(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    response = post_form(client, "/ui/me/access", f"/ui/me/consents/{world.consent_b}/revoke", {})
    assert response.status_code == 404
    with world.session() as s:
        consents = list_consents(s, world.user_b, "treatment", world.patient_b)
    assert consents[0].status == "active"


def test_clinician_pages_are_not_for_patients_and_vice_versa(
    client: TestClient, world: World
) -> None:
    signed_in(client, world, "a")
    assert client.get("/ui/patients").status_code == 403
    login(client, world.tokens["c"])
    for url in ("/ui/me", "/ui/me/access", "/ui/me/shares"):
        response = client.get(url)
        assert response.status_code == 403 and "For patients" in response.text


# ------------------------------------------------------------------ patient: consents
def test_grant_and_revoke_consent_to_a_clinician(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    d = str(world.clin_d.user_id)
    until = (date.today() + timedelta(days=30)).isoformat()
    response = post_form(
        client,
        "/ui/me/access",
        "/ui/me/consents",
        {"clinician_id": d, "consent_purpose": "treatment", "scope": "all", "expires": until},
    )
    assert response.status_code == 200 and "Consent granted." in response.text
    assert "Dr Dana Doctor" in response.text  # listed by name (issue 8: not by a UUID)
    with world.session() as s:
        new = [
            c
            for c in list_consents(s, world.user_a, "treatment", world.patient_a)
            if c.grantee_user_id == world.clin_d.user_id
        ]
    assert len(new) == 1 and new[0].in_force() and new[0].expires_at is not None

    # D can now open A's page
    other = TestClient(client.app)
    login(other, world.tokens["d"])
    assert other.get(f"/ui/patients/{world.patient_a}").status_code == 200

    response = post_form(client, "/ui/me/access", f"/ui/me/consents/{new[0].id}/revoke", {})
    assert response.status_code == 200 and "Consent revoked." in response.text
    assert other.get(f"/ui/patients/{world.patient_a}").status_code == 403
    assert "Past consents" in response.text


def test_grant_consent_to_an_organisation_for_research_with_genes(
    client: TestClient, world: World
) -> None:
    signed_in(client, world, "a")
    response = post_form(
        client,
        "/ui/me/access",
        "/ui/me/consents",
        {
            "organisation": "Uni Lab",
            "consent_purpose": "research",
            "scope": "genes",
            "genes": "cyp2c19, CYP2C9",
        },
    )
    assert response.status_code == 200
    assert "Everyone at <strong>Uni Lab</strong>" in response.text
    assert "results for CYP2C19, CYP2C9" in response.text and "research" in response.text


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({}, "Choose a clinician from the list"),
        ({"clinician_id": "x", "organisation": "y"}, "Choose a clinician from the list"),
        ({"clinician_id": "not-a-uuid"}, "Choose the clinician from the list of names"),
        ({"clinician_id": "00000000-0000-4000-8000-000000000000"}, "clinician was not found"),
        ({"organisation": "Org", "expires": "2001-01-01"}, "expiry must be in the future"),
        ({"organisation": "Org", "expires": "tomorrow"}, "YYYY-MM-DD"),
        ({"organisation": "Org", "scope": "genes"}, "at least one gene"),
        ({"organisation": "Org", "scope": "everything"}, "unknown scope"),
        ({"organisation": "Org", "consent_purpose": "marketing"}, "unknown consent purpose"),
    ],
)
def test_bad_consent_forms_are_explained(
    client: TestClient, world: World, form: dict[str, str], message: str
) -> None:
    signed_in(client, world, "a")
    response = post_form(client, "/ui/me/access", "/ui/me/consents", form)
    assert response.status_code == 400
    assert message in response.text
    with world.session() as s:
        assert len(list_consents(s, world.user_a, "treatment", world.patient_a)) == 1


def test_clinicians_see_the_name_patients_find_them_by(client: TestClient, world: World) -> None:
    """Patients choose clinicians by name (issue 8), so the page shows the name, not an id."""
    signed_in(client, world, "c")
    page = client.get("/ui/patients").text
    assert "Dr Casey Clinician" in page and "clinic-a" in page
    assert str(world.clin_c.user_id) not in page


# ------------------------------------------------------------------ patient: shares
def test_share_link_is_shown_once_works_and_can_be_revoked(
    client: TestClient, world: World
) -> None:
    signed_in(client, world, "a")
    response = post_form(
        client, "/ui/me/shares", "/ui/me/shares", {"days": "7", "scope": "reports"}
    )
    assert response.status_code == 201
    link = re.search(r'id="share-link" class="mono" readonly value="([^"]+)"', response.text)
    assert link and "shown only once" in response.text
    url = link.group(1)
    assert url.startswith("http://testserver/ui/shared#")
    token = url.split("#", 1)[1]
    assert token not in client.get("/ui/me/shares").text  # never shown again
    with world.session() as s:
        (share,) = list_shares(s, world.user_a, "treatment", world.patient_a)

    # Someone without an account opens it
    stranger = TestClient(client.app)
    form = stranger.get("/ui/shared")
    assert form.status_code == 200 and "shared.js" in form.text
    seen = stranger.post("/ui/shared", data={"token": token, "csrf_token": csrf_of(form.text)})
    assert seen.status_code == 200
    assert "CYP2C19" in seen.text and "Poor Metabolizer" in seen.text
    assert "Shared by Alex Example" in seen.text and "Knowledge base" in seen.text
    assert plain.phenotype_meaning("CYP2C19", "Poor Metabolizer") in seen.text

    revoked = post_form(client, "/ui/me/shares", f"/ui/me/shares/{share.id}/revoke", {})
    assert revoked.status_code == 200 and "Share link revoked" in revoked.text
    again = stranger.post("/ui/shared", data={"token": token, "csrf_token": csrf_of(form.text)})
    assert again.status_code == 403 and "does not work" in again.text
    assert "CYP2C19" not in again.text


def test_share_limited_to_genes(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    response = post_form(
        client, "/ui/me/shares", "/ui/me/shares", {"days": "1", "scope": "genes", "genes": "CYP2C9"}
    )
    token = re.search(r'/ui/shared#([^"]+)"', response.text)
    assert token
    stranger = TestClient(client.app)
    form = stranger.get("/ui/shared")
    seen = stranger.post(
        "/ui/shared", data={"token": token.group(1), "csrf_token": csrf_of(form.text)}
    )
    assert "the results for CYP2C9 only" in seen.text
    assert "*2/*2" not in seen.text  # the CYP2C19 diplotype is not shared


@pytest.mark.parametrize("days", ["0", "91", "x"])
def test_bad_share_forms_are_refused(client: TestClient, world: World, days: str) -> None:
    signed_in(client, world, "a")
    response = post_form(client, "/ui/me/shares", "/ui/me/shares", {"days": days})
    assert response.status_code == 400
    with world.session() as s:
        assert list_shares(s, world.user_a, "treatment", world.patient_a) == []


def test_wrong_share_code_is_refused(client: TestClient) -> None:
    form = client.get("/ui/shared")
    response = client.post("/ui/shared", data={"token": "nope", "csrf_token": csrf_of(form.text)})
    assert response.status_code == 403 and "does not work" in response.text


# ------------------------------------------------------------------ clinicians
def test_patient_list_shows_only_consented_patients(client: TestClient, world: World) -> None:
    signed_in(client, world, "c")
    page = client.get("/ui/patients")
    assert "Alex Example" in page.text and "MRN-A" in page.text
    assert "Blake" not in page.text and "MRN-B" not in page.text
    login(client, world.tokens["d"])
    page = client.get("/ui/patients")
    assert "No patient has given you a treatment consent yet." in page.text
    assert "Alex" not in page.text


def test_organisation_consent_lists_the_patient(client: TestClient, world: World) -> None:
    with world.session() as s:
        grant_consent(
            s, world.user_b, "treatment", world.patient_b, grantee_organisation="clinic-d"
        )
    signed_in(client, world, "d")
    page = client.get("/ui/patients")
    assert "Blake Other" in page.text and "Alex" not in page.text


def test_clinician_without_consent_gets_403(client: TestClient, world: World) -> None:
    signed_in(client, world, "d")
    for url in (
        f"/ui/patients/{world.patient_a}",
        f"/ui/patients/{world.patient_a}/results/{world.result_a}/report.html",
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "No consent" in response.text
        assert "Alex" not in response.text and "CYP2C19" not in response.text
    page = client.get("/ui/patients")
    response = client.post(
        f"/ui/patients/{world.patient_a}/review",
        data={"medications": "clopidogrel", "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 403 and "clopidogrel" not in response.text.lower()


def test_clinician_patient_page_shows_gene_results(client: TestClient, world: World) -> None:
    signed_in(client, world, "c")
    page = client.get(f"/ui/patients/{world.patient_a}")
    assert page.status_code == 200
    text = page.text
    assert "Alex Example" in text and "MRN-A" in text
    row = re.search(r"<th scope=\"row\">CYP2C19.*?</tr>", text, re.S)
    assert row and "*2/*2" in row.group(0) and "Poor Metabolizer" in row.group(0)
    cyp2c9 = re.search(r"<th scope=\"row\">CYP2C9<.*?</tr>", text, re.S)
    assert cyp2c9 and "2.0" in cyp2c9.group(0)  # activity score
    assert "lowest-function allele" in text  # a calling warning (DPYD)
    assert "Knowledge base <strong>" in text and "Limitations" in text
    assert "Actionable drugs" in text and "clopidogrel" in text


def test_medication_review_flags_clopidogrel(client: TestClient, world: World) -> None:
    signed_in(client, world, "c")
    meds = "clopidogrel 75 mg daily\nsimvastatin 20 mg\nzzz unknown pill"
    response = post_form(
        client,
        f"/ui/patients/{world.patient_a}",
        f"/ui/patients/{world.patient_a}/review",
        {"medications": meds, "result": str(world.result_a)},
    )
    assert response.status_code == 200
    table = re.search(r'<table class="review-table".*?</table>', response.text, re.S)
    assert table
    rows = re.findall(r"<tr class=\"st-([a-z-]+)\">\s*<th scope=\"row\">([^<]+)", table.group(0))
    assert rows == [
        ("actionable", "clopidogrel 75 mg daily"),
        ("no-change", "simvastatin 20 mg"),
        ("not-recognised", "zzz unknown pill"),  # said so, never "no guideline"
    ]
    assert "Avoid clopidogrel if possible" in table.group(0)
    assert "CPIC" in table.group(0) and "Strong" in table.group(0)
    with world.session() as s:
        assert list_medications(s, world.clin_c, "treatment", world.patient_a) == []


def test_medication_review_can_save_to_the_record(client: TestClient, world: World) -> None:
    signed_in(client, world, "c")
    url = f"/ui/patients/{world.patient_a}"
    response = post_form(
        client, url, f"{url}/review", {"medications": "clopidogrel 75 mg", "save": "true"}
    )
    assert "1 medication added to the record." in response.text
    again = post_form(
        client, url, f"{url}/review", {"medications": "Clopidogrel 75 mg", "save": "true"}
    )
    assert "added to the record" not in again.text  # already there
    with world.session() as s:
        meds = list_medications(s, world.clin_c, "treatment", world.patient_a)
    assert [m.name for m in meds] == ["clopidogrel 75 mg"]
    assert "clopidogrel 75 mg</textarea>" in client.get(url).text  # prefilled from the record


@pytest.mark.parametrize(
    ("meds", "message"),
    [("", "at least one medication"), ("x\n" * 51, "at most 50"), ("y" * 201, "at most 50")],
)
def test_bad_medication_lists_are_explained(
    client: TestClient, world: World, meds: str, message: str
) -> None:
    signed_in(client, world, "c")
    url = f"/ui/patients/{world.patient_a}"
    response = post_form(client, url, f"{url}/review", {"medications": meds})
    assert response.status_code == 400 and message in response.text


def test_partial_consent_is_labelled_and_cannot_save(client: TestClient, world: World) -> None:
    with world.session() as s:
        grant_consent(
            s,
            world.user_b,
            "treatment",
            world.patient_b,
            grantee_user_id=world.clin_d.user_id,
            scope="genes",
            genes=["CYP2C19"],
        )
    signed_in(client, world, "d")
    page = client.get(f"/ui/patients/{world.patient_b}")
    assert page.status_code == 200
    assert "Your consent covers part of this record" in page.text
    assert 'name="save"' not in page.text
    assert "CYP2C9<" not in page.text  # genes outside the consent are withheld


def test_find_by_mrn(client: TestClient, world: World) -> None:
    signed_in(client, world, "c")
    found = post_form(client, "/ui/patients", "/ui/patients/find", {"mrn": "MRN-A"})
    assert found.url.path == f"/ui/patients/{world.patient_a}"
    missing = post_form(client, "/ui/patients", "/ui/patients/find", {"mrn": "MRN-B"})
    assert missing.status_code == 404 and "No patient you have consent for" in missing.text
    assert "Blake" not in missing.text


def test_names_are_escaped(client: TestClient, world: World) -> None:
    with world.session() as s:
        create_patient(
            s,
            world.clin_c,
            "treatment",
            display_name="<script>alert(1)</script>",
            external_id='"><img src=x>',
            attest_treatment_consent=True,
        )
    signed_in(client, world, "c")
    page = client.get("/ui/patients").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)" in page
    assert '"><img src=x>' not in page


def test_unknown_ids_are_404_or_400(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    assert client.get("/ui/patients/not-a-uuid").status_code == 400
    login(client, world.tokens["c"])
    response = client.get(
        f"/ui/patients/{world.patient_a}/results/00000000-0000-4000-8000-000000000000/report.html"
    )
    assert response.status_code == 404


# ------------------------------------------------------------------ CSRF
def test_post_without_or_with_a_wrong_csrf_token_is_rejected(
    client: TestClient, world: World
) -> None:
    signed_in(client, world, "a")
    form = {"organisation": "Evil Corp"}
    assert client.post("/ui/me/consents", data=form).status_code == 403
    wrong = client.post("/ui/me/consents", data={**form, "csrf_token": "x" * 64})
    assert wrong.status_code == 403 and "could not be accepted" in wrong.text
    revoke = client.post(f"/ui/me/consents/{world.consent_c}/revoke")
    assert revoke.status_code == 403
    with world.session() as s:
        consents = list_consents(s, world.user_a, "treatment", world.patient_a)
    assert [c.grantee_organisation for c in consents] == [None]
    assert consents[0].status == "active"


def test_cross_origin_post_is_rejected_even_with_the_token(
    client: TestClient, world: World
) -> None:
    signed_in(client, world, "a")
    token = csrf_of(client.get("/ui/me/access").text)
    data = {"organisation": "Evil Corp", "csrf_token": token}
    evil = client.post("/ui/me/consents", data=data, headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    via_referer = client.post(
        "/ui/me/consents", data=data, headers={"Referer": "https://evil.example/page"}
    )
    assert via_referer.status_code == 403
    same = client.post("/ui/me/consents", data=data, headers={"Origin": "http://testserver"})
    assert same.status_code == 200 and "Evil Corp" in same.text


def test_public_url_origin_is_accepted_and_names_share_links(world: World) -> None:
    """Behind a TLS proxy the browser's Origin is the public URL, not the inner address."""
    with TestClient(build_app(world, public_url="https://pgx.example.org/")) as client:
        login(client, world.tokens["a"])
        token = csrf_of(client.get("/ui/me/shares").text)
        made = client.post(
            "/ui/me/shares",
            data={"days": "1", "csrf_token": token},
            headers={"Origin": "https://pgx.example.org"},
        )
        assert made.status_code == 201
        assert 'value="https://pgx.example.org/ui/shared#' in made.text


def test_csrf_token_is_bound_to_the_session(client: TestClient, world: World) -> None:
    """A token from one signed-in user's page is useless in another user's session."""
    signed_in(client, world, "b")
    b_token = csrf_of(client.get("/ui/me/access").text)
    login(client, world.tokens["a"])
    response = client.post(
        "/ui/me/consents", data={"organisation": "Evil Corp", "csrf_token": b_token}
    )
    assert response.status_code == 403


def test_login_and_logout_need_csrf(client: TestClient, world: World) -> None:
    client.get("/ui/login")
    response = client.post("/ui/login", data={"token": world.tokens["a"]})
    assert response.status_code == 403 and ui.AUTH_COOKIE not in client.cookies
    login(client, world.tokens["a"])
    assert client.post("/ui/logout", data={}).status_code == 403
    assert client.get("/ui/me").status_code == 200  # still signed in


def test_medication_review_and_share_forms_need_csrf(client: TestClient, world: World) -> None:
    signed_in(client, world, "a")
    assert client.post("/ui/me/shares", data={"days": "7"}).status_code == 403
    login(client, world.tokens["c"])
    response = client.post(
        f"/ui/patients/{world.patient_a}/review", data={"medications": "clopidogrel"}
    )
    assert response.status_code == 403
    assert client.post("/ui/patients/find", data={"mrn": "MRN-A"}).status_code == 403
