"""Web UI flows through the TestClient: enrolment, consent by clinician name, uploads.

* a clinician registers a patient and gets an enrolment code to hand over; the patient
  redeems it at ``/ui/enrol``, is signed in and sees their token once;
* a patient gives consent by choosing a clinician by name (no UUID anywhere on the page);
* patients upload their own result, consented clinicians one for the patient; the
  upload is refused (nothing stored) without the CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailormed.pipeline import example_path
from tailormed.record import list_results
from tests.service.ui_support import World, build_app, csrf_of, login, new_world, post_form

CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
VCF = example_path("example-patient.vcf")


@pytest.fixture
def world(tmp_path: Path) -> World:
    return new_world(tmp_path)


@pytest.fixture
def app(world: World) -> Iterator[TestClient]:
    with TestClient(build_app(world)) as c:
        yield c


def _results(world: World, who: str = "a") -> int:
    actor = {"a": world.user_a, "b": world.user_b}[who]
    pid = {"a": world.patient_a, "b": world.patient_b}[who]
    with world.session() as s:
        return len(list_results(s, actor, "treatment", pid))


# ------------------------------------------------------------------ enrolment
def test_clinician_registers_and_the_patient_enrols_with_the_code(
    app: TestClient, world: World
) -> None:
    login(app, world.tokens["c"])
    page = post_form(
        app,
        "/ui/patients",
        "/ui/patients/register",
        {"name": "Noor Newcomer", "mrn": "MRN-N", "attest": "true"},
    )
    assert page.status_code == 201, page.text
    code = CODE.search(page.text)
    assert code and "Noor Newcomer" in page.text and "/ui/enrol" in page.text

    patient = TestClient(
        app.app
    )  # a second browser (no lifespan of its own)  # the patient's own browser
    form = patient.get("/ui/enrol")
    assert form.status_code == 200
    done = patient.post(
        "/ui/enrol", data={"code": code.group().lower(), "csrf_token": csrf_of(form.text)}
    )
    assert done.status_code == 200, done.text
    token = re.search(r'id="new-token">([^<]+)<', done.text)
    assert token and len(token.group(1)) > 40
    me = patient.get("/ui/me")
    assert me.status_code == 200 and "Noor Newcomer" in me.text
    # the code is spent
    form = patient.get("/ui/enrol")
    again = patient.post("/ui/enrol", data={"code": code.group(), "csrf_token": csrf_of(form.text)})
    assert again.status_code == 403 and "already used" in again.text
    # with the attested consent the clinician sees the new record in the list
    assert "Noor Newcomer" in app.get("/ui/patients").text


def test_wrong_code_and_missing_csrf_are_refused(app: TestClient) -> None:
    form = app.get("/ui/enrol")
    bad = app.post(
        "/ui/enrol", data={"code": "ABCD-EFGH-JKMN-PQRS", "csrf_token": csrf_of(form.text)}
    )
    assert bad.status_code == 403 and "unknown" in bad.text.lower()
    assert "tm_ui_session" not in bad.headers.get("set-cookie", "")
    forged = app.post("/ui/enrol", data={"code": "ABCD-EFGH-JKMN-PQRS"})
    assert forged.status_code == 403 and "Form expired" in forged.text


def test_new_enrolment_code_is_refused_while_the_patient_has_an_account(
    app: TestClient, world: World
) -> None:
    login(app, world.tokens["c"])  # C has A's treatment consent; A has an account
    page = post_form(
        app, f"/ui/patients/{world.patient_a}", f"/ui/patients/{world.patient_a}/enrolment", {}
    )
    assert page.status_code == 403 and "active patient account" in page.text


def test_admin_has_no_patient_pages(app: TestClient, world: World) -> None:
    login(app, world.tokens["admin"], expect=403)
    assert app.get(f"/ui/patients/{world.patient_a}").status_code == 403


# ------------------------------------------------------------------ consent by name
def test_patient_chooses_a_clinician_by_name(app: TestClient, world: World) -> None:
    login(app, world.tokens["b"])
    start = app.get("/ui/me/access")
    assert start.status_code == 200
    assert "user id" not in start.text.lower()  # nobody asks a patient for a UUID
    found = app.get("/ui/me/access", params={"find": "casey"})
    assert "Dr Casey Clinician" in found.text and "clinic-a" in found.text
    assert "Dr Dana Doctor" not in found.text
    choice = re.search(r'name="clinician_id" value="([0-9a-f-]{36})"', found.text)
    assert choice
    done = app.post(
        "/ui/me/consents",
        data={
            "clinician_id": choice.group(1),
            "consent_purpose": "treatment",
            "scope": "all",
            "csrf_token": csrf_of(found.text),
        },
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Consent granted" in done.text
    assert "Dr Casey Clinician" in done.text  # listed by name, not by id
    current = done.text.split('id="current-h"')[1].split("</section>")[0]
    shown = re.sub(r"<[^>]*>", " ", current)  # what the patient reads (form actions aside)
    assert "Dr Casey Clinician" in shown and not UUID.search(shown)
    clinician = TestClient(app.app)  # a second browser (no lifespan of its own)
    login(clinician, world.tokens["c"])
    assert clinician.get(f"/ui/patients/{world.patient_b}").status_code == 200


def test_search_without_matches_says_so(app: TestClient, world: World) -> None:
    login(app, world.tokens["b"])
    page = app.get("/ui/me/access", params={"find": "zzz-nobody"})
    assert page.status_code == 200 and "No clinician" in page.text


# ------------------------------------------------------------------ uploads
def _upload(
    client: TestClient, page_url: str, action: str, *, csrf: bool = True, kind: str = "vcf"
):  # type: ignore[no-untyped-def]
    page = client.get(page_url)
    assert page.status_code == 200, page.text
    data = {"kind": kind}
    if csrf:
        data = {"csrf_token": csrf_of(page.text), **data}
    with open(VCF, "rb") as fh:
        return client.post(
            action,
            data=data,
            files={
                "file": (VCF.name, fh, "text/plain"),
                "outside": ("", b"", "application/octet-stream"),
            },
        )


def test_patient_uploads_their_own_genome(app: TestClient, world: World) -> None:
    login(app, world.tokens["a"])
    assert 'enctype="multipart/form-data"' in app.get("/ui/me").text
    before = _results(world)
    done = _upload(app, "/ui/me", "/ui/me/uploads")
    assert done.status_code == 200, done.text
    assert "result added" in done.text.lower()
    assert _results(world) == before + 1


def test_upload_without_csrf_stores_nothing(app: TestClient, world: World) -> None:
    login(app, world.tokens["a"])
    before = _results(world)
    refused = _upload(app, "/ui/me", "/ui/me/uploads", csrf=False)
    assert refused.status_code == 403 and "Form expired" in refused.text
    assert _results(world) == before


def test_consented_clinician_uploads_for_the_patient_others_cannot(
    app: TestClient, world: World
) -> None:
    login(app, world.tokens["c"])
    before = _results(world)
    done = _upload(
        app, f"/ui/patients/{world.patient_a}", f"/ui/patients/{world.patient_a}/uploads"
    )
    assert done.status_code == 200, done.text
    assert _results(world) == before + 1
    other = TestClient(app.app)  # a second browser (no lifespan of its own)
    login(other, world.tokens["d"])
    page = other.get("/ui/login")  # any page for a CSRF token of D's session
    with open(VCF, "rb") as fh:
        refused = other.post(
            f"/ui/patients/{world.patient_a}/uploads",
            data={
                "csrf_token": csrf_of(page.text) if "csrf_token" in page.text else "",
                "kind": "vcf",
            },
            files={"file": (VCF.name, fh, "text/plain")},
        )
    assert refused.status_code == 403
    assert _results(world) == before + 1


def test_unusable_upload_is_a_readable_error(app: TestClient, world: World) -> None:
    login(app, world.tokens["a"])
    page = app.get("/ui/me")
    r = app.post(
        "/ui/me/uploads",
        data={"csrf_token": csrf_of(page.text), "kind": "vcf"},
        files={"file": ("broken.vcf", b"this is not a VCF\n", "text/plain")},
    )
    assert r.status_code == 400
    assert "broken.vcf" in r.text and "Traceback" not in r.text
