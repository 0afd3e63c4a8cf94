"""The one patient-factors model: every field validated at the boundary, PGx subset convertible."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.factors import FIELDS, PatientFactors, read_factors
from tailormed.recommend import PatientFactors as PgxFactors


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "factors.json"
    path.write_text(json.dumps(data, indent=2))
    return path


def test_reads_pgx_and_cardio_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "age_years": 50,
            "sex": "Female",
            "race": "White",
            "total_cholesterol_mg_dl": 200,
            "hdl_cholesterol_mg_dl": 45,
            "systolic_bp_mm_hg": 160,
            "on_bp_treatment": True,
            "sdi_decile": 7,
            "uacr_mg_g": None,
        },
    )
    f = read_factors(path)
    assert f.sex == "female" and f.age_years == 50.0 and f.sdi_decile == 7
    assert f.uacr_mg_g is None  # null means not given
    assert f.non_hdl_mg_dl == 155


def test_pgx_subset_builds_the_recommendation_factors() -> None:
    f = PatientFactors(age_years=64, height_cm=172, weight_kg=80, race="White", sex="male")
    pgx = PgxFactors(**f.pgx())
    assert pgx.age_years == 64 and pgx.race == "White"
    assert pgx.enzyme_inducer is False and pgx.amiodarone is False


def test_the_example_patient_file_still_reads() -> None:
    from tailormed.pipeline import example_path

    f = read_factors(example_path("example-factors.json"))
    assert f.weight_kg == 80 and f.african_ancestry is False


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"age_years": "old"}, "age_years must be a number"),
        ({"on_statin": "yes"}, "on_statin must be true or false"),
        ({"sex": "unknown"}, 'sex must be "female" or "male"'),
        ({"sdi_decile": 7.5}, "sdi_decile must be a whole number"),
        ({"sdi_decile": 11}, r"sdi_decile = 11 is out of range \(1–10\)"),
        ({"systolic_bp_mm_hg": 1000}, "systolic_bp_mm_hg = 1000 is out of range"),
        ({"hdl_cholesterol": 50}, "unknown factor 'hdl_cholesterol'"),
        ({"diabetes": 1}, "diabetes must be true or false"),
    ],
)
def test_bad_values_name_field_file_and_line(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    path = _write(tmp_path, {"age_years": 50, **data} if "age_years" not in data else data)
    with pytest.raises(InputError, match=message) as err:
        read_factors(path)
    assert str(path) in str(err.value)
    assert err.value.line is not None and err.value.line >= 2


def test_not_json_or_not_an_object(tmp_path: Path) -> None:
    bad = tmp_path / "f.json"
    bad.write_text("{\n  age_years: 5\n}")
    with pytest.raises(InputError, match="not valid JSON") as err:
        read_factors(bad)
    assert err.value.line == 2
    bad.write_text("[1, 2]")
    with pytest.raises(InputError, match="expected a JSON object"):
        read_factors(bad)
    with pytest.raises(InputError, match="does not exist"):
        read_factors(tmp_path / "missing.json")


def test_every_field_has_a_spec() -> None:
    from dataclasses import fields

    assert {f.name for f in fields(PatientFactors)} == set(FIELDS)
