"""Open mHealth: the bundled schemas' own examples, and data points read into series."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.digital.read import read_file
from tailormed.digital.read.omh import accepted, validate_body
from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge

FRAME = {"data-point": ["1.0"], "header": ["1.0", "1.1", "1.2"]}


def examples(tree: Path) -> list[tuple[str, str, str, Path]]:
    out = []
    for name, versions in {**accepted(), **FRAME}.items():
        for version in versions:
            for f in sorted((tree / "test-data" / "omh" / name / version).glob("*/*.json")):
                out.append((name, version, f.parent.name, f))
    return out


def test_accepted_versions_are_stated() -> None:
    assert dict(accepted()) == {
        "heart-rate": ["1.0", "1.1", "2.0"],
        "step-count": ["1.0", "2.0", "3.0"],
        "sleep-duration": ["1.0", "2.0"],
        "blood-pressure": ["1.0", "2.0", "3.0", "3.1"],
        "body-weight": ["1.0", "2.0"],
    }
    refused = DigitalKnowledge.load().omh["refused"]
    assert refused == ["blood-pressure 4.0", "body-weight 3.0"]  # need IEEE 1752.1 schemas


def test_every_should_pass_accepted_every_should_fail_rejected(omh_tree: Path) -> None:
    found = examples(omh_tree)
    assert len(found) >= 90
    wrong = []
    for name, version, expect, path in found:
        problem = validate_body(name, version, json.loads(path.read_text()))
        if (problem is None) != (expect == "shouldPass"):
            wrong.append(f"{name} {version} {expect} {path.name}: {problem}")
    assert not wrong, wrong
    kinds = {(n, e) for n, _, e, _ in found}
    for name in accepted():
        assert (name, "shouldPass") in kinds and (name, "shouldFail") in kinds


def point(name: str, version: str, body: dict[str, object], ident: str) -> dict[str, object]:
    return {
        "header": {
            "id": ident,
            "creation_date_time": "2024-03-01T08:00:00Z",
            "schema_id": {"namespace": "omh", "name": name, "version": version},
            "acquisition_provenance": {"source_name": "Test Watch", "modality": "sensed"},
        },
        "body": body,
    }


def test_data_points_become_series(tmp_path: Path) -> None:
    path = tmp_path / "points.jsonl"
    points = [
        point(
            "heart-rate",
            "2.0",
            {
                "heart_rate": {"value": 61, "unit": "beats/min"},
                "effective_time_frame": {"date_time": "2024-03-01T07:30:00+01:00"},
            },
            "a",
        ),
        point(
            "body-weight",
            "2.0",
            {
                "body_weight": {"value": 154.3, "unit": "lb"},
                "effective_time_frame": {"date_time": "2024-03-01T07:35:00+01:00"},
            },
            "b",
        ),
        point(
            "step-count",
            "2.0",
            {
                "step_count": 1200,
                "effective_time_frame": {
                    "time_interval": {
                        "start_date_time": "2024-03-01T08:00:00+01:00",
                        "duration": {"value": 1, "unit": "h"},
                    }
                },
            },
            "c",
        ),
        point(
            "sleep-duration",
            "2.0",
            {
                "sleep_duration": {"value": 7.5, "unit": "h"},
                "effective_time_frame": {
                    "time_interval": {
                        "start_date_time": "2024-02-29T23:00:00+01:00",
                        "end_date_time": "2024-03-01T06:30:00+01:00",
                    }
                },
            },
            "d",
        ),
        point(
            "blood-pressure",
            "3.1",
            {
                "systolic_blood_pressure": {"value": 128, "unit": "mmHg"},
                "diastolic_blood_pressure": {"value": 82, "unit": "mmHg"},
                "effective_time_frame": {"date_time": "2024-03-01T07:40:00+01:00"},
            },
            "e",
        ),
    ]
    path.write_text("\n".join(json.dumps(p) for p in points) + "\n")
    series, _, count, _ = read_file(path)
    by = {s.kind: s for s in series}
    assert count.rows == 5 and set(by) == {
        "heart_rate",
        "body_weight",
        "steps",
        "sleep",
        "systolic_bp",
        "diastolic_bp",
    }
    assert by["body_weight"].value[0] == pytest.approx(154.3 * 0.45359237)
    assert by["body_weight"].original_unit == "lb" and by["body_weight"].unit == "kg"
    assert by["sleep"].value[0] == 450.0 and by["sleep"].unit == "min"
    assert by["steps"].end[0] - by["steps"].start[0] == 3600 * 10**9
    assert by["heart_rate"].offset[0] == 3600
    assert by["heart_rate"].source == "Test Watch (Open mHealth)"
    assert by["sleep"].local_day()[0] == by["heart_rate"].local_day()[0]  # wake-up day
    again, _, _, _ = read_file(path)
    assert [list(s.key) for s in again] == [list(s.key) for s in series]  # idempotent keys


@pytest.mark.parametrize(
    ("body_name", "version", "body", "match"),
    [
        (
            "heart-rate",
            "2.0",
            {
                "heart_rate": {"value": 61, "unit": "beats/s"},
                "effective_time_frame": {"date_time": "2024-03-01T07:30:00Z"},
            },
            "invalid omh:heart-rate",
        ),
        ("blood-pressure", "4.0", {}, "version 4.0 is not accepted"),
        ("physical-activity", "1.0", {}, "omh:physical-activity is not accepted"),
        (
            "heart-rate",
            "2.0",
            {
                "heart_rate": {"value": 61, "unit": "beats/min"},
                "effective_time_frame": {
                    "time_interval": {"date": "2024-03-01", "part_of_day": "morning"}
                },
            },
            "part_of_day",
        ),
    ],
)
def test_refused_points_name_the_record(
    tmp_path: Path, body_name: str, version: str, body: dict[str, object], match: str
) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            [
                point(
                    "heart-rate",
                    "2.0",
                    {
                        "heart_rate": {"value": 60, "unit": "beats/min"},
                        "effective_time_frame": {"date_time": "2024-03-01T07:30:00Z"},
                    },
                    "ok",
                ),
                point(body_name, version, body, "x"),
            ]
        )
    )
    with pytest.raises(InputError, match=match) as err:
        read_file(path)
    assert "data point [1]" in str(err.value)


def test_bad_header_date_is_rejected(tmp_path: Path) -> None:
    p = point(
        "heart-rate",
        "2.0",
        {
            "heart_rate": {"value": 60, "unit": "beats/min"},
            "effective_time_frame": {"date_time": "2024-03-01T07:30:00Z"},
        },
        "x",
    )
    p["header"]["creation_date_time"] = "201-02-05T07:25:00Z"  # type: ignore[index]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(p))
    with pytest.raises(InputError, match="invalid data point"):
        read_file(path)
