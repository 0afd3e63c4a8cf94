"""Export: a real sample's interpretation as a Genomics Reporting IG 3.0.0 Bundle.

Expected codes are written out here from /work/shared/docs/standards.md §2 and §5 (and
the IG 3.0.0 FSH sources), not read from ``tailormed.fhir.codes``, so a wrong constant
in the package fails these tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

import tailormed.recommend as recommend
from tailormed.calling.models import Diplotype, GeneCall
from tailormed.fhir import export_bundle, import_bundle
from tailormed.fhir.hgnc import HGNC_IDS
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.store import OUTSIDE_CALL_GENES
from tailormed.phenotype import interpret_all, phenoconvert
from tailormed.recommend.models import Interpretation
from tests.fhir.helpers import LIMITATION, by_url, component, has_code, resources

pytestmark = pytest.mark.needs_shared

LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HGNC = "http://www.genenames.org"
TBD = "http://hl7.org/fhir/uv/genomics-reporting/CodeSystem/tbd-codes-cs"
SD = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"
LAB = ("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory")
GE = ("http://terminology.hl7.org/CodeSystem/v2-0074", "GE")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def bundle(interpretation: Interpretation) -> dict[str, Any]:
    return export_bundle(interpretation)


def genotypes(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for r in resources(bundle, "Observation"):
        if has_code(r["code"], LOINC, "84413-4"):
            (gene,) = component(r, LOINC, "48018-6")
            out[gene["valueCodeableConcept"]["text"]] = r
    return out


def implications(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for r in resources(bundle, "Observation")
        if has_code(r["code"], TBD, "therapeutic-implication")
    ]


def drug_implications(bundle: dict[str, Any], rxcui: str) -> list[dict[str, Any]]:
    return [
        r
        for r in implications(bundle)
        if any(
            has_code(c["valueCodeableConcept"], RXNORM, rxcui)
            for c in component(r, LOINC, "51963-7")
        )
    ]


def references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for v in node.values() for r in references(v)]
    if isinstance(node, list):
        return [r for v in node for r in references(v)]
    return []


# ------------------------------------------------------------------ structure
def test_every_resource_validates_with_r4b_models(bundle: dict[str, Any]) -> None:
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        model = get_fhir_model_class(resource["resourceType"])
        model.model_validate(resource)
        assert UUID.match(resource["id"])
        assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
    ids = [e["resource"]["id"] for e in bundle["entry"]]
    assert len(ids) == len(set(ids))
    json.dumps(bundle)  # plain JSON types only


def test_bundle_is_a_collection_led_by_the_genomic_report(bundle: dict[str, Any]) -> None:
    assert bundle["type"] == "collection"
    report = bundle["entry"][0]["resource"]
    assert report["resourceType"] == "DiagnosticReport"
    assert report["meta"]["profile"] == [SD + "genomic-report"]
    assert report["status"] == "final"
    assert has_code(report["code"], LOINC, "51969-4")
    assert any(has_code(c, *GE) for c in report["category"])
    assert [r for r in resources(bundle) if r["resourceType"] == "DiagnosticReport"] == [report]


def test_report_results_cover_every_observation_and_all_references_resolve(
    bundle: dict[str, Any],
) -> None:
    urls = by_url(bundle)
    report = bundle["entry"][0]["resource"]
    results = [r["reference"] for r in report["result"]]
    observations = {u for u, r in urls.items() if r["resourceType"] == "Observation"}
    assert set(results) == observations and len(results) == len(observations)
    for ref in references(bundle["entry"]):
        if ref.startswith("urn:uuid:"):
            assert ref in urls, ref
        else:
            assert ref == "Patient/Sample-2"


def test_report_carries_conclusion_kb_version_and_limitations(
    bundle: dict[str, Any], interpretation: Interpretation
) -> None:
    report = bundle["entry"][0]["resource"]
    assert (
        "clopidogrel" in report["conclusion"] and "CYP2C19 Poor Metabolizer" in report["conclusion"]
    )
    notes = [
        e["valueAnnotation"] for e in report["extension"] if e["url"] == SD + "genomic-report-note"
    ]
    texts = " ".join(n["text"] for n in notes)
    assert interpretation.kb_version in texts
    assert LIMITATION in texts
    for note in notes:  # CodedAnnotation: annotation-code extension
        (code,) = note["extension"]
        assert code["url"] == SD + "annotation-code"


def test_subject_keeps_the_exact_sample_id(bundle: dict[str, Any]) -> None:
    for r in resources(bundle):
        subject = r["subject"] if "subject" in r else r["for"]
        assert subject["reference"] == "Patient/Sample-2"  # "_" is not allowed in a FHIR id
        assert subject["identifier"]["value"] == "Sample_2"


# ------------------------------------------------------------------ genotypes
def test_one_genotype_per_gene_call(bundle: dict[str, Any], interpretation: Interpretation) -> None:
    found = genotypes(bundle)
    assert sorted(found) == sorted(c.gene for c in interpretation.calls)
    for call in interpretation.calls:
        obs = found[call.gene]
        assert obs["status"] == "final"
        assert obs["meta"]["profile"] == [SD + "genotype"]
        assert any(has_code(c, *LAB) for c in obs["category"])
        assert any(has_code(c, *GE) for c in obs["category"])
        assert obs["valueCodeableConcept"]["text"] == f"{call.gene} {call.diplotype}"
        assert "VCF" in obs["method"]["text"]
        (gene,) = component(obs, LOINC, "48018-6")
        assert has_code(gene["valueCodeableConcept"], HGNC, HGNC_IDS[call.gene])
    # IG 3.0.0 examples: CYP2C19 HGNC:2621, CYP2C9 HGNC:2623; standards.md value format
    assert has_code(
        component(found["CYP2C19"], LOINC, "48018-6")[0]["valueCodeableConcept"], HGNC, "HGNC:2621"
    )
    assert has_code(
        component(found["CYP2C9"], LOINC, "48018-6")[0]["valueCodeableConcept"], HGNC, "HGNC:2623"
    )
    assert found["CYP2C19"]["valueCodeableConcept"]["text"] == "CYP2C19 *2/*2"


def test_hgnc_table_covers_every_gene_the_kb_knows(kb: KnowledgeBase) -> None:
    genes = set(kb.genes) | set(kb.phenotype_genes) | set(OUTSIDE_CALL_GENES)
    assert genes <= set(HGNC_IDS)
    assert HGNC_IDS["HLA-B"] == "HGNC:4932" and HGNC_IDS["VKORC1"] == "HGNC:23663"  # IG examples


# ------------------------------------------------------------------ implications
def test_gene_phenotypes_become_therapeutic_implications(
    bundle: dict[str, Any], interpretation: Interpretation
) -> None:
    geno = {g: u for u, r in by_url(bundle).items() for g in [_gene(r)] if g}
    per_gene = {}
    for obs in implications(bundle):
        if component(obs, LOINC, "51963-7"):
            continue
        (ref,) = obs["derivedFrom"]
        gene = next(g for g, u in geno.items() if u == ref["reference"])
        per_gene[gene] = obs
        assert obs["meta"]["profile"] == [SD + "therapeutic-implication"]
        assert "valueCodeableConcept" not in obs and "valueString" not in obs  # value 0..0
    # metabolizer / function / risk phenotypes only
    assert {"CYP2C19", "CYP2B6", "CYP2C9", "SLCO1B1", "RYR1"} <= set(per_gene)
    assert not {"VKORC1", "CYP4F2", "IFNL3"} & set(per_gene)
    (pm,) = component(per_gene["CYP2C19"], TBD, "therapeutic-implication")
    assert has_code(pm["valueCodeableConcept"], LOINC, "LA9657-3")  # Poor metabolizer
    (im,) = component(per_gene["CYP2B6"], TBD, "therapeutic-implication")
    assert has_code(im["valueCodeableConcept"], LOINC, "LA10317-8")  # Intermediate metabolizer
    (nf,) = component(per_gene["SLCO1B1"], TBD, "therapeutic-implication")
    assert has_code(nf["valueCodeableConcept"], LOINC, "LA25393-2")  # Normal function
    score = [
        c for c in per_gene["CYP2C9"]["component"] if c["code"].get("text") == "activity score"
    ]
    assert [c["valueString"] for c in score] == ["2.0"]
    (uncertain,) = component(per_gene["RYR1"], TBD, "therapeutic-implication")
    assert "coding" not in uncertain["valueCodeableConcept"]  # no LOINC answer: text only


def _gene(resource: dict[str, Any]) -> str | None:
    if resource["resourceType"] == "Observation" and has_code(resource["code"], LOINC, "84413-4"):
        return str(component(resource, LOINC, "48018-6")[0]["valueCodeableConcept"]["text"])
    return None


def test_clopidogrel_implication(bundle: dict[str, Any], interpretation: Interpretation) -> None:
    (obs,) = drug_implications(bundle, "32968")  # standards.md §5: clopidogrel RxCUI 32968
    rec = interpretation.drugs[0].recommendations[0]
    (med,) = component(obs, LOINC, "51963-7")
    assert med["valueCodeableConcept"]["coding"][0]["display"] == "clopidogrel"
    (conclusion,) = component(obs, TBD, "conclusion-string")
    assert conclusion["valueString"] == rec.text
    (evidence,) = component(obs, LOINC, "93044-6")
    assert evidence["valueCodeableConcept"]["text"] == "CPIC Strong"
    (pheno,) = component(obs, TBD, "therapeutic-implication")
    assert has_code(pheno["valueCodeableConcept"], LOINC, "LA9657-3")
    (artifact,) = obs["extension"]
    assert artifact["url"] == "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
    assert artifact["valueRelatedArtifact"]["url"] == rec.guideline_url
    assert artifact["valueRelatedArtifact"]["type"] == "citation"
    (derived,) = obs["derivedFrom"]
    assert by_url(bundle)[derived["reference"]]["valueCodeableConcept"]["text"] == "CYP2C19 *2/*2"


def test_tasks_for_actionable_recommendations_only(bundle: dict[str, Any]) -> None:
    urls = by_url(bundle)
    tasks = resources(bundle, "Task")
    assert len(tasks) == 2  # clopidogrel, efavirenz; celecoxib is "no change"
    for task in tasks:
        assert task["meta"]["profile"] == [SD + "medication-recommendation"]
        assert (task["status"], task["intent"]) == ("requested", "proposal")
        reason = urls[task["reasonReference"]["reference"]]
        assert has_code(reason["code"], TBD, "therapeutic-implication")
    codes = {}
    for task in tasks:
        reason = urls[task["reasonReference"]["reference"]]
        (med,) = component(reason, LOINC, "51963-7")
        codes[med["valueCodeableConcept"]["text"]] = task["code"]
    assert has_code(codes["clopidogrel"], LOINC, "LA26421-0")  # Consider alternative medication
    assert has_code(codes["efavirenz"], LOINC, "LA26422-8")  # Decrease dose (400 mg/day)
    report = bundle["entry"][0]["resource"]
    actions = [
        e["valueReference"]["reference"]
        for e in report["extension"]
        if e["url"] == SD + "recommended-action"
    ]
    assert sorted(actions) == sorted(f"urn:uuid:{t['id']}" for t in tasks)


# ------------------------------------------------------------------ stability
def test_ids_are_stable_and_output_deterministic(interpretation: Interpretation) -> None:
    a, b = export_bundle(interpretation), export_bundle(interpretation)
    assert a == b
    other = export_bundle(replace(interpretation, sample="Sample_3"))
    assert not {e["fullUrl"] for e in a["entry"]} & {e["fullUrl"] for e in other["entry"]}


def test_issued_and_patient_reference(interpretation: Interpretation) -> None:
    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    b = export_bundle(interpretation, patient_ref="Patient/123", issued=when)
    assert b["timestamp"] == b["entry"][0]["resource"]["issued"]
    assert datetime.fromisoformat(b["timestamp"]) == when
    assert all((r.get("subject") or r["for"])["reference"] == "Patient/123" for r in resources(b))
    with pytest.raises(ValueError, match="time zone"):
        export_bundle(interpretation, issued=datetime(2025, 1, 2))


# ------------------------------------------------------------------ ties, no-calls, outside
def test_ties_no_calls_and_outside_calls(kb: KnowledgeBase) -> None:
    calls = (
        GeneCall("P1", "CYP2C9", (Diplotype.of("*1", "*2"), Diplotype.of("*1", "*3")), False),
        GeneCall("P1", "CYP2C19", (), False, warnings=("3 defining positions missing",)),
        GeneCall(
            "P1",
            "CYP2D6",
            (Diplotype.of("*1", "*4"),),
            False,
            source="outside",
            phenotype="Intermediate Metabolizer",
        ),
    )
    interp = Interpretation("P1", kb.version, calls, tuple(interpret_all(calls, kb)), ())
    b = export_bundle(interp)
    for r in resources(b):
        get_fhir_model_class(r["resourceType"]).model_validate(r)
        # obs-6: dataAbsentReason only when there is no value
        assert not ("dataAbsentReason" in r and "valueCodeableConcept" in r)
    found = genotypes(b)
    tie = found["CYP2C9"]
    assert tie["valueCodeableConcept"]["text"] == "CYP2C9 *1/*2 or *1/*3"
    assert any("Ambiguous" in n["text"] for n in tie["note"])
    nocall = found["CYP2C19"]
    assert "valueCodeableConcept" not in nocall and "meta" not in nocall  # no Genotype claim
    assert nocall["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "3 defining positions missing" in nocall["dataAbsentReason"]["text"]
    outside = found["CYP2D6"]
    assert outside["method"]["text"].startswith("Outside call")
    assert any("Intermediate Metabolizer" in n["text"] for n in outside["note"])
    # indeterminate (tie with different scores) and No Result: no gene implication
    derived = {d["reference"] for o in implications(b) for d in o["derivedFrom"]}
    urls = {g: u for u, r in by_url(b).items() for g in [_gene(r)] if g}
    assert urls["CYP2C9"] not in derived and urls["CYP2C19"] not in derived
    assert urls["CYP2D6"] in derived
    assert "Not called: CYP2C19" in b["entry"][0]["resource"]["conclusion"]


def test_phenoconversion_is_noted(kb: KnowledgeBase) -> None:
    call = GeneCall("P1", "CYP2C19", (Diplotype.of("*1", "*1"),), False)
    (pheno,) = interpret_all([call], kb)
    converted = phenoconvert(pheno, ["fluvoxamine"], kb)
    interp = Interpretation("P1", kb.version, (call,), (converted,), ())
    (obs,) = implications(export_bundle(interp))
    (value,) = component(obs, TBD, "therapeutic-implication")
    assert has_code(value["valueCodeableConcept"], LOINC, "LA9657-3")  # adjusted: Poor
    assert any(
        "fluvoxamine" in n["text"] and "Normal Metabolizer" in n["text"] for n in obs["note"]
    )


def test_with_the_recommendation_stage(kb: KnowledgeBase, example2_calls: list[GeneCall]) -> None:
    build = getattr(recommend, "build_interpretation", None)
    if build is None:
        pytest.skip("tailormed.recommend.build_interpretation is not written yet")
    interp = build(example2_calls, kb)
    b = export_bundle(interp)
    Bundle.model_validate(b)
    for r in resources(b):
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    _, back = import_bundle(b)
    assert [(c.gene, [d.text for d in c.diplotypes]) for c in back] == [
        (c.gene, [d.text for d in c.diplotypes]) for c in interp.calls
    ]
    clopidogrel = interp.drug("clopidogrel")
    assert clopidogrel is not None and clopidogrel.status == "actionable"
    found = drug_implications(b, "32968")
    assert found and all(o["derivedFrom"] for o in found)
    for obs in found:  # the stage's display text ("..., phenoconverted ...") still gets a code
        (pheno,) = component(obs, TBD, "therapeutic-implication")
        assert has_code(pheno["valueCodeableConcept"], LOINC, "LA9657-3")
    tasks = resources(b, "Task")
    assert any(t["reasonReference"]["reference"] == f"urn:uuid:{found[0]['id']}" for t in tasks)


def test_with_the_recommendation_stage_and_co_medication(kb: KnowledgeBase) -> None:
    build = getattr(recommend, "build_interpretation", None)
    if build is None:
        pytest.skip("tailormed.recommend.build_interpretation is not written yet")
    calls = [
        GeneCall("P1", "CYP2C19", (Diplotype.of("*1", "*1"),), False),
        GeneCall("P1", "CYP2C9", (Diplotype.of("*1", "*1"),), False),
    ]
    b = export_bundle(build(calls, kb, medications=["fluvoxamine"]))
    for r in resources(b):
        get_fhir_model_class(r["resourceType"]).model_validate(r)
    (gene_level,) = [
        o
        for o in implications(b)
        if not component(o, LOINC, "51963-7") and "CYP2C19" in o["derivedFrom"][0]["display"]
    ]
    assert any("fluvoxamine" in n["text"] for n in gene_level["note"])
    for obs in drug_implications(b, "32968"):  # clopidogrel: genotype NM, converted to PM
        (pheno,) = component(obs, TBD, "therapeutic-implication")
        assert has_code(pheno["valueCodeableConcept"], LOINC, "LA9657-3")
        assert "phenoconverted" in pheno["valueCodeableConcept"]["text"]
    coded = [
        c["valueCodeableConcept"]
        for o in implications(b)
        for c in component(o, TBD, "therapeutic-implication")
        if c["valueCodeableConcept"]["text"].startswith("CYP2C9 ")
    ]
    assert coded and all(has_code(v, LOINC, "LA25391-6") for v in coded)  # Normal metabolizer
