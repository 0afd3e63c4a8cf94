"""Oncology FHIR output (Genomics Reporting IG 3.0.0): codes as the IG's FSH defines them.

Oracles: the IG's own codes (CGFindings.fsh, CGImplications.fsh, CGValueSets.fsh at tag
3.0.0), the CIViC evidence behind each implication, and the synthetic ctDNA series.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.ctdna import Rules, classify_series
from tailormed.oncology.documents import TumorDocument, report_from_document
from tailormed.oncology.fhir import ctdna_bundle, tumor_bundle
from tailormed.oncology.models import TumorReport
from tailormed.oncology.output import tumor_model
from tailormed.oncology.read import read_somatic
from tailormed.oncology.read_ctdna import read_series
from tailormed.oncology.tumor import profile_tumour
from tests.oncology.fixtures import L858R, T790M, VUS, write_vep
from tests.oncology.series import write_series

LOINC = "http://loinc.org"


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


@pytest.fixture
def report(kb: OncologyKnowledge, tmp_path: Path) -> TumorReport:
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [L858R, T790M, VUS]))
    return profile_tumour(somatic, "LUAD", kb, msi="MSS", tmb=12.0)


def _code(concept: dict[str, Any]) -> str:
    return str(concept["coding"][0]["code"])


def _components(obs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {_code(c["code"]): c for c in obs.get("component", [])}


def _resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"]]


def _variant(bundle: dict[str, Any], protein: str) -> dict[str, Any]:
    return next(
        r
        for r in _resources(bundle)
        if r["resourceType"] == "Observation"
        and _code(r["code"]) == "69548-6"
        and _components(r)
        .get("48005-3", {})
        .get("valueCodeableConcept", {})
        .get("coding", [{}])[0]
        .get("code")
        == protein
    )


def _implication(bundle: dict[str, Any], drug: str, answer: str) -> dict[str, Any]:
    for r in _resources(bundle):
        if r["resourceType"] != "Observation" or _code(r["code"]) != "therapeutic-implication":
            continue
        comps = r["component"]
        meds = [c["valueCodeableConcept"]["text"] for c in comps if _code(c["code"]) == "51963-7"]
        value = _code(comps[0]["valueCodeableConcept"])
        if meds == [drug] and value == answer:
            return r
    raise AssertionError(f"no implication {drug} {answer}")


def test_somatic_variant_observation(report: TumorReport) -> None:
    bundle = tumor_bundle(report)
    Bundle.model_validate(bundle)
    first = bundle["entry"][0]["resource"]
    assert first["resourceType"] == "DiagnosticReport" and _code(first["code"]) == "51969-4"
    obs = _variant(bundle, "p.Leu858Arg")
    Observation.model_validate(obs)
    assert obs["meta"]["profile"] == [
        "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/variant"
    ]
    assert obs["valueCodeableConcept"]["coding"][0] == {
        "system": LOINC,
        "code": "LA9633-4",
        "display": "Present",
    }
    comps = _components(obs)
    assert _code(comps["48002-0"]["valueCodeableConcept"]) == "LA6684-0"  # somatic
    assert comps["48018-6"]["valueCodeableConcept"]["text"] == "EGFR"
    assert _code(comps["48004-6"]["valueCodeableConcept"]) == "ENST00000275493.7:c.2573T>G"
    assert comps["81258-6"]["valueQuantity"]["value"] == pytest.approx(0.3)
    assert comps["82121-5"]["valueQuantity"]["value"] == 60  # alt reads
    assert comps["81254-5"]["valueRange"]["low"]["value"] == 55191822
    assert any("AMP/ASCO/CAP tier I" in n["text"] for n in obs["note"])
    ids = [e["fullUrl"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids)) and first["result"]


def test_therapeutic_implications(report: TumorReport) -> None:
    bundle = tumor_bundle(report)
    l858r = _variant(bundle, "p.Leu858Arg")
    t790m = _variant(bundle, "p.Thr790Met")
    # L858R: sensitivity to erlotinib (CIViC level A) -> presumed responsive
    sensitive = _implication(bundle, "erlotinib", "LA9661-5")
    assert {d["reference"] for d in sensitive["derivedFrom"]} >= {f"urn:uuid:{l858r['id']}"}
    comps = _components(sensitive)
    assert _code(comps["81259-4"]["valueCodeableConcept"]) == "LUAD"
    assert comps["93044-6"]["valueCodeableConcept"]["text"] == "AMP/ASCO/CAP level A"
    assert sensitive["meta"]["profile"][0].endswith("/therapeutic-implication")
    # T790M: resistance to erlotinib (CIViC EID238, level A) -> presumed resistant
    resistant = _implication(bundle, "erlotinib", "LA9660-7")
    assert f"urn:uuid:{t790m['id']}" in {d["reference"] for d in resistant["derivedFrom"]}
    urls = [e["valueRelatedArtifact"]["url"] for e in resistant["extension"]]
    assert "https://civicdb.org/links/evidence_items/238" in urls
    assert not [k for k in resistant if k.startswith("value")]  # implications carry no value


def test_biomarkers(report: TumorReport) -> None:
    resources = _resources(tumor_bundle(report))
    tmb = next(r for r in resources if _code(r["code"]) == "94076-7")
    assert tmb["valueQuantity"]["value"] == 12.0 and tmb["valueQuantity"]["code"] == "1/1000000"
    msi = next(r for r in resources if _code(r["code"]) == "81695-9")
    assert _code(msi["valueCodeableConcept"]) == "LA14122-8"  # Stable


def test_bundle_is_stable_and_the_same_from_the_stored_document(report: TumorReport) -> None:
    bundle = tumor_bundle(report)
    assert tumor_bundle(report) == bundle
    stored = TumorDocument.model_validate_json(tumor_model(report).model_dump_json())
    again = report_from_document(stored)
    assert tumor_model(again) == tumor_model(report)
    assert tumor_bundle(again) == bundle


def test_ctdna_observations_per_draw(kb: OncologyKnowledge, tmp_path: Path) -> None:
    rules = Rules.of(kb.payload["ctdna_rules"])
    path = write_series(tmp_path / "s.tsv", ["P-T790M"])
    (patient,) = classify_series(read_series(path), rules, kb.resistance)
    bundle = ctdna_bundle(patient, kb.version)
    Bundle.model_validate(bundle)
    resources = _resources(bundle)
    draws = [r for r in resources if _code(r["code"]) == "ctdna-draw"]
    assert [d["effectiveDateTime"] for d in draws] == [
        "2024-01-03",
        "2024-02-01",
        "2024-03-01",
        "2024-06-03",
    ]
    for d in draws:
        assert len(d["hasMember"]) == 2  # L858R and T790M tested in every draw
    variants = {
        (r["effectiveDateTime"], _components(r)["48005-3"]["valueCodeableConcept"]["text"]): r
        for r in resources
        if _code(r["code"]) == "69548-6"
    }
    before = variants[("2024-01-03", "EGFR T790M")]
    assert _code(before["valueCodeableConcept"]) == "LA9634-2"  # absent: below the LoD
    assert "81258-6" not in _components(before)
    assert any("limit of detection (0.10%)" in n["text"] for n in before["note"])
    after = variants[("2024-06-03", "EGFR T790M")]
    assert _code(after["valueCodeableConcept"]) == "LA9633-4"
    assert _components(after)["81258-6"]["valueQuantity"]["value"] == pytest.approx(0.04)
    assert _components(after)["48005-3"]["valueCodeableConcept"]["coding"][0]["code"] == (
        "p.Thr790Met"
    )
    last = draws[-1]
    assert any("resistance-emergence" in n["text"] for n in last["note"])


def test_tier_iii_variants_are_sent_only_when_asked(report: TumorReport) -> None:
    assert [v.call.gene for v in report.variants if v.tier == "III"] == ["OR4F5"]
    with pytest.raises(StopIteration):
        _variant(tumor_bundle(report), "p.Thr141Ala")
    conclusion_notes = tumor_bundle(report)["entry"][0]["resource"]["extension"]
    assert any("1 tier III variant(s)" in e["valueAnnotation"]["text"] for e in conclusion_notes)
    vus = _variant(tumor_bundle(report, include_vus=True), "p.Thr141Ala")
    assert any("AMP/ASCO/CAP tier III" in n["text"] for n in vus["note"])


def test_the_provider_rebuilds_the_same_resources_from_the_section(
    kb: OncologyKnowledge, report: TumorReport, tmp_path: Path
) -> None:
    """The generic layer's FHIR provider gets a Section only (a stored report): the
    resources it makes equal those made from the typed results."""
    from tailormed.fhir import resources as R
    from tailormed.findings import section_from_json, section_to_json
    from tailormed.oncology.fhir import ctdna_resources, fhir_resources, subject_of, tumor_resources
    from tailormed.oncology.sections import ctdna_section, tumor_section

    ctx = R.Context("S1", subject_of("S1"), None)
    stored = section_from_json(section_to_json(tumor_section(report)))
    assert fhir_resources(stored, ctx) == tumor_resources(report, ctx, validate=False)
    rules = Rules.of(kb.payload["ctdna_rules"])
    path = write_series(tmp_path / "s.tsv", ["P-T790M", "P-RESPONSE"])
    for patient in classify_series(read_series(path), rules, kb.resistance):
        section = section_from_json(section_to_json(ctdna_section(patient, kb.version)))
        assert fhir_resources(section, ctx) == ctdna_resources(patient, ctx, validate=False)
