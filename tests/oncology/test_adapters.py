"""The oncology adapter of the pipeline (`tailormed run --tumor --tumor-type --ctdna`).

Oracles: the PGx stages' own answer for the example germline sample (the tumour's
therapy PGx must be the run's germline result, never the tumour file's), CIViC EID1902
(BRAF V600E, colorectal cancer, cetuximab + irinotecan + vemurafenib) and the example
ctDNA series (T790M emerging on erlotinib).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge import load_kb
from tailormed.oncology.adapters import pipeline_sections
from tailormed.oncology.pgx import germline_pgx
from tailormed.pipeline import example_path
from tailormed.pipeline.domains import ClinicalInputs, Context, adapters
from tests.oncology.fixtures import BRAF_V600E, write_vep
from tests.oncology.series import write_series


def _rows(section, title):  # type: ignore[no-untyped-def]
    table = next(t for t in section.tables if t.title == title)
    return [dict(zip(table.columns, r, strict=True)) for r in table.rows]


def test_registered_and_quiet_without_oncology_inputs() -> None:
    assert adapters()["oncology"] == "tailormed.oncology.adapters:pipeline_sections"
    context = Context("S1", (), load_kb())
    assert pipeline_sections(ClinicalInputs(factors=Path("f.json")), context) == []


def test_run_germline_is_beside_the_tumours_therapies(tmp_path: Path) -> None:
    germline = germline_pgx(example_path("example-patient.vcf"), None)
    assert germline is not None
    context = Context(
        "Sample_2", (example_path("example-patient.vcf"),), load_kb(), germline.interpretation
    )
    tumour = write_vep(tmp_path / "t.vcf", [BRAF_V600E])
    inputs = ClinicalInputs(
        tumor=tumour, tumor_type="COAD", ctdna=(example_path("example-ctdna.tsv"),)
    )
    tumour_section, ctdna_section = pipeline_sections(inputs, context)
    assert tumour_section.subject == ctdna_section.subject == "Sample_2"
    rows = {r["drug"]: r for r in _rows(tumour_section, "Therapy options")}
    irinotecan = rows["cetuximab + irinotecan + vemurafenib"]
    drug = next(d for d in germline.interpretation.drugs if d.drug == "irinotecan")
    ugt = next(p for p in germline.interpretation.phenotypes if p.gene == "UGT1A1")
    assert f"irinotecan: UGT1A1 {drug.status} (UGT1A1 {ugt.diplotype}: {ugt.phenotype})" in str(
        irinotecan["germline PGx"]
    )
    assert tumour_section.knowledge["pgx"] == germline.kb_version
    assert ctdna_section.title == "ctDNA monitoring: molecular progression resistance"
    # without a germline interpretation: "not tested", never read from the tumour
    bare = pipeline_sections(inputs, Context("Sample_2", (), load_kb()))[0]
    rows = {r["drug"]: r for r in _rows(bare, "Therapy options")}
    assert "not tested" in str(rows["cetuximab + irinotecan + vemurafenib"]["germline PGx"])


def test_bad_oncology_inputs_are_errors(tmp_path: Path) -> None:
    context = Context("P-RESPONSE", (), load_kb())
    tumour = write_vep(tmp_path / "t.vcf", [BRAF_V600E])
    with pytest.raises(InputError, match="needs --tumor-type"):
        pipeline_sections(ClinicalInputs(tumor=tumour), context)
    with pytest.raises(InputError, match="unknown tumour type 'MELANOMA'"):
        pipeline_sections(ClinicalInputs(tumor=tumour, tumor_type="MELANOMA"), context)
    series = write_series(tmp_path / "s.tsv")  # four synthetic patients
    (mine,) = pipeline_sections(ClinicalInputs(ctdna=(series,)), context)
    assert mine.title == "ctDNA monitoring: molecular response"  # the run's subject's rows
    with pytest.raises(InputError, match="none is the run's subject 'someone'"):
        pipeline_sections(ClinicalInputs(ctdna=(series,)), Context("someone", (), load_kb()))


def test_the_runs_fhir_bundle_carries_the_profiled_oncology_resources(tmp_path: Path) -> None:
    from tailormed.fhir import export_bundle
    from tailormed.recommend.models import Interpretation

    context = Context("Sample_2", (), load_kb())
    inputs = ClinicalInputs(
        tumor=example_path("example-tumor.vcf"),
        tumor_type="LUAD",
        ctdna=(example_path("example-ctdna.tsv"),),
    )
    sections = pipeline_sections(inputs, context)
    bundle = export_bundle(Interpretation("Sample_2", "kb-1", (), (), ()), sections=sections)
    profiles = [
        (e["resource"].get("meta") or {}).get("profile", [""])[0].rsplit("/", 1)[-1]
        for e in bundle["entry"]
    ]
    assert profiles.count("variant") == 2 + 12  # EGFR L858R, TP53 R273H; 4 draws x 3
    assert profiles.count("therapeutic-implication") > 5
    report = bundle["entry"][0]["resource"]
    listed = {r["reference"] for r in report["result"]}
    assert all(
        e["fullUrl"] in listed
        for e in bundle["entry"][1:]
        if e["resource"]["resourceType"] == "Observation"
    )


def test_run_command_passes_the_tumour_options(tmp_path: Path) -> None:
    """`tailormed run --tmb 0 --msi MSI-H`: the options reach the adapter (a TMB of 0 is a
    value, not a missing one), and MSI-H gives pembrolizumab's tissue-agnostic approval."""
    import json

    from typer.testing import CliRunner

    from tailormed.cli.main import app

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(example_path("example-patient.vcf")),
            "--tumor",
            str(example_path("example-tumor.vcf")),
            "--tumor-type",
            "LUAD",
            "--tumor-sample",
            "TUMOR",
            "--tmb",
            "0",
            "--msi",
            "MSI-H",
            "--no-pdf",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "Sample_2" / "report.json").read_text())
    tumour = next(s for s in report["sections"] if s["title"].startswith("Tumour profile"))
    text = json.dumps(tumour).lower()
    assert "msi-h" in text
    assert "pembrolizumab" in text
    biomarkers = next(t for t in tumour["tables"] if "iomarker" in t["title"])
    rows = {r[0]: r for r in biomarkers["rows"]}
    assert rows["TMB"][1:] == ["0.0 mut/Mb", "TMB-low", "given (--tmb)"]
    assert rows["MSI"][2:] == ["MSI-H", "given (--msi)"]
