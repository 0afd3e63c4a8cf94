"""Per-day aggregates (definitions), the knowledge bundle, and the CLI end to end."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.digital.aggregate import aggregate
from tailormed.digital.models import NS
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tests.digital.conftest import daily, samples
from tests.digital.test_pro import PHQ9, response_resource


def test_resting_estimate_is_the_10th_percentile_and_night_the_median() -> None:
    s = samples("2024-03-01", 1, [70.0], step_s=60)
    values = np.where((s.start // NS) % 86_400 < 6 * 3600, 55.0, 80.0)  # night 55, day 80
    values[::10] = 50.0  # 10 % of the samples at 50
    s = s.take(np.arange(len(s)))
    object.__setattr__(s, "value", values)
    row = aggregate([s]).rows()[0]
    assert row["night_hr"] == 55.0
    assert row["resting_hr"] == float(np.percentile(values, 10))
    assert row["resting_hr_source"] == "estimate"
    device = daily("resting_heart_rate", "2024-03-01", [52.0], "/min")
    assert aggregate([s, device]).rows()[0]["resting_hr"] == 52.0  # the device's own wins


def test_repeated_points_count_once() -> None:
    steps = daily("steps", "2024-03-01", [1000.0, 2000.0], "{steps}")
    assert [r["steps"] for r in aggregate([steps, steps]).rows()] == [1000.0, 2000.0]


def test_bundle_rules_are_cited_and_local_rules_say_so() -> None:
    kb = DigitalKnowledge.load()
    assert {r["id"] for r in kb.rules} == {
        "phq9-item9",
        "phq9-no-response-8w",
        "hr-rise",
        "activity-drop",
        "statin-activity-drop",
        "pro-overdue",
    }
    for rule in kb.rules:
        assert rule["citation"] and rule["params"]
        if not rule["published"]:
            assert "local rule, not a published threshold" in rule["basis"] or rule[
                "basis"
            ].startswith("local rule")
    assert kb.bundle.manifest["counts"]["rules"] == 6
    assert "United States only" in kb.crisis_resources[0]["note"]


def test_summarize_cli(tmp_path: Path, data: Path) -> None:
    pro = tmp_path / "pro.json"
    pro.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {
                        "resource": response_resource(
                            "PHQ-9",
                            PHQ9,
                            [2, 2, 2, 2, 2, 2, 1, 1, 0],
                            "2016-04-10T09:00:00-05:00",
                            "a",
                        )
                    },
                    {
                        "resource": response_resource(
                            "PHQ-9",
                            PHQ9,
                            [2, 2, 2, 1, 1, 1, 1, 0, 1],
                            "2016-04-20T09:00:00-05:00",
                            "b",
                        )
                    },
                ],
            }
        )
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "digital",
            "summarize",
            str(data / "dailyActivity_merged.csv"),
            str(data / "heartrate_seconds_user2022484408_20160401-03.csv"),
            str(pro),
            "--source-id",
            "2022484408",
            "--timezone",
            "America/Chicago",
            "--out",
            str(out),
            "--patient",
            "P1",
            "--medication",
            "sertraline=2016-04-11",
        ],
    )
    assert result.exit_code == 0, result.output
    alerts = json.loads((out / "alerts.json").read_text())
    assert alerts["knowledge"]["digital"] == DigitalKnowledge.load().version
    assert [a["rule_id"] for a in alerts["alerts"] if a["severity"] == "critical"] == ["phq9-item9"]
    daily_rows = (out / "daily.tsv").read_text().splitlines()
    # 31 days of daily activity (4/12-5/12) and 3 days of heart rate (4/1-4/3)
    assert daily_rows[0].startswith("date\tsteps") and len(daily_rows) == 1 + 31 + 3
    for name in ("steps", "heart-rate", "questionnaires"):
        root = ET.fromstring((out / "charts" / f"{name}.svg").read_text())
        assert root.tag.endswith("svg")
    chart = (out / "charts" / "questionnaires.svg").read_text()
    assert "sertraline start 2016-04-11" in chart and "PHQ-9 item 9" in chart
    findings = json.loads((out / "findings.json").read_text())
    assert findings[0]["code"] == "digital.alert.phq9-item9"


def test_summarize_cli_error_is_one_line(tmp_path: Path, data: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["digital", "summarize", str(data / "dailyActivity_merged.csv"), "--out", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert "--timezone" in result.output and "Traceback" not in result.output


def test_questionnaire_cli() -> None:
    result = CliRunner().invoke(app, ["digital", "questionnaire", "GAD-7"])
    assert result.exit_code == 0 and json.loads(result.output)["code"][0]["code"] == "69737-5"


def test_series_split_into_day_chunks(data: Path) -> None:
    from tailormed.digital.read import read_file

    (s,), _, _, _ = read_file(
        data / "heartrate_seconds_user2022484408_20160401-03.csv", "2022484408", "Asia/Tokyo"
    )
    chunks = s.by_day()
    assert sum(len(c) for _, c in chunks) == len(s)
    assert [d for d, _ in chunks] == sorted({int(d) for d in s.local_day()})
    for day, chunk in chunks:
        assert set(chunk.local_day().tolist()) == {day}
        assert chunk.timezone == s.timezone and chunk.unit == "/min"
