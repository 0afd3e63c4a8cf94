"""The digital-health report Section: built from typed results, round-trips as JSON."""

from __future__ import annotations

from pathlib import Path

from tailormed.digital.run import summarize
from tailormed.digital.sections import section
from tailormed.findings import section_from_json, section_to_json
from tailormed.pipeline import example_path


def test_bundled_month_and_phq9_series_make_a_section(tmp_path: Path) -> None:
    files = [example_path(f"example-fitbit-{n}.csv") for n in ("dailyActivity", "sleepDay")]
    summary = summarize(
        [*files, example_path("example-phq9-series.json")],
        patient="P1",
        source_id="8378563200",
        timezone="America/Chicago",
        medications=[("sertraline", "2016-04-15")],
    )
    sec = section(
        summary.table, summary.scores, summary.alerts, summary.context, summary.knowledge_version
    )
    assert sec.domain == "digital" and sec.subject == "P1"
    codes = [f.code for f in sec.findings]
    assert codes[0] == "digital.alert.phq9-item9"  # the safety alert first
    assert {"digital.pro.phq-9", "digital.pro.gad-7"} <= set(codes)
    scores = next(t for t in sec.tables if t.title == "Questionnaire scores")
    # PHQ-9 totals of the bundled synthetic series: 16 -> 13 (item 9 = 1) -> 8
    assert [r[2] for r in scores.rows if r[1] == "PHQ-9"] == [16, 13, 8]
    assert [r[4] for r in scores.rows if r[1] == "PHQ-9"] == [0, 1, 0]
    assert {f.title for f in sec.figures} == {"Daily steps", "Sleep", "Questionnaire scores"}
    assert all(f.alt and f.svg.lstrip().startswith("<svg") for f in sec.figures)
    assert any("988" in line for line in sec.limitations)
    assert section_from_json(section_to_json(sec)) == sec
