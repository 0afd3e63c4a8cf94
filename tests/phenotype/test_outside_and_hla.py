"""Outside calls with phenotype / activity score, and HLA allele-presence keys."""

from __future__ import annotations

from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import INDETERMINATE, NO_RESULT, interpret
from tailormed.phenotype.hla import guideline_alleles


def outside(gene: str, diplotype: str | None = None, **kw: Any) -> GeneCall:
    dips = (Diplotype(tuple(diplotype.split("/"))),) if diplotype else ()
    return GeneCall("S1", gene, dips, False, source="outside", **kw)


# ---------------------------------------------------------------------------- HLA
def test_hla_alleles_come_from_the_guideline_keys(kb: KnowledgeBase) -> None:
    singles, combined = guideline_alleles(kb, "HLA-B")
    assert {"*15:02", "*57:01", "*58:01"} <= set(singles)
    assert ("1511 and 1502" in {k for _, k in combined}) == ("*15:11" in singles)
    assert guideline_alleles(kb, "HLA-A")[0] == ("*31:01",)


def test_hla_b_5701_positive(kb: KnowledgeBase) -> None:
    r = interpret(outside("HLA-B", "*57:01/*08:01"), kb)
    assert "*57:01 positive" in r.lookup_keys
    assert {"*58:01 negative", "*15:02 negative"} <= set(r.lookup_keys)
    assert r.reason is None
    recs = kb.recommendations(drug="abacavir", source="CPIC", lookup={"HLA-B": "*57:01 positive"})
    assert recs and "abacavir" in recs[0].text.lower()


@pytest.mark.parametrize(
    "typed",
    ["HLA-B*57:01:01/HLA-B*44:02", "B*57:01/B*44:02:01:03", "*57:01:01:02/*44:02"],
)
def test_hla_resolution_and_prefixes(kb: KnowledgeBase, typed: str) -> None:
    r = interpret(outside("HLA-B", typed), kb)
    assert "*57:01 positive" in r.lookup_keys and "*58:01 negative" in r.lookup_keys


def test_hla_a_3101(kb: KnowledgeBase) -> None:
    assert interpret(outside("HLA-A", "*31:01/*02:01"), kb).lookup_keys == ("*31:01 positive",)
    assert interpret(outside("HLA-A", "*24:02/*02:01"), kb).lookup_keys == ("*31:01 negative",)


def test_hla_dpwg_combined_key(kb: KnowledgeBase) -> None:
    r = interpret(outside("HLA-B", "*15:02/*15:11"), kb)
    assert {"*15:02 positive", "*15:11 positive", "1511 and 1502"} <= set(r.lookup_keys)


def test_one_field_typing_cannot_rule_an_allele_out(kb: KnowledgeBase) -> None:
    r = interpret(outside("HLA-B", "*57/*44:02"), kb)
    assert not any(k.startswith("*57:01") for k in r.lookup_keys)
    assert "*58:01 negative" in r.lookup_keys  # *57 cannot be *58:01
    assert "*57:01" in (r.reason or "")


def test_single_typed_allele_only_shows_presence(kb: KnowledgeBase) -> None:
    # PharmCAT (PipelineTest.testSingleHlabAllele) also reports the other alleles as
    # negative; one typed allele cannot show that, so Tailormed leaves them undetermined.
    r = interpret(outside("HLA-B", "*15:02"), kb)
    assert "*15:02 positive" in r.lookup_keys
    assert not any(k.startswith("*57:01") for k in r.lookup_keys)
    assert r.reason


def test_hla_outside_keys_given_directly(kb: KnowledgeBase) -> None:
    r = interpret(outside("HLA-B", phenotype="HLA-B*57:01 Positive"), kb)
    assert r.lookup_keys == ("*57:01 positive",)


def test_hla_without_typing_is_no_result(kb: KnowledgeBase) -> None:
    r = interpret(GeneCall("S1", "HLA-A", (), False), kb)
    assert (r.phenotype, r.lookup_keys) == (NO_RESULT, (NO_RESULT,))


def test_hla_ties_that_disagree_leave_the_allele_undetermined(kb: KnowledgeBase) -> None:
    c = GeneCall(
        "S1", "HLA-B", (Diplotype(("*57:01", "*44:02")), Diplotype(("*57:03", "*44:02"))), False
    )
    r = interpret(c, kb)
    assert not any(k.startswith("*57:01") for k in r.lookup_keys)
    assert "*58:01 negative" in r.lookup_keys


# --------------------------------------------------------------- outside phenotypes
def test_outside_activity_score_gives_the_key_and_the_tables_phenotype(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2D6", activity_score="1.25"), kb)
    assert (r.phenotype, r.activity_score, r.lookup_keys) == (
        "Normal Metabolizer",
        "1.25",
        ("1.25",),
    )
    assert interpret(outside("CYP2D6", activity_score="1"), kb).lookup_keys == ("1.0",)
    assert interpret(outside("CYP2D6", activity_score=">=3"), kb).lookup_keys == ("≥3.0",)


def test_outside_phenotype_only_for_an_activity_gene_gives_every_score(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2D6", phenotype="IM"), kb)
    assert r.phenotype == "Intermediate Metabolizer"
    assert r.lookup_keys == ("0.25", "0.5", "0.75", "1.0")
    assert r.activity_score is None


def test_outside_phenotype_wins_over_the_diplotype_with_a_note(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2C19", "*1/*2", phenotype="poor metaboliser"), kb)
    assert (r.phenotype, r.lookup_keys) == ("Poor Metabolizer", ("Poor Metabolizer",))
    assert any("*1/*2 → Intermediate Metabolizer" in n for n in r.notes)
    assert r.alleles[1].function == "No function"


def test_outside_score_and_phenotype_disagreeing_is_noted(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2D6", activity_score="0.0", phenotype="Normal Metabolizer"), kb)
    assert (r.phenotype, r.lookup_keys) == ("Normal Metabolizer", ("0.0",))
    assert any("gives Poor Metabolizer for activity score 0.0" in n for n in r.notes)


def test_outside_diplotype_only_uses_the_table(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2D6", "*1/*3"), kb)
    assert (r.phenotype, r.activity_score, r.lookup_key) == (
        "Intermediate Metabolizer",
        "1.0",
        "1.0",
    )


def test_outside_garbage_score_is_indeterminate(kb: KnowledgeBase) -> None:
    r = interpret(outside("CYP2D6", activity_score="high"), kb)
    assert r.phenotype == INDETERMINATE and "not a number" in (r.reason or "")
