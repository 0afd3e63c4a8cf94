"""`tailormed run` end to end on the bundled example patient: every stage, every file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.errors import InputError
from tailormed.fhir import read_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline import example_path, read_factors
from tailormed.report import load_report

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    result = runner.invoke(
        app,
        [
            "run",
            str(example_path("example-patient.vcf")),
            "--outside",
            str(example_path("example-outside.tsv")),
            "--meds",
            str(example_path("example-meds.txt")),
            "--factors",
            str(example_path("example-factors.json")),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_every_stable_file_is_written(demo_out: Path) -> None:
    sample = demo_out / "Sample_2"
    for name in ("report.json", "report.html", "report.pdf", "fhir-bundle.json"):
        assert (sample / name).stat().st_size > 1000, name
    for name in ("calls.tsv", "Sample_2.json", "genes.tsv", "drugs.tsv"):
        assert (demo_out / name).exists(), name
    assert (sample / "report.pdf").read_bytes().startswith(b"%PDF")


def test_report_carries_calls_outside_calls_and_recommendations(
    demo_out: Path, kb: KnowledgeBase
) -> None:
    report = json.loads((demo_out / "Sample_2" / "report.json").read_text())
    assert kb.version in json.dumps(report)
    load_report(demo_out / "Sample_2" / "report.json")  # validates against the schema
    text = (demo_out / "Sample_2" / "report.html").read_text()
    # PharmCAT's expected call for this example: CYP2C19 *2/*2 (poor metabolizer)
    assert "*2/*2" in text and "Poor Metabolizer" in text
    # outside calls reach the report: HLA-B*57:01 -> abacavir is not recommended
    assert "abacavir" in text.lower()
    # paroxetine (a strong CYP2D6 inhibitor) is on the medication list: phenoconversion
    assert "paroxetine" in text.lower()


def test_fhir_bundle_round_trips_the_calls(demo_out: Path) -> None:
    sample, calls = read_bundle(demo_out / "Sample_2" / "fhir-bundle.json")
    tsv = (demo_out / "calls.tsv").read_text().splitlines()[1:]
    expected = {row.split("\t")[1]: row.split("\t")[2] for row in tsv}
    got = {c.gene: c.diplotype for c in calls}
    assert got["CYP2C19"] == expected["CYP2C19"] == "*2/*2"
    assert set(got) == set(expected)
    assert sample == "Sample_2"


def test_bad_factors_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "f.json"
    bad.write_text('{"age_years": "old"}')
    with pytest.raises(InputError, match="age_years must be a number"):
        read_factors(bad)


def test_report_command_from_stored_calls(demo_out: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--calls", str(demo_out), "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "Sample_2" / "report.html").exists()
    assert (out / "Sample_2" / "fhir-bundle.json").exists()
    assert (out / "genes.tsv").read_text().count("\n") > 10


def _tsv_genes(path: Path) -> dict[str, str]:
    rows = [r.split("\t") for r in path.read_text().splitlines()[1:]]
    return {r[1]: r[2] for r in rows}


def test_run_takes_genes_and_jobs_like_call(tmp_path: Path) -> None:
    """`run` and `call` share their calling options and give the same calls."""
    from tests.vcfbuild import bgzip_and_index

    vcf = bgzip_and_index(example_path("example-patient.vcf"), tmp_path / "ex.vcf.gz")
    run_out, call_out = tmp_path / "run", tmp_path / "call"
    common = ["--genes", "CYP2C19,TPMT,DPYD", "--jobs", "2"]
    ran = runner.invoke(app, ["run", str(vcf), *common, "--no-pdf", "--out", str(run_out)])
    assert ran.exit_code == 0, ran.output
    called = runner.invoke(app, ["call", str(vcf), *common, "--out", str(call_out)])
    assert called.exit_code == 0, called.output
    genes = _tsv_genes(run_out / "calls.tsv")
    assert set(genes) == {"CYP2C19", "TPMT", "DPYD"}
    assert genes == _tsv_genes(call_out / "calls.tsv")
    assert genes["CYP2C19"] == "*2/*2"
    assert not (run_out / "Sample_2" / "report.pdf").exists()
    assert (run_out / "Sample_2" / "report.html").exists()


def test_run_covered_regions_needs_missing_to_ref(tmp_path: Path) -> None:
    bed = tmp_path / "r.bed"
    bed.write_text("chr10\t94700000\t94900000\n")
    result = runner.invoke(
        app,
        [
            "run",
            str(example_path("example-patient.vcf")),
            "--covered-regions",
            str(bed),
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert result.exit_code == 1
    assert "--missing-to-ref" in result.output


def test_one_orchestration_api(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The pieces `call`, `report`, `run` and the service use, called directly."""
    from tailormed.calling import CallOptions
    from tailormed.pipeline import call_inputs, interpret_sample, report_samples

    callset = call_inputs(
        [example_path("example-patient.vcf")],
        kb,
        CallOptions(genes=("CYP2C19",)),
        outside=example_path("example-outside.tsv"),
    )
    (sample,) = callset.samples
    calls = callset.for_sample(sample)
    assert {c.gene for c in calls} >= {"CYP2C19", "CYP2D6", "HLA-B"}
    interp = interpret_sample(calls, kb, medications=["clopidogrel"])
    assert any(d.drug == "clopidogrel" and d.status == "actionable" for d in interp.drugs)
    outputs = report_samples([(sample, calls)], tmp_path, kb, pdf=False)
    assert outputs[0].files["fhir"].exists() and (tmp_path / "genes.tsv").exists()
