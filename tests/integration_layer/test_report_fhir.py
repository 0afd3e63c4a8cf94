"""Report /3 and FHIR render any domain's section generically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.fhir import export_bundle
from tailormed.fhir.domains import register_fhir_provider, unregister_fhir_provider
from tailormed.fhir.export import _validated
from tailormed.fhir.findings import FINDING_SYSTEM, finding_observation
from tailormed.findings import Figure
from tailormed.findings.sections import FigureModel
from tailormed.recommend.models import Interpretation
from tailormed.report import build_report, load_report, render_html, write_reports
from tailormed.report.html import figure_svg
from tailormed.report.schema import REPORT_SCHEMA
from tests.integration_layer.sample import section

EMPTY = Interpretation("S1", "kb-1", (), (), ())


def test_report_holds_sections_and_findings_most_severe_first() -> None:
    r = build_report(EMPTY, sections=[section()])
    assert REPORT_SCHEMA == "tailormed.report/3"
    assert [f.code for f in r.findings] == ["cardio.statin", "cardio.pce"]
    assert r.sections[0].tables[0].rows == [["PCE", 5.38]]
    doc = json.loads(r.to_json())
    assert doc["schema"] == "tailormed.report/3" and doc["sections"][0]["domain"] == "cardio"


def test_schema_file_matches_the_models() -> None:
    from tailormed.report.schema import report_json_schema

    shipped = Path(__file__).parents[2] / "src/tailormed/report/report.schema.json"
    assert json.loads(shipped.read_text()) == json.loads(json.dumps(report_json_schema()))


def test_html_clinician_and_patient_views(tmp_path: Path) -> None:
    html = render_html(build_report(EMPTY, sections=[section()]))
    assert "Personalised medicine report" in html
    clinician, _, patient = html.partition('id="patient"')
    assert "Start a moderate-intensity statin &lt;now&gt;." in clinician  # escaped
    assert "Rosuvastatin 5-10 mg daily." in clinician and "Not validated under age 30." in clinician
    assert "79423-0" in clinician and "secret-table" in clinician
    assert clinician.count("<svg") == 1 and "5.38" in clinician
    assert "A cholesterol-lowering medicine is advised." in patient
    assert "secret-table" not in patient  # clinician-only table
    assert patient.count("<svg") == 1  # figure for both audiences
    # PGx-only reports keep their title
    assert "Pharmacogenomic report" in render_html(EMPTY)


def test_pdf_and_json_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("weasyprint")
    paths = write_reports(EMPTY, tmp_path, sections=[section()])
    assert load_report(paths["json"]).sections[0].title == "Cardiovascular risk"
    assert paths["pdf"].read_bytes().startswith(b"%PDF")


def test_unsafe_svg_is_refused_and_not_inlined() -> None:
    for bad in ('<svg onload="alert(1)"></svg>', '<svg><image href="http://x/y.png"/></svg>'):
        with pytest.raises(ValueError):
            Figure("t", bad, "alt")
        assert figure_svg(FigureModel(title="t", svg=bad, alt="a")) is None


def test_finding_observation_generic_rules() -> None:
    s = section()
    pce, statin = s.findings
    obs = _validated(finding_observation(pce, {"reference": "Patient/S1"}))
    assert obs["code"]["coding"][0]["code"] == "79423-0"
    assert obs["valueQuantity"] == {
        "value": 5.38,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert {"code": "knowledge-cardio@k-1", "system": obs["meta"]["tag"][0]["system"]} in obs[
        "meta"
    ]["tag"]
    assert any(c.get("valueString") == "white_male" for c in obs["component"])
    obs2 = _validated(finding_observation(statin, {"reference": "Patient/S1"}))
    assert obs2["code"]["coding"][0]["system"] == FINDING_SYSTEM  # no borrowed code
    assert obs2["valueString"] == statin.summary
    notes = [n["text"] for n in obs2["note"]]
    assert "Limitation: Not validated under age 30." in notes
    assert any(n.startswith("Source: Guideline (version 2026)") for n in notes)


def test_bundle_holds_finding_observations_and_provider_resources() -> None:
    def provider(sec, ctx):  # type: ignore[no-untyped-def]
        return [
            {
                "resourceType": "Observation",
                "id": "11111111-1111-5111-8111-111111111111",
                "status": "final",
                "code": {"text": f"extra for {sec.title}"},
                "subject": ctx.subject,
            }
        ]

    register_fhir_provider("cardio", provider)
    try:
        bundle = export_bundle(EMPTY, sections=[section()])
    finally:
        unregister_fhir_provider("cardio")
    kinds = [e["resource"].get("code", {}).get("text") for e in bundle["entry"]]
    assert "PCE 10-year risk" in kinds and "Statin decision" in kinds
    assert "extra for Cardiovascular risk" in kinds
    report = bundle["entry"][0]["resource"]
    assert len(report["result"]) == 3


def test_page_one_shows_every_critical_finding_and_caps_the_rest_per_domain() -> None:
    """At a glance: all "act now" findings, at most three high/moderate per domain, the rest
    counted with a link (every finding stays in its section)."""
    from tailormed.findings import Finding, Section

    def finding(i: int, severity: str) -> Finding:
        return Finding(
            domain="oncology",
            code=f"oncology.t{i}",
            title=f"therapy {i}",
            severity=severity,  # type: ignore[arg-type]
            summary=f"summary {i}.",
            subject="S1",
        )

    many = [finding(i, "high") for i in range(6)] + [finding(9, "low"), finding(10, "critical")]
    html = render_html(
        build_report(
            EMPTY,
            sections=[Section(domain="oncology", title="T", subject="S1", findings=tuple(many))],
        )
    )
    glance = html.split('id="findings-glance"')[1].split("</div>")[0]
    assert "therapy 10:" in glance  # critical always
    assert [f"therapy {i}:" in glance for i in range(6)] == [True] * 3 + [False] * 3
    assert "therapy 9:" not in glance
    assert "4 more Oncology findings</a> (3 high, 1 low)" in glance
    assert 'href="#finding-oncology-t3"' in glance
    for i in (*range(6), 9, 10):  # all still in the section
        assert html.count(f"therapy {i}</h4>") == 1
