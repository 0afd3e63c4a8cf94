"""CDS Hooks 2.0 end to end: discovery, order-select / order-sign calls with realistic
EHR requests, consent, prefetch, feedback."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from tailormed.record.models import AuditEvent
from tailormed.service.cds import SUMMARY_MAX
from tests.service.conftest import Svc, auth

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SIGN = "/cds-services/tailormed-pgx-order-sign"
SELECT = "/cds-services/tailormed-pgx-order-select"
CLOPIDOGREL = ("32968", "clopidogrel 75 MG Oral Tablet")
CODEINE = ("2670", "codeine sulfate 30 MG Oral Tablet")
ACETAMINOPHEN = ("161", "acetaminophen 500 MG Oral Tablet")


def order(rid: str, drug: tuple[str, str], patient: str) -> dict[str, Any]:
    code, text = drug
    return {
        "resource": {
            "resourceType": "MedicationRequest",
            "id": rid,
            "status": "draft",
            "intent": "order",
            "subject": {"reference": f"Patient/{patient}"},
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": code, "display": text}],
                "text": text,
            },
            "dosageInstruction": [{"text": "1 tablet by mouth daily"}],
        }
    }


def hook_request(
    hook: str, patient: str, *drugs: tuple[str, str], prefetch: Any = None
) -> dict[str, Any]:
    entries = [order(f"mr-{n}", d, patient) for n, d in enumerate(drugs, start=1)]
    context: dict[str, Any] = {
        "userId": "Practitioner/dr-house",
        "patientId": patient,
        "encounterId": "enc-89284",
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries},
    }
    if hook == "order-select":
        context["selections"] = [f"MedicationRequest/mr-{len(drugs)}"]
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": {
            "access_token": "opaque-ehr-token-never-logged",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Observation.read",
            "subject": "tailormed",
        },
        "context": context,
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def genotype_bundle(patient: str, *genotypes: tuple[str, str]) -> dict[str, Any]:
    """A FHIR searchset as an EHR returns it for the pgxGenotypes prefetch template."""
    entries = []
    for n, (gene, diplotype) in enumerate(genotypes):
        entries.append(
            {
                "fullUrl": f"https://ehr.example.org/fhir/Observation/g{n}",
                "search": {"mode": "match"},
                "resource": {
                    "resourceType": "Observation",
                    "id": f"g{n}",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "84413-4"}]},
                    "subject": {"reference": f"Patient/{patient}"},
                    "valueCodeableConcept": {"text": f"{gene} {diplotype}"},
                },
            }
        )
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def cards_of(svc: Svc, url: str, body: dict[str, Any], token: str | None = None) -> list[Any]:
    r = svc.post(url, token or svc.clin_a, json=body)
    assert r.status_code == 200, r.text
    assert set(r.json()) <= {"cards", "systemActions"}
    cards = r.json()["cards"]
    for card in cards:
        assert len(card["summary"]) < SUMMARY_MAX
        assert card["source"]["label"]
        if card.get("suggestions"):
            assert card["selectionBehavior"] == "at-most-one"
    return list(cards)


@pytest.fixture
def consented(svc: Svc) -> Svc:
    """Patient A (MRN-A1, CYP2C19 *2/*2 from the example VCF) consented to clinic-a."""
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    svc.grant(svc.user_a, svc.pat_a, grantee_organisation="clinic-a")
    return svc


def test_discovery_lists_the_hooks(svc: Svc) -> None:
    r = svc.get("/cds-services", svc.clin_a)
    assert r.status_code == 200
    services = {s["hook"]: s for s in r.json()["services"]}
    assert set(services) == {"order-select", "order-sign", "patient-view"}
    assert services["patient-view"]["id"] == "tailormed-patient-view"
    for s in (services["order-select"], services["order-sign"]):
        assert s["id"] and s["description"]
        assert "{{context.patientId}}" in s["prefetch"]["pgxGenotypes"]
        assert "84413-4" in s["prefetch"]["pgxGenotypes"]


def test_clopidogrel_for_cyp2c19_poor_metabolizer(consented: Svc) -> None:
    body = hook_request("order-sign", "MRN-A1", CLOPIDOGREL)
    (card,) = cards_of(consented, SIGN, body)
    assert card["indicator"] in ("warning", "critical")
    assert "Poor Metabolizer" in card["summary"]
    assert "clopidogrel" in card["summary"].lower()
    assert "prasugrel" in card["detail"] or "ticagrelor" in card["detail"]
    (suggestion, *_) = card["suggestions"]
    action = suggestion["actions"][0]
    assert action == {
        "type": "delete",
        "description": "Remove the draft clopidogrel order",
        "resourceId": "MedicationRequest/mr-1",
    }
    assert "alternative" in suggestion["label"]
    assert card["overrideReasons"] and all(r["display"] for r in card["overrideReasons"])
    assert any(link["url"].startswith("https://") for link in card["links"])
    assert "null" not in str(card.values())  # no null fields sent to the EHR


def test_order_select_and_record_uuid_as_patient_id(consented: Svc) -> None:
    body = hook_request("order-select", str(consented.pat_a), CLOPIDOGREL)
    (card,) = cards_of(consented, SELECT, body)
    assert card["indicator"] in ("warning", "critical")


def test_codeine_for_cyp2d6_ultrarapid_is_critical(svc: Svc) -> None:
    r = svc.upload_outside(svc.pat_a, svc.user_a, "CYP2D6\t*1/*1x2\n")
    assert r.status_code == 201, r.text
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE))
    assert card["indicator"] == "critical"
    assert "Ultrarapid" in card["summary"]
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/mr-1"


def test_drug_without_guideline_gets_no_card(consented: Svc) -> None:
    body = hook_request("order-sign", "MRN-A1", ACETAMINOPHEN)
    assert cards_of(consented, SIGN, body) == []
    # mixed orders: only the one with guidance gets a card
    body = hook_request("order-sign", "MRN-A1", ACETAMINOPHEN, CLOPIDOGREL)
    (card,) = cards_of(consented, SIGN, body)
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "MedicationRequest/mr-2"


def _cds_failures(svc: Svc) -> list[AuditEvent]:
    with svc.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.__table__).where(
                AuditEvent.action.in_(("cds", "read")), AuditEvent.outcome == "failure"
            )
        ).all()
    return list(rows)  # type: ignore[arg-type]


def without_uuids(cards: list[Any]) -> list[Any]:
    """Cards with their (random) card and suggestion uuids removed, for comparison."""
    out = []
    for card in cards:
        card = {k: v for k, v in card.items() if k != "uuid"}
        card["suggestions"] = [
            {k: v for k, v in s.items() if k != "uuid"} for s in card.get("suggestions", [])
        ]
        out.append(card)
    return out


def test_no_consent_unknown_patient_and_revoked_get_the_same_unavailable_card(svc: Svc) -> None:
    # No consent, an unknown MRN and a record id without consent: one "no result available
    # to you" info card per guideline drug, identical in all three cases (no existence
    # oracle), and never an empty answer that looks like "no advice".
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    answers = [
        cards_of(svc, SIGN, hook_request("order-sign", ref, CLOPIDOGREL))
        for ref in ("MRN-A1", "MRN-ZZ", str(svc.pat_a))
    ]
    for cards in answers:
        (card,) = cards
        assert card["indicator"] == "info"
        assert card["summary"].startswith("No pharmacogenomic result available to you")
        assert "CYP2C19" in card["summary"] and "consider testing" in card["summary"]
        assert "suggestions" not in card
    assert len({str(without_uuids(a)).replace(str(svc.pat_a), "MRN") for a in answers}) == 1
    assert len(_cds_failures(svc)) >= 3  # each refusal is in the audit log
    consent = svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    assert card["indicator"] in ("warning", "critical")
    r = svc.post(f"/api/v1/patients/{svc.pat_a}/consents/{consent['id']}/revoke", svc.user_a)
    assert r.status_code == 200
    revoked = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    assert without_uuids(revoked) == without_uuids(answers[1])
    # a drug without any guideline still gets no card
    assert cards_of(svc, SIGN, hook_request("order-sign", "MRN-ZZ", ACETAMINOPHEN)) == []


def test_cds_reads_are_audited_as_cds(consented: Svc) -> None:
    cards_of(consented, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    events = consented.get(f"/api/v1/patients/{consented.pat_a}/audit", consented.user_a).json()
    cds = [e for e in events if e["action"] == "cds"]
    assert cds and cds[-1]["outcome"] == "success" and cds[-1]["entity_type"] == "result"
    assert "opaque-ehr-token" not in str(events)


def test_prefetched_genotypes_are_used_without_a_stored_result(svc: Svc) -> None:
    # no consent and nothing stored: the EHR sends the genotypes itself
    prefetch = {"pgxGenotypes": genotype_bundle("ehr-123", ("CYP2D6", "*1/*1x2"))}
    body = hook_request("order-sign", "ehr-123", CODEINE, prefetch=prefetch)
    (card,) = cards_of(svc, SIGN, body)
    assert card["indicator"] == "critical"
    body = hook_request("order-sign", "ehr-123", CLOPIDOGREL, prefetch=prefetch)
    (info,) = cards_of(svc, SIGN, body)  # CYP2C19 not in the prefetch: suggest the test
    assert info["indicator"] == "info"
    with svc.engine.connect() as conn:
        kinds = (
            conn.execute(select(AuditEvent.entity_type).where(AuditEvent.action == "cds"))
            .scalars()
            .all()
        )
    assert kinds == ["prefetch", "prefetch"]


def test_null_or_empty_prefetch_falls_back_to_the_record(consented: Svc) -> None:
    for value in (None, {"resourceType": "Bundle", "type": "searchset", "entry": []}):
        body = hook_request("order-sign", "MRN-A1", CLOPIDOGREL, prefetch={"pgxGenotypes": value})
        assert len(cards_of(consented, SIGN, body)) == 1


def test_prefetch_about_another_patient_is_refused(svc: Svc) -> None:
    prefetch = {"pgxGenotypes": genotype_bundle("someone-else", ("CYP2D6", "*1/*1x2"))}
    body = hook_request("order-sign", "ehr-123", CODEINE, prefetch=prefetch)
    r = svc.post(SIGN, svc.clin_a, json=body)
    assert r.status_code == 422 and "not about Patient/ehr-123" in r.json()["error"]


@pytest.mark.parametrize(
    ("change", "status"),
    [
        (lambda b: b.update(hook="patient-view"), 422),
        (lambda b: b["context"].pop("patientId"), 422),
        (lambda b: b["context"].pop("draftOrders"), 422),
        (lambda b: b.update(hookInstance="not-a-uuid"), 422),
        (lambda b: b.pop("fhirServer"), 422),  # fhirAuthorization without fhirServer
        (lambda b: b["context"]["draftOrders"].update(resourceType="List"), 422),
    ],
)
def test_malformed_requests(svc: Svc, change: Any, status: int) -> None:
    body = hook_request("order-sign", "MRN-A1", CLOPIDOGREL)
    change(body)
    r = svc.post(SIGN, svc.clin_a, json=body)
    assert r.status_code == status, r.text
    assert "opaque-ehr-token" not in r.text


def test_order_select_needs_selections_and_unknown_service_is_404(svc: Svc) -> None:
    body = hook_request("order-select", "MRN-A1", CLOPIDOGREL)
    del body["context"]["selections"]
    assert svc.post(SELECT, svc.clin_a, json=body).status_code == 422
    r = svc.post("/cds-services/nope", svc.clin_a, json=hook_request("order-sign", "x", CODEINE))
    assert r.status_code == 404


def test_only_clinicians_call_services(svc: Svc) -> None:
    body = hook_request("order-sign", "MRN-A1", CLOPIDOGREL)
    assert svc.post(SIGN, svc.user_a, json=body).status_code == 403
    assert svc.post(SIGN, svc.admin, json=body).status_code == 403
    assert svc.client.post(SIGN, json=body).status_code == 401
    r = svc.client.post(SIGN, json=body, headers=auth("forged"))
    assert r.status_code == 401


def test_feedback_is_accepted_and_audited(consented: Svc) -> None:
    (card,) = cards_of(consented, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    feedback = {
        "feedback": [
            {
                "card": card["uuid"],
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": card["suggestions"][0]["uuid"]}],
                "outcomeTimestamp": "2026-11-25T10:00:00Z",
            },
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "tolerated-before", "display": "Tolerated before"},
                    "userComment": "Alice Anders took it for years",
                },
                "outcomeTimestamp": "2026-11-25T10:01:00Z",
            },
        ]
    }
    r = consented.post(SIGN + "/feedback", consented.clin_a, json=feedback)
    assert r.status_code == 200 and r.json() == {"received": 2}
    with consented.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.entity_type == "cds_feedback"
            )
        ).all()
    assert [r.entity_id for r in rows] == [card["uuid"], card["uuid"]]
    assert "accepted" in rows[0].detail and card["suggestions"][0]["uuid"] in rows[0].detail
    assert "tolerated-before" in rows[1].detail
    assert all("Alice" not in (r.detail or "") for r in rows)  # free text is not kept
    bad = consented.post(SIGN + "/feedback", consented.clin_a, json={"feedback": []})
    assert bad.status_code == 422
    assert consented.post(SIGN + "/feedback", consented.user_a, json=feedback).status_code == 403


def test_erased_patient_and_reused_mrn(consented: Svc) -> None:
    svc = consented
    assert len(cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))) == 1
    assert (
        svc.client.delete(f"/api/v1/patients/{svc.pat_a}", headers=auth(svc.admin)).status_code
        == 204
    )
    erased = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    unknown = cards_of(svc, SIGN, hook_request("order-sign", "MRN-ZZ", CLOPIDOGREL))
    assert erased[0]["summary"].startswith("No pharmacogenomic result available to you")
    assert without_uuids(erased) == without_uuids(unknown)
    # the MRN is given to a new record (CYP2D6 ultrarapid only), registered by clinic-a
    r = svc.post(
        "/api/v1/patients",
        svc.clin_a,
        json={"display_name": "New", "external_id": "MRN-A1", "attest_treatment_consent": True},
    )
    assert r.status_code == 201
    new = r.json()["id"]
    assert svc.upload_outside(new, svc.clin_a, "CYP2D6\t*1/*1x2\n").status_code == 201
    codeine, clopidogrel = cards_of(
        svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE, CLOPIDOGREL)
    )
    assert "Ultrarapid" in codeine["summary"] and codeine["indicator"] == "critical"
    assert clopidogrel["indicator"] == "info"  # the new record has no CYP2C19 result
