"""Cohort TSVs: one row per sample × gene and per sample × drug, documented columns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report import (
    COHORT_DRUG_COLUMNS,
    COHORT_GENE_COLUMNS,
    write_cohort,
    write_cohort_drugs_tsv,
    write_cohort_tsv,
)
from tests.report.builders import interpretation

README = Path(__file__).parents[2] / "src/tailormed/report/README.md"


def read(path: Path) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # newline-terminated
    header = lines[0].split("\t")
    rows = [line.split("\t") for line in lines[1:-1]]
    assert all(len(r) == len(header) for r in rows), "a value leaked a tab or a newline"
    return [dict(zip(header, r, strict=True)) for r in rows]


def cohort(kb: KnowledgeBase) -> Iterator[Interpretation]:
    """A generator (consumed once), as a biobank run would pass it."""
    yield interpretation(kb, sample="S1", warning="line one\nline\ttwo")
    second = interpretation(kb, sample="S2")
    yield replace(second, calls=second.calls[:2], medications=(), resolved_medications=())


def test_gene_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = write_cohort_tsv(cohort(kb), tmp_path / "genes.tsv")
    rows = read(path)
    assert list(rows[0]) == [name for name, _ in COHORT_GENE_COLUMNS]
    assert [(r["sample"], r["gene"]) for r in rows][:6] == [
        ("S1", "CYP2B6"),
        ("S1", "CYP2C19"),
        ("S1", "CYP2C9"),
        ("S1", "SLCO1B1"),
        ("S1", "VKORC1"),
        ("S2", "CYP2B6"),
    ]
    by = {(r["sample"], r["gene"]): r for r in rows}
    c19 = by[("S1", "CYP2C19")]
    assert (c19["diplotype"], c19["phenotype"], c19["lookup_key"]) == (
        "*2/*2",
        "Poor Metabolizer",
        "Poor Metabolizer",
    )
    assert c19["phenoconverted_by"] == "fluoxetine" and c19["kb_version"] == kb.version
    assert by[("S1", "CYP2C9")]["activity_score"] == "2.0"
    assert by[("S1", "CYP2C9")]["alternatives"] == ""
    slco = by[("S1", "SLCO1B1")]
    assert slco["missing_positions"] == "1" and slco["phased"] == "false"
    assert "line one line two" in slco["warnings"]  # tab and newline flattened
    # S2 has only two genes called; its other phenotypes still get rows
    assert {g for s, g in by if s == "S2"} == {"CYP2B6", "CYP2C19", "CYP2C9", "SLCO1B1", "VKORC1"}
    assert by[("S2", "CYP2C9")]["diplotype"] == "*1/*1"


def test_drug_rows(kb: KnowledgeBase, tmp_path: Path) -> None:
    rows = read(write_cohort_drugs_tsv(cohort(kb), tmp_path / "drugs.tsv"))
    assert list(rows[0]) == [name for name, _ in COHORT_DRUG_COLUMNS]
    by = {(r["sample"], r["drug"]): r for r in rows}
    assert len(rows) == 14
    clop = by[("S1", "clopidogrel")]
    assert (clop["status"], clop["sources"]) == ("actionable", "CPIC; DPWG")
    assert "CPIC:Strong" in clop["classifications"]
    assert by[("S1", "citalopram")]["on_medication_list"] == "true"
    assert by[("S2", "citalopram")]["on_medication_list"] == "false"
    assert by[("S1", "codeine")]["sources"] == "" and by[("S1", "codeine")]["status"] == "no result"


def test_write_cohort_writes_both_in_one_pass(kb: KnowledgeBase, tmp_path: Path) -> None:
    paths = write_cohort(cohort(kb), tmp_path / "out")
    assert {k: p.name for k, p in paths.items()} == {"genes": "genes.tsv", "drugs": "drugs.tsv"}
    assert len(read(paths["genes"])) == 10 and len(read(paths["drugs"])) == 14
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["drugs.tsv", "genes.tsv"]


def test_columns_are_documented() -> None:
    readme = README.read_text(encoding="utf-8")
    for name, _ in (*COHORT_GENE_COLUMNS, *COHORT_DRUG_COLUMNS):
        assert f"`{name}`" in readme, f"column {name} is not documented in the README"
