"""One patient-factors model for every domain: the clinical inputs a calculation needs.

A factors file is a JSON object. Every key is optional; unknown keys are an error (a
misspelt key must not silently drop an input). :func:`read_factors` validates each value at
the boundary — its type and a physiologically plausible range — and names the field, the
file and the line of a bad value. The ranges here only reject impossible values; each risk
model checks its own published input ranges (PREVENT, for example, accepts systolic blood
pressure 90–180 mm Hg) and names the input it cannot use.

The PGx subset (age, height, weight, race, African ancestry, enzyme inducer, amiodarone)
converts to the recommendation stage's own factors with :meth:`PatientFactors.pgx`.

Depends on nothing else of Tailormed but :mod:`tailormed.errors`.

>>> f = PatientFactors(age_years=55, sex="male", total_cholesterol_mg_dl=213)
>>> f.pgx()["age_years"], f.non_hdl_mg_dl is None
(55, True)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from tailormed.errors import InputError

Sex = Literal["female", "male"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one factor is checked: its kind, plausible range (inclusive) and unit."""

    kind: Literal["number", "integer", "bool", "text", "sex"]
    low: float | None = None
    high: float | None = None
    unit: str = ""
    about: str = ""


# Plausibility bounds only (values outside cannot be a real measurement); the models
# check their own published ranges.
FIELDS: dict[str, FieldSpec] = {
    # --- used by PGx dose calculations (warfarin IWPC) and by the risk models
    "age_years": FieldSpec("number", 0, 130, "years", "age"),
    "height_cm": FieldSpec("number", 20, 300, "cm", "height"),
    "weight_kg": FieldSpec("number", 0.2, 700, "kg", "weight"),
    "race": FieldSpec("text", about="race as recorded (IWPC categories; PCE uses it)"),
    "african_ancestry": FieldSpec("bool", about="CPIC 2017 warfarin rs12777823 adjustment"),
    "enzyme_inducer": FieldSpec("bool", about="carbamazepine, phenytoin, rifampicin"),
    "amiodarone": FieldSpec("bool", about="taking amiodarone"),
    # --- cardiovascular risk (PREVENT, PCE)
    "sex": FieldSpec("sex", about='"female" or "male"'),
    "total_cholesterol_mg_dl": FieldSpec("number", 20, 2000, "mg/dL", "total cholesterol"),
    "hdl_cholesterol_mg_dl": FieldSpec("number", 1, 500, "mg/dL", "HDL cholesterol"),
    "ldl_cholesterol_mg_dl": FieldSpec("number", 1, 2000, "mg/dL", "LDL cholesterol"),
    "systolic_bp_mm_hg": FieldSpec("number", 40, 320, "mm Hg", "systolic blood pressure"),
    "on_bp_treatment": FieldSpec("bool", about="taking blood-pressure medication"),
    "on_statin": FieldSpec("bool", about="taking a statin"),
    "diabetes": FieldSpec("bool", about="diabetes mellitus"),
    "current_smoker": FieldSpec("bool", about="current smoker"),
    "bmi": FieldSpec("number", 5, 150, "kg/m2", "body-mass index"),
    "egfr": FieldSpec("number", 1, 250, "mL/min/1.73 m2", "estimated GFR"),
    "uacr_mg_g": FieldSpec("number", 0, 100000, "mg/g", "urine albumin-to-creatinine ratio"),
    "hba1c_percent": FieldSpec("number", 2, 25, "%", "HbA1c"),
    "sdi_decile": FieldSpec("integer", 1, 10, "", "social deprivation index decile"),
    "lpa_nmol_l": FieldSpec("number", 0, 2000, "nmol/L", "lipoprotein(a)"),
    "clinical_ascvd": FieldSpec("bool", about="established atherosclerotic CVD"),
    # --- familial hypercholesterolaemia (Dutch Lipid Clinic Network items)
    "tendon_xanthoma": FieldSpec("bool", about="tendon xanthomata on examination"),
    "corneal_arcus_before_45": FieldSpec("bool", about="corneal arcus before age 45"),
    "premature_chd": FieldSpec("bool", about="own CHD before 55 (men) / 60 (women)"),
    "premature_cerebral_or_peripheral_vascular_disease": FieldSpec(
        "bool", about="own cerebral or peripheral vascular disease before 55 / 60"
    ),
    "family_premature_chd": FieldSpec(
        "bool", about="first-degree relative with CHD before 55 (men) / 60 (women)"
    ),
    "family_ldl_above_95th_percentile": FieldSpec(
        "bool", about="first-degree relative with LDL-C above the 95th percentile"
    ),
    "family_tendon_xanthoma_or_arcus": FieldSpec(
        "bool", about="first-degree relative with tendon xanthoma and/or corneal arcus"
    ),
    "family_child_ldl_above_95th_percentile": FieldSpec(
        "bool", about="child (<18 y) with LDL-C above the 95th percentile"
    ),
}

PGX_FIELDS = (
    "age_years",
    "height_cm",
    "weight_kg",
    "race",
    "african_ancestry",
    "enzyme_inducer",
    "amiodarone",
)

MG_DL_TO_MMOL_L = 0.02586  # cholesterol, as PREVENT and the Dutch Lipid Clinic score use


@dataclass(frozen=True, slots=True)
class PatientFactors:
    """Every clinical factor any domain uses; ``None`` means not given."""

    age_years: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    race: str | None = None
    african_ancestry: bool | None = None
    enzyme_inducer: bool | None = None
    amiodarone: bool | None = None
    sex: Sex | None = None
    total_cholesterol_mg_dl: float | None = None
    hdl_cholesterol_mg_dl: float | None = None
    ldl_cholesterol_mg_dl: float | None = None
    systolic_bp_mm_hg: float | None = None
    on_bp_treatment: bool | None = None
    on_statin: bool | None = None
    diabetes: bool | None = None
    current_smoker: bool | None = None
    bmi: float | None = None
    egfr: float | None = None
    uacr_mg_g: float | None = None
    hba1c_percent: float | None = None
    sdi_decile: int | None = None
    lpa_nmol_l: float | None = None
    clinical_ascvd: bool | None = None
    tendon_xanthoma: bool | None = None
    corneal_arcus_before_45: bool | None = None
    premature_chd: bool | None = None
    premature_cerebral_or_peripheral_vascular_disease: bool | None = None
    family_premature_chd: bool | None = None
    family_ldl_above_95th_percentile: bool | None = None
    family_tendon_xanthoma_or_arcus: bool | None = None
    family_child_ldl_above_95th_percentile: bool | None = None

    def given(self) -> dict[str, Any]:
        """The factors that were given (not ``None``)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    def pgx(self) -> dict[str, Any]:
        """Keyword arguments for ``tailormed.recommend.PatientFactors`` (the PGx subset).

        ``enzyme_inducer`` and ``amiodarone`` default to ``False`` there, as before.
        """
        out: dict[str, Any] = {name: getattr(self, name) for name in PGX_FIELDS}
        out["enzyme_inducer"] = bool(self.enzyme_inducer)
        out["amiodarone"] = bool(self.amiodarone)
        return out

    @property
    def non_hdl_mg_dl(self) -> float | None:
        if self.total_cholesterol_mg_dl is None or self.hdl_cholesterol_mg_dl is None:
            return None
        return self.total_cholesterol_mg_dl - self.hdl_cholesterol_mg_dl

    def to_json(self) -> dict[str, Any]:
        return self.given()


def line_of(text: str, key: str) -> int | None:
    """The line where ``"key"`` first appears as an object key (for error messages)."""
    pattern = re.compile(r'"' + re.escape(key) + r'"\s*:')
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def check_value(key: str, value: object) -> object:
    """The validated value of factor ``key`` (raises ``ValueError`` with the reason)."""
    spec = FIELDS.get(key)
    if spec is None:
        known = ", ".join(sorted(FIELDS))
        raise ValueError(f"unknown factor {key!r}; known: {known}")
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{key} must be true or false")
        return value
    if spec.kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{key} must be text")
        return value.strip()
    if spec.kind == "sex":
        if not isinstance(value, str) or value.strip().lower() not in ("female", "male"):
            raise ValueError(f'{key} must be "female" or "male"')
        return value.strip().lower()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{key} must be a number")
    if spec.kind == "integer" and (isinstance(value, float) and not value.is_integer()):
        raise ValueError(f"{key} must be a whole number")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{key} must be a finite number")
    low, high = spec.low, spec.high
    if (low is not None and number < low) or (high is not None and number > high):
        unit = f" {spec.unit}" if spec.unit else ""
        raise ValueError(f"{key} = {value} is out of range ({low:g}–{high:g}{unit})")
    return int(number) if spec.kind == "integer" else number


def factors_from_mapping(
    raw: dict[str, Any], *, path: Path | None = None, text: str = ""
) -> PatientFactors:
    """Validate a mapping of factors (e.g. parsed JSON); errors name the key and its line."""
    values: dict[str, object] = {}
    for key, value in raw.items():
        if value is None:
            continue
        try:
            values[key] = check_value(key, value)
        except ValueError as exc:
            raise InputError(str(exc), path=path, line=line_of(text, key)) from None
    return PatientFactors(**values)  # type: ignore[arg-type]


def read_factors(path: Path) -> PatientFactors:
    """Patient factors from a JSON object file, validated field by field."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("patient factors file does not exist", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", path=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, not a factors file", path=path) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", path=path, line=exc.lineno) from None
    if not isinstance(raw, dict):
        raise InputError("expected a JSON object of patient factors", path=path, line=1)
    return factors_from_mapping(raw, path=path, text=text)
