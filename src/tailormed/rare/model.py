"""Phenotype likelihood-ratio model (LIRICAL-style) and the information-content baselines.

For one disease set (OMIM or ORPHA) the model precomputes, from the HPO annotations:

- ``M[a, d]``: the probability that disease ``d`` shows a feature at or below term ``a``,
  i.e. the largest annotation frequency among ``a`` and its descendants annotated to ``d``
  (a sparse matrix in CSR form by term; an annotation without a frequency counts as
  :attr:`ModelParams.unknown_frequency`);
- ``bg[a]``: the background probability of ``a``, the mean of ``M[a, ·]`` over all diseases
  of the set (with a pseudo-count, so no term has probability zero);
- the direct annotations by term, and the ``NOT`` annotations by term.

An observed term ``q`` gets, for every disease ``d``, a likelihood ratio
``LR(q | d) = P(q | d) / P(q | not d)``, the best of:

1. ``M[q, d] / bg[q]`` — ``d`` is annotated with ``q`` or a more specific term (exact or
   implied match);
2. ``f(a, d) / bg[a]`` for a strict ancestor ``a`` of ``q`` annotated directly to ``d`` —
   the patient's term is a more specific form of the disease's feature;
3. ``δ · M[a, d] / bg[a]`` for a strict ancestor ``a`` of ``q`` below the organ-system level
   — the disease has a related feature (a sibling or cousin of ``q``), discounted by ``δ``;

each mixed with the noise rate ``η`` (``η + (1 − η) · ratio``), so a term the disease does
not explain at all gets ``η`` (it counts against the disease), and a ``NOT`` annotation of
``q`` or an ancestor sets it to ``η`` too. An excluded term ``x`` gets ``1 − (1 − η) ·
M[x, d]`` when ``M[x, d]`` is at least :attr:`ModelParams.excluded_threshold` (a feature the
disease nearly always shows is absent), else 1: absences are recorded selectively, mostly
for features typical of the suspected diagnosis, so the absence of a variable feature is not
evidence against a disease (on the development set, penalising every excluded annotated
feature lowered top-1 accuracy by 5 points). The disease's phenotype score is
``Σ log10 LR`` (a uniform pre-test probability). This is the likelihood-ratio design of
LIRICAL (Robinson et al., AJHG 2020), re-derived here with our own term-matching rules.

The *information-content baseline* scores ``Σ IC(q)`` over observed terms ``q`` that ``d``
is annotated with (or with a descendant of), ``IC(a) = −ln(n_a / n)``; the Resnik best-match
variant (Phenomizer-style) scores ``Σ_q max_{a ⊇ q} IC(a)`` over ancestors ``a`` the disease
shares with ``q``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from tailormed.knowledge.rare import RareKnowledge
from tailormed.knowledge.rare.loader import PHENOTYPIC_ABNORMALITY, ROOT

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class ModelParams:
    """The model's global parameters (the same for every case; never tuned per case).

    ``unknown_frequency``: the frequency assumed for an annotation without one;
    ``noise``: ``η``, the probability that an observed term is unrelated to the disease;
    ``related``: ``δ``, the discount for a feature that only shares an ancestor with the
    observed term; ``general``: the weight of a disease feature more general than the
    observed term; ``pseudo``: the pseudo-count (in diseases) added to the background;
    ``shrink``: pseudo-patients pulling an ``n/m`` frequency towards ``unknown_frequency``
    (1/1 from a single case report is weak evidence of an obligate feature);
    ``excluded_threshold``: see :meth:`PhenotypeModel.excluded_lr`.
    """

    unknown_frequency: float = 0.5
    noise: float = 0.3
    related: float = 0.0
    general: float = 1.0
    pseudo: float = 0.5
    shrink: float = 3.0
    excluded_threshold: float = 0.8


@dataclass(frozen=True, slots=True)
class Csr:
    """Rows by term: ``cols[ptr[t]:ptr[t+1]]`` disease indices, ``vals`` the same slice."""

    ptr: IntArray
    cols: IntArray
    vals: FloatArray

    def row(self, t: int) -> tuple[IntArray, FloatArray]:
        a, b = int(self.ptr[t]), int(self.ptr[t + 1])
        return self.cols[a:b], self.vals[a:b]


def _csr(terms: IntArray, cols: IntArray, vals: FloatArray, n_terms: int, n_cols: int) -> Csr:
    """CSR by term; duplicate (term, col) entries keep their largest value."""
    key = terms.astype(np.int64) * n_cols + cols
    order = np.argsort(key, kind="stable")
    key = key[order]
    if len(key):
        starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
        vals = np.maximum.reduceat(vals[order], starts)
        key = key[starts]
    else:
        vals = vals[order]
    row = (key // n_cols).astype(np.int32)
    ptr = np.zeros(n_terms + 1, dtype=np.int32)
    ptr[1:] = np.cumsum(np.bincount(row, minlength=n_terms))
    return Csr(ptr, (key % n_cols).astype(np.int32), vals.astype(np.float64))


@dataclass(frozen=True, slots=True)
class PhenotypeModel:
    """The precomputed matrices for one disease set; see the module docstring."""

    kb: RareKnowledge
    db: str
    params: ModelParams
    diseases: IntArray  # local disease index -> knowledge disease index
    implied: Csr  # M
    direct: Csr
    negated: Csr
    background: FloatArray
    ic: FloatArray
    eligible: npt.NDArray[np.bool_]  # ancestors usable for a "related" match
    ann_disease: IntArray  # positive annotations used: local disease, term, frequency used
    ann_term: IntArray
    ann_freq: FloatArray
    ann_row: IntArray  # row in the knowledge's annotation table (for its frequency text)

    @property
    def n(self) -> int:
        return len(self.diseases)

    @classmethod
    def build(
        cls, kb: RareKnowledge, db: str = "OMIM", params: ModelParams | None = None
    ) -> PhenotypeModel:
        return _build(kb, db, params or ModelParams())

    def ancestors(self, term: int) -> IntArray:
        return self.kb.ontology.ancestors(term)

    def term_lr(self, q: int) -> FloatArray:
        """``LR(q | d)`` for every disease of the set (dense vector)."""
        p = self.params
        eta, keep = p.noise, 1.0 - p.noise
        v = np.full(self.n, eta)
        idx, val = self.implied.row(q)
        v[idx] = np.maximum(v[idx], eta + keep * val / self.background[q])
        for a in self.ancestors(q):
            a = int(a)
            if a == q or not self.eligible[a]:
                continue
            scale = keep / self.background[a]
            idx, val = self.direct.row(a)
            v[idx] = np.maximum(v[idx], eta + scale * p.general * val)
            if p.related <= 0:
                continue
            idx, val = self.implied.row(a)
            v[idx] = np.maximum(v[idx], eta + scale * p.related * val)
        for a in self.ancestors(q):
            idx, _ = self.negated.row(int(a))
            v[idx] = eta
        return v

    def excluded_lr(self, x: int) -> FloatArray:
        """``LR(not x | d)``: ``1 − (1 − η) M[x, d]`` where ``M[x, d] ≥`` the threshold, else 1."""
        keep = 1.0 - self.params.noise
        v = np.ones(self.n)
        idx, val = self.implied.row(x)
        strong = val >= self.params.excluded_threshold
        v[idx[strong]] = 1.0 - keep * val[strong]
        return v

    def term_matrix(self, observed: Sequence[int]) -> FloatArray:
        """``log10 LR(q | d)``: one row per observed term, one column per disease."""
        out = np.zeros((len(observed), self.n))
        for row, q in enumerate(observed):
            out[row] = np.log10(self.term_lr(q))
        return out

    def excluded_matrix(self, excluded: Sequence[int]) -> FloatArray:
        """``log10 LR(not x | d)``: one row per excluded term."""
        out = np.zeros((len(excluded), self.n))
        for row, x in enumerate(excluded):
            out[row] = np.log10(self.excluded_lr(x))
        return out

    def score(self, observed: Sequence[int], excluded: Sequence[int] = ()) -> FloatArray:
        """Phenotype score ``Σ log10 LR`` per disease."""
        total: FloatArray = self.term_matrix(observed).sum(axis=0)
        total += self.excluded_matrix(excluded).sum(axis=0)
        return total

    def ic_score(self, observed: Sequence[int]) -> FloatArray:
        """Baseline: ``Σ IC(q)`` over observed terms the disease is annotated with (or below)."""
        total = np.zeros(self.n)
        for q in observed:
            idx, _ = self.implied.row(q)
            total[idx] += self.ic[q]
        return total

    def resnik_score(self, observed: Sequence[int]) -> FloatArray:
        """Baseline: ``Σ_q`` IC of the most informative ancestor of ``q`` the disease has."""
        total = np.zeros(self.n)
        for q in observed:
            best = np.zeros(self.n)
            for a in self.ancestors(q):
                idx, _ = self.implied.row(int(a))
                best[idx] = np.maximum(best[idx], self.ic[int(a)])
            total += best
        return total


@cache
def _build(kb: RareKnowledge, db: str, params: ModelParams) -> PhenotypeModel:
    ont = kb.ontology
    n_terms = len(ont)
    ann = kb.annotations
    prefix = f"{db}:"
    in_db = np.fromiter((d.startswith(prefix) for d in kb.disease_ids), dtype=bool)
    rows = in_db[ann.disease]
    phen_root = ont.index(PHENOTYPIC_ABNORMALITY)
    owner = np.repeat(np.arange(n_terms), np.diff(ont.anc_ptr))
    under = np.zeros(n_terms, dtype=bool)
    under[owner[ont.anc_idx == phen_root]] = True
    rows &= under[ann.term]
    diseases = np.unique(ann.disease[rows]).astype(np.int32)
    local = np.full(len(kb.disease_ids), -1, dtype=np.int32)
    local[diseases] = np.arange(len(diseases), dtype=np.int32)
    pos = rows & ~ann.neg
    d_pos = local[ann.disease[pos]]
    t_pos = ann.term[pos]
    f_pos = np.where(ann.freq[pos] < 0, params.unknown_frequency, ann.freq[pos])
    m_pos = ann.patients[pos].astype(np.float64)
    counted = m_pos > 0
    f_pos[counted] = (
        f_pos[counted] * m_pos[counted] + params.shrink * params.unknown_frequency
    ) / (m_pos[counted] + params.shrink)
    n = len(diseases)
    direct = _csr(t_pos, d_pos, f_pos, n_terms, n)
    # propagate every positive annotation to all ancestors of its term
    ptr, anc = ont.anc_ptr, ont.anc_idx
    counts = ptr[t_pos + 1] - ptr[t_pos]
    starts = np.repeat(ptr[t_pos], counts)
    offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    implied = _csr(
        anc[starts + offsets], np.repeat(d_pos, counts), np.repeat(f_pos, counts), n_terms, n
    )
    neg = rows & ann.neg
    negated = _csr(ann.term[neg], local[ann.disease[neg]], np.ones(int(neg.sum())), n_terms, n)
    sums = np.add.reduceat(np.append(implied.vals, 0.0), implied.ptr[:-1])
    sums[implied.ptr[:-1] == implied.ptr[1:]] = 0.0
    background = (sums + params.pseudo) / (n + params.pseudo)
    n_with = np.diff(implied.ptr).astype(np.float64)
    ic = -np.log((n_with + params.pseudo) / (n + params.pseudo))
    eligible = under.copy()
    eligible[ont.index(ROOT)] = False
    eligible[phen_root] = False
    child_of = np.repeat(np.arange(n_terms), np.diff(ont.parent_ptr))
    eligible[child_of[ont.parent_idx == phen_root]] = False
    for a in (background, ic, eligible):
        a.setflags(write=False)
    return PhenotypeModel(
        kb=kb,
        db=db,
        params=params,
        diseases=diseases,
        implied=implied,
        direct=direct,
        negated=negated,
        background=background,
        ic=ic,
        eligible=eligible,
        ann_disease=d_pos,
        ann_term=t_pos,
        ann_freq=f_pos,
        ann_row=np.flatnonzero(pos).astype(np.int32),
    )
