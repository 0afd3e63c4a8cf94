"""Oncology through the service: documents in the record, sections, the UI and the
order-select resistance card (end to end, with consent and patient isolation).

Oracle for the card: CIViC EID238 (EGFR T790M, resistance to erlotinib, level A); for
osimertinib, the absence of any CIViC resistance item for T790M (it is T790M's therapy).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.documents import series_document
from tailormed.oncology.output import tumor_model
from tailormed.oncology.read import read_somatic
from tailormed.oncology.tumor import profile_tumour
from tailormed.pipeline import example_path
from tests.service.conftest import Svc, auth
from tests.service.ui_support import login

SELECT = "/cds-services/tailormed-pgx-order-select"


def _put(svc: Svc, patient: uuid.UUID, token: str, kind: str, body: Any) -> Any:
    return svc.client.put(
        f"/api/v1/patients/{patient}/documents/{kind}", headers=auth(token), json=body
    )


def _tumour_body() -> dict[str, Any]:
    kb = OncologyKnowledge.load()
    somatic = read_somatic(example_path("example-tumor.vcf"))
    return tumor_model(profile_tumour(somatic, "LUAD", kb)).model_dump(mode="json")


def _ctdna_body() -> dict[str, Any]:
    return series_document(example_path("example-ctdna.tsv")).model_dump(mode="json")


def _order_select(svc: Svc, token: str, mrn: str, text: str) -> list[dict[str, Any]]:
    order = {
        "resourceType": "MedicationRequest",
        "id": "o1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": f"Patient/{mrn}"},
        "medicationCodeableConcept": {"text": text},
    }
    body = {
        "hook": "order-select",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/1",
            "patientId": mrn,
            "selections": ["MedicationRequest/o1"],
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]},
        },
    }
    r = svc.post(SELECT, token, json=body)
    assert r.status_code == 200, r.text
    return list(r.json()["cards"])


def _resistance(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in cards if "known resistance variant" in c["summary"]]


def test_documents_sections_and_the_resistance_card(svc: Svc, tmp_path: Path) -> None:
    assert _put(svc, svc.pat_a, svc.user_a, "oncology.tumor", _tumour_body()).status_code == 200
    assert _put(svc, svc.pat_a, svc.user_a, "oncology.ctdna", _ctdna_body()).status_code == 200
    sections = svc.get(f"/api/v1/patients/{svc.pat_a}/sections", svc.user_a).json()
    titles = [s["title"] for s in sections]
    assert "Tumour profile: Lung Adenocarcinoma (LUAD)" in titles
    assert "ctDNA monitoring: molecular progression resistance" in titles
    tumour = next(s for s in sections if s["title"].startswith("Tumour profile"))
    therapy = next(t for t in tumour["tables"] if t["title"] == "Therapy options")
    assert ["erlotinib", "sensitive"] in [row[:2] for row in therapy["rows"]]
    ctdna = next(s for s in sections if s["title"].startswith("ctDNA"))
    assert ctdna["figures"][0]["svg"].startswith("<svg")
    found = svc.get(f"/api/v1/patients/{svc.pat_a}/findings", svc.user_a).json()
    assert "oncology.ctdna.status" in {f["finding"]["code"] for f in found}

    # no consent yet: the clinician gets no oncology card (and no hint of the record)
    assert (
        _resistance(_order_select(svc, svc.clin_a, "MRN-A1", "erlotinib 150 MG Oral Tablet")) == []
    )
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    (card,) = _resistance(_order_select(svc, svc.clin_a, "MRN-A1", "erlotinib 150 MG Oral Tablet"))
    assert card["indicator"] == "warning"
    assert "EGFR T790M" in card["detail"] and "latest ctDNA draw (2024-06-03" in card["detail"]
    assert card["source"]["label"] == "CIViC (2024-08-01)"
    assert "https://civicdb.org/links/evidence_items/238" in {x["url"] for x in card["links"]}
    # osimertinib is T790M's therapy: no resistance card
    assert (
        _resistance(_order_select(svc, svc.clin_a, "MRN-A1", "osimertinib 80 MG Oral Tablet")) == []
    )
    # another patient's orders never see patient A's tumour
    assert _put(svc, svc.pat_b, svc.user_b, "oncology.ctdna", _ctdna_body()).status_code == 200
    svc.grant(svc.user_b, svc.pat_b, grantee_user_id=str(svc.clin_a_id))
    assert (
        svc.client.delete(
            f"/api/v1/patients/{svc.pat_b}/documents/oncology.ctdna", headers=auth(svc.clin_a)
        ).status_code
        == 204
    )
    assert (
        _resistance(_order_select(svc, svc.clin_a, "MRN-B2", "erlotinib 150 MG Oral Tablet")) == []
    )
    # the UI: therapy table and the ctDNA chart on the clinician's page
    login(svc.client, svc.clin_a)
    page = svc.client.get(f"/ui/patients/{svc.pat_a}")
    assert page.status_code == 200
    assert "Therapy options" in page.text and "ctDNA draws" in page.text and "<svg" in page.text
    svc.client.cookies.clear()


def test_bad_documents_are_refused(svc: Svc) -> None:
    body = _ctdna_body()
    body["rows"][0]["vaf"] = 4.0  # a percentage, not a fraction
    r = _put(svc, svc.pat_a, svc.user_a, "oncology.ctdna", body)
    assert r.status_code == 422 and "oncology.ctdna" in r.json()["error"]
    tumour = _tumour_body()
    tumour["variants"][0]["tier"] = "V"
    assert _put(svc, svc.pat_a, svc.user_a, "oncology.tumor", tumour).status_code == 422
    assert (
        svc.get(f"/api/v1/patients/{svc.pat_a}/documents/oncology.ctdna", svc.user_a).status_code
        == 404
    )
