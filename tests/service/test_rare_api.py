"""The rare-disease API: HPO term search for the term picker."""

from __future__ import annotations

from tests.service.conftest import Svc


def test_term_search_needs_an_account_and_finds_synonyms(svc: Svc) -> None:
    assert svc.client.get("/api/v1/terms/hpo", params={"q": "seizure"}).status_code == 401
    r = svc.get("/api/v1/terms/hpo", svc.clin_a, params={"q": "spider fingers", "limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["hpo_release"] == "2025-01-16"
    # hp.obo: HP:0001166 Arachnodactyly has the synonym "Spider fingers"
    assert body["terms"][0] == {
        "id": "HP:0001166",
        "label": "Arachnodactyly",
        "synonym": "Spider fingers",
    }
    first = svc.get("/api/v1/terms/hpo", svc.user_a, params={"q": "seizure"}).json()["terms"][0]
    assert first == {"id": "HP:0001250", "label": "Seizure", "synonym": None}
    assert svc.get("/api/v1/terms/hpo", svc.clin_a, params={"q": "x" * 101}).status_code == 422
    assert (
        svc.get("/api/v1/terms/hpo", svc.clin_a, params={"q": "a", "limit": 0}).status_code == 422
    )


def test_phenotype_document_through_the_api(svc: Svc) -> None:
    from tests.service.conftest import auth

    base = f"/api/v1/patients/{svc.pat_a}"
    body = {
        "observed": [{"id": "HP:0001166"}, {"id": "HP:0001083", "onset": "P6Y"}],
        "excluded": [{"id": "HP:0002616"}],
        "sex": "FEMALE",
    }
    r = svc.client.put(f"{base}/documents/rare.phenotype", headers=auth(svc.user_a), json=body)
    assert r.status_code == 200, r.text
    sections = svc.get(f"{base}/sections", svc.user_a).json()
    (rare,) = [s for s in sections if s["domain"] == "rare"]
    assert rare["title"] == "Differential diagnosis"
    genes = {row[2] for row in rare["tables"][0]["rows"]}
    assert "FBN1" in genes
    findings = svc.get(f"{base}/findings", svc.user_a).json()
    assert any(f["finding"]["code"].startswith("rare.differential.") for f in findings)
    bad = {"observed": [{"id": "HP:0001166"}], "excluded": [{"id": "HP:0001166"}]}
    r = svc.client.put(f"{base}/documents/rare.phenotype", headers=auth(svc.user_a), json=bad)
    assert r.status_code == 422 and "both as observed and as excluded" in r.text


def test_phenopacket_export_of_the_stored_entry(svc: Svc) -> None:
    import json

    from google.protobuf.json_format import Parse
    from phenopackets import Phenopacket

    from tests.service.conftest import auth

    base = f"/api/v1/patients/{svc.pat_a}"
    assert svc.get(f"{base}/rare/phenopacket", svc.user_a).status_code == 404
    body = {"observed": [{"id": "HP:0001166"}, {"id": "HP:0001083"}], "sex": "FEMALE"}
    r = svc.client.put(f"{base}/documents/rare.phenotype", headers=auth(svc.user_a), json=body)
    assert r.status_code == 200, r.text
    r = svc.get(f"{base}/rare/phenopacket", svc.user_a, params={"top": 3})
    assert r.status_code == 200, r.text
    packet = r.json()
    pb = Parse(json.dumps(packet), Phenopacket())  # the GA4GH schema's own bindings
    assert [f.type.id for f in pb.phenotypic_features] == ["HP:0001166", "HP:0001083"]
    assert pb.interpretations and "not a diagnosis" in pb.interpretations[0].summary
    # a clinician without consent gets nothing
    assert svc.get(f"{base}/rare/phenopacket", svc.clin_a).status_code == 403
