"""The statin decision: 2026 categories and pathways joined with CPIC advice from the PGx KB.

Expected statins and doses follow from CPIC 2022 (the recommendation text selected for the
genotype by the recommendation stage: e.g. SLCO1B1 poor function -> atorvastatin <= 20 mg,
rosuvastatin <= 20 mg, simvastatin: an alternative statin) and the statin intensity table
(high: atorvastatin 40-80, rosuvastatin 20-40 mg).
"""

from __future__ import annotations

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.cardio.decision import category_of, decide, polygenic_info
from tailormed.cardio.fh import FhVariantHit, assess_fh
from tailormed.cardio.findings import to_findings
from tailormed.cardio.risk import PreventEstimate, RiskResult
from tailormed.factors import PatientFactors
from tailormed.findings import findings_from_json, findings_to_json
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.cardio import CardioKnowledge
from tailormed.recommend import build_interpretation
from tailormed.recommend.models import DrugReport

STATINS = ("atorvastatin", "rosuvastatin", "simvastatin", "pravastatin", "pitavastatin",
           "fluvastatin", "lovastatin")  # fmt: skip


def _risk(ascvd: float) -> RiskResult:
    e = PreventEstimate("base", 10, ascvd * 1.5, ascvd, 2.0, ascvd / 2, ascvd / 2)
    return RiskResult((e,), None, (), CardioKnowledge.load().version)


def _statins(
    kb: KnowledgeBase, slco1b1: tuple[str, str] | None, abcg2: str = "G"
) -> dict[str, DrugReport]:
    calls = []
    if slco1b1:
        calls.append(GeneCall("S", "SLCO1B1", (Diplotype.of(*slco1b1),), False))
        allele = f"rs2231142 {'reference (G)' if abcg2 == 'G' else 'variant (T)'}"
        calls.append(
            GeneCall("S", "ABCG2", (Diplotype.of("rs2231142 reference (G)", allele),), False)
        )
        calls.append(GeneCall("S", "CYP2C9", (Diplotype.of("*1", "*1"),), False))
    interp = build_interpretation(calls, kb)
    return {d: r for d in STATINS if (r := interp.drug(d)) is not None}


F = PatientFactors(sex="male", age_years=60, ldl_cholesterol_mg_dl=150, lpa_nmol_l=30)


@pytest.mark.parametrize(
    ("percent", "category"),
    [(0.5, "low"), (2.999, "low"), (3.0, "borderline"), (4.999, "borderline"),
     (5.0, "intermediate"), (9.999, "intermediate"), (10.0, "high"), (40.0, "high")],
)  # fmt: skip
def test_2026_categories(percent: float, category: str) -> None:
    assert category_of(percent, CardioKnowledge.load()) == category


def test_high_risk_normal_function_allows_high_intensity_atorvastatin_or_rosuvastatin(
    kb: KnowledgeBase,
) -> None:
    d = decide("S", F, _risk(12.0), None, _statins(kb, ("*1", "*1")))
    assert d.category == "high" and d.intensity == "high" and d.statin_indicated
    fits = {o.drug: o.dose_text for o in d.fitting}
    assert fits == {"atorvastatin": "40–80 mg", "rosuvastatin": "20–40 mg"}
    assert "atorvastatin 40–80 mg or rosuvastatin 20–40 mg" in d.answer
    assert "high-intensity" in d.answer and "12.0 %" in d.answer


def test_high_risk_slco1b1_poor_function_leaves_rosuvastatin_20(kb: KnowledgeBase) -> None:
    d = decide("S", F, _risk(15.0), None, _statins(kb, ("*5", "*5"), abcg2="T"))
    by_drug = {o.drug: o for o in d.options}
    assert by_drug["atorvastatin"].dose_cap_mg == 20 and not by_drug["atorvastatin"].fits
    assert by_drug["rosuvastatin"].fits and by_drug["rosuvastatin"].doses_mg == (20.0,)
    assert "rosuvastatin 20 mg" in d.answer and "atorvastatin" not in d.answer


def test_intermediate_risk_poor_function_moderate_intensity(kb: KnowledgeBase) -> None:
    d = decide("S", F, _risk(7.0), None, _statins(kb, ("*5", "*5")))
    assert d.intensity == "moderate"
    fits = {o.drug: o.doses_mg for o in d.fitting}
    assert fits["atorvastatin"] == (10.0, 20.0)
    assert fits["pravastatin"] == (40.0,)  # CPIC <= 40 mg
    assert fits["pitavastatin"] == (1.0,)  # CPIC <= 1 mg
    for avoid in ("simvastatin", "lovastatin", "fluvastatin"):  # CPIC: an alternative statin
        assert avoid not in fits


def test_low_and_borderline_risk_are_not_guessed(kb: KnowledgeBase) -> None:
    low = decide("S", F, _risk(2.0), None, _statins(kb, ("*1", "*1")))
    assert low.category == "low" and low.statin_indicated is None and low.options == ()
    assert "could not be verified" in low.answer
    border = decide(
        "S", PatientFactors(ldl_cholesterol_mg_dl=150, lpa_nmol_l=130), _risk(4.0), None, None
    )
    assert border.category == "borderline" and border.risk_enhancers
    assert "Lp(a) 130 nmol/L ≥ 125 nmol/L" in border.risk_enhancers[0]


def test_lpa_threshold_and_missing_lpa() -> None:
    at = decide("S", PatientFactors(lpa_nmol_l=125), _risk(7.0), None, None)
    below = decide("S", PatientFactors(lpa_nmol_l=124.9), _risk(7.0), None, None)
    none = decide("S", PatientFactors(), _risk(7.0), None, None)
    assert at.risk_enhancers and not below.risk_enhancers
    assert any("Lp(a) not given" in lim for lim in none.limitations)


def test_pathways_before_the_risk_category(kb: KnowledgeBase) -> None:
    statins = _statins(kb, ("*1", "*1"))
    severe = decide("S", PatientFactors(ldl_cholesterol_mg_dl=190), _risk(2.0), None, statins)
    assert severe.pathway.startswith("severe hypercholesterolaemia") and severe.statin_indicated
    below = decide("S", PatientFactors(ldl_cholesterol_mg_dl=189), _risk(2.0), None, statins)
    assert below.pathway.startswith("primary prevention")
    secondary = decide("S", PatientFactors(clinical_ascvd=True), _risk(2.0), None, statins)
    assert secondary.pathway.startswith("secondary prevention") and secondary.intensity == "high"
    hit = FhVariantHit("APOB", "2", 21006288, "C", "T", "p.Arg3527Gln", "P/LP", "17890", 1)
    fh = assess_fh("S", (hit,), PatientFactors(ldl_cholesterol_mg_dl=150))
    genetic = decide("S", PatientFactors(ldl_cholesterol_mg_dl=150), _risk(1.0), fh, statins)
    assert genetic.pathway.startswith("heterozygous familial") and genetic.statin_indicated
    assert any("heterozygous FH: confirmed" in v for v in genetic.verification)


def test_uncalled_pgx_genes_say_so(kb: KnowledgeBase) -> None:
    d = decide("S", F, _risk(12.0), None, _statins(kb, None))
    assert all(o.cpic_status == "no result" for o in d.options)
    assert "not called" in d.answer
    no_reports = decide("S", F, _risk(12.0), None, None)
    assert any(
        "CPIC genotype-guided statin choice was not made" in x for x in no_reports.limitations
    )


def test_polygenic_score_is_information_only(kb: KnowledgeBase) -> None:
    statins = _statins(kb, ("*1", "*1"))
    p = polygenic_info("PGS000349", "CAD", 1.2, 97.0, 1.9, "EUR", 60, 70)
    with_prs = decide("S", F, _risk(4.0), None, statins, (p,))
    without = decide("S", F, _risk(4.0), None, statins)
    assert with_prs.answer == without.answer and with_prs.category == without.category
    assert any("not part of the 2026" in c for c in with_prs.prs[0].caveats)


def test_findings_and_json_round_trip(kb: KnowledgeBase) -> None:
    statins = _statins(kb, ("*1", "*1"))
    from tailormed.cardio.risk import estimate_risk

    f = PatientFactors(sex="female", age_years=50, total_cholesterol_mg_dl=200,
                       hdl_cholesterol_mg_dl=45, systolic_bp_mm_hg=160, on_bp_treatment=True,
                       on_statin=False, diabetes=True, current_smoker=False, bmi=35, egfr=90,
                       race="White", ldl_cholesterol_mg_dl=120)  # fmt: skip
    risk = estimate_risk(f)
    fh = assess_fh("S", (), f)
    p = polygenic_info("PGS000349", "CAD", 1.2, 97.0, 1.9, "EUR", 60, 70)
    d = decide("S", f, risk, fh, statins, (p,), pgx_version=kb.version)
    findings = to_findings("S", risk=risk, fh=fh, decision=d, prs=(p,))
    codes = [x.code for x in findings]
    assert codes == [
        "cardio.statin",
        "cardio.fh",
        "cardio.prevent",
        "cardio.pce",
        "cardio.prs.PGS000349",
    ]
    pce = next(x for x in findings if x.code == "cardio.pce")
    assert pce.codes[0].code == "79423-0" and pce.codes[0].system == "http://loinc.org"
    statin = findings[0]
    assert statin.severity == "moderate" and "intermediate" in statin.summary.lower()
    assert statin.knowledge["pgx"] == kb.version and "cardio" in statin.knowledge
    assert any(s.name == "CPIC" and s.id for s in statin.sources)
    assert findings_from_json(findings_to_json(findings)) == sorted(
        findings, key=lambda x: ["critical", "high", "moderate", "low", "info"].index(x.severity)
    )
