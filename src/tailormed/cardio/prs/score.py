"""The scoring arithmetic: a pure function over one genotype block.

A block is ``samples x columns``: each column is one matched effect allele; ``dosage`` holds
its copies per sample (0 where the call is missing) and ``ploidy`` the alleles observed
(2 diploid, 1 haploid, 0 missing). ``weights`` is ``columns x scores`` (the effect weight
of each column in each score) and ``member`` marks which columns belong to which score
(a zero weight still counts as a scored variant, as in plink2). The sums are
``dosage @ weights`` — a matrix product — and ``allele_counts`` (plink2's ``ALLELE_CT``) is
``ploidy @ member`` (summed per score), so ``avg = sums / allele_counts`` is plink2's ``SCORE_AVG``.

With ``expected`` (mean imputation, only when asked for), a missing call contributes the
column's expected dosage instead of nothing; it adds no observed alleles.

The cohort engine calls :func:`score_block` per sample block and adds the results
(:meth:`BlockScores.add`); nothing here reads files or holds state.

>>> import numpy as np
>>> d = np.array([[1.0, 2.0], [1.0, 0.0]]); p = np.array([[2, 2], [2, 0]], dtype=np.int8)
>>> w = np.array([[0.5], [-1.0]]); m = np.ones((2, 1))
>>> r = score_block(d, p, w, m)
>>> r.sums[:, 0].tolist(), r.allele_counts[:, 0].tolist(), r.missing[:, 0].tolist()
([-1.5, 0.5], [4.0, 2.0], [0.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BlockScores:
    """Per sample and score: weighted sum, alleles observed, variants with a missing call."""

    sums: Float  # samples x scores
    allele_counts: Float  # samples x scores
    missing: Float  # samples x scores

    def add(self, other: BlockScores) -> BlockScores:
        return BlockScores(
            self.sums + other.sums,
            self.allele_counts + other.allele_counts,
            self.missing + other.missing,
        )

    @staticmethod
    def zeros(samples: int, scores: int) -> BlockScores:
        return BlockScores(
            np.zeros((samples, scores)), np.zeros((samples, scores)), np.zeros((samples, scores))
        )


def score_block(
    dosage: npt.NDArray[np.floating],
    ploidy: npt.NDArray[np.integer] | None,
    weights: Float,
    member: npt.NDArray[np.floating],
    *,
    expected: Float | None = None,
) -> BlockScores:
    """Scores of one ``samples x columns`` block (see the module text). ``ploidy`` may be
    ``None`` when every call of the block is diploid and present."""
    if ploidy is not None and dosage.shape != ploidy.shape:
        raise ValueError(f"dosage {dosage.shape} and ploidy {ploidy.shape} differ")
    if weights.shape[0] != dosage.shape[1] or member.shape != weights.shape:
        raise ValueError("weights/member must be columns x scores")
    d = np.asarray(dosage, dtype=np.float64)
    # (scores x columns) @ (columns x samples): fastest when the block is column-major
    sums = (weights.T @ d.T).T
    n, k = d.shape[0], weights.shape[1]
    counts = np.zeros((n, k))
    missing = np.zeros((n, k))
    for s in range(k):
        cols = member[:, s] > 0
        if not cols.any():
            continue
        if ploidy is None:
            counts[:, s] = 2.0 * int(cols.sum())
            continue
        part = ploidy if cols.all() else ploidy[:, cols]
        counts[:, s] = part.sum(axis=1, dtype=np.int64)
        missing[:, s] = (part == 0).sum(axis=1, dtype=np.int64)
    if expected is not None and ploidy is not None:
        sums = sums + (ploidy == 0).astype(np.float64) @ (expected[:, None] * weights)
    return BlockScores(sums=sums, allele_counts=counts, missing=missing)
