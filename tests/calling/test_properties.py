"""Properties every call must have, checked on generated genotypes (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tailormed.calling.compiled import compile_gene
from tailormed.calling.matcher import block_labels, match_genotype
from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.vcf.models import MISSING

KB = load_kb()
GENES = ("CYP2C19", "CYP2C9", "TPMT", "NUDT15", "SLCO1B1", "CYP3A5", "UGT1A1", "CYP2B6")
COMPILED = {g: compile_gene(KB.gene(g)) for g in GENES}


@st.composite
def haplotype_pair(draw: st.DrawFn) -> tuple[str, np.ndarray]:
    """Two haplotypes built from named alleles of a gene, plus a few stray alleles."""
    gene = draw(st.sampled_from(GENES))
    cg = COMPILED[gene]
    codes = np.zeros((2, len(cg.match_index)), dtype=np.int8)
    for h in (0, 1):
        a = draw(st.integers(0, len(cg.alleles) - 1))
        for j in range(len(cg.match_index)):
            mask = int(cg.allowed[a, j])
            # a defined position takes one of the allele's accepted alleles; others stay REF
            accepted = [k for k in range(8) if mask >> k & 1]
            codes[h, j] = draw(st.sampled_from(accepted)) if accepted else 0
    return gene, codes


def _result(
    gene: str, codes: np.ndarray, phased: bool
) -> tuple[set[frozenset[tuple[str, int]]], set[str]]:
    cg = COMPILED[gene]
    c3 = codes[None, :, :]
    flags = np.full((1, codes.shape[1]), phased)
    labels = block_labels(c3, flags, np.zeros_like(flags, dtype=np.int64))[0]
    result = match_genotype(cg, codes, labels)
    out = set()
    for pair in result.pairs:
        names = [cg.alleles[a].name for a in pair]
        out.add(frozenset((n, names.count(n)) for n in names))
    return out, {cg.alleles[a].name for a in result.possible}


def _call(gene: str, codes: np.ndarray, phased: bool) -> set[frozenset[tuple[str, int]]]:
    return _result(gene, codes, phased)[0]


def _confident(result: tuple[set[frozenset[tuple[str, int]]], set[str]]) -> bool:
    diplotypes, possible = result
    return len(diplotypes) == 1 and not possible


@settings(max_examples=150, deadline=None)
@given(haplotype_pair())
def test_swapping_phased_haplotypes_gives_the_same_diplotypes(case: tuple[str, np.ndarray]) -> None:
    gene, codes = case
    assert _call(gene, codes, True) == _call(gene, codes[::-1].copy(), True)


@settings(max_examples=150, deadline=None)
@given(haplotype_pair(), st.data())
def test_removing_a_position_never_makes_a_call_more_certain(
    case: tuple[str, np.ndarray], data: st.DataObject
) -> None:
    gene, codes = case
    full = _result(gene, codes, True)
    j = data.draw(st.integers(0, codes.shape[1] - 1))
    reduced_codes = codes.copy()
    reduced_codes[:, j] = MISSING
    reduced = _result(gene, reduced_codes, True)
    # confident = one diplotype and no allele left unexcluded by a missing position
    if not _confident(full):
        assert not _confident(reduced)
    if _confident(reduced):
        assert reduced[0] == full[0]


@settings(max_examples=100, deadline=None)
@given(haplotype_pair())
def test_unphased_call_includes_the_phased_call(case: tuple[str, np.ndarray]) -> None:
    gene, codes = case
    cg = COMPILED[gene]
    labels_p = np.zeros(codes.shape[1], dtype=np.int64)
    het = codes[0] != codes[1]
    labels_p[het] = 1
    labels_u = np.where(het, -(np.arange(codes.shape[1]) + 1), 0)
    phased = match_genotype(cg, codes, labels_p)
    unphased = match_genotype(cg, codes, labels_u)
    # every diplotype that fits the phased data fits the unphased data too, so losing
    # phase never loses the call: the best unphased score is at least the phased one, and
    # at an equal score the phased diplotypes are all still there
    if phased.pairs:
        assert unphased.score >= phased.score
        if unphased.score == phased.score:
            assert {tuple(sorted(p)) for p in phased.pairs} <= {
                tuple(sorted(p)) for p in unphased.pairs
            }


def test_reference_sample_gets_the_reference_diplotype(kb: KnowledgeBase) -> None:
    for gene in kb.vcf_callable_genes:
        cg = compile_gene(kb.gene(gene))
        codes = np.zeros((2, len(cg.match_index)), dtype=np.int8)
        labels = np.zeros(len(cg.match_index), dtype=np.int64)
        result = match_genotype(cg, codes, labels)
        ref = kb.gene(gene).reference_allele.name
        names = {tuple(cg.alleles[a].name for a in pair) for pair in result.pairs}
        assert names == {(ref, ref)}, (gene, names)
