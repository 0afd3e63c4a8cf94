"""Cardiovascular risk through the integration layer: run → report/FHIR, record, UI, CDS."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tailormed.cardio.risk import estimate_risk
from tailormed.cardio.sections import record_sections
from tailormed.factors import read_factors
from tailormed.knowledge import load_kb
from tailormed.pipeline import ClinicalInputs, SampleOutput, example_path, run
from tailormed.service.documents import SectionInputs
from tests.service.conftest import Svc, auth
from tests.service.ui_support import login

FACTORS = example_path("example-cardio-factors.json")
PCE_LOINC = "79423-0"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SampleOutput:
    out = run(
        [example_path("example-patient.vcf")],
        tmp_path_factory.mktemp("cardio"),
        load_kb(),
        pdf=False,
        outside=example_path("example-outside.tsv"),
        clinical=ClinicalInputs(
            factors=FACTORS,
            pgs=(example_path("example-pgs.txt"),),
            prs_reference=example_path("example-prs-reference.vcf.gz"),
            prs_populations=example_path("example-prs-populations.tsv"),
            options={"cardio.prs_genotypes": (example_path("example-prs-genotypes.vcf.gz"),)},
        ),
    )
    return out[0]


def _findings(out: SampleOutput) -> dict[str, dict[str, Any]]:
    report = json.loads(out.files["json"].read_text())
    return {f["code"]: f for f in report["findings"]}


def test_report_holds_the_cardio_section(demo: SampleOutput) -> None:
    report = json.loads(demo.files["json"].read_text())
    (section,) = report["sections"]
    assert section["domain"] == "cardio" and section["figures"][0]["svg"].startswith("<svg")
    found = _findings(demo)
    risk = estimate_risk(read_factors(FACTORS))
    assert risk.pce is not None
    assert found["cardio.pce"]["values"]["ascvd_10yr_percent"] == pytest.approx(risk.pce.ascvd_10yr)
    assert found["cardio.pce"]["codes"][0]["code"] == PCE_LOINC
    # 2026 ACC/AHA: intermediate is 5 to < 10 % 10-year PREVENT-ASCVD
    ascvd = found["cardio.statin"]["values"]["ascvd_10y_percent"]
    assert 5 <= ascvd < 10 and found["cardio.statin"]["values"]["category"] == "intermediate"
    assert "moderate-intensity statin" in found["cardio.statin"]["summary"]
    prs = found["cardio.prs.PGS001229"]
    assert prs["values"]["reference_population"] == "EUR"
    assert any("not part of the 2026" in x for x in prs["limitations"])
    # the demo's VCF is a pharmacogenomic panel: FH variants are said to be not assessed
    assert found["cardio.fh"]["summary"].startswith("FH variants not assessed")


def test_fhir_observations(demo: SampleOutput) -> None:
    bundle = json.loads(demo.files["fhir"].read_text())
    obs = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    pce = [o for o in obs if any(c.get("code") == PCE_LOINC for c in o["code"].get("coding", []))]
    assert len(pce) == 1 and pce[0]["valueQuantity"]["code"] == "%"
    prs = [o for o in obs if "PGS001229" in json.dumps(o["code"])]
    assert len(prs) == 1
    assert {"GE"} <= {c["code"] for cat in prs[0]["category"] for c in cat["coding"]}
    prevent = [o for o in obs if o["code"].get("text") == "Cardiovascular risk (AHA PREVENT)"]
    assert any("No LOINC code exists" in n["text"] for n in prevent[0]["note"])


def test_html_views(demo: SampleOutput) -> None:
    html = demo.files["html"].read_text()
    clinician, _, patient = html.partition('id="patient"')
    assert "Cardiovascular risk and statin decision" in clinician
    assert "Estimated 10-year risk" in clinician and "<svg" in clinician
    assert "Standing height" in clinician  # the PRS table, with its trait
    assert "heart attack or stroke" in patient and "in 100" in patient
    assert "The guideline advises a moderate-intensity" in patient


def test_pgx_only_factors_add_no_cardio_section(tmp_path: Path) -> None:
    out = run(
        [example_path("example-patient.vcf")],
        tmp_path,
        load_kb(),
        pdf=False,
        clinical=ClinicalInputs(factors=example_path("example-factors.json")),
    )
    assert out[0].sections == ()


def test_a_score_without_matching_variants_is_refused_and_said(tmp_path: Path) -> None:
    cad = Path(__file__).parents[2] / "../shared/data/cardio/pgs/PGS000010_hmPOS_GRCh38.txt"
    if not cad.exists():
        pytest.skip("shared data not available")
    out = run(
        [example_path("example-patient.vcf")],
        tmp_path,
        load_kb(),
        pdf=False,
        clinical=ClinicalInputs(factors=FACTORS, pgs=(cad,)),
    )
    (section,) = out[0].sections
    assert any("PGS000010 was refused" in x for x in section.limitations)
    assert not any(f.code.startswith("cardio.prs") for f in section.findings)


def test_record_section_without_a_genome_file() -> None:
    body = json.loads(FACTORS.read_text())
    (section,) = record_sections({"cardio.factors": body}, SectionInputs("P1", load_kb(), None))
    codes = {f.code: f for f in section.findings}
    assert codes["cardio.fh"].summary.startswith("FH variants not assessed")
    assert "no SLCO1B1/ABCG2/CYP2C9 results" in " ".join(codes["cardio.statin"].limitations)


def _order(svc: Svc, drug: str, rxnorm: str) -> list[dict[str, Any]]:
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
    return list(r.json()["cards"])


def test_record_ui_and_cds_say_the_same(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    base = f"/api/v1/patients/{svc.pat_a}"
    bad = svc.client.put(
        f"{base}/documents/cardio.factors", headers=auth(svc.user_a), json={"age_years": 400}
    )
    assert bad.status_code == 422 and "age_years" in bad.json()["error"]
    body = json.loads(FACTORS.read_text())
    r = svc.client.put(f"{base}/documents/cardio.factors", headers=auth(svc.user_a), json=body)
    assert r.status_code == 200, r.text
    stored = {
        f["finding"]["code"]: f["finding"] for f in svc.get(f"{base}/findings", svc.user_a).json()
    }
    statin = stored["cardio.statin"]
    assert "moderate-intensity statin" in statin["summary"]
    # the statin reports come from the stored result (SLCO1B1/ABCG2/CYP2C9 called)
    assert "fit this genotype (CPIC 2022)" in statin["summary"]
    sections = svc.get(f"{base}/sections", svc.user_a).json()
    assert sections[0]["figures"][0]["title"] == "Estimated 10-year risk"
    svc.grant(svc.user_a, svc.pat_a, grantee_organisation="clinic-a")
    cards = _order(svc, "simvastatin 20 mg", "36567")
    mine = [c for c in cards if c["source"]["label"].startswith("2026 ACC/AHA")]
    assert len(mine) == 1
    assert statin["summary"].startswith(mine[0]["summary"].rstrip("…"))
    assert "CPIC" in mine[0]["detail"] and "Circulation 2026" in mine[0]["detail"]
    assert not [
        c for c in _order(svc, "clopidogrel 75 mg", "32968") if "ACC/AHA" in c["source"]["label"]
    ]
    login(svc.client, svc.clin_a)
    page = svc.client.get(f"/ui/patients/{svc.pat_a}")
    assert "Cardiovascular risk and statin decision" in page.text and "<svg" in page.text


def test_stored_findings_follow_a_new_result(svc: Svc) -> None:
    base = f"/api/v1/patients/{svc.pat_a}"
    body = json.loads(FACTORS.read_text())
    r = svc.client.put(f"{base}/documents/cardio.factors", headers=auth(svc.user_a), json=body)
    assert r.status_code == 200, r.text

    def statin() -> dict[str, Any]:
        found = svc.get(f"{base}/findings", svc.user_a).json()
        return next(f["finding"] for f in found if f["finding"]["code"] == "cardio.statin")

    assert any("no SLCO1B1/ABCG2/CYP2C9 results" in x for x in statin()["limitations"])
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    assert "fit this genotype (CPIC 2022)" in statin()["summary"]
