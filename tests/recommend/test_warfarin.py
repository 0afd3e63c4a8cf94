"""Warfarin doses worked by hand from the published equations.

IWPC pharmacogenetic algorithm (N Engl J Med 2009;360:753, Supplementary Appendix):

    sqrt(mg/week) = 5.6044 − 0.2614·decades + 0.0087·cm + 0.0128·kg
                    − 0.8677·[VKORC1 A/G] − 1.6974·[A/A] − 0.4854·[VKORC1 unknown]
                    − 0.5211·[*1/*2] − 0.9357·[*1/*3] − 1.0616·[*2/*2] − 1.9206·[*2/*3]
                    − 2.3312·[*3/*3] − 0.2188·[CYP2C9 unknown] − 0.1092·[Asian]
                    − 0.2760·[Black] − 0.1032·[missing/mixed race]
                    + 1.1816·[enzyme inducer] − 0.5503·[amiodarone]

CPIC 2017 (Clin Pharmacol Ther 2017;102:397, Figure 2): CYP4F2*3 +5–10 % (non-African
ancestry); African ancestry: CYP2C9 *5/*6/*8/*11 carriers −15–30 %, rs12777823 A carriers
−10–25 %, and "dose clinically" when *5/*6/*8/*11 were not tested.

Each expected number below is the arithmetic written out, not a call of the code.
"""

from __future__ import annotations

import pytest

from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.recommend.dosing import DoseInput
from tailormed.recommend.models import PatientFactors
from tailormed.recommend.warfarin import warfarin_dose

from .builders import call, interpret, rs12777823

REF = "rs9923231 reference (C)"  # VKORC1 -1639 G
VAR = "rs9923231 variant (T)"  # VKORC1 -1639 A


def _dose(factors: PatientFactors, *calls, medications=frozenset()):  # type: ignore[no-untyped-def]
    (d,) = warfarin_dose(
        DoseInput(
            "warfarin",
            {},
            {c.gene: c for c in calls},
            factors,
            frozenset(medications),
            tables=load_kb().dose_tables,
        )
    )
    return d


def test_coefficients_are_the_published_table(kb: KnowledgeBase) -> None:
    tables = kb.dose_tables
    assert len(tables.iwpc_terms) == 18
    assert "N Engl J Med 2009;360:753" in tables.iwpc_source
    assert {t.name: t.coefficient for t in tables.iwpc_terms}["VKORC1 A/A"] == -1.6974


def test_example_a_white_wild_type() -> None:
    """50 y (5 decades), 170 cm, 70 kg, White, VKORC1 G/G, CYP2C9 *1/*1, CYP4F2 *1/*1."""
    root = 5.6044 - 0.2614 * 5 + 0.0087 * 170 + 0.0128 * 70  # = 6.6724
    assert root == pytest.approx(6.6724)
    expected = 6.6724**2  # = 44.5209 mg/week
    d = _dose(
        PatientFactors(age_years=50, height_cm=170, weight_kg=70, race="White"),
        call("VKORC1", REF, REF),
        call("CYP2C9", "*1", "*1"),
        call("CYP4F2", "*1", "*1"),
    )
    assert d.value == pytest.approx(expected, abs=0.01)
    assert d.value == pytest.approx(44.52, abs=0.01)
    assert d.value_range is None and d.missing_inputs == ()
    assert d.inputs["age_decades"] == "5" and d.inputs["VKORC1 -1639"] == "G/G"
    assert d.kind == "mg_per_week" and "44.5 mg/week" in d.text


def test_example_b_asian_sensitive_genotype_on_amiodarone() -> None:
    """65 y (6), 160 cm, 60 kg, Asian, VKORC1 A/A, CYP2C9 *1/*3, amiodarone."""
    root = (
        5.6044
        - 0.2614 * 6  # 1.5684
        + 0.0087 * 160  # 1.3920
        + 0.0128 * 60  # 0.7680
        - 1.6974  # VKORC1 A/A
        - 0.9357  # CYP2C9 *1/*3
        - 0.1092  # Asian
        - 0.5503  # amiodarone
    )  # = 2.9034
    assert root == pytest.approx(2.9034)
    d = _dose(
        PatientFactors(age_years=65, height_cm=160, weight_kg=60, race="Asian", amiodarone=True),
        call("VKORC1", VAR, VAR),
        call("CYP2C9", "*1", "*3"),
    )
    assert d.value == pytest.approx(2.9034**2, abs=0.01)  # 8.43 mg/week
    assert any("CYP4F2 not tested" in n for n in d.notes)


def test_example_c_african_ancestry_cyp2c9_8_and_rs12777823() -> None:
    """45 y (4), 180 cm, 90 kg, Black or African American, VKORC1 A/G, CYP2C9 *1/*8,
    rs12777823 G/A, on carbamazepine (enzyme inducer).

    IWPC counts *8 as *1 (the algorithm knows *2/*3 only); CPIC then takes 15–30 % off for
    the *8 carrier and 10–25 % for the rs12777823 A allele.
    """
    root = (
        5.6044
        - 0.2614 * 4  # 1.0456
        + 0.0087 * 180  # 1.5660
        + 0.0128 * 90  # 1.1520
        - 0.8677  # VKORC1 A/G
        - 0.2760  # Black or African American
        + 1.1816  # enzyme inducer
    )  # = 7.3147
    weekly = 7.3147**2  # = 53.5048
    low = weekly * (1 - 0.30) * (1 - 0.25)  # = 28.0900
    high = weekly * (1 - 0.15) * (1 - 0.10)  # = 40.9312
    assert root == pytest.approx(7.3147)
    d = _dose(
        PatientFactors(age_years=45, height_cm=180, weight_kg=90, race="Black or African American"),
        call("VKORC1", REF, VAR),
        rs12777823(call("CYP2C9", "*1", "*8"), "G", "A"),
        medications={"carbamazepine"},
    )
    assert d.inputs["IWPC mg/week"] == f"{weekly:.2f}"
    assert d.value_range == pytest.approx((low, high), abs=0.01)
    assert d.value == pytest.approx((low + high) / 2, abs=0.01)
    assert d.inputs["enzyme_inducer"] == "yes"


def test_example_d_cyp4f2_star3_carrier_adds_five_to_ten_percent() -> None:
    weekly = 6.6724**2  # example A
    d = _dose(
        PatientFactors(age_years=50, height_cm=170, weight_kg=70, race="White"),
        call("VKORC1", REF, REF),
        call("CYP2C9", "*1", "*1"),
        call("CYP4F2", "*1", "*3"),
    )
    assert d.value_range == pytest.approx((weekly * 1.05, weekly * 1.10), abs=0.01)


def test_example_e_missing_inputs_give_no_value() -> None:
    d = _dose(
        PatientFactors(age_years=50, height_cm=170, race="White"),
        call("VKORC1", REF, REF),
        call("CYP2C9", "*1", "*1"),
    )
    assert d.value is None and d.missing_inputs == ("weight_kg",)
    assert "missing weight_kg" in d.text


def test_example_f_african_ancestry_without_cyp2c9_means_dose_clinically() -> None:
    d = _dose(
        PatientFactors(age_years=50, height_cm=170, weight_kg=70, african_ancestry=True),
        call("VKORC1", REF, REF),
    )
    assert d.value is None
    assert d.missing_inputs == ("CYP2C9 *5, *6, *8, *11 (not all tested)",)
    assert any("dose warfarin clinically" in n for n in d.notes)


def test_example_g_untested_genes_and_missing_race_use_unknown_terms() -> None:
    """72 y (7), 175 cm, 80 kg, race not given, VKORC1 and CYP2C9 not tested."""
    root = (
        5.6044
        - 0.2614 * 7  # 1.8298
        + 0.0087 * 175  # 1.5225
        + 0.0128 * 80  # 1.0240
        - 0.4854  # VKORC1 unknown
        - 0.2188  # CYP2C9 unknown
        - 0.1032  # missing or mixed race
    )  # = 5.5137
    assert root == pytest.approx(5.5137)
    d = _dose(PatientFactors(age_years=72, height_cm=175, weight_kg=80, african_ancestry=False))
    assert d.value == pytest.approx(5.5137**2, abs=0.01)  # 30.40 mg/week
    assert d.inputs["VKORC1 -1639"] == "unknown" and d.inputs["CYP2C9 (IWPC)"] == "unknown"


def test_cyp2c9_allele_outside_the_algorithm_is_unknown_for_non_african_ancestry() -> None:
    d = _dose(
        PatientFactors(age_years=50, height_cm=170, weight_kg=70, race="White"),
        call("VKORC1", REF, REF),
        call("CYP2C9", "*1", "*8"),
    )
    assert d.inputs["CYP2C9 (IWPC)"] == "unknown"
    root = 6.6724 - 0.2188  # example A with the CYP2C9-unknown term
    assert d.value == pytest.approx(root**2, abs=0.01)


def test_poor_metabolizer_note_and_interpretation_wiring(kb: KnowledgeBase) -> None:
    interp = interpret(
        kb,
        call("VKORC1", VAR, VAR),
        call("CYP2C9", "*3", "*3"),
        call("CYP4F2", "*1", "*1"),
        factors=PatientFactors(age_years=60, height_cm=165, weight_kg=65, race="White"),
        medications=["amiodarone 200 mg"],
    )
    report = interp.drug("warfarin")
    assert report is not None
    (d,) = report.doses
    root = 5.6044 - 0.2614 * 6 + 0.0087 * 165 + 0.0128 * 65 - 1.6974 - 2.3312 - 0.5503
    assert d.value == pytest.approx(root**2, abs=0.01)
    assert any("consider an alternative agent" in n for n in d.notes)
    # DPWG advice by allele counts (CYP2C9 *3/*3: 20 %) is shown beside the dose.
    dpwg = [r for r in report.recommendations if r.lookup_key.get("CYP2C9") == "*3/*3"]
    assert len(dpwg) == 1 and dpwg[0].text.startswith("use 20% of the standard initial dose")
