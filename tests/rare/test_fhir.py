"""FHIR R4B export of a ranked case: phenotype Observations and diagnostic implications."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.fhir import (
    HPO,
    PROFILE_DIAGNOSTIC_IMPLICATION,
    PROFILE_PHENOTYPE,
    PROFILE_VARIANT,
    fhir_bundle,
    fhir_resources,
)
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket
from tailormed.rare.run import rank_phenopackets

from .conftest import VEP_HEADER, write_vcf

CASE = "PMID_11050011_II_1.json"  # OMIM:301310 (X-linked recessive), ABCB7


def _profile(r: dict[str, Any]) -> str:
    return str(r["meta"]["profile"][0])


def _component(r: dict[str, Any], code: str) -> dict[str, Any]:
    (c,) = [c for c in r["component"] if c["code"]["coding"][0]["code"] == code]
    return c


def test_phenotype_observations_and_implications(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path, tmp_path: Path
) -> None:
    packet = json.loads((samples / CASE).read_text())
    packet["phenotypicFeatures"].append({"type": {"id": "HP:0001250"}, "excluded": True})
    packet["phenotypicFeatures"][0]["onset"] = {"age": {"iso8601duration": "P2Y"}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(packet))
    case = read_phenopacket(path, rare_kb.ontology)
    ranking = ranker.rank(case, top=10)
    when = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    res = fhir_resources(ranking, top=1, patient_ref="Patient/p1", issued=when)
    phen = [r for r in res if _profile(r) == PROFILE_PHENOTYPE]
    assert len(phen) == 17  # 16 observed + 1 excluded
    by_code = {r["code"]["coding"][0]["code"]: r for r in phen}
    present = by_code["HP:0001924"]
    assert present["code"]["coding"][0] == {
        "system": HPO,
        "code": "HP:0001924",
        "display": "Sideroblastic anemia",
    }
    assert present["valueCodeableConcept"]["coding"][0]["code"] == "LA9633-4"  # Present
    assert by_code["HP:0001250"]["valueCodeableConcept"]["coding"][0]["code"] == "LA9634-2"
    onset = by_code["HP:0001263"]["component"][0]
    assert onset["valueQuantity"] == {
        "value": 2,
        "unit": "years",
        "system": "http://unitsofmeasure.org",
        "code": "a",
    }
    assert all(r["subject"]["reference"] == "Patient/p1" for r in res)
    assert all(r["issued"].startswith("2026-12-03T12:00:00") for r in res)
    (impl,) = [r for r in res if _profile(r) == PROFILE_DIAGNOSTIC_IMPLICATION]
    assert impl["code"]["coding"][0]["code"] == "diagnostic-implication"
    disease = _component(impl, "81259-4")["valueCodeableConcept"]["coding"][0]
    assert (disease["system"], disease["code"]) == ("https://omim.org", "301310")
    # phenotype.hpoa: OMIM:301310 is X-linked recessive (HP:0001419)
    moi = _component(impl, "condition-inheritance")["valueCodeableConcept"]["coding"][0]
    assert moi["code"] == "HP:0001419"
    assert _component(impl, "48018-6")["valueCodeableConcept"]["text"] == "ABCB7"
    # derivedFrom: the phenotype Observations the candidate explains, all in the export
    ids = {f"urn:uuid:{r['id']}" for r in res}
    refs = [d["reference"] for d in impl["derivedFrom"]]
    assert refs and set(refs) <= ids
    assert any("not a diagnosis" in n["text"] for n in impl["note"])
    assert any("Phenotype only" in n["text"] for n in impl["note"])
    # stable ids: the same export twice is the same
    assert fhir_resources(ranking, top=1, patient_ref="Patient/p1", issued=when) == res


def test_variant_mode_adds_variant_observations(
    rare_kb: RareKnowledge, samples: Path, tmp_path: Path
) -> None:
    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|NM_001271696.3:c.1297G>A||"
    vcf = write_vcf(
        tmp_path / "p.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    (ranking,) = rank_phenopackets([samples / CASE], vcf=vcf, kb=rare_kb, top=5)
    bundle = fhir_bundle(ranking, top=1)
    res = [e["resource"] for e in bundle["entry"]]
    (var,) = [r for r in res if _profile(r) == PROFILE_VARIANT]
    assert _component(var, "53034-5")["valueCodeableConcept"]["coding"][0]["code"] == "LA6707-9"
    assert _component(var, "81254-5")["valueRange"]["low"]["value"] == 75070433
    assert _component(var, "69547-8")["valueString"] == "C"
    assert _component(var, "62374-4")["valueCodeableConcept"]["coding"][0]["code"] == "LA26806-2"
    (impl,) = [r for r in res if _profile(r) == PROFILE_DIAGNOSTIC_IMPLICATION]
    assert f"urn:uuid:{var['id']}" in [d["reference"] for d in impl["derivedFrom"]]


def test_naive_timestamps_are_refused(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path
) -> None:
    ranking = ranker.rank(read_phenopacket(samples / CASE, rare_kb.ontology), top=3)
    with pytest.raises(ValueError, match="time zone"):
        fhir_resources(ranking, issued=datetime(2026, 1, 1))


def test_stored_section_gives_the_same_resources(
    rare_kb: RareKnowledge, samples: Path, tmp_path: Path
) -> None:
    """The FHIR provider reads a stored section (JSON) and gives what the ranking gives."""
    from tailormed.fhir.resources import Context
    from tailormed.findings import section_from_json, section_to_json
    from tailormed.rare.fhir import section_resources
    from tailormed.rare.sections import section

    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|NM_001271696.3:c.1297G>A||"
    vcf = write_vcf(
        tmp_path / "p.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    (ranking,) = rank_phenopackets([samples / CASE], vcf=vcf, kb=rare_kb, top=5)
    stored = section_from_json(
        json.loads(json.dumps(section_to_json(section(ranking, top=3, findings_top=3))))
    )
    ctx = Context(ranking.case.case_id, {"reference": "Patient/II-1"})
    assert section_resources(stored, ctx) == fhir_resources(ranking, top=3)
