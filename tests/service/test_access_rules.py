"""Authentication on every endpoint, patient isolation on every patient endpoint, roles.

The route tables come from the app's own OpenAPI document, so a new endpoint is covered
(and must be given a body here if it needs one) without anyone remembering to.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from tailormed.record import Keyring
from tailormed.record.digital import new_questionnaire_response
from tailormed.service.app import create_app
from tailormed.service.settings import Settings
from tests.service.conftest import EXAMPLE_VCF, Svc, auth

# No sign-in by design: the token or code in the request is the credential (share links;
# enrolment and activation codes, refused with 403 and audited when wrong: see
# test_admin_escalation.py).
PUBLIC = {("GET", "/healthz"), ("GET", "/share/{token}"), ("POST", "/api/v1/activate")}


def _routes() -> list[tuple[str, str]]:
    app = create_app(Settings(database_url="sqlite://", keyring=Keyring([bytes(range(32))])))
    spec = app.openapi()
    return sorted(
        (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    )


ROUTES = _routes()
PROTECTED = [r for r in ROUTES if r not in PUBLIC]
PATIENT_ROUTES = [r for r in ROUTES if "{patient_id}" in r[1]]


def _bundle() -> bytes:
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4"}]},
        "subject": {"reference": "Patient/x"},
        "valueCodeableConcept": {"text": "CYP2C19 *1/*2"},
    }
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": obs}]}
    ).encode()


def _body(method: str, path: str) -> dict[str, Any]:
    """A valid request body for each route that takes one (so the access check is reached)."""
    tail = path.removeprefix("/api/v1/patients/{patient_id}")
    if path.endswith("/uploads/vcf"):
        return {"files": {"file": ("x.vcf", EXAMPLE_VCF.read_bytes(), "text/plain")}}
    if path.endswith("/uploads/outside"):
        return {"files": {"file": ("o.tsv", b"CYP2D6\t*1/*4\n", "text/plain")}}
    if path.endswith("/uploads/fhir"):
        return {"files": {"file": ("b.json", _bundle(), "application/json")}}
    table: dict[tuple[str, str], Any] = {
        ("POST", "/review"): {"medications": ["codeine"]},
        ("POST", "/medications"): {"name": "codeine 30 mg"},
        ("PATCH", "/medications/{medication_id}"): {"note": "changed"},
        ("POST", "/family-history"): {"relationship": "mother", "condition": "x"},
        ("PATCH", "/family-history/{entry_id}"): {"notes": "changed"},
        ("POST", "/consents"): {"grantee_organisation": "clinic-a"},
        ("POST", "/shares"): {"expires_in_days": 1},
        ("PUT", "/documents/{kind}"): {"age_years": 50},
        ("POST", "/device-tokens"): {"label": "watch"},
        ("POST", "/questionnaire-responses"): new_questionnaire_response(
            "PHQ-9", dict.fromkeys(range(1, 10), 0)
        ),
        ("POST", "/api/v1/users"): {"role": "clinician"},
        ("POST", "/api/v1/patients"): {"display_name": "X"},
        ("POST", "/cds-services/{service_id}"): {},
        ("POST", "/cds-services/{service_id}/feedback"): {},
    }
    body = table.get((method, tail), table.get((method, path)))
    return {} if body is None else {"json": body}


def _fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), str(uuid.uuid4())), path)


def _call(svc: Svc, method: str, path: str, token: str | None, **kw: Any) -> Any:
    headers = auth(token) if token else {}
    return svc.client.request(method, path, headers=headers, **kw)


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_no_token_is_401(shared_svc: Svc, method: str, path: str) -> None:
    url = _fill(path, {"service_id": "tailormed-pgx-order-sign"})
    r = _call(shared_svc, method, url, None, **_body(method, path))
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert set(r.json()) == {"error"}
    bad = _call(shared_svc, method, url, "not-a-token", **_body(method, path))
    assert bad.status_code == 401


def test_route_table_is_complete() -> None:
    assert len(PATIENT_ROUTES) >= 25
    assert ("POST", "/cds-services/{service_id}") in PROTECTED
    assert ("GET", "/cds-services") in PROTECTED


@pytest.fixture(scope="module")
def b_data(shared_svc: Svc) -> dict[str, str]:
    """Patient B's record with one of everything, made by B."""
    s, pb, tb = shared_svc, shared_svc.pat_b, shared_svc.user_b
    base = f"/api/v1/patients/{pb}"
    ids = {"patient_id": str(pb)}
    r = s.upload_vcf(pb, tb)
    assert r.status_code == 201, r.text
    ids["result_id"] = r.json()["id"]
    r = s.post(f"{base}/medications", tb, json={"name": "Secretol 5 mg"})
    ids["medication_id"] = r.json()["id"]
    r = s.post(f"{base}/family-history", tb, json={"relationship": "father", "condition": "Y"})
    ids["entry_id"] = r.json()["id"]
    ids["consent_id"] = s.grant(tb, pb, grantee_organisation="clinic-b")["id"]
    r = s.post(f"{base}/shares", tb, json={"expires_in_days": 2})
    ids["share_id"] = r.json()["share"]["id"]
    return ids


@pytest.mark.parametrize(
    ("method", "path"), PATIENT_ROUTES, ids=[f"{m} {p}" for m, p in PATIENT_ROUTES]
)
def test_patient_a_never_sees_patient_b(
    shared_svc: Svc, b_data: dict[str, str], method: str, path: str
) -> None:
    s = shared_svc
    r = _call(s, method, _fill(path, b_data), s.user_a, **_body(method, path))
    assert r.status_code in (403, 404), (r.status_code, r.text)
    for secret in ("Bob", "MRN-B2", "Secretol", "Sample_2", "CYP2C19"):
        assert secret not in r.text
    # and A's own record with B's item ids: the items are not found in A's record
    if any(
        k in path
        for k in ("{result_id}", "{medication_id}", "{entry_id}", "{consent_id}", "{share_id}")
    ):
        own = {**b_data, "patient_id": str(s.pat_a)}
        r = _call(s, method, _fill(path, own), s.user_a, **_body(method, path))
        assert r.status_code == 404, (r.status_code, r.text)
        assert "Secretol" not in r.text


def test_patient_a_cannot_find_b_or_review_b_result(
    shared_svc: Svc, b_data: dict[str, str]
) -> None:
    s = shared_svc
    assert s.get("/api/v1/patients", s.user_a, params={"external_id": "MRN-B2"}).status_code == 404
    r = s.post(
        f"/api/v1/patients/{s.pat_a}/review",
        s.user_a,
        json={"result_id": b_data["result_id"], "medications": ["codeine"]},
    )
    assert r.status_code == 404


def test_b_record_untouched_after_a_tried_everything(
    shared_svc: Svc, b_data: dict[str, str]
) -> None:
    s, base = shared_svc, f"/api/v1/patients/{shared_svc.pat_b}"
    assert s.get(base, s.user_b).json()["display_name"] == "Bob Brandt"
    assert len(s.get(f"{base}/results", s.user_b).json()) == 1
    meds = s.get(f"{base}/medications", s.user_b).json()
    assert [(m["name"], m["note"]) for m in meds] == [("Secretol 5 mg", None)]
    assert len(s.get(f"{base}/family-history", s.user_b).json()) == 1
    consents = s.get(f"{base}/consents", s.user_b).json()
    assert [c["status"] for c in consents] == ["active"]
    assert [sh["revoked"] for sh in s.get(f"{base}/shares", s.user_b).json()] == [False]
    # every refusal above was audited against B's record
    events = s.get(f"{base}/audit", s.user_b).json()
    assert sum(e["outcome"] == "failure" for e in events) >= len(PATIENT_ROUTES) - 1


def test_clinician_needs_consent_and_loses_it_on_revoke(svc: Svc) -> None:
    results = f"/api/v1/patients/{svc.pat_a}/results"
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    r = svc.get(results, svc.clin_a)
    assert r.status_code == 403 and "consent" in r.json()["error"]
    consent = svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    r = svc.get(results, svc.clin_a)
    assert r.status_code == 200 and len(r.json()) == 1
    assert svc.get(results, svc.clin_b).status_code == 403  # other clinic: nothing
    r = svc.post(f"/api/v1/patients/{svc.pat_a}/consents/{consent['id']}/revoke", svc.user_a)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert svc.get(results, svc.clin_a).status_code == 403


def test_organisation_consent_and_scopes(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    svc.grant(
        svc.user_a, svc.pat_a, grantee_organisation="clinic-b", scope="genes", genes=["CYP2C19"]
    )
    r = svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.clin_b)
    assert r.status_code == 200
    (result,) = r.json()
    assert result["scope"] == "partial"
    assert {g["gene"] for g in result["genes"]} == {"CYP2C19"}
    # scope "genes" gives no clinical history, and no right to write
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/medications", svc.clin_b).status_code == 403
    assert svc.upload_vcf(svc.pat_a, svc.clin_b).status_code == 403


def test_admin_manages_but_reads_no_phi(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.admin).status_code == 403
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/audit", svc.admin).status_code == 200
    r = svc.get("/api/v1/audit/verify", svc.admin)
    assert r.status_code == 200 and r.json()["valid"] is True


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("user_a", "POST", "/api/v1/users", {"role": "clinician"}),
        ("clin_a", "POST", "/api/v1/users", {"role": "admin"}),
        ("user_a", "POST", "/api/v1/patients", {"display_name": "Z"}),
        ("clin_a", "GET", "/api/v1/audit/verify", None),
        ("user_a", "GET", "/api/v1/audit/verify", None),
        ("clin_a", "DELETE", "/api/v1/patients/{pat_a}", None),
    ],
)
def test_roles(svc: Svc, who: str, method: str, path: str, body: Any) -> None:
    url = path.format(pat_a=svc.pat_a)
    r = svc.client.request(method, url, headers=auth(getattr(svc, who)), json=body)
    assert r.status_code == 403, r.text


def test_purpose_header(svc: Svc) -> None:
    assert svc.get("/api/v1/me", svc.clin_a).json()["purpose"] == "treatment"
    r = svc.client.get("/api/v1/me", headers={**auth(svc.clin_a), "X-Purpose": "research"})
    assert r.json()["purpose"] == "research"
    r = svc.client.get("/api/v1/me", headers={**auth(svc.clin_a), "X-Purpose": "marketing"})
    assert r.status_code == 422


def test_deactivated_user_and_replaced_token_stop_working(svc: Svc) -> None:
    me = svc.get("/api/v1/me", svc.clin_b).json()
    r = svc.post(f"/api/v1/users/{me['user_id']}/token", svc.clin_b)
    assert r.status_code == 200
    assert svc.get("/api/v1/me", svc.clin_b).status_code == 401
    new = r.json()["token"]
    assert svc.get("/api/v1/me", new).status_code == 200
    assert svc.post(f"/api/v1/users/{me['user_id']}/deactivate", svc.admin).status_code == 204
    assert svc.get("/api/v1/me", new).status_code == 401
