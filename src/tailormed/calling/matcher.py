"""Named-allele matching and diplotype scoring for one gene, all samples at once.

Semantics (PharmCAT's):

* a haplotype matches a named allele when every position the allele defines matches
  (wobble codes accept several alleles); positions it does not define accept anything;
* a position missing in the sample is removed from every definition: it can neither
  confirm nor exclude an allele, and alleles that define it are reported as "could not
  be excluded";
* an allele's score is the number of positions it defines that the sample has; a
  diplotype's score is the sum of its two alleles' scores; all top-scoring diplotypes
  are kept (ties are reported, never resolved silently);
* phase is used where present: genotypes are split into phase blocks (the phased sites of
  one phase set form a block; each unphased heterozygous site is its own block), and a
  diplotype fits when every block can be oriented to fit it.

Samples with identical genotypes are matched once (population data has few distinct
genotypes per gene), so the cost grows with the number of distinct genotypes, not samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tailormed.calling.compiled import CompiledGene
from tailormed.vcf.models import ABSENT_HAPLOTYPE, MISSING

ALL_BITS = np.int32(0x7FFFFFFF)


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Top-scoring diplotypes for one distinct genotype.

    ``pairs`` are allele-index pairs into ``CompiledGene.alleles`` (``(a,)`` when haploid);
    ``possible`` are indices of alleles consistent with the genotype that define a
    missing position (not confirmed, not excluded).
    """

    pairs: tuple[tuple[int, ...], ...]
    score: int
    possible: tuple[int, ...]
    missing: tuple[int, ...]  # matching-position indices missing in this genotype
    phased: bool


def allele_bits(codes: npt.NDArray[np.int8]) -> npt.NDArray[np.int32]:
    """Bit of each observed allele; missing = every bit (wildcard); unknown allele = 0."""
    safe = np.clip(codes.astype(np.int32), 0, 30)
    bits = np.where(codes >= 0, np.left_shift(np.int32(1), safe), np.int32(0))
    return np.where(codes == MISSING, ALL_BITS, bits).astype(np.int32)


def block_labels(
    codes: npt.NDArray[np.int8], phased: npt.NDArray[np.bool_], phase_set: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Phase block of each position per sample: 0 = homozygous/absent (no orientation).

    ``codes`` (S, 2, P); returns (S, P). Phased heterozygous sites get their phase set
    (sites without PS share set 1); unphased heterozygous sites get a block of their own.
    """
    s, _, p = codes.shape
    h0, h1 = codes[:, 0, :], codes[:, 1, :]
    het = (h0 != h1) & (h0 != MISSING) & (h1 != MISSING) & (h1 != ABSENT_HAPLOTYPE)
    own = np.broadcast_to(-(np.arange(p, dtype=np.int64) + 1), (s, p))
    labels = np.where(phased, np.where(phase_set > 0, phase_set, 1), own)
    return np.where(het, labels, 0)


def match_genotype(
    cg: CompiledGene, codes: npt.NDArray[np.int8], labels: npt.NDArray[np.int64]
) -> MatchResult:
    """Match one genotype: ``codes`` (2, P) over matching positions, ``labels`` (P,)."""
    allowed = cg.allowed
    defined = allowed != 0
    haploid = bool(np.all(codes[1] == ABSENT_HAPLOTYPE))
    missing_pos = codes[0] == MISSING
    if not haploid:
        missing_pos |= codes[1] == MISSING
    b0 = allele_bits(codes[0])
    m0 = ~defined | ((allowed & b0) != 0)  # (A, P): allele fits haplotype 0 at p
    present_defined = defined & ~missing_pos
    scores = present_defined.sum(axis=1)
    possible_mask = (defined & missing_pos).any(axis=1)
    missing = tuple(int(i) for i in np.flatnonzero(missing_pos))
    if haploid:
        fits = m0.all(axis=1)
        # "possible": defines a missing position and is not contradicted elsewhere, even
        # when nothing it defines was observed (score 0): it can't be excluded.
        possible = tuple(int(a) for a in np.flatnonzero(fits & possible_mask))
        cand = np.flatnonzero(fits & (scores > 0))
        if cand.size == 0:
            return MatchResult((), 0, possible, missing, True)
        best = scores[cand].max()
        singles = tuple((int(a),) for a in cand[scores[cand] == best])
        return MatchResult(singles, int(best), possible, missing, True)

    b1 = allele_bits(codes[1])
    m1 = ~defined | ((allowed & b1) != 0)
    possible = tuple(int(a) for a in np.flatnonzero((m0 | m1).all(axis=1) & possible_mask))
    # An allele can be part of a fitting diplotype only if it fits one of the two
    # haplotypes at every position.
    cand = np.flatnonzero((m0 | m1).all(axis=1) & (scores > 0))
    if cand.size == 0:
        return MatchResult((), 0, possible, missing, _is_phased(labels))
    c0, c1 = m0[cand], m1[cand]  # (C, P)
    # direct[a, b, p]: a on haplotype 0 and b on haplotype 1 at p; swapped: the reverse.
    direct = c0[:, None, :] & c1[None, :, :]
    swapped = c1[:, None, :] & c0[None, :, :]
    ok = np.ones((cand.size, cand.size), dtype=bool)
    for block in np.unique(labels):
        cols = labels == block
        d = direct[:, :, cols].all(axis=2)
        if block == 0:  # homozygous sites: orientation irrelevant, direct == swapped
            ok &= d
        else:
            ok &= d | swapped[:, :, cols].all(axis=2)
    pair_scores = scores[cand][:, None] + scores[cand][None, :]
    pair_scores = np.where(ok, pair_scores, -1)
    upper = np.triu(np.ones_like(ok))  # unordered pairs: keep a <= b
    pair_scores = np.where(upper, pair_scores, -1)
    best = int(pair_scores.max())
    if best < 0:
        return MatchResult((), 0, possible, missing, _is_phased(labels))
    ii, jj = np.nonzero(pair_scores == best)
    top: tuple[tuple[int, ...], ...] = tuple(
        (int(cand[i]), int(cand[j])) for i, j in zip(ii, jj, strict=True)
    )
    return MatchResult(top, best, possible, missing, _is_phased(labels))


def _is_phased(labels: npt.NDArray[np.int64]) -> bool:
    """Fully phased: at most one orientation block (one phase set, or none needed)."""
    blocks = np.unique(labels[labels != 0])
    return blocks.size <= 1


def distinct_genotypes(
    codes: npt.NDArray[np.int8], labels: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices of one representative sample per distinct genotype, and each sample's group.

    Returns ``(representatives, inverse)`` so that sample ``s`` has the genotype of
    ``representatives[inverse[s]]``.
    """
    s = codes.shape[0]
    # Normalise labels to "same/different block" so equal genotypes with different PS
    # numbers dedupe; orientation blocks are renumbered in order of first appearance.
    norm = np.zeros_like(labels)
    uniq_labels = labels.copy()
    if uniq_labels.size:
        # renumber per row: rank of each label among the row's distinct labels
        order = np.argsort(uniq_labels, axis=1, kind="stable")
        sorted_labels = np.take_along_axis(uniq_labels, order, axis=1)
        new = np.concatenate(
            [np.zeros((s, 1), dtype=bool), sorted_labels[:, 1:] != sorted_labels[:, :-1]], axis=1
        ).cumsum(axis=1)
        np.put_along_axis(norm, order, new, axis=1)
        norm = np.where(labels == 0, -1, norm)
    key = np.concatenate([codes.reshape(s, -1).astype(np.int64), norm.astype(np.int64)], axis=1)
    _, reps, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return reps.astype(np.int64), inverse.reshape(-1).astype(np.int64)
