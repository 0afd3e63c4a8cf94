"""`tailormed tumor` / `tailormed ctdna` as a user runs them: files, schemas, findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.findings import findings_from_json
from tailormed.oncology.output import schema_dir, schemas
from tailormed.pipeline import example_path
from tests.oncology.fixtures import BRAF_V600E, L858R, T790M, VUS, write_vep
from tests.oncology.series import write_series

runner = CliRunner()


def _schema(name: str) -> dict[str, object]:
    committed: dict[str, object] = json.loads((schema_dir() / name).read_text())
    return committed


def test_committed_schemas_are_the_models_schemas() -> None:
    for name, generated in schemas().items():
        assert _schema(name) == json.loads(json.dumps(generated)), name


def test_tumor_command_writes_valid_json_and_findings(tmp_path: Path) -> None:
    vcf = write_vep(tmp_path / "t.vcf", [L858R, T790M, VUS])
    fusions = tmp_path / "f.txt"
    fusions.write_text("EML4::ALK\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "tumor",
            str(vcf),
            "--tumor-type",
            "LUAD",
            "--out",
            str(out),
            "--panel-size-mb",
            "1.1",
            "--msi",
            "MSS",
            "--fusions",
            str(fusions),
            "--germline-outside",
            str(example_path("example-outside.tsv")),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "tumor.json").read_text())
    jsonschema.validate(data, _schema("tumor.schema.json"))
    assert data["knowledge"]["civic_release"] == "2024-08-01"
    assert data["knowledge"]["oncology"].startswith("civic-2024-08-01+")
    l858r = next(v for v in data["variants"] if v["hgvs_p_short"] == "L858R")
    assert l858r["hgvs_p"] == "p.Leu858Arg" and l858r["tier"] == "I"
    assert data["therapies"][0]["drug"] == data["therapies"][0]["drug"].lower()
    findings = findings_from_json(json.loads((out / "findings.json").read_text()))
    codes = {f.code for f in findings}
    assert "oncology.variant.egfr.l858r" in codes
    assert "oncology.therapy.erlotinib.resistant" in codes
    assert all(f.knowledge["oncology"] == data["knowledge"]["oncology"] for f in findings)
    bundle = json.loads((out / "fhir-bundle.json").read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    report = bundle["entry"][0]["resource"]
    assert report["resourceType"] == "DiagnosticReport" and "tier I" in report["conclusion"]


def test_tumor_command_errors_are_one_line(tmp_path: Path) -> None:
    bare = write_vep(tmp_path / "bare.vcf", [BRAF_V600E], annotate=False)
    result = runner.invoke(
        app, ["tumor", str(bare), "--tumor-type", "SKCM", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "bare.vcf, line 13: the VCF is not annotated" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    ok = write_vep(tmp_path / "ok.vcf", [BRAF_V600E])
    result = runner.invoke(
        app, ["tumor", str(ok), "--tumor-type", "MELANOMA", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1 and "unknown tumour type 'MELANOMA'" in " ".join(
        result.output.split()
    )


def test_ctdna_command_writes_valid_json_charts_and_findings(tmp_path: Path) -> None:
    series = write_series(tmp_path / "s.tsv")
    out = tmp_path / "out"
    result = runner.invoke(app, ["ctdna", str(series), "--out", str(out), "--fhir", "--documents"])
    assert result.exit_code == 0, result.output
    from tailormed.knowledge.oncology_kb import OncologyKnowledge
    from tailormed.oncology.documents import CtdnaSeriesDocument, classify_document

    doc = CtdnaSeriesDocument.model_validate_json((out / "documents" / "P-T790M.json").read_text())
    kb = OncologyKnowledge.load()
    assert classify_document(doc, "P-T790M", kb).status == "molecular-progression-resistance"
    bundle = json.loads((out / "fhir" / "P-T790M.json").read_text())
    assert bundle["entry"][0]["resource"]["subject"]["display"] == "P-T790M"
    data = json.loads((out / "ctdna.json").read_text())
    jsonschema.validate(data, _schema("ctdna.schema.json"))
    statuses = {p["patient"]: p["status"] for p in data["patients"]}
    assert statuses["P-T790M"] == "molecular-progression-resistance"
    assert data["rules"]["molecular_response"]["min_fall_fraction"] == 0.5
    for p in data["patients"]:
        assert (out / p["chart"]).read_text().startswith("<svg")
    findings = findings_from_json(json.loads((out / "findings.json").read_text()))
    t790m = next(f for f in findings if f.subject == "P-T790M")
    assert t790m.severity == "high" and t790m.recommendations
    bad = runner.invoke(
        app, ["ctdna", str(series), "--out", str(out), "--therapy", "erlotinib:2024-99-01"]
    )
    assert bad.exit_code == 1 and "therapy start '2024-99-01'" in " ".join(bad.output.split())


def test_the_same_input_gives_the_same_report_in_any_process(tmp_path: Path) -> None:
    """String hashing differs per process; the report must not depend on it."""
    import os
    import subprocess
    import sys

    vcf = write_vep(tmp_path / "t.vcf", [L858R, T790M, VUS])
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        code = (
            "from tailormed.cli.main import app; import sys; "
            f"sys.argv = ['tailormed', 'tumor', {str(vcf)!r}, '--tumor-type', 'LUAD', "
            f"'--out', {str(out)!r}]; app()"
        )
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        outputs.append((out / "tumor.json").read_text() + (out / "fhir-bundle.json").read_text())
    assert outputs[0] == outputs[1]
