"""Documents, findings, sections and CDS provider cards through the service."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from tailormed.findings import Finding, Section
from tailormed.knowledge import KnowledgeBase
from tailormed.service.cds_providers import (
    CdsContext,
    CdsProvider,
    register_cds_provider,
    unregister_cds_provider,
)
from tailormed.service.documents import (
    SectionInputs,
    register_document_kind,
    register_section_provider,
    unregister_document_kind,
    unregister_section_provider,
)
from tests.integration_layer.sample import section
from tests.service.conftest import Svc, auth
from tests.service.ui_support import login


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ldl_mg_dl: float = Field(gt=0, lt=2000)


def sections_of(docs: Mapping[str, Any], inputs: SectionInputs) -> list[Section]:
    s = section(inputs.subject)
    ldl = docs["cardio.test"]["ldl_mg_dl"]
    first = s.findings[1]
    changed = Finding(
        domain="cardio",
        code=first.code,
        title=first.title,
        severity=first.severity,
        summary=f"LDL-C {ldl:g} mg/dL: start a statin.",
        subject=inputs.subject,
        recommendations=first.recommendations,
        sources=first.sources,
    )
    return [
        Section(
            domain="cardio",
            title=s.title,
            subject=s.subject,
            findings=(changed,),
            figures=s.figures,
        )
    ]


def statin_cards(
    drugs: Sequence[str], docs: Mapping[str, Any], kb: KnowledgeBase, ctx: CdsContext
) -> list[Finding]:
    if "simvastatin" not in drugs or "cardio.test" not in docs:
        return []
    return list(sections_of(docs, SectionInputs(ctx.patient_ref, kb))[0].findings)


@pytest.fixture
def domain() -> Iterator[None]:
    register_document_kind("cardio.test", Body, title="Test body")
    register_section_provider("cardio", sections_of)
    register_cds_provider(CdsProvider("order-select", statin_cards, "test-statin"))
    yield
    unregister_document_kind("cardio.test")
    unregister_section_provider("cardio")
    unregister_cds_provider("test-statin")


def _put(svc: Svc, token: str, body: Any) -> Any:
    return svc.client.put(
        f"/api/v1/patients/{svc.pat_a}/documents/cardio.test", headers=auth(token), json=body
    )


def test_documents_findings_sections(svc: Svc, domain: None) -> None:
    assert _put(svc, svc.user_a, {"ldl_mg_dl": -1}).status_code == 422
    assert _put(svc, svc.user_a, {"ldl_mg_dl": 190, "x": 1}).status_code == 422
    r = svc.client.put(
        f"/api/v1/patients/{svc.pat_a}/documents/cardio.unknown", headers=auth(svc.user_a), json={}
    )
    assert r.status_code == 422 and "unknown document kind" in r.json()["error"]
    r = _put(svc, svc.user_a, {"ldl_mg_dl": 190})
    assert r.status_code == 200 and r.json()["version"] == 1
    got = svc.get(f"/api/v1/patients/{svc.pat_a}/documents/cardio.test", svc.user_a).json()
    assert got["body"] == {"ldl_mg_dl": 190}
    found = svc.get(f"/api/v1/patients/{svc.pat_a}/findings", svc.user_a).json()
    assert [f["finding"]["summary"] for f in found] == ["LDL-C 190 mg/dL: start a statin."]
    secs = svc.get(f"/api/v1/patients/{svc.pat_a}/sections", svc.user_a).json()
    assert secs[0]["findings"][0]["summary"] == "LDL-C 190 mg/dL: start a statin."
    # another patient and a clinician without consent see nothing
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/findings", svc.user_b).status_code == 403
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/sections", svc.clin_a).status_code == 403
    # the UI pages show the section (clinician with consent; the patient)
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    login(svc.client, svc.clin_a)
    page = svc.client.get(f"/ui/patients/{svc.pat_a}")
    assert page.status_code == 200 and "LDL-C 190 mg/dL: start a statin." in page.text
    assert "<svg" in page.text
    svc.client.cookies.clear()
    login(svc.client, svc.user_a)
    mine = svc.client.get("/ui/me")
    assert "A cholesterol-lowering" not in mine.text  # this test provider sets no patient text
    assert "Your care team will explain these results to you." in mine.text
    svc.client.cookies.clear()
    # delete: the findings follow
    r = svc.client.delete(
        f"/api/v1/patients/{svc.pat_a}/documents/cardio.test", headers=auth(svc.clin_a)
    )
    assert r.status_code == 204
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/findings", svc.user_a).json() == []


def _order_select(svc: Svc, drug: str, rxnorm: str) -> dict[str, Any]:
    order = {
        "resourceType": "MedicationRequest",
        "id": "o1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/MRN-A1"},
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": rxnorm}],
            "text": drug,
        },
    }
    body = {
        "hook": "order-select",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/1",
            "patientId": "MRN-A1",
            "selections": ["MedicationRequest/o1"],
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]},
        },
    }
    r = svc.post("/cds-services/tailormed-pgx-order-select", svc.clin_a, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_cds_provider_cards_and_patient_view(svc: Svc, domain: None) -> None:
    assert _put(svc, svc.user_a, {"ldl_mg_dl": 190}).status_code == 200
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    cards = _order_select(svc, "simvastatin 20 mg", "36567")["cards"]
    mine = [c for c in cards if c["summary"].startswith("LDL-C 190")]
    assert len(mine) == 1
    assert mine[0]["indicator"] == "warning" and "Rosuvastatin 5-10 mg daily." in mine[0]["detail"]
    assert mine[0]["source"]["label"] == "Guideline (2026)"
    # patient-view: stored findings that call for action
    services = svc.get("/cds-services", svc.clin_a).json()["services"]
    assert "patient-view" in {s["hook"] for s in services}
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/1", "patientId": "MRN-A1"},
    }
    r = svc.post("/cds-services/tailormed-patient-view", svc.clin_a, json=body)
    assert r.status_code == 200, r.text
    assert [c["summary"] for c in r.json()["cards"]] == ["LDL-C 190 mg/dL: start a statin."]
    # a clinician without consent gets no card (and no hint the patient exists)
    r = svc.post("/cds-services/tailormed-patient-view", svc.clin_b, json=body)
    assert r.status_code == 200 and r.json()["cards"] == []
