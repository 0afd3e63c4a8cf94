"""Explain a disease's score: which annotation each observed term matched, and how.

The explanation re-applies the rules of :class:`~tailormed.rare.model.PhenotypeModel` to one
disease's own annotations, so the best match it names is the one behind the score:
``exact`` (the disease is annotated with the term), ``annotation more specific`` (with a
descendant of it), ``annotation more general`` (with an ancestor of it), ``related`` (a
feature sharing an ancestor below the organ-system level). Excluded terms that count against
the disease are listed with the annotation they contradict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from tailormed.rare.model import PhenotypeModel
from tailormed.rare.models import Case, ExcludedEvidence, MatchKind, TermMatch


@dataclass(frozen=True, slots=True)
class _DiseaseAnnotations:
    """One disease's positive annotations: (term, frequency used, row, ancestors of term)."""

    rows: tuple[tuple[int, float, int, frozenset[int]], ...]
    direct: dict[int, tuple[float, int]]
    negated: frozenset[int]


class Explainer:
    """Per-disease explanations for one model (annotation rows grouped by disease)."""

    def __init__(self, model: PhenotypeModel) -> None:
        self.model = model
        order = np.argsort(model.ann_disease, kind="stable")
        self.order = order
        self.ptr = np.searchsorted(model.ann_disease[order], np.arange(model.n + 1))
        self.background: list[float] = model.background.tolist()
        self.eligible: list[bool] = model.eligible.tolist()
        self.ic: list[float] = model.ic.tolist()
        negated: dict[int, set[int]] = {}
        neg = model.negated
        for t in np.flatnonzero(np.diff(neg.ptr)):
            for d in neg.row(int(t))[0]:
                negated.setdefault(int(d), set()).add(int(t))
        self.negated = {d: frozenset(ts) for d, ts in negated.items()}
        self.ancestors = lru_cache(maxsize=65536)(self._ancestors)
        self.disease = lru_cache(maxsize=4096)(self._disease)

    def _ancestors(self, term: int) -> frozenset[int]:
        return frozenset(int(a) for a in self.model.kb.ontology.ancestors(term))

    def _disease(self, disease: int) -> _DiseaseAnnotations:
        m = self.model
        rows = self.order[self.ptr[disease] : self.ptr[disease + 1]]
        items = tuple(
            (int(m.ann_term[r]), float(m.ann_freq[r]), int(r), self.ancestors(int(m.ann_term[r])))
            for r in rows
        )
        direct: dict[int, tuple[float, int]] = {}
        for t, f, r, _ in items:
            if t not in direct or f > direct[t][0]:
                direct[t] = (f, r)
        return _DiseaseAnnotations(items, direct, self.negated.get(disease, frozenset()))

    def _freq_text(self, row: int, freq: float) -> str:
        text = self.model.kb.annotations.text[int(self.model.ann_row[row])]
        return text or f"not given (taken as {freq:.2f})"

    def _best(
        self, q: int, ann: _DiseaseAnnotations, method: str
    ) -> tuple[float, MatchKind, int, float, int] | None:
        m = self.model
        p = m.params
        anc_q = self.ancestors(q)
        best: tuple[float, MatchKind, int, float, int] | None = None
        bg_q = self.background[q]
        for t, f, r, anc_t in ann.rows:
            if q in anc_t:
                kind: MatchKind = "exact" if t == q else "annotation more specific"
                if best is None or f / bg_q > best[0]:
                    best = (f / bg_q, kind, t, f, r)
        if method == "ic":
            return best
        for a in anc_q:
            if a != q and self.eligible[a] and a in ann.direct:
                f, r = ann.direct[a]
                value = p.general * f / self.background[a]
                if best is None or value > best[0]:
                    best = (value, "annotation more general", a, f, r)
        if p.related > 0:
            for t, f, r, anc_t in ann.rows:
                shared = [a for a in anc_q & anc_t if self.eligible[a]]
                if shared:
                    value = p.related * f / min(self.background[a] for a in shared)
                    if best is None or value > best[0]:
                        best = (value, "related", t, f, r)
        return best

    def explain(
        self,
        case: Case,
        disease: int,
        method: str = "lr",
        matched: Sequence[bool] | None = None,
        against_mask: Sequence[bool] | None = None,
    ) -> tuple[tuple[TermMatch, ...], tuple[ExcludedEvidence, ...]]:
        """Best match of every observed term to ``disease`` (local index), and excluded terms
        counting against it. Contributions are log10 LR (``lr``) or IC in nats (``ic``).
        ``matched`` (per observed term) and ``against_mask`` (per excluded term) skip terms
        known not to count."""
        m = self.model
        ont = m.kb.ontology
        p = m.params
        eta, keep = p.noise, 1.0 - p.noise
        ann = self.disease(disease)
        matches: list[TermMatch] = []
        for k, term in enumerate(case.observed):
            if matched is not None and not matched[k]:
                continue
            q = term.index
            if ann.negated & self.ancestors(q):
                continue  # the disease is annotated NOT to have this feature
            best = self._best(q, ann, method)
            if best is None:
                continue
            value, kind, t, f, r = best
            contribution = self.ic[q] if method == "ic" else math.log10(eta + keep * value)
            if contribution <= 0:
                continue
            matches.append(
                TermMatch(
                    observed=term.term_id,
                    annotation=ont.term_id(t),
                    annotation_label=ont.label(t),
                    kind=kind,
                    frequency=self._freq_text(r, f),
                    log10_lr=round(contribution, 4),
                )
            )
        against: list[ExcludedEvidence] = []
        if method != "ic":
            for k, term in enumerate(case.excluded):
                if against_mask is not None and not against_mask[k]:
                    continue
                x = term.index
                worst: tuple[float, int, int] | None = None
                for t, f, r, anc_t in ann.rows:
                    strong = f >= p.excluded_threshold and x in anc_t
                    if strong and (worst is None or f > worst[0]):
                        worst = (f, t, r)
                if worst is None:
                    continue
                f, t, r = worst
                against.append(
                    ExcludedEvidence(
                        excluded=term.term_id,
                        annotation=ont.term_id(t),
                        frequency=self._freq_text(r, f),
                        log10_lr=round(math.log10(1.0 - keep * f), 4),
                    )
                )
        return tuple(matches), tuple(against)
