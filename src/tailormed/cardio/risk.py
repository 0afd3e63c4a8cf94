"""Clinical 10- and 30-year cardiovascular risk: AHA PREVENT and the 2013 Pooled Cohort Equations.

PREVENT (Khan 2024) is logistic: risk = 1 / (1 + exp(-x)), x = sum of beta * term with the
terms centred and scaled as published (:func:`prevent_terms`). The base model always runs;
each add-on model (UACR, HbA1c, SDI) runs when its input is given, and the full model when
all three are. 10-year estimates cover ages 30-79, 30-year estimates ages 30-59. Inputs
outside the published ranges are an error naming the input; a missing optional input is a
note.

The Pooled Cohort Equations (Goff 2013) are Cox models: risk = 1 - S0 ** exp(sum - mean),
race- and sex-specific, for 10-year hard ASCVD at ages 40-79.

Percentages are returned unrounded.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tailormed.errors import InputError
from tailormed.factors import MG_DL_TO_MMOL_L, PatientFactors
from tailormed.knowledge.cardio import OUTCOMES, CardioKnowledge

PREVENT_REQUIRED = (
    "sex",
    "age_years",
    "total_cholesterol_mg_dl",
    "hdl_cholesterol_mg_dl",
    "systolic_bp_mm_hg",
    "on_bp_treatment",
    "on_statin",
    "diabetes",
    "current_smoker",
    "bmi",
    "egfr",
)
PCE_REQUIRED = (
    "sex",
    "age_years",
    "total_cholesterol_mg_dl",
    "hdl_cholesterol_mg_dl",
    "systolic_bp_mm_hg",
    "on_bp_treatment",
    "current_smoker",
    "diabetes",
)
ADD_ONS = {"uacr": "uacr_mg_g", "hba1c": "hba1c_percent", "sdi": "sdi_decile"}
UNITS = {
    "age_years": "years",
    "total_cholesterol_mg_dl": "mg/dL",
    "hdl_cholesterol_mg_dl": "mg/dL",
    "systolic_bp_mm_hg": "mm Hg",
    "bmi": "kg/m2",
    "egfr": "mL/min/1.73 m2",
    "uacr_mg_g": "mg/g",
    "hba1c_percent": "%",
    "sdi_decile": "",
}
AFRICAN_AMERICAN = frozenset({"black or african american", "african american", "black"})


@dataclass(frozen=True, slots=True)
class PreventEstimate:
    """One PREVENT model at one horizon: risk of each outcome in percent (unrounded)."""

    model: str  # base | uacr | hba1c | sdi | full
    horizon_years: int
    total_cvd: float
    ascvd: float
    heart_failure: float
    chd: float
    stroke: float

    def to_json(self) -> dict[str, float | int | str]:
        return {
            "model": self.model,
            "horizon_years": self.horizon_years,
            "total_cvd": self.total_cvd,
            "ascvd": self.ascvd,
            "heart_failure": self.heart_failure,
            "chd": self.chd,
            "stroke": self.stroke,
        }


@dataclass(frozen=True, slots=True)
class PceEstimate:
    """2013 Pooled Cohort Equations 10-year hard ASCVD risk in percent (unrounded)."""

    ascvd_10yr: float
    equation: str  # white_female | african_american_female | white_male | african_american_male

    def to_json(self) -> dict[str, float | str]:
        return {"ascvd_10yr": self.ascvd_10yr, "equation": self.equation}


@dataclass(frozen=True, slots=True)
class RiskResult:
    """Every estimate that applies, with notes on what was omitted and why."""

    prevent: tuple[PreventEstimate, ...]
    pce: PceEstimate | None
    notes: tuple[str, ...]
    knowledge_version: str

    def estimate(self, model: str, horizon: int) -> PreventEstimate | None:
        for e in self.prevent:
            if e.model == model and e.horizon_years == horizon:
                return e
        return None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"prevent": [e.to_json() for e in self.prevent]}
        if self.pce is not None:
            out["pce"] = self.pce.to_json()
        out["notes"] = list(self.notes)
        out["knowledge"] = {"cardio": self.knowledge_version}
        return out


def _check_range(name: str, value: float, bounds: Sequence[float], model: str) -> None:
    low, high = float(bounds[0]), float(bounds[1])
    if not low <= value <= high:
        unit = f" {UNITS.get(name, '')}".rstrip()
        raise InputError(
            f"{name} = {value:g} is outside the {model} range {low:g}–{high:g}{unit}",
            record=name,
        )


def prevent_terms(f: PatientFactors, model: str) -> dict[str, float]:
    """The PREVENT predictor terms (Khan 2024 supplement) for factors ``f``."""
    assert f.age_years is not None and f.total_cholesterol_mg_dl is not None
    assert f.hdl_cholesterol_mg_dl is not None and f.systolic_bp_mm_hg is not None
    assert f.bmi is not None and f.egfr is not None
    age = (f.age_years - 55) / 10
    non_hdl = (f.total_cholesterol_mg_dl - f.hdl_cholesterol_mg_dl) * MG_DL_TO_MMOL_L - 3.5
    hdl = (f.hdl_cholesterol_mg_dl * MG_DL_TO_MMOL_L - 1.3) / 0.3
    sbp = f.systolic_bp_mm_hg
    sbp_lt110 = (min(sbp, 110) - 110) / 20
    sbp_ge110 = (max(sbp, 110) - 130) / 20
    bmi_lt30 = (min(f.bmi, 30) - 25) / 5
    bmi_ge30 = (max(f.bmi, 30) - 30) / 5
    egfr_lt60 = (min(f.egfr, 60) - 60) / -15
    egfr_ge60 = (max(f.egfr, 60) - 90) / -15
    dm = float(bool(f.diabetes))
    smoker = float(bool(f.current_smoker))
    bp_tx = float(bool(f.on_bp_treatment))
    statin = float(bool(f.on_statin))
    terms = {
        "age": age,
        "age_sq": age * age,
        "non_hdl": non_hdl,
        "hdl": hdl,
        "sbp_lt110": sbp_lt110,
        "sbp_ge110": sbp_ge110,
        "diabetes": dm,
        "smoking": smoker,
        "bmi_lt30": bmi_lt30,
        "bmi_ge30": bmi_ge30,
        "egfr_lt60": egfr_lt60,
        "egfr_ge60": egfr_ge60,
        "bp_tx": bp_tx,
        "statin": statin,
        "bp_tx_sbp_ge110": bp_tx * sbp_ge110,
        "statin_non_hdl": statin * non_hdl,
        "age_non_hdl": age * non_hdl,
        "age_hdl": age * hdl,
        "age_sbp_ge110": age * sbp_ge110,
        "age_diabetes": age * dm,
        "age_smoking": age * smoker,
        "age_bmi_ge30": age * bmi_ge30,
        "age_egfr_lt60": age * egfr_lt60,
        "constant": 1.0,
    }
    if model in ("uacr", "full"):
        assert f.uacr_mg_g is not None
        terms["ln_uacr"] = math.log(f.uacr_mg_g)
        terms["uacr_missing"] = 0.0
    if model in ("hba1c", "full"):
        assert f.hba1c_percent is not None
        terms["hba1c_dm"] = (f.hba1c_percent - 5.3) * dm
        terms["hba1c_no_dm"] = (f.hba1c_percent - 5.3) * (1 - dm)
        terms["hba1c_missing"] = 0.0
    if model in ("sdi", "full"):
        assert f.sdi_decile is not None
        terms["sdi_4_6"] = float(4 <= f.sdi_decile <= 6)
        terms["sdi_7_10"] = float(f.sdi_decile >= 7)
        terms["sdi_missing"] = 0.0
    return terms


def _logistic_percent(beta: Mapping[str, float], terms: Mapping[str, float]) -> float:
    x = sum(coef * terms[name] for name, coef in beta.items())
    return 100.0 / (1.0 + math.exp(-x))


def _prevent(f: PatientFactors, kn: CardioKnowledge, model: str, horizon: int) -> PreventEstimate:
    assert f.sex is not None
    terms = prevent_terms(f, model)
    risks = {
        outcome: _logistic_percent(kn.prevent(model, horizon, f.sex, outcome), terms)
        for outcome in OUTCOMES
    }
    return PreventEstimate(model=model, horizon_years=horizon, **risks)


def pce_equation(f: PatientFactors) -> tuple[str | None, str | None]:
    """The PCE equation group for ``f`` and a note when it needs one."""
    if f.race is None:
        return (
            None,
            "race not given: the Pooled Cohort Equations are race-specific; PCE not computed",
        )
    race = "african_american" if f.race.strip().lower() in AFRICAN_AMERICAN else "white"
    note = None
    if race == "white" and f.race.strip().lower() != "white":
        note = (
            f"PCE has equations for white and African American adults only; for race "
            f"{f.race!r} the white equations are used, as the 2013 guideline advises "
            "(the estimate may be too high or too low)"
        )
    return f"{race}_{f.sex}", note


def pce_risk(f: PatientFactors, coefficients: Mapping[str, float]) -> float:
    """10-year hard ASCVD risk in percent from one PCE group's coefficients."""
    assert f.age_years is not None and f.total_cholesterol_mg_dl is not None
    assert f.hdl_cholesterol_mg_dl is not None and f.systolic_bp_mm_hg is not None
    ln_age = math.log(f.age_years)
    ln_tc = math.log(f.total_cholesterol_mg_dl)
    ln_hdl = math.log(f.hdl_cholesterol_mg_dl)
    ln_sbp = math.log(f.systolic_bp_mm_hg)
    treated = bool(f.on_bp_treatment)
    smoker = float(bool(f.current_smoker))
    values = {
        "ln_age": ln_age,
        "ln_age_squared": ln_age * ln_age,
        "ln_total_c": ln_tc,
        "ln_age_x_ln_total_c": ln_age * ln_tc,
        "ln_hdl_c": ln_hdl,
        "ln_age_x_ln_hdl_c": ln_age * ln_hdl,
        "ln_treated_sbp": ln_sbp if treated else 0.0,
        "ln_age_x_ln_treated_sbp": ln_age * ln_sbp if treated else 0.0,
        "ln_untreated_sbp": 0.0 if treated else ln_sbp,
        "ln_age_x_ln_untreated_sbp": 0.0 if treated else ln_age * ln_sbp,
        "current_smoker": smoker,
        "ln_age_x_current_smoker": ln_age * smoker,
        "diabetes": float(bool(f.diabetes)),
    }
    total = sum(coefficients[name] * value for name, value in values.items())
    s0 = coefficients["baseline_survival_10yr"]
    mean = coefficients["mean_coefficient_x_value"]
    return 100.0 * (1.0 - float(s0 ** math.exp(total - mean)))


def estimate_risk(f: PatientFactors, kn: CardioKnowledge | None = None) -> RiskResult:
    """Every PREVENT model that applies, and the PCE, for factors ``f``.

    Raises :class:`InputError` (``record`` = the factor) for a missing required input or a
    value outside a model's published range.
    """
    kn = kn or CardioKnowledge.load()
    missing = [name for name in PREVENT_REQUIRED if getattr(f, name) is None]
    if missing:
        raise InputError(
            f"PREVENT needs {', '.join(missing)} (missing from the factors)", record=missing[0]
        )
    ranges = kn.section("prevent_ranges")
    for name in ("age_years", "total_cholesterol_mg_dl", "hdl_cholesterol_mg_dl"):
        _check_range(name, float(getattr(f, name)), ranges[name], "PREVENT")
    for name in ("systolic_bp_mm_hg", "bmi", "egfr"):
        _check_range(name, float(getattr(f, name)), ranges[name], "PREVENT")
    notes: list[str] = []
    models = ["base"]
    for model, name in ADD_ONS.items():
        value = getattr(f, name)
        if value is None:
            notes.append(f"{name} not given: the PREVENT {model.upper()} model was not run")
            continue
        _check_range(name, float(value), ranges[name], "PREVENT")
        models.append(model)
    if all(getattr(f, name) is not None for name in ADD_ONS.values()):
        models.append("full")
    else:
        notes.append(
            "the PREVENT full model needs uacr_mg_g, hba1c_percent and sdi_decile together; "
            "it was not run"
        )
    assert f.age_years is not None
    horizons = [10]
    if f.age_years <= ranges["thirty_year_max_age"]:
        horizons.append(30)
    else:
        notes.append(
            f"30-year PREVENT estimates are published for ages 30–{ranges['thirty_year_max_age']} "
            f"only; age {f.age_years:g}: not computed"
        )
    estimates = tuple(_prevent(f, kn, m, h) for h in horizons for m in models)
    pce = _pce(f, kn, notes)
    return RiskResult(prevent=estimates, pce=pce, notes=tuple(notes), knowledge_version=kn.version)


def _pce(f: PatientFactors, kn: CardioKnowledge, notes: list[str]) -> PceEstimate | None:
    assert f.age_years is not None
    low, high = kn.section("pce_ranges")["age_years"]
    if not low <= f.age_years <= high:
        notes.append(
            f"the Pooled Cohort Equations apply to ages {low}–{high}; age {f.age_years:g}: "
            "PCE not computed"
        )
        return None
    group, note = pce_equation(f)
    if note:
        notes.append(note)
    if group is None:
        return None
    return PceEstimate(ascvd_10yr=pce_risk(f, kn.pce(group)), equation=group)
