"""The GeT-RM truth table parses into the counts its README states, and classifies."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.validate.getrm import (
    AMBIGUOUS_NOTE,
    TruthCall,
    TruthCategory,
    TruthRecord,
    load_truth,
    parse_diplotype,
    read_truth,
)

# From shared/data/getrm/README.md ("Size").
ROWS_PER_GENE = {
    "CYP2D6": (109, 73),
    **{
        g: (82, 51)
        for g in (
            "CYP2B6",
            "CYP2C8",
            "CYP2C9",
            "CYP2C19",
            "CYP3A4",
            "CYP3A5",
            "CYP4F2",
            "DPYD",
            "SLCO1B1",
            "TPMT",
        )
    },
}


@pytest.fixture(scope="module")
def records(shared: Path) -> list[TruthRecord]:
    return read_truth(shared / "getrm" / "getrm_truth.tsv")


@pytest.fixture(scope="module")
def classified(shared: Path, kb: KnowledgeBase) -> dict[tuple[str, str], TruthCall]:
    truth = load_truth(shared / "getrm" / "getrm_truth.tsv", kb)
    return {(t.sample, t.gene): t for t in truth}


def test_sizes_match_the_readme(records: list[TruthRecord]) -> None:
    assert len(records) == 929
    assert len({r.sample_id for r in records}) == 111
    assert len({r.gene for r in records}) == 11
    assert len({r.sample_id for r in records if r.in_1kgp}) == 74


def test_rows_per_gene_match_the_readme(records: list[TruthRecord]) -> None:
    rows = Counter(r.gene for r in records)
    in_1kgp = Counter(r.gene for r in records if r.in_1kgp)
    assert {g: (rows[g], in_1kgp[g]) for g in rows} == ROWS_PER_GENE


def test_records_keep_their_line_numbers(records: list[TruthRecord]) -> None:
    assert records[0].line == 2
    assert records[0].sample_id == "HG00111" and records[0].truth_diplotype == "*3/*3"


def test_every_row_is_classified_and_nothing_is_left_unmapped(
    classified: dict[tuple[str, str], TruthCall],
) -> None:
    categories = Counter(t.category for t in classified.values())
    assert sum(categories.values()) == 929
    assert categories[TruthCategory.LEGACY_UNMAPPED] == 0
    assert categories[TruthCategory.NOT_IN_KB] == 0


def test_gene_without_kb_definition(classified: dict[tuple[str, str], TruthCall]) -> None:
    cyp2c8 = [t for t in classified.values() if t.gene == "CYP2C8"]
    assert len(cyp2c8) == 82
    assert {t.category for t in cyp2c8} == {TruthCategory.NO_DEFINITION}


def test_ambiguous_notes_are_ambiguous(classified: dict[tuple[str, str], TruthCall]) -> None:
    flagged = [t for t in classified.values() if AMBIGUOUS_NOTE in t.record.note]
    assert flagged
    assert all(t.category is TruthCategory.AMBIGUOUS for t in flagged)


@pytest.mark.parametrize(
    ("sample", "gene", "category"),
    [
        ("HG00337", "CYP2D6", TruthCategory.NOT_SNV),  # *2x2/*22
        ("HG00731", "CYP2D6", TruthCategory.NOT_SNV),  # *4/*4+*68
        ("HG00111", "CYP2D6", TruthCategory.COMPARABLE),  # *3/*3
        ("NA07029", "CYP2B6", TruthCategory.AMBIGUOUS),  # *1(*27)/*6
        ("HG00436", "CYP4F2", TruthCategory.AMBIGUOUS),  # *2/*3 or *1/*4
        ("NA07439", "DPYD", TruthCategory.NOT_IN_1KGP),
        ("HG00436", "CYP2C19", TruthCategory.COMPARABLE),
    ],
)
def test_row_categories(
    classified: dict[tuple[str, str], TruthCall],
    sample: str,
    gene: str,
    category: TruthCategory,
) -> None:
    assert classified[(sample, gene)].category is category


@pytest.mark.parametrize(
    ("sample", "gene", "readings"),
    [
        ("HG00436", "SLCO1B1", {("*37", "*37")}),  # *1B/*1B
        ("NA11839", "SLCO1B1", {("*1", "*37")}),  # *1A/*1B
        ("NA12006", "SLCO1B1", {("*1", "*37"), ("*37", "*37")}),  # *1/*21
        ("HG00589", "DPYD", {("c.1627A>G (*5)", "c.1896T>C")}),  # *5/rs17376848
        ("NA18484", "CYP3A4", {("*1", "*1")}),  # *1B/*1B
        ("NA11839", "CYP2C19", {("*1", "*38")}),
        ("HG00589", "TPMT", {("*1", "*3C")}),
    ],
)
def test_truth_in_current_names(
    classified: dict[tuple[str, str], TruthCall],
    sample: str,
    gene: str,
    readings: set[tuple[str, ...]],
) -> None:
    assert classified[(sample, gene)].readings == readings


def test_comparable_readings_use_kb_names(
    classified: dict[tuple[str, str], TruthCall], kb: KnowledgeBase
) -> None:
    for t in classified.values():
        if t.category is TruthCategory.COMPARABLE:
            assert t.readings, t
            for reading in t.readings:
                for name in reading:
                    kb.gene(t.gene).allele(name)


def test_cyp2c19_truth_alt_is_the_1_naming(
    classified: dict[tuple[str, str], TruthCall],
) -> None:
    t = classified[("NA11839", "CYP2C19")]
    assert t.alt_readings == {("*1", "*1")}


def test_dpyd_aldy_flag_is_stripped_and_kept(
    classified: dict[tuple[str, str], TruthCall],
) -> None:
    t = classified[("NA18509", "DPYD")]  # *5/*9*
    assert t.flagged
    assert t.readings == {("c.85T>C (*9A)", "c.1627A>G (*5)")}  # natural order: 85 < 1627


def test_parse_diplotype_notations() -> None:
    assert parse_diplotype("*1/*1(*27)") == [[["*1"], ["*1", "*27"]]]
    assert parse_diplotype("*6/(*22)") == [[["*6"], ["*22"]]]
    assert parse_diplotype("*2 (*45)/*10") == [[["*2", "*45"], ["*10"]]]
    assert parse_diplotype("*1B/(*1B,*21)") == [[["*1B"], ["*1B", "*21"]]]
    assert parse_diplotype("*5/*6* or *5/*9*") == [[["*5"], ["*6*"]], [["*5"], ["*9*"]]]
