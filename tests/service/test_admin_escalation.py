"""The admin escalation, through the REST API: admins administer, never read a genome.

Before: ``POST /api/v1/users {"role": "patient", "patient_id": X}`` gave the admin a
token that read and exported X's record, and ``POST /users/{uid}/token`` on the
patient's account did too (and locked the patient out). Each route an admin could use
to get a token that reads patient data is tried here, and the enrolment flow that
replaces them is run end to end.
"""

from __future__ import annotations

from typing import Any

from tests.service.conftest import Svc, auth, redeem


def _me(svc: Svc, token: str) -> dict[str, Any]:
    r = svc.get("/api/v1/me", token)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _genome_readable_with(svc: Svc, token: str) -> bool:
    results = svc.get(f"/api/v1/patients/{svc.pat_a}/results", token)
    export = svc.get(f"/api/v1/patients/{svc.pat_a}/export", token, params={"pdf": False})
    return results.status_code == 200 or export.status_code == 200


def test_admin_cannot_create_a_patient_account(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    r = svc.post("/api/v1/users", svc.admin, json={"role": "patient", "patient_id": str(svc.pat_a)})
    assert r.status_code == 403, r.text
    assert "enrolment code" in r.json()["error"]
    assert "token" not in r.text and "code" not in r.json()
    assert not _genome_readable_with(svc, svc.admin)


def test_admin_cannot_replace_a_patients_token(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    patient_id = _me(svc, svc.user_a)["user_id"]
    r = svc.post(f"/api/v1/users/{patient_id}/token", svc.admin)
    assert r.status_code == 403, r.text
    assert "token" not in r.json()
    assert _me(svc, svc.user_a)["role"] == "patient"  # not locked out
    r = svc.post(f"/api/v1/users/{patient_id}/activation", svc.admin)
    assert r.status_code == 403, r.text
    assert _me(svc, svc.user_a)["role"] == "patient"


def test_admin_cannot_take_over_a_clinician_token(svc: Svc) -> None:
    r = svc.post(f"/api/v1/users/{svc.clin_a_id}/token", svc.admin)
    assert r.status_code == 403
    assert _me(svc, svc.clin_a)["role"] == "clinician"


def test_admin_cannot_issue_an_enrolment_code(svc: Svc) -> None:
    r = svc.post(f"/api/v1/patients/{svc.pat_a}/enrolment", svc.admin)
    assert r.status_code == 403, r.text
    mine = svc.post("/api/v1/patients", svc.admin, json={"display_name": "Made By Admin"})
    assert mine.status_code == 201
    r = svc.post(f"/api/v1/patients/{mine.json()['id']}/enrolment", svc.admin)
    assert r.status_code == 403, r.text


def test_new_clinician_gets_an_activation_code_not_a_token(svc: Svc) -> None:
    r = svc.post(
        "/api/v1/users",
        svc.admin,
        json={"role": "clinician", "display_name": "Dr Cara Chen", "organisation": "clinic-c"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert "token" not in body and body["user"]["activated"] is False
    code = body["activation"]["code"]
    token, user_id = redeem(svc.client, code)
    assert _me(svc, token)["role"] == "clinician"
    # the code is spent: whoever held it (the admin included) cannot use it again
    again = svc.client.post("/api/v1/activate", json={"code": code})
    assert again.status_code == 403 and "already used" in again.json()["error"]
    listed = {u["id"]: u for u in svc.get("/api/v1/users", svc.admin).json()}
    assert listed[str(user_id)]["activated"] is True
    assert "token" not in str(listed)


def test_patient_enrolment_end_to_end_is_audited_with_the_real_actors(svc: Svc) -> None:
    r = svc.post(
        "/api/v1/patients",
        svc.clin_a,
        json={"display_name": "Pat Newcomer", "external_id": "MRN-N1"},
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    issued = svc.post(f"/api/v1/patients/{pid}/enrolment", svc.clin_a)
    assert issued.status_code == 201, issued.text
    code = issued.json()["code"]
    token, patient_user = redeem(svc.client, code)
    assert _me(svc, token)["role"] == "patient"
    assert svc.get(f"/api/v1/patients/{pid}/results", token).status_code == 200
    # single use
    assert svc.client.post("/api/v1/activate", json={"code": code}).status_code == 403
    # no second account while this one is active
    assert svc.post(f"/api/v1/patients/{pid}/enrolment", svc.clin_a).status_code == 403
    trail = svc.get(f"/api/v1/patients/{pid}/audit", token).json()
    enrol = [e for e in trail if e["entity_type"] == "enrolment" and e["outcome"] == "success"]
    clin_a_id = _me(svc, svc.clin_a)["user_id"]
    assert [(e["action"], e["actor_id"], e["actor_role"]) for e in enrol] == [
        ("create", clin_a_id, "clinician"),
        ("create", str(patient_user), "patient"),
    ]


def test_a_clinician_cannot_enrol_someone_elses_patient(svc: Svc) -> None:
    # pat_a was registered by the registrar; clinic-b has no consent
    r = svc.post(f"/api/v1/patients/{svc.pat_a}/enrolment", svc.clin_b)
    assert r.status_code == 403


def test_patients_find_clinicians_by_name(svc: Svc) -> None:
    r = svc.get("/api/v1/clinicians", svc.user_a, params={"name": "ada"})
    assert r.status_code == 200, r.text
    assert [(c["display_name"], c["organisation"]) for c in r.json()] == [
        ("Dr Ada Lovelace", "clinic-a")
    ]
    assert svc.get("/api/v1/clinicians", svc.admin).status_code == 403
    everyone = svc.get("/api/v1/clinicians", svc.user_a).json()
    assert {c["display_name"] for c in everyone} >= {"Dr Ada Lovelace", "Dr Bea Bloggs"}
    # then the consent names the id the directory gave
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=r.json()[0]["id"])
    assert svc.get(f"/api/v1/patients/{svc.pat_a}", svc.clin_a).status_code == 200


def test_wrong_codes_are_refused_without_detail(svc: Svc) -> None:
    for code in ("AAAA-BBBB-CCCC-DDDD", "x" * 20):
        r = svc.client.post("/api/v1/activate", json={"code": code})
        assert r.status_code == 403, r.text
    r = svc.client.post("/api/v1/activate", json={"code": "short"})
    assert r.status_code == 422
    assert svc.client.post("/api/v1/activate", headers=auth("nonsense"), json={}).status_code == 422
