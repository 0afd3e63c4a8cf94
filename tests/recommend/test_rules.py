"""The actionable rule, lookup-key matching details, limitations and JSON round trips."""

from __future__ import annotations

from collections import Counter

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, PatientFactors, classify
from tailormed.recommend.advice import advise

from .builders import call, interpret, outside


def _cpic(kb: KnowledgeBase, drug: str, lookup: dict[str, str], population: str = "general"):  # type: ignore[no-untyped-def]
    recs = kb.recommendations(drug=drug, source="CPIC", lookup=lookup)
    return next(r for r in recs if r.population in (population, None))


@pytest.mark.parametrize(
    ("drug", "lookup", "population", "expected"),
    [
        ("codeine", {"CYP2D6": "2.0"}, "general", "standard"),  # label-recommended dosing
        ("codeine", {"CYP2D6": "1.0"}, "general", "standard"),  # "If no response ..." later
        ("codeine", {"CYP2D6": "3.0"}, "general", "change"),  # avoid
        ("codeine", {"CYP2D6": "n/a"}, "general", "none"),  # "No recommendation"
        ("clopidogrel", {"CYP2C19": "Normal Metabolizer"}, "CVI ACS PCI", "standard"),
        ("clopidogrel", {"CYP2C19": "Intermediate Metabolizer"}, "CVI ACS PCI", "change"),
        ("abacavir", {"HLA-B": "*57:01 positive"}, "general", "change"),
        ("abacavir", {"HLA-B": "*57:01 negative"}, "general", "standard"),
        ("atomoxetine", {"CYP2D6": "2.0"}, "adults", "standard"),  # label titration
        ("atomoxetine", {"CYP2D6": "0.0"}, "adults", "change"),
        ("tacrolimus", {"CYP3A5": "Normal Metabolizer"}, "general", "change"),  # expresser
        ("tacrolimus", {"CYP3A5": "Poor Metabolizer"}, "general", "standard"),
        ("atazanavir", {"UGT1A1": "Intermediate Metabolizer"}, "general", "standard"),
        ("fluorouracil", {"DPYD": "2.0"}, "general", "standard"),
        ("omeprazole", {"CYP2C19": "Normal Metabolizer"}, "general", "change"),  # H. pylori
    ],
)
def test_advice_on_kb_texts(
    kb: KnowledgeBase, drug: str, lookup: dict[str, str], population: str, expected: str
) -> None:
    assert advise(_cpic(kb, drug, lookup, population)) == expected


def test_advice_on_dpwg_wording() -> None:
    assert classify("NO action is required for this gene-drug interaction.") == "standard"
    assert (
        classify(
            "The guideline does not provide a recommendation for codeine in normal metabolizers."
        )
        == "none"
    )
    assert classify("Use 70% of the standard dose and monitor the effect.") == "change"
    assert classify("There is no need to avoid prescribing of atazanavir.") == "standard"


def test_every_kb_recommendation_is_classified(kb: KnowledgeBase) -> None:
    kinds = Counter(advise(r) for g in kb.guidelines for r in g.recommendations)
    assert set(kinds) == {"change", "standard", "none"}
    assert sum(kinds.values()) == kb.manifest.counts["recommendations"]


def test_dpwg_allele_count_key_beats_the_phenotype_key(kb: KnowledgeBase) -> None:
    """DPWG warfarin: CYP2C9 *1/*3 has its own key ({*1: 1, *3: 1}); the IM-phenotype text is
    for the other intermediate diplotypes (*1/*5 here)."""
    star3 = interpret(kb, call("CYP2C9", "*1", "*3")).drug("warfarin")
    assert star3 is not None
    (rec,) = [r for r in star3.recommendations if "CYP2C9" in r.lookup_key]
    assert rec.lookup_key == {"CYP2C9": "*1/*3"}
    assert rec.text.startswith("use 65% of the standard initial dose. The genotype-specific")
    assert "Algorithms for Caucasian patients" not in rec.text
    star5 = interpret(kb, call("CYP2C9", "*1", "*5")).drug("warfarin")
    assert star5 is not None
    (rec,) = [r for r in star5.recommendations if "CYP2C9" in r.lookup_key]
    assert rec.lookup_key == {"CYP2C9": "Intermediate Metabolizer"}
    assert "Algorithms for Caucasian patients" in rec.text


def test_hla_several_keys_any_may_match(kb: KnowledgeBase) -> None:
    interp = interpret(
        kb,
        outside("HLA-B", "*15:02/*57:01"),
        call("ABCG2", "rs2231142 reference (G)", "rs2231142 reference (G)"),
    )
    keys = {
        d.drug: {r.lookup_key["HLA-B"] for r in d.recommendations if "HLA-B" in r.lookup_key}
        for d in interp.drugs
    }
    assert keys["abacavir"] == {"*57:01 positive"}
    assert keys["allopurinol"] == {"*58:01 negative"}
    assert keys["oxcarbazepine"] == {"*15:02 positive"}
    allopurinol = interp.drug("allopurinol")
    assert allopurinol is not None and allopurinol.status == "no change"


def test_no_result_key_only_where_the_guideline_has_one(kb: KnowledgeBase) -> None:
    """CPIC thiopurine guidelines key NUDT15 "No Result"; DPWG's NUDT15 guideline does not."""
    interp = interpret(kb, call("TPMT", "*1", "*3A"))
    report = interp.drug("azathioprine")
    assert report is not None and report.status == "actionable"
    cpic = [r for r in report.recommendations if r.source == "CPIC"]
    assert [r.lookup_key for r in cpic] == [
        {"NUDT15": "No Result", "TPMT": "Intermediate Metabolizer"}
    ]
    assert cpic[0].phenotypes["NUDT15"] == "not tested"
    assert not any(r.lookup_key.get("NUDT15") for r in report.recommendations if r.source == "DPWG")


def test_limitations(kb: KnowledgeBase) -> None:
    cyp2c19 = call("CYP2C19", "*1", "*1", missing_positions=(94781859, 94842866))
    interp = interpret(kb, cyp2c19)
    text = "\n".join(interp.limitations)
    assert "Not tested: " in text and "CYP2D6" in text and "HLA-B" in text
    assert "CYP2C19: 2 defining position(s) missing from the input" in text
    assert "chr10:94781859" in text
    assert "CYP2D6 structural variants not assessed from VCF" in text
    assert "as of 2024-05-29" in text and "2022-09-15" in text
    assert "older fallbacks" in text
    research = call("CYP2D6", "*1", "*4", source="vcf-research")
    text = "\n".join(interpret(kb, research).limitations)
    assert "CYP2D6 structural variants not assessed from VCF" in text
    assert "research mode" in text
    outside_call = "\n".join(interpret(kb, outside("CYP2D6", "*1/*4")).limitations)
    assert "CYP2D6 structural variants" not in outside_call
    with_inhibitor = interpret(kb, outside("CYP2D6", "*1/*4"), medications=["bupropion"])
    assert any("inhibitor list" in line for line in with_inhibitor.limitations)


def test_interpretation_json_round_trip(kb: KnowledgeBase) -> None:
    interp = interpret(
        kb,
        outside("CYP2D6", "*1/*1"),
        call("TPMT", "*1", "*3A"),
        call("NUDT15", "*1", "*1"),
        call("VKORC1", "rs9923231 reference (C)", "rs9923231 variant (T)"),
        call("CYP2C9", "*1", "*2"),
        medications=["paroxetine"],
        factors=PatientFactors(age_years=70, height_cm=170, weight_kg=80, race="White"),
    )
    again = Interpretation.from_json(interp.to_json())
    assert again.to_json() == interp.to_json()
    codeine = again.drug("codeine")
    assert codeine is not None and codeine.genotype_recommendations
    azathioprine = again.drug("azathioprine")
    assert azathioprine is not None and azathioprine.doses[0].value_range == (30.0, 80.0)


def test_a_drugs_reason_quotes_its_advice_whole(kb: KnowledgeBase) -> None:
    """CPIC's desflurane advice for a CACNA1S malignant-hyperthermia-susceptible patient asks
    for a change in a sentence of about 200 characters: the reason quotes it whole."""
    from tailormed.recommend.advice import key_sentence
    from tests.recommend.builders import interpret, outside

    interp = interpret(kb, outside("CACNA1S", phenotype="Malignant Hyperthermia Susceptibility"))
    drug = interp.drug("desflurane")
    assert drug is not None and drug.status == "actionable"
    cpic = next(r for r in drug.recommendations if r.source == "CPIC" and r.actionable)
    advice = key_sentence(cpic.text).rstrip(".;:")
    assert len(advice) > 180
    assert advice in drug.reason and "..." not in drug.reason
