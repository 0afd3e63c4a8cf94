"""Published dosing numbers, each kept with its source: the data behind :mod:`.doses`.

* :data:`IWPC_TERMS`: the IWPC pharmacogenetic warfarin algorithm (International Warfarin
  Pharmacogenetics Consortium, Klein TE et al. *N Engl J Med* 2009;360:753–764,
  Supplementary Appendix, pharmacogenetic dosing algorithm). The equation is
  ``sqrt(weekly dose in mg) = 5.6044 + Σ coefficient × value`` and the dose is its square.
  The coefficients were checked against an independent published reproduction of the
  appendix table (IWPC data-set analyses, see the report of this change).
* :data:`CPIC_WARFARIN_ADJUSTMENTS`: the percentage adjustments of the CPIC 2017 warfarin
  guideline (Johnson JA et al. *Clin Pharmacol Ther* 2017;102:397–404, Figure 2), applied
  to a pharmacogenetic-algorithm dose.
* :data:`FLUOROPYRIMIDINE`: % of the standard starting dose by DPYD activity score, CPIC
  (Amstutz U et al. *Clin Pharmacol Ther* 2018;103:210–216, as updated and annotated by
  ClinPGx PA166122686 / PA166109594, data 2024-05-29) and DPWG for tegafur (PA166104944).
* :data:`THIOPURINE`: % of the normal starting dose by TPMT and NUDT15 phenotype, CPIC
  (Relling MV et al. *Clin Pharmacol Ther* 2019;105:1095–1105; ClinPGx PA166104933,
  PA166104945, PA166104965).

Every ``quote`` is recommendation text from the knowledge base; the tests check that each
quote occurs in the recommendation the table row stands for, so the numbers here cannot
drift from the guideline text.
"""

from __future__ import annotations

from dataclasses import dataclass

IWPC_SOURCE = (
    "International Warfarin Pharmacogenetics Consortium. Estimation of the warfarin dose with "
    "clinical and pharmacogenetic data. N Engl J Med 2009;360:753-764 (PMID 19228618), "
    "Supplementary Appendix: pharmacogenetic dosing algorithm"
)
CPIC_WARFARIN_SOURCE = (
    "Johnson JA, Caudle KE, Gong L, et al. CPIC Guideline for Pharmacogenetics-Guided "
    "Warfarin Dosing: 2017 Update. Clin Pharmacol Ther 2017;102:397-404 (PMID 28198005), "
    "Figure 2"
)
CPIC_DPYD_SOURCE = (
    "CPIC guideline for DPYD and fluoropyrimidines (Amstutz U et al. Clin Pharmacol Ther "
    "2018;103:210-216, PMID 29152729), recommendations as updated and annotated by ClinPGx "
    "(PA166122686 fluorouracil, PA166109594 capecitabine; data 2024-05-29)"
)
DPWG_TEGAFUR_SOURCE = "DPWG guideline for tegafur and DPYD (ClinPGx PA166104944, data 2024-05-29)"
CPIC_THIOPURINE_SOURCE = (
    "CPIC guideline for thiopurines and TPMT/NUDT15 (Relling MV et al. Clin Pharmacol Ther "
    "2019;105:1095-1105, PMID 30447069), ClinPGx PA166104933 / PA166104945 / PA166104965 "
    "(data 2024-05-29)"
)


@dataclass(frozen=True, slots=True)
class IwpcTerm:
    """One term of the IWPC equation: ``coefficient × value`` on the sqrt(mg/week) scale."""

    name: str
    coefficient: float
    unit: str
    source: str = IWPC_SOURCE


IWPC_TERMS: tuple[IwpcTerm, ...] = (
    IwpcTerm("intercept", 5.6044, "1"),
    IwpcTerm("age", -0.2614, "per decade of age (age in years // 10)"),
    IwpcTerm("height", 0.0087, "per cm"),
    IwpcTerm("weight", 0.0128, "per kg"),
    IwpcTerm("VKORC1 A/G", -0.8677, "1 if VKORC1 -1639 (rs9923231) A/G"),
    IwpcTerm("VKORC1 A/A", -1.6974, "1 if VKORC1 -1639 A/A"),
    IwpcTerm("VKORC1 unknown", -0.4854, "1 if VKORC1 genotype unknown"),
    IwpcTerm("CYP2C9 *1/*2", -0.5211, "1 if CYP2C9 *1/*2"),
    IwpcTerm("CYP2C9 *1/*3", -0.9357, "1 if CYP2C9 *1/*3"),
    IwpcTerm("CYP2C9 *2/*2", -1.0616, "1 if CYP2C9 *2/*2"),
    IwpcTerm("CYP2C9 *2/*3", -1.9206, "1 if CYP2C9 *2/*3"),
    IwpcTerm("CYP2C9 *3/*3", -2.3312, "1 if CYP2C9 *3/*3"),
    IwpcTerm("CYP2C9 unknown", -0.2188, "1 if CYP2C9 genotype unknown"),
    IwpcTerm("Asian race", -0.1092, "1 if Asian"),
    IwpcTerm("Black or African American", -0.2760, "1 if Black or African American"),
    IwpcTerm("Missing or Mixed race", -0.1032, "1 if race missing or mixed"),
    IwpcTerm("enzyme inducer", 1.1816, "1 if on carbamazepine, phenytoin, rifampin/rifampicin"),
    IwpcTerm("amiodarone", -0.5503, "1 if on amiodarone"),
)


def iwpc(name: str) -> float:
    """The IWPC coefficient called ``name``."""
    return next(t.coefficient for t in IWPC_TERMS if t.name == name)


@dataclass(frozen=True, slots=True)
class WarfarinAdjustment:
    """A CPIC 2017 percentage change of the algorithm dose: ``low``..``high`` percent."""

    name: str
    applies_to: str
    low: float
    high: float
    source: str = CPIC_WARFARIN_SOURCE


CPIC_WARFARIN_ADJUSTMENTS: tuple[WarfarinAdjustment, ...] = (
    WarfarinAdjustment(
        "CYP4F2 *3 carrier",
        "non-African ancestry (Figure 2: 'If CYP4F2*3 carrier, increase dose by 5-10%')",
        5.0,
        10.0,
    ),
    WarfarinAdjustment(
        "CYP2C9 *5/*6/*8/*11 carrier",
        "African ancestry (Figure 2: decrease calculated dose by 15-30%)",
        -30.0,
        -15.0,
    ),
    WarfarinAdjustment(
        "CYP2C9 *5/*6/*8/*11 variant homozygote",
        "African ancestry (Figure 2 footnote g: larger dose reduction, i.e. 20-40%)",
        -40.0,
        -20.0,
    ),
    WarfarinAdjustment(
        "rs12777823 A carrier",
        "African ancestry (Figure 2: rs12777823 A/G or A/A, decrease dose by 10-25%)",
        -25.0,
        -10.0,
    ),
)

# CYP2C9 alleles CPIC 2017 singles out for patients of African ancestry.
CPIC_AFRICAN_CYP2C9 = frozenset({"*5", "*6", "*8", "*11"})
RS12777823_POSITION = 94645745  # chr10, GRCh38; reported as a CYP2C9 extra position


def warfarin_adjustment(name: str) -> WarfarinAdjustment:
    return next(a for a in CPIC_WARFARIN_ADJUSTMENTS if a.name == name)


@dataclass(frozen=True, slots=True)
class PercentDose:
    """A % of the standard (normal) starting dose, with the guideline words it comes from.

    ``value`` is the dose to use (upper bound of ``value_range`` when there is one);
    ``avoid`` means the guideline first says not to use the drug.
    """

    value: float | None
    text: str
    quote: str
    value_range: tuple[float, float] | None = None
    avoid: bool = False
    notes: tuple[str, ...] = ()


# DPYD activity score → fluorouracil / capecitabine (CPIC).
FLUOROPYRIMIDINE: dict[str, PercentDose] = {
    "2.0": PercentDose(
        100.0,
        "100 % of the standard starting dose (label-recommended dosage)",
        "Use label-recommended dosage and administration.",
    ),
    "1.5": PercentDose(
        50.0,
        "50 % of the standard starting dose, then titrate by toxicity or drug monitoring",
        "Reduce starting dose by 50% followed by titration of dose based on toxicity",
    ),
    "1.0": PercentDose(
        50.0,
        "50 % of the standard starting dose, then titrate by toxicity or drug monitoring",
        "Reduce starting dose by 50% followed by titration of dose based on toxicity",
        notes=("c.2846A>T/c.2846A>T patients may require >50% reduction in starting dose",),
    ),
    "0.5": PercentDose(
        25.0,
        "avoid; if no suitable alternative, a strongly reduced dose (< 25 % of the normal "
        "starting dose, estimated) with early therapeutic drug monitoring",
        "a dose of <25% of the normal starting dose is estimated",
        value_range=(0.0, 25.0),
        avoid=True,
    ),
    "0.0": PercentDose(
        None,
        "avoid 5-fluorouracil and 5-fluorouracil prodrug-based regimens",
        "Avoid use of 5-fluorouracil or 5-fluorouracil prodrug-based regimens.",
        avoid=True,
    ),
}

# DPYD activity score → tegafur (DPWG; DPWG gives no percentage for decreased activity).
TEGAFUR: dict[str, PercentDose] = {
    "2.0": PercentDose(
        100.0,
        "100 % of the standard dose (the guideline gives no recommendation at activity 2)",
        "The guideline does not provide a recommendation for tegafur in patients with a "
        "DPYD activity score of 2.",
    ),
    **{
        score: PercentDose(
            None,
            "avoid tegafur, or start with a low dose and adjust by toxicity and efficacy "
            "(DPWG gives no percentage)",
            "Avoid tegafur or start with a low dose",
            avoid=True,
        )
        for score in ("1.5", "1.0", "0.5")
    },
    "0.0": PercentDose(None, "avoid tegafur", "avoid tegafur", avoid=True),
}

_ALTERNATIVE = "non-malignant conditions: consider an alternative non-thiopurine immunosuppressant"
_THRICE = "malignancy: 10 % of the daily dose, given thrice weekly instead of daily"

# (drug, TPMT class, NUDT15 class) → % of the normal starting dose (CPIC). Rows are tried
# in this order: TPMT poor (any NUDT15), NUDT15 poor (TPMT not poor), both normal, and
# "decreased": at least one gene intermediate or possible intermediate, neither poor
# (CPIC gives the same range when both are decreased, e.g. TPMT IM + NUDT15 IM).
THIOPURINE: dict[tuple[str, str, str], PercentDose] = {
    ("azathioprine", "normal", "normal"): PercentDose(
        100.0, "100 % (normal starting dose)", "start with normal starting dose"
    ),
    ("azathioprine", "decreased", "decreased"): PercentDose(
        80.0,
        "30-80 % of the normal starting dose (if that is 2-3 mg/kg/day)",
        "Start with reduced starting doses (30%-80% of normal dose)",
        value_range=(30.0, 80.0),
    ),
    ("azathioprine", "poor", "*"): PercentDose(
        10.0,
        f"{_THRICE}; {_ALTERNATIVE}",
        "reduce daily dose by 10-fold and dose thrice weekly instead of daily",
        notes=(_ALTERNATIVE, "thrice weekly: about 4.3 % of the weekly dose"),
    ),
    ("azathioprine", "*", "poor"): PercentDose(
        10.0,
        f"malignancy: 10 % of the daily dose (reduce daily dose by 10-fold); {_ALTERNATIVE}",
        "reduce daily dose by 10-fold",
        notes=(_ALTERNATIVE,),
    ),
    ("mercaptopurine", "normal", "normal"): PercentDose(
        100.0, "100 % (normal starting dose)", "start with normal starting dose"
    ),
    ("mercaptopurine", "decreased", "decreased"): PercentDose(
        80.0,
        "30-80 % of the normal starting dose (if that is >= 75 mg/m2/day or >= 1.5 mg/kg/day)",
        "Start with reduced starting doses (30%-80% of normal dose)",
        value_range=(30.0, 80.0),
    ),
    ("mercaptopurine", "poor", "*"): PercentDose(
        10.0,
        f"{_THRICE} (e.g. 10 mg/m2/day on 3 days a week); {_ALTERNATIVE}",
        "reduce daily dose by 10-fold and reduce frequency to thrice weekly instead of daily",
        notes=(_ALTERNATIVE, "thrice weekly: about 4.3 % of the weekly dose"),
    ),
    ("mercaptopurine", "*", "poor"): PercentDose(
        13.3,
        "malignancy: start at 10 mg/m2/day (about 13 % of a 75 mg/m2/day normal starting "
        f"dose); {_ALTERNATIVE}",
        "initiate dose at 10 mg/m2/day",
        notes=(_ALTERNATIVE, "13.3 % = 10 / 75 mg/m2/day, the normal starting dose CPIC cites"),
    ),
    ("thioguanine", "normal", "normal"): PercentDose(
        100.0, "100 % (normal starting dose)", "start with normal starting dose"
    ),
    ("thioguanine", "decreased", "decreased"): PercentDose(
        80.0,
        "50-80 % of the normal starting dose (if that is >= 40-60 mg/m2/day)",
        "Start with reduced doses (50% to 80% of normal dose)",
        value_range=(50.0, 80.0),
    ),
    ("thioguanine", "poor", "*"): PercentDose(
        10.0,
        "10 % of the daily dose, given thrice weekly instead of daily (drastically reduced)",
        "reduce daily dose by 10-fold and dose thrice weekly instead of daily",
        notes=(_ALTERNATIVE, "thrice weekly: about 4.3 % of the weekly dose"),
    ),
    ("thioguanine", "*", "poor"): PercentDose(
        25.0,
        f"25 % of the normal starting dose; {_ALTERNATIVE}",
        "Reduce starting doses to 25% of normal dose",
        notes=(_ALTERNATIVE,),
    ),
}
