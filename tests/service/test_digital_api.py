"""Digital health through the API: device tokens, observation batches, questionnaires
with the PHQ-9 item-9 safety path, alerts and their acknowledgement."""

from __future__ import annotations

import json

from tailormed.record import digital as rd

from .conftest import Svc, auth


def hr_point(ident: str, when: str, bpm: int) -> dict[str, object]:
    return {
        "header": {
            "id": ident,
            "creation_date_time": when,
            "schema_id": {"namespace": "omh", "name": "heart-rate", "version": "2.0"},
            "acquisition_provenance": {"source_name": "Test Watch", "modality": "sensed"},
        },
        "body": {
            "heart_rate": {"value": bpm, "unit": "beats/min"},
            "effective_time_frame": {"date_time": when},
        },
    }


def test_device_posts_with_a_patient_granted_token(svc: Svc) -> None:
    base = f"/api/v1/patients/{svc.pat_a}/device-tokens"
    r = svc.post(base, svc.user_a, json={"label": "Test Watch"})
    assert r.status_code == 201, r.text
    token, tid = r.json()["token"], r.json()["device_token"]["id"]
    # a clinician cannot grant device tokens on the patient's behalf
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    assert svc.post(base, svc.clin_a, json={"label": "x"}).status_code == 403
    points = [hr_point(f"p{i}", f"2024-03-01T08:0{i}:00Z", 60 + i) for i in range(5)]
    body = "\n".join(json.dumps(p) for p in points)
    headers = {**auth(token), "Content-Type": "application/x-ndjson"}
    r = svc.client.post("/api/v1/devices/observations", content=body, headers=headers)
    assert r.status_code == 201, r.text
    assert r.json()["points"] == 5 and r.json()["new_points"] == 5
    again = svc.client.post("/api/v1/devices/observations", content=body, headers=headers)
    assert again.json()["duplicate"] is True
    day = svc.get(f"/api/v1/patients/{svc.pat_a}/digital/daily", svc.clin_a).json()
    assert day[0]["date"] == "2024-03-01" and day[0]["hr_samples"] == 5
    # a malformed point is refused with where it is; a deep document before parsing
    bad = json.dumps([{**points[0], "body": {"heart_rate": "fast"}}])
    r = svc.client.post(
        "/api/v1/devices/observations",
        content=bad,
        headers={**auth(token), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "data point [0]" in r.json()["error"]
    deep = "[" * 100 + "]" * 100
    r = svc.client.post("/api/v1/devices/observations", content=deep, headers=headers)
    assert r.status_code == 422
    # revoked: refused
    svc.post(f"{base}/{tid}/revoke", svc.user_a)
    r = svc.client.post("/api/v1/devices/observations", content=body, headers=headers)
    assert r.status_code == 401


def test_phq9_item9_shows_crisis_help_and_alerts_the_clinician(svc: Svc) -> None:
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    q = svc.get("/api/v1/questionnaires/PHQ-9", svc.user_a).json()
    assert q["resourceType"] == "Questionnaire" and q["code"][0]["code"] == "44249-1"
    resource = rd.new_questionnaire_response("PHQ-9", {n: 0 for n in range(1, 9)} | {9: 2})
    r = svc.post(f"/api/v1/patients/{svc.pat_a}/questionnaire-responses", svc.user_a, json=resource)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["crisis"] is True and "988" in out["crisis_resources"][0]["contact"]
    phq9 = next(s for s in out["scores"] if s["instrument"] == "PHQ-9")
    assert (phq9["total"], phq9["band"], phq9["loinc"], phq9["item9"]) == (
        2,
        "none-minimal",
        "44261-6",
        2,
    )
    [alert] = out["alerts"]
    assert alert["rule_id"] == "phq9-item9" and alert["severity"] == "critical"
    listed = svc.get(f"/api/v1/patients/{svc.pat_a}/alerts?open_only=true", svc.clin_a).json()
    assert [a["id"] for a in listed] == [alert["id"]]
    # the CDS Hooks patient-view card for the open alert (by MRN), none without consent
    hook = {
        "hook": "patient-view",
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": {"userId": "Practitioner/1", "patientId": "MRN-A1"},
    }
    r = svc.post("/cds-services/tailormed-patient-view", svc.clin_a, json=hook)
    assert r.status_code == 200, r.text
    [card] = r.json()["cards"]  # the PHQ-9 score itself (minimal) is not actionable
    assert card["indicator"] == "critical" and "PHQ-9 item 9" in card["summary"]
    assert "Assess suicide risk" in card["detail"]
    r = svc.post("/cds-services/tailormed-patient-view", svc.clin_b, json=hook)
    assert r.status_code == 200 and r.json()["cards"] == []
    ack = f"/api/v1/patients/{svc.pat_a}/alerts/{alert['id']}/acknowledge"
    assert svc.post(ack, svc.user_a, json={}).status_code == 403
    assert svc.post(ack, svc.clin_b, json={}).status_code == 403
    done = svc.post(ack, svc.clin_a, json={"note": "phoned"})
    assert done.status_code == 200 and done.json()["state"] == "acknowledged"
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/alerts?open_only=true", svc.clin_a).json() == []
    r = svc.post("/cds-services/tailormed-patient-view", svc.clin_a, json=hook)
    assert r.json()["cards"] == []  # acknowledged: no longer a card
    assert svc.post("/api/v1/alerts/escalate", svc.clin_a).status_code == 403
    assert svc.post("/api/v1/alerts/escalate", svc.admin).status_code == 200
