"""Clinical statements from the guideline data, checked end to end (calls → drug reports).

The expected recommendations come from the knowledge base's own tables, selected with
``kb.recommendations(drug=, lookup=)`` (the store's exact-key filter), and the expected
wording from the CPIC / DPWG texts it holds (ClinPGx annotations, 2024-05-29).
"""

from __future__ import annotations

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation

from .builders import call, interpret, no_call, outside


def _ids(kb: KnowledgeBase, drug: str, source: str, lookup: dict[str, str]) -> set[str]:
    return {r.id for r in kb.recommendations(drug=drug, source=source, lookup=lookup)}


def _selected(interp: Interpretation, drug: str, source: str) -> set[str]:
    report = interp.drug(drug)
    assert report is not None
    return {r.recommendation_id for r in report.recommendations if r.source == source}


def test_every_kb_drug_gets_a_report(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*1", "*1"))
    assert sorted(d.drug for d in interp.drugs) == sorted(d.name for d in kb.drugs)
    assert all(d.reason.endswith(".") for d in interp.drugs)


def test_cyp2c19_poor_metabolizer_clopidogrel_alternative(kb: KnowledgeBase) -> None:
    """CPIC 2022: CYP2C19 PM → avoid clopidogrel, use prasugrel or ticagrelor (ACS/PCI)."""
    interp = interpret(kb, call("CYP2C19", "*2", "*2"))
    report = interp.drug("clopidogrel")
    assert report is not None and report.status == "actionable"
    pm = {"CYP2C19": "Poor Metabolizer"}
    assert _selected(interp, "clopidogrel", "CPIC") == _ids(kb, "clopidogrel", "CPIC", pm)
    assert _selected(interp, "clopidogrel", "DPWG") == _ids(kb, "clopidogrel", "DPWG", pm)
    cpic = [r for r in report.recommendations if r.source == "CPIC"]
    assert {r.population for r in cpic} == {"CVI ACS PCI", "CVI non-ACS non-PCI", "NVI"}
    acs = next(r for r in cpic if r.population == "CVI ACS PCI")
    assert acs.text.startswith("Avoid clopidogrel if possible.")
    assert "prasugrel or ticagrelor" in acs.text
    assert acs.classification == "Strong" and acs.actionable and acs.alternate_drug
    dpwg = next(r for r in report.recommendations if r.source == "DPWG")
    assert "avoid clopidogrel" in dpwg.text and dpwg.actionable
    assert report.reason.startswith("CPIC (Strong) for CYP2C19 Poor Metabolizer: Avoid")


def test_cyp2c19_normal_metabolizer_clopidogrel_no_change(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*1", "*1"))
    report = interp.drug("clopidogrel")
    assert report is not None and report.status == "no change"
    texts = {r.text.splitlines()[0] for r in report.recommendations if r.source == "CPIC"}
    assert texts == {"If considering clopidogrel, use at standard dose (75 mg/day)"}
    dpwg = [r for r in report.recommendations if r.source == "DPWG"]
    assert [r.text for r in dpwg] == [
        "The guideline does not provide a recommendation for clopidogrel in normal metabolizers."
    ]
    assert not any(r.actionable for r in report.recommendations)


def test_dpyd_activity_one_halves_fluoropyrimidines(kb: KnowledgeBase) -> None:
    """CPIC DPYD: activity score 1.0 → reduce the starting dose by 50 %."""
    interp = interpret(kb, call("DPYD", "Reference", "c.1905+1G>A (*2A)"))
    for drug in ("fluorouracil", "capecitabine"):
        report = interp.drug(drug)
        assert report is not None and report.status == "actionable"
        assert _selected(interp, drug, "CPIC") == _ids(kb, drug, "CPIC", {"DPYD": "1.0"})
        (cpic,) = [r for r in report.recommendations if r.source == "CPIC"]
        assert cpic.text.startswith("Reduce starting dose by 50%")
        (dpwg,) = [r for r in report.recommendations if r.source == "DPWG"]
        assert dpwg.lookup_key == {"DPYD": "1.0 (Intermediate Metabolizer)"}
        assert dpwg.text.startswith("Start with 50% of the standard dose")
        (dose,) = report.doses
        assert (dose.kind, dose.value, dose.avoid) == ("percent_of_standard", 50.0, False)
    tegafur = interp.drug("tegafur")
    assert tegafur is not None and tegafur.status == "actionable"
    assert tegafur.doses[0].avoid and tegafur.doses[0].value is None


def test_hla_b_5701_positive_abacavir_not_recommended(kb: KnowledgeBase) -> None:
    interp = interpret(kb, outside("HLA-B", "*57:01/*44:02"))
    report = interp.drug("abacavir")
    assert report is not None and report.status == "actionable"
    by_source = {r.source: r for r in report.recommendations}
    assert by_source["CPIC"].text == "Abacavir is not recommended"
    assert by_source["CPIC"].lookup_key == {"HLA-B": "*57:01 positive"}
    assert "Avoid abacavir" in by_source["DPWG"].text
    assert "contra-indicated" in by_source["DPWG"].text


def test_hla_b_5701_negative_abacavir_standard(kb: KnowledgeBase) -> None:
    interp = interpret(kb, outside("HLA-B", "*44:02/*08:01"))
    report = interp.drug("abacavir")
    assert report is not None and report.status == "no change"
    assert [r.text for r in report.recommendations] == [
        "Use abacavir per standard dosing guidelines"
    ]  # DPWG writes advice only for carriers


def test_hla_one_field_typing_is_no_result(kb: KnowledgeBase) -> None:
    """A one-field typing cannot rule *57:01 in or out: no recommendation, reason says so."""
    interp = interpret(kb, outside("HLA-B", "*57/*44:02"))
    report = interp.drug("abacavir")
    assert report is not None and report.status == "no result"
    assert "HLA-B is indeterminate" in report.reason and "*57:01" in report.reason


def test_cyp2d6_ultrarapid_codeine_avoid(kb: KnowledgeBase) -> None:
    """CPIC codeine: ultrarapid metabolizer (activity score > 2.25) → avoid codeine."""
    for cyp2d6 in (
        outside("CYP2D6", "*1/*1x2"),  # activity 3.0
        outside("CYP2D6", activity_score="≥3.0"),
        outside("CYP2D6", phenotype="Ultrarapid Metabolizer"),  # every UM score key
    ):
        interp = interpret(kb, cyp2d6)
        report = interp.drug("codeine")
        assert report is not None and report.status == "actionable", cyp2d6
        texts = [r.text for r in report.recommendations if r.source == "CPIC"]
        assert texts == [  # one advice, even when the phenotype selects every UM score key
            "Avoid codeine use because of potential for serious toxicity. If opioid use is "
            "warranted, consider a non-tramadol opioid."
        ]


def test_phenytoin_needs_cyp2c9_and_hla_b(kb: KnowledgeBase) -> None:
    both = interpret(kb, call("CYP2C9", "*1", "*1"), outside("HLA-B", "*15:02/*44:02"))
    report = both.drug("phenytoin")
    assert report is not None and report.status == "actionable"
    keys = {
        tuple(sorted(r.lookup_key.items())) for r in report.recommendations if r.source == "CPIC"
    }
    assert keys == {(("CYP2C9", "2.0"), ("HLA-B", "*15:02 positive"))}
    naive = next(r for r in report.recommendations if r.population == "PHT naive")
    assert naive.text.startswith("If patient is phenytoin-naive, do not use phenytoin")
    assert _selected(both, "phenytoin", "CPIC") == _ids(
        kb, "phenytoin", "CPIC", {"CYP2C9": "2.0", "HLA-B": "*15:02 positive"}
    )

    # CYP2C9 only: CPIC has advice for an untested HLA-B, DPWG's HLA-B guideline has none.
    cyp2c9_only = interpret(kb, call("CYP2C9", "*1", "*1"))
    report = cyp2c9_only.drug("phenytoin")
    assert report is not None and report.status == "no result"
    assert "HLA-B was not tested" in report.reason
    cpic = [r for r in report.recommendations if r.source == "CPIC"]
    assert cpic and all(r.lookup_key["HLA-B"] == "No Result" for r in cpic)

    nothing = interpret(kb, call("CYP2C19", "*1", "*1"))
    report = nothing.drug("phenytoin")
    assert report is not None and report.status == "no result"
    assert "CYP2C9 and HLA-B were not tested" in report.reason
    assert report.recommendations == ()


def test_multi_gene_amitriptyline_needs_both_genes(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*1", "*1"), outside("CYP2D6", "*4/*4"))
    report = interp.drug("amitriptyline")
    assert report is not None and report.status == "actionable"
    (cpic,) = [r for r in report.recommendations if r.source == "CPIC"]
    assert cpic.lookup_key == {"CYP2C19": "Normal Metabolizer", "CYP2D6": "0.0"}
    assert cpic.genes == ("CYP2C19", "CYP2D6")
    assert cpic.text.startswith("Avoid amitriptyline use.")
    lookup = {"CYP2C19": "Normal Metabolizer", "CYP2D6": "0.0"}
    assert _selected(interp, "amitriptyline", "CPIC") == _ids(kb, "amitriptyline", "CPIC", lookup)
    # DPWG's amitriptyline guideline keys on CYP2D6 alone.
    (dpwg,) = [r for r in report.recommendations if r.source == "DPWG"]
    assert dpwg.lookup_key == {"CYP2D6": "0.0"}


def test_drug_without_guideline_recommendations(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("IFNL3", "rs12979860 reference (C)", "rs12979860 reference (C)"))
    report = interp.drug("peginterferon alfa-2a")
    assert report is not None and report.status == "no guideline"
    assert report.recommendations == ()
    assert "No CPIC or DPWG guideline" in report.reason


def test_gene_not_tested_is_no_result_with_reason(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*1", "*1"))
    report = interp.drug("codeine")
    assert report is not None and report.status == "no result"
    assert report.reason == (
        "No CPIC or DPWG recommendation can be selected because CYP2D6 was not tested."
    )


def test_gene_not_called_is_no_result_with_the_callers_reason(kb: KnowledgeBase) -> None:
    interp = interpret(kb, no_call("CYP2C19", "3 of 35 defining positions missing"))
    report = interp.drug("clopidogrel")
    assert report is not None and report.status == "no result"
    assert "CYP2C19 was not called (3 of 35 defining positions missing)" in report.reason


def test_indeterminate_phenotype_selects_cpic_no_recommendation(kb: KnowledgeBase) -> None:
    """CPIC keys 'n/a' (CYP2D6 indeterminate) to 'No recommendation': status no result."""
    interp = interpret(kb, outside("CYP2D6", "*1/*1xN"))  # *1xN has no function in the map
    report = interp.drug("codeine")
    assert report is not None and report.status == "no result"
    assert [r.text for r in report.recommendations if r.source == "CPIC"] == ["No recommendation"]
    assert "CYP2D6 is indeterminate" in report.reason


def test_phenoconversion_paroxetine_codeine(kb: KnowledgeBase) -> None:
    """CYP2D6 NM on paroxetine (strong inhibitor): codeine advice for a poor metabolizer."""
    interp = interpret(kb, outside("CYP2D6", "*1/*1"), medications=["paroxetine 20 mg daily"])
    report = interp.drug("codeine")
    assert report is not None and report.status == "actionable"
    cpic = next(r for r in report.recommendations if r.source == "CPIC")
    assert cpic.lookup_key == {"CYP2D6": "0.0"} and cpic.phenoconverted
    assert cpic.text.startswith("Avoid codeine use because of possibility of diminished analgesia")
    assert "phenoconverted from Normal Metabolizer by paroxetine" in cpic.phenotypes["CYP2D6"]
    assert _selected(interp, "codeine", "CPIC") == _ids(kb, "codeine", "CPIC", {"CYP2D6": "0.0"})
    # Both results are shown: the genotype-only selection and the genotype phenotype.
    genotype_only = {r.lookup_key["CYP2D6"] for r in report.genotype_recommendations}
    assert genotype_only == {"2.0"}
    p = interp.phenotype("CYP2D6")
    assert p is not None and p.phenotype == "Poor Metabolizer"
    assert p.phenoconversion is not None and p.phenoconversion.genotype_phenotype == (
        "Normal Metabolizer"
    )
    # Paroxetine's own advice uses the genotype: its guideline accounts for the drug itself.
    own = interp.drug("paroxetine")
    assert own is not None and own.status == "no change"
    assert {r.lookup_key["CYP2D6"] for r in own.recommendations} == {"2.0"}
    assert not any(r.phenoconverted for r in own.recommendations)


def test_strong_inhibitor_on_untested_cyp2d6_gives_poor_metabolizer(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("CYP2C19", "*1", "*1"), medications=["fluoxetine"])
    report = interp.drug("codeine")
    assert report is not None and report.status == "actionable"
    assert all(r.phenoconverted for r in report.recommendations)


def test_g6pd_drugs_from_the_cpic_export(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("G6PD", "B (reference)", "B (reference)"))
    report = interp.drug("aspirin")
    assert report is not None and report.status == "no change"
    (rec,) = report.recommendations
    assert rec.text.startswith("No reason to avoid based on G6PD status")
    assert "CPIC database export 2022-09-15" in rec.guideline_name
    assert rec.population == "<= 1g per day"
