"""Phenoconversion by CYP2D6 / CYP2C19 inhibitors, and the integrity of the inhibitor list."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.curated import curated_dir
from tailormed.knowledge.medicines import ScoreRule, StepRule
from tailormed.phenotype import (
    INDETERMINATE,
    NO_RESULT,
    GenePhenotype,
    interpret,
    phenoconvert,
)
from tailormed.phenotype.activity import parse_score, phenotype_for
from tailormed.phenotype.phenoconversion import score_bins


def pheno(kb: KnowledgeBase, gene: str, *alleles: str, **kw: Any) -> GenePhenotype:
    return interpret(GeneCall("S1", gene, (Diplotype.of(*alleles),), False, **kw), kb)


# ------------------------------------------------------------------ the data file
def test_inhibitor_list_records_its_sources_and_date(kb: KnowledgeBase) -> None:
    raw = json.loads((curated_dir() / "inhibitors.json").read_text())
    assert raw["compiled"] and raw["review_status"]
    lst = kb.inhibitors
    assert {"fda-ddi-table", "cicali-2021", "caudle-2020"} <= set(lst.sources)
    for inh in lst.inhibitors:
        assert inh.sources and set(inh.sources) <= set(lst.sources), inh.drug
        assert inh.gene in lst.rules
        assert inh.rxnorm is None or inh.rxnorm.isdigit()
    assert len({(i.gene, i.drug) for i in lst.inhibitors}) == len(lst.inhibitors)


def test_rxnorm_codes_agree_with_the_kb_where_it_knows_the_drug(kb: KnowledgeBase) -> None:
    known = {d.name.lower(): d.rxnorm for d in kb.drugs if d.rxnorm}
    checked = 0
    for inh in kb.inhibitors.inhibitors:
        if inh.drug in known and inh.rxnorm is not None:
            assert inh.rxnorm == known[inh.drug], inh.drug
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("source", ["CPIC", "DPWG"])
def test_cyp2d6_score_bins_reproduce_every_table_row(kb: KnowledgeBase, source: str) -> None:
    rule = kb.inhibitors.rules["CYP2D6"]
    assert isinstance(rule, ScoreRule)
    table = kb.phenotypes("CYP2D6", source)
    for row in table.diplotypes.values():
        score = parse_score(row.lookup_key)
        if score is not None:
            assert phenotype_for(score, score_bins(rule.bins[source])) == row.phenotype, row


def test_cyp2c19_steps_cover_the_tables_phenotypes(kb: KnowledgeBase) -> None:
    rule = kb.inhibitors.rules["CYP2C19"]
    assert isinstance(rule, StepRule)
    for source in ("CPIC", "DPWG"):
        table = kb.phenotypes("CYP2C19", source)
        phenotypes = {r.phenotype for r in table.diplotypes.values()} - {INDETERMINATE}
        assert phenotypes == set(rule.moderate_step[source]), source
        # CYP2C19's lookup key is the phenotype, so a shifted phenotype is a valid key.
        assert all(r.lookup_key == r.phenotype for r in table.diplotypes.values())


# ------------------------------------------------------------------------ CYP2D6
@pytest.mark.parametrize("drug", ["paroxetine", "fluoxetine", "bupropion", "Paxil", "RxNorm:32937"])
def test_cyp2d6_normal_metabolizer_on_a_strong_inhibitor_is_poor(
    kb: KnowledgeBase, drug: str
) -> None:
    nm = pheno(kb, "CYP2D6", "*1", "*1")
    assert (nm.phenotype, nm.activity_score) == ("Normal Metabolizer", "2.0")
    r = phenoconvert(nm, [drug], kb)
    assert (r.phenotype, r.activity_score, r.lookup_keys) == ("Poor Metabolizer", "0.0", ("0.0",))
    pc = r.phenoconversion
    assert pc is not None and pc.adjusted and pc.strength == "strong"
    assert (pc.genotype_phenotype, pc.genotype_activity_score, pc.genotype_lookup_keys) == (
        "Normal Metabolizer",
        "2.0",
        ("2.0",),
    )
    assert len(pc.caused_by) == 1
    assert kb.recommendations(drug="codeine", source="CPIC", lookup={"CYP2D6": r.lookup_key or ""})


def test_cyp2d6_moderate_inhibitor_halves_the_score(kb: KnowledgeBase) -> None:
    r = phenoconvert(pheno(kb, "CYP2D6", "*1", "*1"), ["duloxetine 60 mg"], kb)
    assert (r.phenotype, r.activity_score, r.lookup_keys) == (
        "Intermediate Metabolizer",
        "1.0",
        ("1.0",),
    )
    assert r.phenoconversion is not None and r.phenoconversion.caused_by == ("duloxetine",)
    assert "× 0.5" in r.phenoconversion.method


def test_off_grid_scores_keep_the_value_and_take_neighbouring_keys(kb: KnowledgeBase) -> None:
    r = phenoconvert(pheno(kb, "CYP2D6", "*1", "*41"), ["mirabegron"], kb)  # CPIC 1.25, DPWG 1.5
    assert (r.phenotype, r.activity_score, r.lookup_keys) == (
        "Intermediate Metabolizer",
        "0.625",
        ("0.5", "0.75"),
    )
    assert (r.dpwg_phenotype, r.dpwg_lookup_key) == ("Intermediate Metabolizer", "0.75")
    # 2.25 × 0.5 = 1.125: below 1.25, so IM; of its neighbours only 1.0 is IM.
    r = phenoconvert(pheno(kb, "CYP2D6", "*10", "*1x2"), ["cinacalcet"], kb)  # 2.25
    assert (r.activity_score, r.phenotype, r.lookup_keys) == (
        "1.125",
        "Intermediate Metabolizer",
        ("1.0",),
    )


def test_lower_bound_scores_that_span_phenotypes_are_indeterminate(kb: KnowledgeBase) -> None:
    um = pheno(kb, "CYP2D6", "*1", "*1x≥3")
    r = phenoconvert(um, ["cinacalcet"], kb)
    assert (r.phenotype, r.activity_score) == (INDETERMINATE, "≥2.0")
    assert r.reason


def test_strong_inhibitor_applies_whatever_the_genotype(kb: KnowledgeBase) -> None:
    unknown = interpret(GeneCall("S1", "CYP2D6", (), False), kb)
    r = phenoconvert(unknown, ["quinidine"], kb)
    assert (r.phenotype, r.lookup_keys) == ("Poor Metabolizer", ("0.0",))
    assert r.phenoconversion is not None and r.phenoconversion.genotype_phenotype == NO_RESULT
    assert any("genotype result No Result" in n for n in r.notes)


def test_moderate_inhibitor_cannot_adjust_an_unknown_score(kb: KnowledgeBase) -> None:
    ind = pheno(kb, "CYP2D6", "*1", "*XXX")
    r = phenoconvert(ind, ["duloxetine"], kb)
    assert (r.phenotype, r.lookup_keys) == (ind.phenotype, ind.lookup_keys)
    assert r.phenoconversion is not None and not r.phenoconversion.adjusted


def test_weak_inhibitors_are_recorded_not_applied(kb: KnowledgeBase) -> None:
    nm = pheno(kb, "CYP2D6", "*1", "*1")
    r = phenoconvert(nm, ["sertraline"], kb)
    assert (r.phenotype, r.lookup_keys) == (nm.phenotype, nm.lookup_keys)
    assert r.phenoconversion is not None
    assert (r.phenoconversion.strength, r.phenoconversion.adjusted) == ("weak", False)


def test_the_strongest_inhibitor_counts_without_compounding(kb: KnowledgeBase) -> None:
    nm = pheno(kb, "CYP2D6", "*1", "*1")
    r = phenoconvert(nm, ["duloxetine", "cinacalcet"], kb)
    assert r.activity_score == "1.0"  # × 0.5 once, not twice
    r = phenoconvert(nm, ["duloxetine", "paroxetine", "sertraline"], kb)
    assert r.phenoconversion is not None and r.phenoconversion.caused_by == ("paroxetine",)
    assert {i.drug for i in r.phenoconversion.inhibitors} == {
        "duloxetine",
        "paroxetine",
        "sertraline",
    }


# ----------------------------------------------------------------------- CYP2C19
@pytest.mark.parametrize("drug", ["fluvoxamine", "fluconazole", "Diflucan", "fluoxetine"])
def test_cyp2c19_strong_inhibitors_give_poor_metabolizer(kb: KnowledgeBase, drug: str) -> None:
    r = phenoconvert(pheno(kb, "CYP2C19", "*1", "*17"), [drug], kb)
    assert (r.phenotype, r.lookup_keys) == ("Poor Metabolizer", ("Poor Metabolizer",))
    assert (r.dpwg_phenotype, r.dpwg_lookup_key) == (None, None)


def test_cyp2c19_moderate_inhibitor_moves_one_step_down(kb: KnowledgeBase) -> None:
    r = phenoconvert(pheno(kb, "CYP2C19", "*1", "*1"), ["omeprazole"], kb)
    assert (r.phenotype, r.lookup_keys) == (
        "Intermediate Metabolizer",
        ("Intermediate Metabolizer",),
    )
    rm = pheno(kb, "CYP2C19", "*1", "*17")  # CPIC Rapid, DPWG Normal
    r = phenoconvert(rm, ["esomeprazole"], kb)
    assert (r.phenotype, r.dpwg_phenotype) == ("Normal Metabolizer", "Intermediate Metabolizer")
    likely = phenoconvert(pheno(kb, "CYP2C19", "*2", "*9"), ["omeprazole"], kb)
    assert likely.phenoconversion is not None
    assert likely.phenoconversion.genotype_phenotype == "Likely Poor Metabolizer"
    assert likely.phenotype == "Likely Poor Metabolizer"


def test_unrelated_drugs_and_genes_are_untouched(kb: KnowledgeBase) -> None:
    nm = pheno(kb, "CYP2D6", "*1", "*1")
    assert phenoconvert(nm, ["metformin"], kb) is nm
    assert phenoconvert(nm, [], kb) is nm
    c9 = pheno(kb, "CYP2C9", "*1", "*1")
    assert phenoconvert(c9, ["paroxetine"], kb) is c9
    c19 = pheno(kb, "CYP2C19", "*1", "*1")
    assert phenoconvert(c19, ["paroxetine"], kb) is c19  # a CYP2D6, not CYP2C19, inhibitor


def test_phenoconverted_result_round_trips(kb: KnowledgeBase) -> None:
    r = phenoconvert(pheno(kb, "CYP2D6", "*1", "*41"), ["mirabegron", "sertraline"], kb)
    assert GenePhenotype.from_json(json.loads(json.dumps(r.to_json()))) == r


def test_scores_stay_exact() -> None:
    score = parse_score("2.25")
    assert score is not None and score.times(Decimal("0.5")).value == Decimal("1.125")
