"""The KB's own phenotype tables are the oracle: every listed diplotype, fed as a call,
gets exactly that row's phenotype, activity score and lookup key (CPIC and DPWG)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.knowledge.models import GenePhenotypes
from tailormed.phenotype import INDETERMINATE, interpret
from tailormed.phenotype.activity import add_scores

_KB = load_kb()


def _genes(source: str) -> list[object]:
    params: list[object] = []
    for gene in _KB.phenotype_genes:
        if gene == "IFNL3":  # the table lists no diplotypes: nothing to check
            continue
        if source == "DPWG" and not _KB.has_phenotypes(gene, "DPWG"):
            continue
        params.append(gene)
    return params


def _rows(table: GenePhenotypes) -> Iterator[tuple[GeneCall, str, str, str | None, str]]:
    for key, row in table.diplotypes.items():
        alleles = tuple(name for name, n in sorted(key) for _ in range(n))
        call = GeneCall("oracle", table.gene, (Diplotype(alleles),), phased=False)
        yield call, row.diplotype, row.phenotype, row.activity_score, row.lookup_key


@pytest.mark.parametrize("gene", _genes("CPIC"))
def test_every_cpic_row_is_reproduced(kb: KnowledgeBase, gene: str) -> None:
    table = kb.phenotypes(gene)
    wrong = []
    for call, text, phenotype, score, key in _rows(table):
        r = interpret(call, kb)
        got = (r.phenotype, r.activity_score, r.lookup_keys)
        if got != (phenotype, score, (key,)):
            wrong.append(f"{text}: {got} != {(phenotype, score, (key,))}")
        elif (r.reason is not None) != (phenotype == INDETERMINATE):
            wrong.append(f"{text}: reason {r.reason!r} for {phenotype}")
    assert not wrong, f"{len(wrong)} of {len(table.diplotypes)} rows differ: {wrong[:10]}"


@pytest.mark.parametrize("gene", _genes("DPWG"))
def test_every_dpwg_row_is_reproduced(kb: KnowledgeBase, gene: str) -> None:
    table = kb.phenotypes(gene, "DPWG")
    wrong = []
    for call, text, phenotype, _score, key in _rows(table):
        r = interpret(call, kb)
        got = (r.dpwg_phenotype or r.phenotype, r.lookup_keys_for("DPWG"))
        if got != (phenotype, (key,)):
            wrong.append(f"{text}: {got} != {(phenotype, (key,))}")
    assert not wrong, f"{len(wrong)} of {len(table.diplotypes)} rows differ: {wrong[:10]}"


@pytest.mark.parametrize("gene", ["CYP2C9", "CYP2D6", "DPYD"])
def test_activity_score_is_the_sum_of_the_allele_values(kb: KnowledgeBase, gene: str) -> None:
    """CPIC's activity score is the sum of the two alleles' activity values (DPYD included);
    an allele without a value ("n/a", uncertain function) leaves the score "n/a"."""
    table = kb.phenotypes(gene)
    wrong = []
    for key, row in table.diplotypes.items():
        values = [table.alleles[name].activity_value for name, n in key for _ in range(n)]
        expected = add_scores(values) or "n/a"
        if row.activity_score != expected:
            wrong.append(f"{row.diplotype}: table {row.activity_score}, sum {expected}")
    assert not wrong, wrong[:10]


def test_allele_functions_come_from_the_map(kb: KnowledgeBase) -> None:
    call = GeneCall("S1", "CYP2D6", (Diplotype.of("*1", "*10"),), phased=False)
    r = interpret(call, kb)
    assert [(a.name, a.function, a.activity_value) for a in r.alleles] == [
        ("*1", "Normal function", "1.0"),
        ("*10", "Decreased function", "0.25"),
    ]
    assert (r.phenotype, r.activity_score, r.lookup_key) == ("Normal Metabolizer", "1.25", "1.25")


def test_haploid_calls_look_up_one_allele(kb: KnowledgeBase) -> None:
    male = GeneCall("S1", "G6PD", (Diplotype(("A- 202A_376G",)),), phased=True)
    r = interpret(male, kb)
    assert r.phenotype == "Deficient"
    assert r.lookup_key == r.phenotype
    female = GeneCall("S2", "G6PD", (Diplotype.of("B (reference)", "A- 202A_376G"),), False)
    assert interpret(female, kb).phenotype == "Variable"
