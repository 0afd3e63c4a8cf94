"""The rare-disease phenotype page through the TestClient: search, add, save and rank.

A consented clinician finds HPO terms by synonym, adds them as present or absent, and
saves: the record then holds a ``rare.phenotype`` and a ``rare.ranking`` document, and the
page shows the differential diagnosis. Nothing is stored before **Save and rank**; a
clinician without consent gets no page.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailormed.record import get_document, list_documents
from tests.service.ui_support import World, build_app, csrf_of, login, new_world


@pytest.fixture
def world(tmp_path: Path) -> World:
    return new_world(tmp_path)


@pytest.fixture
def app(world: World) -> Iterator[TestClient]:
    with TestClient(build_app(world)) as c:
        yield c


def _docs(world: World) -> dict[str, object]:
    with world.session() as s:
        views = list_documents(s, world.user_a, "treatment", world.patient_a, domain="rare")
        return {v.kind: v.body for v in views}


def test_clinician_enters_terms_and_ranks(app: TestClient, world: World) -> None:
    login(app, world.tokens["c"])
    url = f"/ui/patients/{world.patient_a}/phenotype"
    page = app.get(url)
    assert page.status_code == 200, page.text
    assert "No phenotype is stored" in page.text
    csrf = csrf_of(page.text)
    # search by synonym: hp.obo HP:0001166 Arachnodactyly has "Spider fingers"
    found = app.post(url, data={"csrf_token": csrf, "q": "spider fingers", "action": "search"})
    assert found.status_code == 200
    assert 'value="observed:HP:0001166"' in found.text and "Spider fingers" in found.text
    # add it as present, then Ectopia lentis (HP:0001083) present and aortic root
    # aneurysm (HP:0002616) absent; the terms travel in the form, nothing is stored yet
    step = app.post(url, data={"csrf_token": csrf, "add": "observed:HP:0001166"})
    assert 'name="observed" value="HP:0001166"' in step.text and "Not saved yet" in step.text
    form = {
        "csrf_token": csrf,
        "observed": ["HP:0001166", "HP:0001083"],
        "excluded": ["HP:0002616"],
        "sex": "FEMALE",
    }
    assert _docs(world) == {}
    saved = app.post(url, data={**form, "action": "save"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    docs = _docs(world)
    assert set(docs) == {"rare.phenotype", "rare.ranking"}
    entry = docs["rare.phenotype"]
    assert isinstance(entry, dict)
    assert [t["id"] for t in entry["observed"]] == ["HP:0001166", "HP:0001083"]
    assert entry["observed"][0]["label"] == "Arachnodactyly"
    assert entry["sex"] == "FEMALE" and entry["hpo_release"] == "2025-01-16"
    shown = app.get(saved.headers["location"])
    assert "Differential diagnosis" in shown.text and "FBN1" in shown.text
    assert "Aortic root aneurysm" in shown.text  # the excluded term, listed
    # removing a term and saving stores a new version
    again = app.post(
        url,
        data={**form, "remove": "HP:0001083", "csrf_token": csrf_of(shown.text)},
    )
    assert 'name="observed" value="HP:0001083"' not in again.text
    with world.session() as s:
        v = get_document(s, world.user_a, "treatment", world.patient_a, "rare.phenotype")
        assert v.version == 1  # not saved: still the first version


def test_bad_ids_and_strangers_are_refused(app: TestClient, world: World) -> None:
    login(app, world.tokens["c"])
    url = f"/ui/patients/{world.patient_a}/phenotype"
    csrf = csrf_of(app.get(url).text)
    bad = app.post(url, data={"csrf_token": csrf, "observed": ["HP:12"], "action": "save"})
    assert bad.status_code == 400 and "is not an HPO id" in bad.text
    assert _docs(world) == {}
    nocsrf = app.post(url, data={"observed": ["HP:0001166"], "action": "save"})
    assert nocsrf.status_code == 403 and _docs(world) == {}
    # clinician D has no consent from patient A
    with TestClient(build_app(world)) as other:
        login(other, world.tokens["d"])
        assert other.get(url).status_code == 403


def test_saving_stores_the_findings(app: TestClient, world: World) -> None:
    from tailormed.record import list_findings

    login(app, world.tokens["c"])
    url = f"/ui/patients/{world.patient_a}/phenotype"
    csrf = csrf_of(app.get(url).text)
    form = {"csrf_token": csrf, "observed": ["HP:0001166", "HP:0001083"], "action": "save"}
    assert app.post(url, data=form, follow_redirects=False).status_code == 303
    with world.session() as s:
        stored = list_findings(s, world.user_a, "treatment", world.patient_a)
    codes = [v.finding.code for v in stored if v.finding.domain == "rare"]
    assert codes and all(c.startswith("rare.differential.OMIM:") for c in codes)
    # the API's sections for the patient show the same ranking
    page = app.get(f"/ui/patients/{world.patient_a}")
    assert "Differential diagnosis" in page.text
