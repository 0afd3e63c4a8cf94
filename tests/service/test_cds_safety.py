"""CDS Hooks: no silently wrong or silently empty answer (issue 8, item 10).

Each test states the clinical answer first:

* CYP2D6 normal metabolizer + paroxetine (a strong CYP2D6 inhibitor) on the record's
  medication list or in the same order set: phenoconverted to poor metabolizer, so CPIC
  says "Avoid codeine use because of possibility of diminished analgesia" (Strong) —
  the same advice as the patient's report / medication review;
* no pharmacogenomic result + a clopidogrel order: CPIC/DPWG use CYP2C19, so "consider
  CYP2C19 testing"; a drug no guideline covers: nothing to say;
* CYP2C19 *2/*2 (poor metabolizer) + clopidogrel: CPIC names prasugrel and ticagrelor
  ("Use prasugrel or ticagrelor at standard dose"), offered as CDS Hooks suggestions;
* warfarin: the IWPC + CPIC 2017 dose the report computes from the stored factors, or
  the factors it still needs.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy.orm import Session

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import load_kb
from tailormed.pipeline import example_path, read_factors
from tailormed.recommend import build_interpretation
from tailormed.record import UploadInfo, add_result
from tailormed.record.access import Actor
from tailormed.service.cds import OVERRIDE_REASON_SYSTEM, RXNORM
from tests.service.conftest import Svc
from tests.service.test_cds_hooks import (
    ACETAMINOPHEN,
    CLOPIDOGREL,
    CODEINE,
    SELECT,
    SIGN,
    cards_of,
    genotype_bundle,
    hook_request,
    without_uuids,
)

PAROXETINE = ("32937", "paroxetine 20 MG Oral Tablet")
WARFARIN = ("11289", "warfarin sodium 5 MG Oral Tablet")
CPIC_CODEINE_PM = "Avoid codeine use because of possibility of diminished analgesia"
PRASUGREL, TICAGRELOR = "613391", "1116632"  # RxNorm ingredients (PharmGKB drugs.tsv)


def _consent(svc: Svc, **body: Any) -> None:
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id), **body)


def _cyp2d6_normal(svc: Svc) -> None:
    r = svc.upload_outside(svc.pat_a, svc.user_a, "CYP2D6\t*1/*1\n")
    assert r.status_code == 201, r.text


def test_codeine_with_paroxetine_on_the_record_list_is_phenoconverted(svc: Svc) -> None:
    _cyp2d6_normal(svc)
    _consent(svc)
    # without the inhibitor: CYP2D6 normal metabolizer, codeine as labelled: no card
    assert cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE)) == []
    meds = f"/api/v1/patients/{svc.pat_a}/medications"
    assert svc.post(meds, svc.user_a, json={"name": "Paxil 20 mg daily"}).status_code == 201
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE))
    assert card["indicator"] == "critical"  # CPIC Strong "avoid"
    assert "CYP2D6 Poor Metabolizer (phenoconverted by paroxetine)" in card["summary"]
    assert CPIC_CODEINE_PM in card["summary"]
    assert "Paxil 20 mg daily (the record's medication list)" in card["detail"]
    assert "genotype alone" in card["detail"] and "Normal Metabolizer" in card["detail"]
    # the same advice as the medication review the report path gives for this list
    review = svc.post(
        f"/api/v1/patients/{svc.pat_a}/review",
        svc.clin_a,
        json={"medications": ["codeine 30 mg", "Paxil 20 mg daily"]},
    ).json()["reviews"][0]
    assert review["status"] == "actionable"
    for rec in review["recommendations"]:
        assert rec["text"] in card["detail"]
    # order-select gives the same card for the same order
    select = hook_request("order-select", "MRN-A1", CODEINE)
    assert without_uuids(cards_of(svc, SELECT, select)) == without_uuids([card])
    # an inactive medication no longer counts
    (med,) = svc.get(meds, svc.user_a).json()
    r = svc.client.patch(
        f"{meds}/{med['id']}", headers={"Authorization": f"Bearer {svc.user_a}"},
        json={"active": False},
    )  # fmt: skip
    assert r.status_code == 200
    assert cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE)) == []


def test_paroxetine_in_the_same_order_set_phenoconverts(svc: Svc) -> None:
    _cyp2d6_normal(svc)
    _consent(svc)
    body = hook_request("order-sign", "MRN-A1", CODEINE, PAROXETINE)
    cards = cards_of(svc, SIGN, body)
    codeine = [c for c in cards if "codeine" in c["summary"].lower()]
    assert len(codeine) == 1 and codeine[0]["indicator"] == "critical"
    assert "phenoconverted by paroxetine" in codeine[0]["summary"]
    assert "(this order set)" in codeine[0]["detail"]
    # order-select on the codeine order alone: paroxetine, also drafted, still counts
    select = hook_request("order-select", "MRN-A1", CODEINE, PAROXETINE)
    select["context"]["selections"] = ["MedicationRequest/mr-1"]
    assert without_uuids(cards_of(svc, SELECT, select)) == without_uuids(codeine)


def test_prefetched_medication_list_counts_for_phenoconversion(svc: Svc) -> None:
    paxil = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/ehr-9"},
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": "32937", "display": "paroxetine"}]
        },
    }
    prefetch = {
        "pgxGenotypes": genotype_bundle("ehr-9", ("CYP2D6", "*1/*1")),
        "pgxMedications": {"resourceType": "Bundle", "entry": [{"resource": paxil}]},
    }
    body = hook_request("order-sign", "ehr-9", CODEINE, prefetch=prefetch)
    (card,) = cards_of(svc, SIGN, body)
    assert card["indicator"] == "critical" and "paroxetine" in card["summary"]
    assert "the EHR's medication list" in card["detail"]
    assert "sent no medication list" not in card["detail"]
    prefetch["pgxMedications"] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    body = hook_request("order-sign", "ehr-9", CODEINE, prefetch=prefetch)
    assert cards_of(svc, SIGN, body) == []  # an empty list: nothing phenoconverts
    del prefetch["pgxMedications"]
    assert (
        cards_of(svc, SIGN, hook_request("order-sign", "ehr-9", CODEINE, prefetch=prefetch)) == []
    )


def test_no_results_on_file_suggests_testing_and_differs_from_no_access(svc: Svc) -> None:
    _consent(svc)  # entitled, nothing uploaded
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    assert card["indicator"] == "info"
    assert card["summary"].startswith("No pharmacogenomic result on file")
    assert "consider testing CYP2C19" in card["summary"]
    assert "ask about testing when starting new medications" in card["detail"]
    assert {link["url"] for link in card["links"]} and "suggestions" not in card
    # a drug no guideline covers: no card, results or not
    assert cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", ACETAMINOPHEN)) == []
    # a caller without consent is told less, and the same as for an unknown patient
    (other,) = cards_of(
        svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL), token=svc.clin_b
    )
    assert other["summary"].startswith("No pharmacogenomic result available to you")
    assert other["summary"] != card["summary"]


def test_gene_outside_a_partial_consent_is_not_reported_as_untested(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201  # CYP2C19 *2/*2
    _consent(svc, scope="genes", genes=["CYP2D6"])
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    assert card["indicator"] == "info"
    assert "No CYP2C19 result available to you" in card["summary"]
    assert "not covered by the patient's consent" in card["summary"]
    assert "medication list is not shared with you" in card["detail"]


def test_clopidogrel_poor_metabolizer_alternatives_links_and_override_reasons(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201  # CYP2C19 *2/*2
    _consent(svc)
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    urls = [link["url"] for link in card["links"]]
    assert len(urls) == len(set(urls)) == 2  # one CPIC and one DPWG guideline page
    assert card["overrideReasons"]
    for reason in card["overrideReasons"]:
        assert reason["system"] == OVERRIDE_REASON_SYSTEM and reason["code"] and reason["display"]
    assert card["selectionBehavior"] == "at-most-one"
    switches = {s["label"]: s for s in card["suggestions"] if "Switch" in s["label"]}
    assert [label.split(" (")[0] for label in switches] == [
        "Switch clopidogrel to prasugrel",
        "Switch clopidogrel to ticagrelor",
    ]
    for suggestion, code in zip(switches.values(), (PRASUGREL, TICAGRELOR), strict=True):
        create, delete = suggestion["actions"]
        assert delete == {
            "type": "delete",
            "description": "Remove the draft clopidogrel order",
            "resourceId": "MedicationRequest/mr-1",
        }
        assert create["type"] == "create" and "resourceId" not in create
        resource = create["resource"]
        assert resource["resourceType"] == "MedicationRequest"
        assert (resource["status"], resource["intent"]) == ("draft", "order")
        assert resource["subject"] == {"reference": "Patient/MRN-A1"}
        (coding,) = resource["medicationCodeableConcept"]["coding"]
        assert coding == {"system": RXNORM, "code": code, "display": coding["display"]}
        assert "prasugrel or ticagrelor" in resource["note"][0]["text"]
    # CPIC (neurovascular indications): "Prasugrel is contraindicated in patients with a
    # history of stroke or TIA." travels with the prasugrel suggestion only
    prasugrel, ticagrelor = switches.values()
    assert "see caution" in prasugrel["label"] and "see caution" not in ticagrelor["label"]
    stroke = "Prasugrel is contraindicated in patients with a history of stroke or TIA."
    assert stroke in prasugrel["actions"][0]["description"]
    assert "CVI ACS PCI" in prasugrel["label"]  # the population that names it
    assert len({s["uuid"] for s in card["suggestions"]}) == len(card["suggestions"])


def _store_with_factors(svc: Svc) -> None:
    """The example patient's result stored with the example's clinical factors (as
    ``tailormed run --factors`` would give), by the consented clinician."""
    kb = load_kb()
    vcf = example_path("example-patient.vcf")
    callset = call_files([vcf], kb, CallOptions())
    factors = read_factors(example_path("example-factors.json"))
    interpretation = build_interpretation(
        callset.for_sample(callset.samples[0]), kb, factors=factors
    )
    with Session(svc.engine) as session:
        add_result(
            session,
            Actor(svc.clin_a_id, "clinician"),
            "treatment",
            svc.pat_a,
            interpretation,
            UploadInfo("vcf", "0" * 64, vcf.stat().st_size, vcf.name),
        )


def test_warfarin_card_carries_the_reports_computed_dose(svc: Svc) -> None:
    _consent(svc)
    _store_with_factors(svc)
    results = svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.clin_a).json()
    report = svc.get(
        f"/api/v1/patients/{svc.pat_a}/results/{results[0]['id']}/report",
        svc.clin_a,
        params={"format": "json"},
    ).json()
    (drug,) = [d for d in report["drugs"] if d["drug"] == "warfarin"]
    (dose,) = [d for d in drug["doses"] if d["kind"] == "mg_per_week"]
    assert dose["value"] is not None
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", WARFARIN))
    assert f"{dose['value']:.1f} mg/week" in card["summary"]
    assert dose["text"] in card["detail"]
    assert "IWPC" in card["source"]["label"]


def test_warfarin_without_factors_says_what_is_missing(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    _consent(svc)
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", WARFARIN))
    assert card["indicator"] == "info"
    assert "needs age, height and weight" in card["summary"]


def test_cards_are_within_the_spec(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    _consent(svc)
    drugs = (CLOPIDOGREL, CODEINE, WARFARIN, ACETAMINOPHEN, PAROXETINE)
    for hook, url in (("order-sign", SIGN), ("order-select", SELECT)):
        body = hook_request(hook, "MRN-A1", *drugs)
        if hook == "order-select":
            body["context"]["selections"] = [f"MedicationRequest/mr-{n}" for n in range(1, 6)]
        for card in cards_of(svc, url, body):
            uuid.UUID(card["uuid"])
            assert card["indicator"] in ("info", "warning", "critical")
            assert card["source"]["label"] and len(card["summary"]) < 140
            assert "null" not in json.dumps(card) and "[]" not in json.dumps(card)


def test_results_combine_across_uploads_per_gene(svc: Svc) -> None:
    # a VCF (CYP2C19 *2/*2), then an outside CYP2D6 result: the newer upload must not
    # make CYP2C19 look untested; a gene two results call differently is named
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    _cyp2d6_normal(svc)
    _consent(svc)
    (card,) = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL))
    assert card["summary"].startswith("CYP2C19 Poor Metabolizer: Avoid clopidogrel")
    r = svc.upload_outside(svc.pat_a, svc.user_a, "CYP2C19\t*1/*1\n")
    assert r.status_code == 201
    assert cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CLOPIDOGREL)) == []
    cards = cards_of(svc, SIGN, hook_request("order-sign", "MRN-A1", CODEINE, PAROXETINE))
    codeine = next(c for c in cards if "codeine" in c["summary"].lower())
    assert (
        "CYP2C19: an earlier result reported *2/*2; the newer *1/*1 is used" in (codeine["detail"])
    )


def test_discovery_documents_medications_prefetch_and_no_access_behaviour(svc: Svc) -> None:
    services = svc.get("/cds-services", svc.clin_a).json()["services"]
    view = [s for s in services if s["hook"] == "patient-view"]
    assert len(view) == 1 and "no cards" in view[0]["usageRequirements"]
    for service in (s for s in services if s["hook"] != "patient-view"):
        assert "{{context.patientId}}" in service["prefetch"]["pgxMedications"]
        assert "no result available to you" in service["usageRequirements"]
        assert OVERRIDE_REASON_SYSTEM in service["usageRequirements"]
