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
    """Diplotypes that fit one distinct genotype.

    ``pairs`` are the top-scoring allele-index pairs into ``CompiledGene.alleles`` (``(a,)``
    when haploid); ``ranked`` is every fitting pair with its score, best first.
    ``possible`` are indices of alleles consistent with the genotype that define a
    missing position (not confirmed, not excluded).
    """

    pairs: tuple[tuple[int, ...], ...]
    score: int
    possible: tuple[int, ...]
    missing: tuple[int, ...]  # matching-position indices missing in this genotype
    phased: bool
    ranked: tuple[tuple[tuple[int, ...], int], ...] = ()


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
    cg: CompiledGene,
    codes: npt.NDArray[np.int8],
    labels: npt.NDArray[np.int64],
    *,
    assume_reference: bool = True,
) -> MatchResult:
    """Match one genotype: ``codes`` (2, P) over matching positions, ``labels`` (P,).

    ``assume_reference`` (PharmCAT's standard path): a position an allele does not define
    must be the reference; otherwise it accepts anything (combination searches).
    Scores follow PharmCAT: defined positions present in the sample, less one for each
    wobble-coded position where the haplotype carries the reference allele.
    """
    defined = cg.allowed != 0
    allowed = cg.filled if assume_reference else cg.allowed
    haploid = bool(np.all(codes[1] == ABSENT_HAPLOTYPE))
    missing_pos = codes[0] == MISSING
    if not haploid:
        missing_pos |= codes[1] == MISSING
    present_defined = defined & ~missing_pos
    base = present_defined.sum(axis=1)
    keep = base > 0  # an allele all of whose positions are missing cannot be called
    possible_mask = (defined & missing_pos).any(axis=1)
    missing = tuple(int(i) for i in np.flatnonzero(missing_pos))
    wobble = cg.wobble & ~missing_pos

    b0 = allele_bits(codes[0])
    m0 = (allowed & b0) != 0  # (A, P): allele fits haplotype 0 at p (missing: all bits)
    pen0 = (wobble & (codes[0] == 0)).astype(np.int64)  # (A, P) wobble penalty on hap 0
    if haploid:
        fits = m0.all(axis=1)
        possible = tuple(int(a) for a in np.flatnonzero(fits & possible_mask))
        cand = np.flatnonzero(fits & keep)
        scores = base[cand] - pen0[cand].sum(axis=1)
        singles: list[tuple[tuple[int, ...], int]] = [
            ((int(a),), int(sc)) for a, sc in zip(cand, scores, strict=True)
        ]
        return _result(singles, possible, missing, True)

    b1 = allele_bits(codes[1])
    m1 = (allowed & b1) != 0
    pen1 = (wobble & (codes[1] == 0)).astype(np.int64)
    possible = tuple(int(a) for a in np.flatnonzero((m0 | m1).all(axis=1) & possible_mask))
    # An allele can be in a fitting diplotype only if it fits one haplotype at every position.
    cand = np.flatnonzero((m0 | m1).all(axis=1) & keep)
    phased = _is_phased(labels)
    if cand.size == 0:
        return _result([], possible, missing, phased)
    c0, c1 = m0[cand], m1[cand]  # (C, P)
    p0, p1 = pen0[cand], pen1[cand]
    n = cand.size
    ok = np.ones((n, n), dtype=bool)
    penalty = np.zeros((n, n), dtype=np.int64)
    for block in np.unique(labels):
        cols = labels == block
        # direct: a on haplotype 0 and b on haplotype 1 across the block; swapped: reverse
        d_ok = (c0[:, None, cols] & c1[None, :, cols]).all(axis=2)
        d_pen = p0[:, cols].sum(axis=1)[:, None] + p1[:, cols].sum(axis=1)[None, :]
        if block == 0:  # homozygous / missing sites: both orientations are the same
            ok &= d_ok
            penalty += d_pen
            continue
        s_ok = (c1[:, None, cols] & c0[None, :, cols]).all(axis=2)
        s_pen = p1[:, cols].sum(axis=1)[:, None] + p0[:, cols].sum(axis=1)[None, :]
        ok &= d_ok | s_ok
        big = np.int64(1 << 30)
        penalty += np.minimum(np.where(d_ok, d_pen, big), np.where(s_ok, s_pen, big))
    scores = base[cand][:, None] + base[cand][None, :] - penalty
    ii, jj = np.nonzero(ok & np.triu(np.ones((n, n), dtype=bool)))
    ranked: list[tuple[tuple[int, ...], int]] = [
        ((int(cand[i]), int(cand[j])), int(scores[i, j])) for i, j in zip(ii, jj, strict=True)
    ]
    return _result(ranked, possible, missing, phased)


def _result(
    ranked: list[tuple[tuple[int, ...], int]],
    possible: tuple[int, ...],
    missing: tuple[int, ...],
    phased: bool,
) -> MatchResult:
    ranked.sort(key=lambda x: -x[1])  # stable: equal scores keep index order
    if not ranked:
        return MatchResult((), 0, possible, missing, phased, ())
    best = ranked[0][1]
    top = tuple(pair for pair, sc in ranked if sc == best)
    return MatchResult(top, best, possible, missing, phased, tuple(ranked))


def _is_phased(labels: npt.NDArray[np.int64]) -> bool:
    """Fully phased: at most one orientation block (one phase set, or none needed)."""
    blocks = np.unique(labels[labels != 0])
    return blocks.size <= 1


def distinct_genotypes(
    codes: npt.NDArray[np.int8], labels: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices of one representative sample per distinct genotype, and each sample's group.

    Returns ``(representatives, inverse)`` so that sample ``s`` has the genotype of
    ``representatives[inverse[s]]``. Two samples are alike when their allele codes are
    equal and the same positions share orientation blocks (PS numbers may differ).
    """
    s = codes.shape[0]
    norm = labels
    if (labels > 1).any():  # phase-set numbers: renumber per row by first appearance
        norm = labels.copy()
        rows = np.flatnonzero((labels > 1).any(axis=1))
        for r in rows:
            _, first, inverse = np.unique(labels[r], return_index=True, return_inverse=True)
            rank = np.argsort(np.argsort(first))
            norm[r] = np.where(labels[r] > 1, 2 + rank[inverse], labels[r])
    width = codes.shape[1] * codes.shape[2]
    key = np.concatenate([codes.reshape(s, width).astype(np.int16), norm.astype(np.int16)], axis=1)
    key = np.ascontiguousarray(key)
    rows_as_bytes = key.view(np.dtype((np.void, key.dtype.itemsize * key.shape[1]))).ravel()
    _, reps, inverse = np.unique(rows_as_bytes, return_index=True, return_inverse=True)
    return reps.astype(np.int64), inverse.reshape(-1).astype(np.int64)
