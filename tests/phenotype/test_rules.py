"""No Result / Indeterminate / n/a rules, ties, uncertain alleles, DPWG answers, JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import AlleleFunction, DiplotypePhenotype, GenePhenotypes
from tailormed.phenotype import (
    INDETERMINATE,
    NO_RESULT,
    NOT_AVAILABLE,
    GenePhenotype,
    interpret,
    interpret_all,
)


def call(gene: str, *diplotypes: tuple[str, ...], **kw: Any) -> GeneCall:
    return GeneCall("S1", gene, tuple(Diplotype.of(*d) for d in diplotypes), False, **kw)


# ------------------------------------------------------------------ no call / no map
def test_no_call_is_no_result_the_key_guidelines_use(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", warnings=("3 required positions missing",)), kb)
    assert (r.phenotype, r.lookup_keys, r.activity_score) == (NO_RESULT, (NO_RESULT,), None)
    assert r.reason == "3 required positions missing"
    # CPIC keys multi-gene advice on "No Result" for an untested gene (e.g. CYP2C19 +
    # CYP2D6 for amitriptyline), so the key must select those recommendations.
    recs = kb.recommendations(
        drug="amitriptyline", source="CPIC", lookup={"CYP2C19": NO_RESULT, "CYP2D6": "1.0"}
    )
    assert recs


def test_gene_without_phenotype_map_is_not_available(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP4F2", ("*1", "*1")), kb)
    assert (r.phenotype, r.lookup_keys) == (NOT_AVAILABLE, (NOT_AVAILABLE,))
    assert "no phenotype map for CYP4F2" in (r.reason or "")


def test_empty_table_is_not_available_as_pharmcat_reports_ifnl3(kb: KnowledgeBase) -> None:
    ref = "rs12979860 reference (C)"
    r = interpret(call("IFNL3", (ref, ref)), kb)
    assert (r.phenotype, r.lookup_keys) == (NOT_AVAILABLE, (NOT_AVAILABLE,))
    assert r.alleles[0].function == "Favorable response allele"


# ---------------------------------------------------------------- Indeterminate rules
def test_allele_missing_from_map_is_indeterminate_never_a_guess(kb: KnowledgeBase) -> None:
    # PharmCAT Cyp2d6Test.testCyp2d6AlleleWithNoFunction: *1/*XXX → Indeterminate.
    r = interpret(call("CYP2D6", ("*1", "*XXX")), kb)
    assert (r.phenotype, r.activity_score, r.lookup_keys) == (INDETERMINATE, "n/a", ("n/a",))
    assert "*XXX has no function" in (r.reason or "")


def test_indeterminate_key_is_the_tables_own(kb: KnowledgeBase) -> None:
    # TPMT's table keys its Indeterminate rows "Indeterminate" (CPIC has advice for it).
    r = interpret(call("TPMT", ("*1", "g.18143724C>T")), kb)
    assert (r.phenotype, r.lookup_keys) == (INDETERMINATE, (INDETERMINATE,))
    assert kb.recommendations(
        drug="azathioprine", lookup={"TPMT": INDETERMINATE, "NUDT15": "Normal Metabolizer"}
    )
    # DPYD's table has no Indeterminate rows: "n/a", as PharmCAT does for unlisted diplotypes.
    r = interpret(call("DPYD", ("Reference", "c.9999X>Y")), kb)
    assert (r.phenotype, r.lookup_keys, r.activity_score) == (INDETERMINATE, ("n/a",), "n/a")


def test_uncertain_function_diplotype_gets_the_tables_answer(kb: KnowledgeBase) -> None:
    table = kb.phenotypes("CYP2C19")
    uncertain = next(n for n, a in table.alleles.items() if a.function == "Uncertain function")
    r = interpret(call("CYP2C19", ("*1", uncertain)), kb)
    row = table.lookup("*1", uncertain)
    assert row is not None and r.phenotype == row.phenotype == INDETERMINATE
    assert "Uncertain function" in (r.reason or "")
    # ... and a "Possible" phenotype where CPIC gives one (TPMT *1/uncertain).
    tpmt = kb.phenotypes("TPMT")
    rows = [k for k, v in tpmt.diplotypes.items() if v.phenotype.startswith("Possible")]
    alleles = tuple(n for n, c in sorted(rows[0]) for _ in range(c))
    assert interpret(call("TPMT", alleles), kb).phenotype == "Possible Intermediate Metabolizer"


def test_tied_diplotypes_with_different_phenotypes_are_indeterminate(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*1", "*2"), ("*1", "*17")), kb)
    assert (r.phenotype, r.lookup_keys) == (INDETERMINATE, (INDETERMINATE,))
    assert "*1/*2 → Intermediate Metabolizer" in (r.reason or "")
    assert "*1/*17 → Rapid Metabolizer" in (r.reason or "")
    assert [a.diplotype for a in r.alternatives] == ["*1/*17"]
    assert r.diplotype == "*1/*2"


def test_tied_diplotypes_with_the_same_phenotype_keep_it_with_a_note(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*1", "*2"), ("*2", "*17")), kb)
    assert (r.phenotype, r.reason) == ("Intermediate Metabolizer", None)
    assert any("tied diplotypes" in n for n in r.notes)


def test_tied_activity_scores_must_agree_too(kb: KnowledgeBase) -> None:
    # Both Normal Metabolizer, but activity scores 2.0 and 1.5 are different lookup keys.
    r = interpret(call("CYP2D6", ("*1", "*1"), ("*1", "*9")), kb)
    assert r.phenotype == INDETERMINATE and r.lookup_keys == ("n/a",)


def test_uncertain_alleles_that_change_the_phenotype_make_it_indeterminate(
    kb: KnowledgeBase,
) -> None:
    r = interpret(call("CYP2C19", ("*1", "*1"), uncertain_alleles=("*2",)), kb)
    assert r.phenotype == INDETERMINATE
    assert "could not exclude *2" in (r.reason or "")
    assert {a.diplotype for a in r.alternatives} == {"*1/*2", "*2/*2"}


def test_uncertain_alleles_that_do_not_change_it_are_noted(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*1", "*1"), uncertain_alleles=("*38",)), kb)
    assert (r.phenotype, r.reason) == ("Normal Metabolizer", None)
    assert any("do not change the phenotype" in n for n in r.notes)


# ----------------------------------------------------------------- names and DPWG
def test_suballele_and_gene_prefix_names_are_read_as_the_core_allele(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2D6", ("CYP2D6*1", "*4.024")), kb)
    assert (r.phenotype, r.lookup_key) == ("Intermediate Metabolizer", "1.0")
    assert "CYP2D6 allele *4.024 read as *4" in r.notes


def test_dpyd_keys_in_cpic_and_dpwg_forms(kb: KnowledgeBase) -> None:
    r = interpret(call("DPYD", ("Reference", "c.1129-5923C>G, c.1236G>A (HapB3)")), kb)
    assert (r.phenotype, r.activity_score, r.lookup_key) == (
        "Intermediate Metabolizer",
        "1.5",
        "1.5",
    )
    assert r.dpwg_lookup_key == "1.5 (Intermediate Metabolizer)"
    assert kb.recommendations(drug="fluorouracil", source="CPIC", lookup={"DPYD": "1.5"})
    dpwg = {"DPYD": r.lookup_keys_for("DPWG")[0]}
    assert kb.recommendations(drug="fluorouracil", source="DPWG", lookup=dpwg)


def test_dpwg_fields_only_where_dpwg_differs(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C9", ("*1", "*3")), kb)
    assert (r.lookup_key, r.dpwg_lookup_key) == ("1.0", "Intermediate Metabolizer")
    assert r.allele_counts == {"*1": 1, "*3": 1}  # DPWG also keys CYP2C9 on these
    same = interpret(call("CYP3A4", ("*1", "*22")), kb)
    assert (same.dpwg_phenotype, same.dpwg_lookup_key) == (None, None)


def test_diplotype_missing_from_older_dpwg_map_keeps_the_cpic_result(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*38", "*38")), kb)
    assert r.phenotype == "Normal Metabolizer"
    assert (r.dpwg_phenotype, r.lookup_keys_for("DPWG")) == (None, ("Normal Metabolizer",))
    assert any("the CPIC result applies to DPWG" in n for n in r.notes)


# ------------------------------------------------------------------ plumbing
def test_json_round_trip(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*1", "*2"), ("*1", "*17")), kb)
    back = GenePhenotype.from_json(json.loads(json.dumps(r.to_json())))
    assert back == r


def test_kb_version_mismatch_is_noted(kb: KnowledgeBase) -> None:
    r = interpret(call("CYP2C19", ("*1", "*1"), kb_version="old"), kb)
    assert any("called with KB old" in n for n in r.notes)
    assert r.kb_version == kb.version


def test_interpret_all_applies_medications(kb: KnowledgeBase) -> None:
    results = interpret_all(
        [call("CYP2D6", ("*1", "*1")), call("CYP2C9", ("*1", "*1"))], kb, ["paroxetine"]
    )
    assert [r.phenotype for r in results] == ["Poor Metabolizer", "Normal Metabolizer"]


def test_mt_rnr1_once_the_kb_finds_its_table(kb: KnowledgeBase, shared: Path) -> None:
    """MT-RNR1 is haploid; checked against the source table through a KB that finds it."""
    raw = json.loads((shared / "pharmcat" / "phenotype" / "MT_RNR1.json").read_text())
    alleles = {
        a["name"]: AlleleFunction(a["name"], a.get("functionValue"), None, a.get("lookupKey"))
        for a in raw["namedAlleles"]
    }
    rows = {
        frozenset(d["diplotypekey"].items()): DiplotypePhenotype(
            d["diplotype"], d["generesult"], d.get("activityScore"), d["lookupkey"]
        )
        for d in raw["diplotypes"]
    }
    table = GenePhenotypes("MT-RNR1", "CPIC", raw["version"], alleles, rows)

    class FixedKB:
        def __getattr__(self, name: str) -> Any:
            return getattr(kb, name)

        def has_phenotypes(self, gene: str, source: str = "CPIC") -> bool:
            return (gene == "MT-RNR1" and source == "CPIC") or kb.has_phenotypes(gene, source)

        def phenotypes(self, gene: str, source: str = "CPIC") -> GenePhenotypes:
            return table if gene == "MT-RNR1" else kb.phenotypes(gene, source)

    fixed: Any = FixedKB()
    for d in raw["diplotypes"]:
        (name,) = d["diplotypekey"]
        r = interpret(GeneCall("S1", "MT-RNR1", (Diplotype((name,)),), True), fixed)
        assert (r.phenotype, r.lookup_key) == (d["generesult"], d["lookupkey"])
    # PharmCAT's example writes the allele without "m."; not in the table → no guess.
    r = interpret(
        GeneCall("S1", "MT-RNR1", (Diplotype(("1555A>G",)),), False, source="outside"), fixed
    )
    assert (r.phenotype, r.lookup_keys) == (INDETERMINATE, ("n/a",))


@pytest.mark.parametrize("gene", ["CYP2C19", "CYP2D6", "HLA-B", "MT-RNR1"])
def test_no_call_always_has_a_reason(kb: KnowledgeBase, gene: str) -> None:
    r = interpret(GeneCall("S1", gene, (), False), kb)
    assert r.phenotype == NO_RESULT and r.reason
