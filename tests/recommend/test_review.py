"""Medication review (names, codes, brand names, inhibitors) and the ``review`` command."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from tailormed.calling.models import SCHEMA, GeneCall
from tailormed.cli.review import review_cmd
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import resolve_medication, review_medications

from .builders import call, interpret, outside

runner = CliRunner()


WIDE = {"COLUMNS": "400"}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(review_cmd)
    return app


def test_resolve_names_codes_and_brands(kb: KnowledgeBase) -> None:
    assert resolve_medication("Clopidogrel 75 mg daily", kb).ingredients == ("clopidogrel",)
    assert resolve_medication("RxNorm:32968", kb).ingredients == ("clopidogrel",)
    assert resolve_medication("32968", kb).ingredients == ("clopidogrel",)
    assert resolve_medication("warfarin sodium 5 mg", kb).ingredients == ("warfarin",)
    assert resolve_medication("Paxil 20 mg", kb).ingredients == ("paroxetine",)
    prozac = resolve_medication("Prozac", kb)
    assert prozac.ingredients == ("fluoxetine",)
    assert {(i.gene, i.strength) for i in kb.inhibitors.of("fluoxetine")} == {
        ("CYP2D6", "strong"),
        ("CYP2C19", "strong"),
    }
    metformin = resolve_medication("metformin 500 mg", kb)
    assert metformin.recognised and kb.drugs and all(d.name != "metformin" for d in kb.drugs)


def test_review_statuses(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*2", "*2"), outside("CYP2D6", "*1/*1"))
    meds = [
        "clopidogrel 75 mg daily",
        "RxNorm:2670",  # codeine
        "Paxil 20 mg",
        "fluconazole 150 mg",
        "metformin 500 mg",
        "abacavir",
    ]
    reviews = {r.medication: r for r in review_medications(interp, meds, kb)}
    clop = reviews["clopidogrel 75 mg daily"]
    assert clop.status == "actionable" and clop.drug == "clopidogrel"
    assert any("prasugrel or ticagrelor" in r.text for r in clop.recommendations)
    # Paroxetine is a strong CYP2D6 inhibitor: codeine is reviewed for a poor metabolizer.
    codeine = reviews["RxNorm:2670"]
    assert codeine.drug == "codeine" and codeine.status == "actionable"
    assert all(r.phenoconverted for r in codeine.recommendations)
    paxil = reviews["Paxil 20 mg"]
    assert paxil.drug == "paroxetine" and paxil.status == "no change"
    assert paxil.phenoconversion == (
        "strong CYP2D6 inhibitor: CYP2D6 Normal Metabolizer is treated as Poor Metabolizer "
        "for other drugs (CYP2D6 activity score 2.0 × 0 (strong inhibitor) = 0.0 → Poor "
        "Metabolizer (cicali-2021))",
    )
    fluconazole = reviews["fluconazole 150 mg"]
    assert fluconazole.status == "no guideline" and fluconazole.drug == "fluconazole"
    assert "strong CYP2C19 inhibitor" in fluconazole.note
    assert fluconazole.phenoconversion[0].startswith("strong CYP2C19 inhibitor: CYP2C19 Poor")
    metformin = reviews["metformin 500 mg"]
    assert metformin.status == "no guideline"
    assert "No CPIC or DPWG guideline in the knowledge base covers metformin" in metformin.note
    assert reviews["abacavir"].status == "no result"
    assert "HLA-B was not tested" in reviews["abacavir"].note


def _write_calls(folder: Path, sample: str, calls: list[GeneCall]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"schema": SCHEMA, "sample": sample, "genes": {c.gene: c.to_json() for c in calls}}
    path = folder / f"{sample}.json"
    path.write_text(json.dumps(doc))
    return path


def _meds(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "meds.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_review_command_table_and_json(tmp_path: Path) -> None:
    out = tmp_path / "calls"
    _write_calls(out, "P1", [call("CYP2C19", "*2", "*2")])
    _write_calls(out, "P2", [call("CYP2C19", "*1", "*1")])
    (out / "calls.tsv").write_text("sample\tgene\n")
    (out / "other.json").write_text(json.dumps({"schema": "something/1"}))
    meds = _meds(tmp_path, "# current medications\nclopidogrel 75 mg daily  # stent\n\nfoo\n")
    result = runner.invoke(
        _app(), ["--calls", str(out), "--meds", str(meds)], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 0, result.output
    assert "P1: medication review" in result.output and "P2: medication review" in result.output
    assert "actionable" in result.output and "no change" in result.output
    assert "not recognised" in result.output
    result = runner.invoke(
        _app(), ["--calls", str(out), "--meds", str(meds), "--sample", "P1", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (only,) = doc["samples"]
    assert only["sample"] == "P1"
    # "foo" is not a medication: said so, never "no guideline".
    assert [r["status"] for r in only["reviews"]] == ["actionable", "not recognised"]
    assert only["limitations"]


def test_review_command_one_sample_file(tmp_path: Path) -> None:
    path = _write_calls(tmp_path, "P9", [call("CYP2C19", "*2", "*2")])
    meds = _meds(tmp_path, "RxNorm:32968\n")
    result = runner.invoke(_app(), ["--calls", str(path), "--meds", str(meds), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["samples"][0]["reviews"][0]["drug"] == "clopidogrel"


def test_review_command_errors_name_file_and_line(tmp_path: Path) -> None:
    path = _write_calls(tmp_path / "c", "P1", [call("CYP2C19", "*1", "*1")])
    bad = _meds(tmp_path, "clopidogrel\nRxNorm:abc\n")
    result = runner.invoke(_app(), ["--calls", str(path), "--meds", str(bad)], env=WIDE)
    assert result.exit_code == 1
    assert f"{bad}, line 2: 'RxNorm:abc': an RxNorm code is digits only" in result.output
    tabbed = _meds(tmp_path, "clopidogrel\twarfarin\n")
    result = runner.invoke(_app(), ["--calls", str(path), "--meds", str(tabbed)], env=WIDE)
    assert result.exit_code == 1 and "line 1" in result.output
    empty = _meds(tmp_path, "# nothing\n")
    result = runner.invoke(_app(), ["--calls", str(path), "--meds", str(empty)], env=WIDE)
    assert result.exit_code == 1 and "holds no medications" in result.output
    missing = tmp_path / "nope.txt"
    result = runner.invoke(_app(), ["--calls", str(path), "--meds", str(missing)], env=WIDE)
    assert result.exit_code == 1 and "medication list does not exist" in result.output
    meds = _meds(tmp_path, "clopidogrel\n")
    result = runner.invoke(
        _app(), ["--calls", str(tmp_path / "c"), "--meds", str(meds), "--sample", "P7"], env=WIDE
    )
    assert result.exit_code == 1 and "sample 'P7' is not in the calls (found: P1)" in result.output
    result = runner.invoke(
        _app(), ["--calls", str(tmp_path / "empty"), "--meds", str(meds)], env=WIDE
    )
    assert result.exit_code == 1 and "does not exist" in result.output
    (tmp_path / "empty").mkdir()
    result = runner.invoke(
        _app(), ["--calls", str(tmp_path / "empty"), "--meds", str(meds)], env=WIDE
    )
    assert result.exit_code == 1 and "no <sample>.json calls files" in result.output
