"""The pipeline gives clinical inputs to registered domain adapters; sections reach the
report and the FHIR bundle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge import load_kb
from tailormed.pipeline import ClinicalInputs, Context, example_path, run
from tailormed.pipeline.domains import register_domain, unregister_domain
from tests.integration_layer.sample import section

CALLS: list[tuple[ClinicalInputs, Context]] = []


def adapter(inputs: ClinicalInputs, context: Context) -> list:  # type: ignore[type-arg]
    CALLS.append((inputs, context))
    return [section(context.sample)] if inputs.options.get("test.section") else []


@pytest.fixture
def registered():  # type: ignore[no-untyped-def]
    CALLS.clear()
    register_domain("test-domain", adapter)
    yield
    unregister_domain("test-domain")


def test_run_puts_sections_into_report_and_fhir(tmp_path: Path, registered: None) -> None:
    out = run(
        [example_path("example-patient.vcf")],
        tmp_path / "out",
        load_kb(),
        pdf=False,
        clinical=ClinicalInputs(options={"test.section": True}),
    )
    _inputs, ctx = CALLS[0]
    assert ctx.sample == "Sample_2" and ctx.interpretation is not None
    assert ctx.vcfs == (example_path("example-patient.vcf"),)
    report = json.loads(out[0].files["json"].read_text())
    assert report["sections"][0]["title"] == "Cardiovascular risk"
    assert report["findings"][0]["code"] == "cardio.statin"
    bundle = json.loads(out[0].files["fhir"].read_text())
    texts = [e["resource"]["code"].get("text") for e in bundle["entry"] if "code" in e["resource"]]
    assert "PCE 10-year risk" in texts


def test_no_clinical_inputs_no_adapter_call(tmp_path: Path, registered: None) -> None:
    run([example_path("example-patient.vcf")], tmp_path, load_kb(), pdf=False)
    assert CALLS == []


def test_multi_sample_needs_a_subject() -> None:
    from tailormed.pipeline import clinical_subject

    inputs = ClinicalInputs(pgs=(Path("x.txt"),))
    with pytest.raises(InputError, match="--subject"):
        clinical_subject(["A", "B"], inputs, None)
    assert clinical_subject(["A", "B"], inputs, "B") == "B"
    with pytest.raises(InputError, match="not a sample"):
        clinical_subject(["A", "B"], inputs, "C")
    assert clinical_subject(["A", "B"], None, None) is None


def test_pgx_only_factors_apply_to_every_sample(tmp_path: Path) -> None:
    from tailormed.pipeline import clinical_subject

    pgx = tmp_path / "f.json"
    pgx.write_text('{"age_years": 60, "weight_kg": 70}')
    assert clinical_subject(["A", "B"], ClinicalInputs(factors=pgx), None) is None
    cardio = tmp_path / "c.json"
    cardio.write_text('{"age_years": 60, "sex": "female"}')
    with pytest.raises(InputError, match="--subject"):
        clinical_subject(["A", "B"], ClinicalInputs(factors=cardio), None)
