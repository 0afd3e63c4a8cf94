"""Medication knowledge in the versioned knowledge base: names, inhibitors, dose tables.

The name table is PharmGKB's drugs.tsv (release 2022-07-05, CC BY-SA 4.0): its licence
and version must travel in the manifest, as must the curated tables' review status (the
inhibitor list is a draft awaiting pharmacist review).
"""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.curated import curated_dir
from tailormed.knowledge.names_build import compile_drug_names, split_list
from tailormed.medications import resolve_medication


def _source(kb: KnowledgeBase, name: str):  # type: ignore[no-untyped-def]
    return next(s for s in kb.manifest.sources if s.name == name)


def test_manifest_records_the_name_tables_licence_and_version(kb: KnowledgeBase) -> None:
    s = _source(kb, "pharmgkb-drug-names")
    assert s.version == "2022-07-05" and s.path == "drug_names"
    assert "CC BY-SA 4.0" in s.licence and "PharmGKB" in s.licence
    assert s.citation and "pharmgkb.org" in s.citation.lower()
    assert len(s.sha256) == 64 and s.files == 1
    assert kb.manifest.counts["medication_names"] > 20_000


def test_manifest_records_curated_tables_with_review_status(kb: KnowledgeBase) -> None:
    for name, file in (
        ("tailormed-inhibitors", "inhibitors.json"),
        ("tailormed-combination-brands", "combination_brands.json"),
        ("tailormed-dose-tables", "dose_tables.json"),
    ):
        s = _source(kb, name)
        raw = json.loads((curated_dir() / file).read_text())
        assert s.version == raw["compiled"] and s.review_status == raw["review_status"]
    assert _source(kb, "tailormed-inhibitors").review_status.startswith("draft")
    assert kb.inhibitors.status == "draft"
    assert any("inhibitor list" in n and "draft" in n for n in kb.manifest.notes)


def test_names_come_from_the_source_table(kb: KnowledgeBase, shared: Path) -> None:
    """Every drug's own name and trade name in drugs.tsv reads back as that drug."""
    path = shared / "drug_names/pharmgkb_drugs_2022-07-05.tsv.gz"
    csv.field_size_limit(1 << 30)
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        rows = {r["Name"].lower(): r for r in csv.DictReader(fh, delimiter="\t", quoting=3)}
    for drug, brand in (
        ("clopidogrel", "Plavix"),
        ("simvastatin", "Zocor"),
        ("paroxetine", "Paxil"),
    ):
        assert brand in split_list(rows[drug]["Trade Names"])
        assert resolve_medication(brand, kb).ingredients == (drug,)
        assert resolve_medication(rows[drug]["RxNorm Identifiers"], kb).ingredients == (drug,)


def test_every_guideline_drug_and_inhibitor_resolves_by_name(kb: KnowledgeBase) -> None:
    for d in kb.drugs:
        m = resolve_medication(d.name, kb)
        assert m.recognised and m.names(d.name), d.name
        if d.rxnorm:
            assert resolve_medication(f"RxNorm:{d.rxnorm}", kb).names(d.name), d.name
    for inh in kb.inhibitors.inhibitors:
        assert resolve_medication(inh.drug, kb).ingredients == (inh.drug,)
        for brand in inh.synonyms:
            assert resolve_medication(brand, kb).ingredients == (inh.drug,), brand


def test_combination_brands_name_known_ingredients_and_cite_a_source(kb: KnowledgeBase) -> None:
    raw = json.loads((curated_dir() / "combination_brands.json").read_text())
    for row in raw["brands"]:
        assert row["source"]
        for name in row["names"]:
            assert set(resolve_medication(name, kb).ingredients) == set(row["ingredients"]), name


def test_curated_brand_with_an_unknown_ingredient_is_refused(shared: Path, tmp_path: Path) -> None:
    bad = {
        "compiled": "x",
        "brands": [{"names": ["Fakeo"], "ingredients": ["nonexistium"], "source": "s"}],
    }
    with pytest.raises(KnowledgeError, match=r"combination_brands\.json.*brands\[0\]"):
        compile_drug_names(
            shared / "drug_names/pharmgkb_drugs_2022-07-05.tsv.gz",
            bad,
            Path("combination_brands.json"),
            [],
            [],
        )


def test_split_list_keeps_commas_inside_brackets_and_quotes() -> None:
    assert split_list('ABC,"abacavir","(3R,5S)-x"') == ["ABC", "abacavir", "(3R,5S)-x"]


def test_dose_tables_live_in_the_knowledge_base(kb: KnowledgeBase) -> None:
    t = kb.dose_tables
    assert t.fluoropyrimidine["1.5"].value == 50.0
    assert t.thiopurine[("thioguanine", "*", "poor")].value == 25.0
    assert {"carbamazepine", "phenytoin", "rifampin"} <= t.enzyme_inducers
    assert "Figure 2" in t.cpic_warfarin_source
