"""FHIR R4 Observations and Apple Health export.xml (a fixture built from Apple's format)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from tailormed.digital.aggregate import aggregate
from tailormed.digital.read import read_file
from tailormed.errors import InputError

LOINC = "http://loinc.org"


def obs(
    code: str, value: float, unit: str, when: str, ident: str, **extra: object
) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "id": ident,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
        **extra,
    }


def test_fhir_bundle_vitals_and_activity(tmp_path: Path) -> None:
    bp = {
        "resourceType": "Observation",
        "id": "bp1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "effectiveDateTime": "2024-03-01T08:00:00-05:00",
        "component": [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": {"value": 132, "unit": "mm[Hg]", "code": "mm[Hg]"},
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": {"value": 84, "unit": "mm[Hg]", "code": "mm[Hg]"},
            },
        ],
    }
    steps = obs("41950-7", 8012, "/d", "2024-03-01", "s1")
    steps.pop("effectiveDateTime")
    steps["effectivePeriod"] = {
        "start": "2024-03-01T00:00:00-05:00",
        "end": "2024-03-02T00:00:00-05:00",
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": obs("8867-4", 64, "/min", "2024-03-01T07:00:00-05:00", "h1")},
            {"resource": obs("29463-7", 180, "[lb_av]", "2024-03-01T07:05:00-05:00", "w1")},
            {"resource": obs("93832-4", 7.25, "h", "2024-03-01T06:30:00-05:00", "sl1")},
            {"resource": bp},
            {"resource": steps},
            {"resource": obs("2708-6", 97, "%", "2024-03-01T07:00:00-05:00", "o1")},
            {
                "resource": {
                    **obs("8867-4", 300, "/min", "2024-03-01T07:01:00-05:00", "h2"),
                    "status": "entered-in-error",
                }
            },
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle))
    series, _, count, notes = read_file(path)
    by = {s.kind: s for s in series}
    assert count.rows == 7 and count.other_rows == 2
    assert by["heart_rate"].value.tolist() == [64.0]
    assert by["body_weight"].value[0] == pytest.approx(81.6466266)
    assert by["sleep"].value[0] == 435.0
    assert by["systolic_bp"].value[0] == 132 and by["diastolic_bp"].value[0] == 84
    assert by["steps"].value[0] == 8012
    row = aggregate(series).rows()[0]
    assert row["date"] == "2024-03-01" and row["steps"] == 8012 and row["systolic"] == 132
    assert any("2 Observation(s) not used" in n for n in notes)


def test_fhir_invalid_observation_names_the_entry(tmp_path: Path) -> None:
    bad = obs("8867-4", 64, "/min", "2024-03-01T07:00:00Z", "h1")
    bad["valueQuantity"] = {"value": "sixty-four", "unit": "/min"}
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bad}]})
    )
    with pytest.raises(InputError, match=r"entry\[0\].*invalid FHIR R4 Observation"):
        read_file(path)


APPLE_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary)*)>
<!ATTLIST HealthData locale CDATA #REQUIRED>
]>
<HealthData locale="en_US">
 <ExportDate value="2024-03-03 09:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1970-01-01"/>
"""


def record(kind: str, unit: str | None, value: str, start: str, end: str | None = None) -> str:
    u = f' unit="{unit}"' if unit else ""
    return (
        f' <Record type="{kind}" sourceName="Anna’s Apple Watch" sourceVersion="10.2"{u} '
        f'creationDate="{end or start}" startDate="{start}" endDate="{end or start}" '
        f'value="{value}"/>\n'
    )


def test_apple_export(tmp_path: Path) -> None:
    sys_r = record(
        "HKQuantityTypeIdentifierBloodPressureSystolic", "mmHg", "121", "2024-03-01 08:00:00 +0100"
    )
    dia_r = record(
        "HKQuantityTypeIdentifierBloodPressureDiastolic", "mmHg", "79", "2024-03-01 08:00:00 +0100"
    )
    body = (
        record("HKQuantityTypeIdentifierHeartRate", "count/min", "58", "2024-03-01 03:00:00 +0100")
        + record(
            "HKQuantityTypeIdentifierStepCount",
            "count",
            "500",
            "2024-03-01 10:00:00 +0100",
            "2024-03-01 10:10:00 +0100",
        )
        + record(
            "HKQuantityTypeIdentifierStepCount",
            "count",
            "700",
            "2024-03-01 12:00:00 +0100",
            "2024-03-01 12:15:00 +0100",
        )
        + record("HKQuantityTypeIdentifierBodyMass", "lb", "165", "2024-03-01 07:00:00 +0100")
        + record(
            "HKCategoryTypeIdentifierSleepAnalysis",
            None,
            "HKCategoryValueSleepAnalysisInBed",
            "2024-02-29 23:00:00 +0100",
            "2024-03-01 07:00:00 +0100",
        )
        + record(
            "HKCategoryTypeIdentifierSleepAnalysis",
            None,
            "HKCategoryValueSleepAnalysisAsleepCore",
            "2024-02-29 23:30:00 +0100",
            "2024-03-01 03:30:00 +0100",
        )
        + record(
            "HKCategoryTypeIdentifierSleepAnalysis",
            None,
            "HKCategoryValueSleepAnalysisAwake",
            "2024-03-01 03:30:00 +0100",
            "2024-03-01 03:40:00 +0100",
        )
        + record(
            "HKCategoryTypeIdentifierSleepAnalysis",
            None,
            "HKCategoryValueSleepAnalysisAsleepREM",
            "2024-03-01 03:40:00 +0100",
            "2024-03-01 06:40:00 +0100",
        )
        + ' <Correlation type="HKCorrelationTypeIdentifierBloodPressure" sourceName="Anna’s Apple '
        'Watch" creationDate="2024-03-01 08:00:00 +0100" startDate="2024-03-01 08:00:00 +0100" '
        'endDate="2024-03-01 08:00:00 +0100">\n '
        + sys_r
        + " "
        + dia_r
        + " </Correlation>\n"
        + sys_r
        + dia_r
        + record(
            "HKQuantityTypeIdentifierOxygenSaturation", "%", "0.97", "2024-03-01 08:00:00 +0100"
        )
    )
    path = tmp_path / "export.xml"
    path.write_text(APPLE_HEAD + body + "</HealthData>\n", encoding="utf-8")
    series, _, count, _ = read_file(path)
    by: dict[str, list[float]] = {}
    for s in series:
        by.setdefault(s.kind, []).extend(s.value.tolist())
    assert count.rows == 13  # 1 HR, 2 steps, 1 weight, 4 sleep, 2 + 2 BP, 1 SpO2
    assert by["heart_rate"] == [58.0]
    assert sorted(by["steps"]) == [500.0, 700.0]
    assert by["body_weight"][0] == pytest.approx(165 * 0.45359237)
    assert sorted(by["sleep"]) == [180.0, 240.0] and by["time_in_bed"] == [480.0]
    row = aggregate(series).rows()[0]
    assert row["date"] == "2024-03-01" and row["sleep_min"] == 420.0
    assert row["systolic"] == 121.0 and row["diastolic"] == 79.0  # the repeat counted once
    assert row["steps"] == 1200.0


def test_apple_export_is_streamed(tmp_path: Path) -> None:
    """Records not used (here 20,000 oxygen saturations) must not stay in memory."""
    path = tmp_path / "export.xml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(APPLE_HEAD)
        for i in range(20_000):
            at = f"2024-03-{1 + i // 1440:02d} {(i // 60) % 24:02d}:{i % 60:02d}:00 +0100"
            fh.write(record("HKQuantityTypeIdentifierOxygenSaturation", "%", "0.97", at))
        fh.write(
            record(
                "HKQuantityTypeIdentifierHeartRate", "count/min", "60", "2024-03-20 08:00:00 +0100"
            )
        )
        fh.write("</HealthData>\n")
    tracemalloc.start()
    _, _, count, _ = read_file(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count.rows == 20_001 and count.kept == {"heart_rate": 1}
    assert peak < path.stat().st_size / 5  # the 4 MB document is never held


def test_apple_bad_date(tmp_path: Path) -> None:
    path = tmp_path / "export.xml"
    path.write_text(
        APPLE_HEAD
        + record("HKQuantityTypeIdentifierHeartRate", "count/min", "60", "2024-03-01T08:00:00Z")
        + "</HealthData>\n"
    )
    with pytest.raises(InputError, match="Record 1"):
        read_file(path)
