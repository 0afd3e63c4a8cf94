"""Phenopackets: the five bundled raw phenopackets, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.devset import read_dev_rows
from tailormed.rare.read import read_phenopacket


def test_sample_phenopackets_match_the_dev_table(
    rare_kb: RareKnowledge, samples: Path, shared: Path
) -> None:
    """Each sample's observed/excluded terms equal its row in phenopackets_dev.tsv.gz."""
    rows = {
        r["case_id"]: r for r in read_dev_rows(shared / "rare_disease" / "phenopackets_dev.tsv.gz")
    }
    files = sorted(samples.glob("*.json"))
    assert len(files) == 5
    compared = 0
    for f in files:
        case = read_phenopacket(f, rare_kb.ontology)
        assert case.case_id == f.stem
        assert case.sex in ("MALE", "FEMALE")
        row = rows.get(case.case_id)
        if row is None:
            continue
        compared += 1
        given_obs = {t.given for t in case.observed} | {
            i.given for i in case.ignored if not i.excluded
        }
        assert given_obs == set(filter(None, row["hpo_present"].split(";")))
        given_exc = {t.given for t in case.excluded} | {i.given for i in case.ignored if i.excluded}
        assert given_exc == set(filter(None, row["hpo_excluded"].split(";")))
    assert compared >= 4


def test_sample_subjects(rare_kb: RareKnowledge, samples: Path) -> None:
    case = read_phenopacket(samples / "PMID_11050011_II_1.json", rare_kb.ontology)
    assert (case.subject_id, case.sex) == ("II-1", "MALE")
    case = read_phenopacket(samples / "PMID_24573067_CASE_REPORT.json", rare_kb.ontology)
    assert [t.term_id for t in case.observed] == ["HP:0007530", "HP:0045059", "HP:0025114"]
    assert len(case.excluded) == 4
    assert case.onset == "HP:0011463 Childhood onset"


def _packet(tmp_path: Path, data: object, name: str = "p.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_not_json_names_file_and_line(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    path = _packet(tmp_path, '{\n  "id": "x",\n  oops\n}')
    with pytest.raises(InputError, match=r"p\.json, line 3: not JSON"):
        read_phenopacket(path, rare_kb.ontology)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([1, 2], "must be a JSON object"),
        ({"subject": {}}, "malformed phenopacket: id: Field required"),
        ({"id": " "}, "id is empty"),
        (
            {"id": "c", "phenotypicFeatures": [{"type": {"id": "HP:0000118"}}, {"excluded": True}]},
            r"phenotypicFeatures\[1\]\.type: Field required",
        ),
        ({"id": "c", "subject": {"sex": "M"}}, "subject.sex 'M' is not one of"),
    ],
)
def test_malformed_phenopackets(
    rare_kb: RareKnowledge, tmp_path: Path, data: object, message: str
) -> None:
    with pytest.raises(InputError, match=message) as err:
        read_phenopacket(_packet(tmp_path, data), rare_kb.ontology)
    assert "\n" not in str(err.value)


def test_unknown_newer_alt_obsolete_and_non_phenotype_ids(
    rare_kb: RareKnowledge, tmp_path: Path
) -> None:
    features = [
        {"type": {"id": "HP:0004715"}},  # alt id of HP:0000003
        {"type": {"id": "HP:0003114"}},  # obsolete, replaced by HP:0001626
        {"type": {"id": "HP:9999999"}},  # newer than the release
        {"type": {"id": "HP:0000000"}},  # not in the release
        {"type": {"id": "HP:0003577"}},  # Congenital onset: not a phenotypic abnormality
        {"type": {"id": "HP:0001250"}, "excluded": True},
    ]
    path = _packet(tmp_path, {"id": "c1", "phenotypicFeatures": features})
    case = read_phenopacket(path, rare_kb.ontology)
    assert [t.term_id for t in case.observed] == ["HP:0000003", "HP:0001626"]
    assert "alt_id" in case.observed[0].note and "obsolete" in case.observed[1].note
    assert [t.term_id for t in case.excluded] == ["HP:0001250"]
    reasons = {i.given: i.reason for i in case.ignored}
    assert set(reasons) == {"HP:9999999", "HP:0000000", "HP:0003577"}
    assert "newer than HPO release 2025-01-16" in reasons["HP:9999999"]
    assert "not in HPO release" in reasons["HP:0000000"]
    assert "not a phenotypic abnormality" in reasons["HP:0003577"]


def test_interpretations_and_diseases_are_never_read(
    rare_kb: RareKnowledge, samples: Path, tmp_path: Path
) -> None:
    from tailormed.rare.rank import Ranker

    ranker = Ranker(rare_kb)
    data = json.loads((samples / "PMID_11050011_II_1.json").read_text())
    stripped = {k: v for k, v in data.items() if k not in ("interpretations", "diseases")}
    a = ranker.rank(read_phenopacket(samples / "PMID_11050011_II_1.json", rare_kb.ontology))
    b = ranker.rank(read_phenopacket(_packet(tmp_path, stripped), rare_kb.ontology))
    assert [(c.disease_id, c.score) for c in a.candidates] == [
        (c.disease_id, c.score) for c in b.candidates
    ]
