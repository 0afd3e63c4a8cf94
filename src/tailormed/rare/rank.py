"""Rank gene–disease pairs for a case: phenotype score (+ genotype evidence), ties shared.

:class:`Ranker` holds the knowledge and the precomputed model for one disease set, and
ranks one :class:`~tailormed.rare.models.Case` at a time (no per-case state). Rows are
gene–disease pairs (a disease with several genes gives several rows, one without a gene a
row with an empty gene). Scores are rounded to 4 decimals; rows with equal rounded scores
are tied and share the average of the positions they span (e.g. 2.5). The top ``N`` rows by
rank are kept, with every row tied at the cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import numpy.typing as npt

from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.explain import Explainer
from tailormed.rare.genotype import GenotypeParams, genotype_evidence
from tailormed.rare.model import ModelParams, PhenotypeModel
from tailormed.rare.models import (
    Candidate,
    Case,
    ExcludedEvidence,
    GenotypeEvidence,
    Ranking,
    TermMatch,
    Variant,
)

Method = Literal["lr", "ic"]
METHODS: dict[str, str] = {
    "lr": "phenotype likelihood ratios (LIRICAL-style: annotation frequencies, excluded "
    "terms, background model)",
    "ic": "information-content baseline (sum of IC of observed terms the disease has)",
}
DEFAULT_PARAMS = ModelParams()
SCORE_DECIMALS = 4


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of every pair for one case, before cutting (for benchmarks and ranking)."""

    pair_score: npt.NDArray[np.float64]
    phenotype: npt.NDArray[np.float64]
    matched: npt.NDArray[np.bool_]  # observed term × disease
    against: npt.NDArray[np.bool_]  # excluded term × disease: counts against it
    order: npt.NDArray[np.int64]  # pair indices, best first
    rank: npt.NDArray[np.float64]  # rank of each position in ``order``
    genotype: Mapping[int, GenotypeEvidence]


class Ranker:
    """Ranks cases against one disease set (``OMIM`` or ``ORPHA``) with one method."""

    def __init__(
        self,
        kb: RareKnowledge,
        db: str = "OMIM",
        method: Method = "lr",
        params: ModelParams = DEFAULT_PARAMS,
        genotype_params: GenotypeParams | None = None,
    ) -> None:
        self.kb = kb
        self.db = db
        self.method: Method = method
        self.model = PhenotypeModel.build(kb, db, params)
        self.genotype_params = genotype_params or GenotypeParams()
        self.explainer = Explainer(self.model)
        pair_disease: list[int] = []
        pair_gene: list[str] = []
        for local, d in enumerate(self.model.diseases):
            genes = kb.genes_of(int(d)) or ("",)
            for g in sorted(genes):
                pair_disease.append(local)
                pair_gene.append(g)
        self.pair_disease = np.asarray(pair_disease, dtype=np.int64)
        self.pair_gene = tuple(pair_gene)
        # deterministic order among ties: disease id, then gene
        keys = sorted(
            range(len(pair_gene)),
            key=lambda i: (kb.disease_ids[int(self.model.diseases[pair_disease[i]])], pair_gene[i]),
        )
        self.tiebreak = np.empty(len(keys), dtype=np.int64)
        self.tiebreak[np.asarray(keys)] = np.arange(len(keys))
        self.pairs_of_gene: dict[str, list[int]] = {}
        for i, g in enumerate(pair_gene):
            if g:
                self.pairs_of_gene.setdefault(g, []).append(i)

    @property
    def description(self) -> str:
        return METHODS[self.method]

    def score(self, case: Case, variants: Mapping[str, Sequence[Variant]] | None = None) -> Scored:
        """Score every pair; ``variants`` (gene → candidate variants) adds genotype evidence."""
        obs = [t.index for t in case.observed]
        exc = [t.index for t in case.excluded]
        m = self.model
        if self.method == "ic":
            matrix = np.zeros((len(obs), m.n))
            for row, q in enumerate(obs):
                idx, _ = m.implied.row(q)
                matrix[row, idx] = m.ic[q]
            phenotype = matrix.sum(axis=0)
            matched = matrix > 0
            against = np.zeros((len(exc), m.n), dtype=bool)
        else:
            matrix = m.term_matrix(obs)
            excl = m.excluded_matrix(exc)
            phenotype = matrix.sum(axis=0) + excl.sum(axis=0)
            matched = matrix > 0
            against = excl < 0
        pair = phenotype[self.pair_disease].copy()
        genotype: dict[int, GenotypeEvidence] = {}
        if variants is not None:
            pair += np.log10(self.genotype_params.no_variant_lr)
            for gene, vs in variants.items():
                for i in self.pairs_of_gene.get(gene, ()):
                    d = int(m.diseases[self.pair_disease[i]])
                    modes = [self.kb.ontology.term_id(t) for t in self.kb.inheritance.get(d, ())]
                    ev = genotype_evidence(gene, modes, vs, case.sex, self.genotype_params)
                    genotype[i] = ev
                    pair[i] += ev.log10_lr - np.log10(self.genotype_params.no_variant_lr)
        rounded = np.round(pair, SCORE_DECIMALS)
        order = np.lexsort((self.tiebreak, -rounded))
        s = rounded[order]
        new = np.ones(len(s), dtype=bool)
        new[1:] = s[1:] != s[:-1]
        group = np.cumsum(new) - 1
        starts = np.flatnonzero(new)
        ends = np.append(starts[1:], len(s)) - 1
        rank = (starts[group] + ends[group]) / 2.0 + 1.0
        return Scored(rounded, phenotype, matched, against, order, rank, genotype)

    def rank(
        self,
        case: Case,
        variants: Mapping[str, Sequence[Variant]] | None = None,
        top: int = 50,
        variant_source: str | None = None,
        warnings: Sequence[str] = (),
    ) -> Ranking:
        """The ranking of one case: the top ``top`` rows (ties at the cut included)."""
        scored = self.score(case, variants)
        first_position = np.empty(len(scored.rank))
        # a row is kept when its tie group starts within the first ``top`` positions
        new = np.ones(len(scored.rank), dtype=bool)
        new[1:] = scored.rank[1:] != scored.rank[:-1]
        starts = np.flatnonzero(new)
        first_position[starts] = starts + 1
        first_position = np.maximum.accumulate(np.where(new, first_position, 0))
        keep = int(np.sum(first_position <= top))
        notes = list(warnings)
        if not case.observed:
            notes.append("no usable observed HPO term: every candidate ties")
        for ig in case.ignored:
            notes.append(f"ignored {ig.given}: {ig.reason}")
        for t in (*case.observed, *case.excluded):
            if t.note:
                notes.append(f"{t.note} (used {t.term_id} {t.label})")
        candidates: list[Candidate] = []
        obs = list(case.observed)
        explained: dict[int, tuple[tuple[TermMatch, ...], tuple[ExcludedEvidence, ...]]] = {}
        for pos in range(keep):
            i = int(scored.order[pos])
            local = int(self.pair_disease[i])
            d = int(self.model.diseases[local])
            mask = scored.matched[:, local]
            matched = tuple(obs[r].term_id for r in np.flatnonzero(mask))
            if local not in explained:
                explained[local] = self.explainer.explain(
                    case, local, self.method, mask.tolist(), scored.against[:, local].tolist()
                )
            matches, against = explained[local]
            candidates.append(
                Candidate(
                    rank=float(scored.rank[pos]),
                    gene=self.pair_gene[i],
                    disease_id=self.kb.disease_ids[d],
                    disease_name=self.kb.disease_names[d],
                    score=float(scored.pair_score[i]),
                    phenotype_score=round(float(scored.phenotype[local]), SCORE_DECIMALS),
                    matched_terms=matched,
                    matches=matches,
                    excluded_against=against,
                    genotype=scored.genotype.get(i)
                    or (
                        genotype_evidence(
                            self.pair_gene[i],
                            [self.kb.ontology.term_id(t) for t in self.kb.inheritance.get(d, ())],
                            (),
                            case.sex,
                            self.genotype_params,
                        )
                        if variants is not None
                        else None
                    ),
                    inheritance=tuple(
                        f"{self.kb.ontology.term_id(t)} {self.kb.ontology.label(t)}"
                        for t in self.kb.inheritance.get(d, ())
                    ),
                )
            )
        return Ranking(
            case=case,
            candidates=tuple(candidates),
            method=self.method,
            knowledge_version=self.kb.version,
            hpo_release=self.kb.hpo_release,
            disease_set=self.db,
            warnings=tuple(notes),
            variant_source=variant_source,
            limitations=LIMITATIONS,
        )


@cache
def ranker_for(kb: RareKnowledge, db: str = "OMIM", method: Method = "lr") -> Ranker:
    """One shared :class:`Ranker` per knowledge, disease set and method (built once)."""
    return Ranker(kb, db=db, method=method)


LIMITATIONS = (
    "Ranks diseases known to the bundled HPO release; a disease or gene described later "
    "cannot be ranked.",
    "Phenotype scores assume the recorded terms are accurate; terms absent from the record "
    "are treated as unknown, not as absent.",
    "A ranking is decision support for a clinical geneticist, not a diagnosis.",
)
