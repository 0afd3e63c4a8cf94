"""Compare calls with classified truth: one :class:`Comparison` per truth row.

A call is **concordant** when its primary diplotype (``GeneCall.diplotypes[0]``) is one
of the truth's readings, order-free. When only a tied alternative matches, the outcome
is ``truth among tied alternatives``: it is not counted as concordant. Every other
outcome on a compared row is a discordance with an
:class:`~tailormed.validate.explain.Explanation`. Rows that cannot be compared are
``excluded`` with the reason (a :class:`~tailormed.validate.getrm.TruthCategory` value
or a :class:`GeneStatus`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.validate.explain import Coverage, Explanation, explain
from tailormed.validate.getrm import TruthCall, TruthCategory, genotype


class Outcome(StrEnum):
    CONCORDANT = "concordant"
    TIED = "truth among tied alternatives"
    NO_CALL = "no call"
    DISCORDANT = "discordant"
    EXCLUDED = "excluded"


class GeneStatus(StrEnum):
    VALIDATED = "validated"
    NO_DEFINITION = "gene has no KB definition"
    OUTSIDE_CALL = "outside-call gene (not called from VCF)"
    NO_PANEL = "no 1KGP VCF for this gene"


# Row-level exclusion reason that comes neither from the truth nor from the gene.
NOT_CALLED = "sample missing from the callset"


@dataclass(frozen=True, slots=True)
class Comparison:
    truth: TruthCall
    call: GeneCall | None
    outcome: Outcome
    excluded_by: str | None = None
    explanation: Explanation | None = None
    detail: str = ""

    @property
    def compared(self) -> bool:
        return self.outcome is not Outcome.EXCLUDED

    @property
    def is_discordance(self) -> bool:
        """A row to list: a compared, non-concordant row, or inconsistent ambiguous truth."""
        return self.explanation is not None

    @property
    def call_text(self) -> str:
        return self.call.diplotype if self.call is not None else ""


def compare(
    truth: TruthCall,
    call: GeneCall | None,
    status: GeneStatus,
    kb: KnowledgeBase,
    coverage: Coverage,
    typed: frozenset[int] = frozenset(),
) -> Comparison:
    """Compare one truth row with its call (``None`` when the gene/sample was not called).

    Gene-level reasons come first (no definition, outside-call gene), then ``sample not
    in 1KGP``, then a missing panel VCF, then the truth's own category. An ambiguous
    truth row is excluded, but listed with ``ambiguous truth`` when the call fits none
    of its readings.
    """

    def excluded(
        reason: str, explanation: Explanation | None = None, detail: str = ""
    ) -> Comparison:
        return Comparison(truth, call, Outcome.EXCLUDED, reason, explanation, detail)

    if truth.category is TruthCategory.NO_DEFINITION:
        return excluded(TruthCategory.NO_DEFINITION.value, detail=truth.reason)
    if status is GeneStatus.OUTSIDE_CALL:
        return excluded(status.value, detail=truth.category.value)
    if not truth.record.in_1kgp:
        return excluded(TruthCategory.NOT_IN_1KGP.value, detail=truth.category.value)
    if status is not GeneStatus.VALIDATED:
        return excluded(status.value)
    if call is None:
        return excluded(NOT_CALLED)
    primary = genotype(*call.diplotypes[0].alleles) if call.diplotypes else None
    if truth.category is not TruthCategory.COMPARABLE:
        consistent = primary is not None and primary in truth.readings
        if truth.category is TruthCategory.AMBIGUOUS and not consistent:
            readings = truth.readings_text or "none in KB names"
            return excluded(
                truth.category.value,
                Explanation.AMBIGUOUS_TRUTH,
                f"call fits none of the truth's readings ({readings})",
            )
        detail = "call fits a truth reading" if consistent else truth.reason
        return excluded(truth.category.value, detail=detail)
    if primary is not None and primary in truth.readings:
        return Comparison(truth, call, Outcome.CONCORDANT)
    explanation, detail = explain(truth, call, kb, coverage, typed)
    outcome = {
        Explanation.TIED: Outcome.TIED,
        Explanation.NO_CALL: Outcome.NO_CALL,
    }.get(explanation, Outcome.DISCORDANT)
    return Comparison(truth, call, outcome, None, explanation, detail)


@dataclass(frozen=True, slots=True)
class GeneSummary:
    """Concordance for one gene. ``excluded`` counts only rows of samples in the panel;
    ``discordant`` counts every compared row that is not concordant (ties and no-calls
    included)."""

    gene: str
    status: GeneStatus
    truth_rows: int
    in_1kgp: int
    compared: int
    concordant: int
    tied: int
    no_call: int
    discordant: int
    excluded: Mapping[str, int] = field(default_factory=dict)
    explanations: Mapping[str, int] = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        return 100.0 * self.concordant / self.compared if self.compared else None

    def to_json(self) -> dict[str, object]:
        return {
            "gene": self.gene,
            "status": self.status.value,
            "truth_rows": self.truth_rows,
            "in_1kgp": self.in_1kgp,
            "compared": self.compared,
            "concordant": self.concordant,
            "percent_concordant": None if self.percent is None else round(self.percent, 2),
            "truth_among_tied_alternatives": self.tied,
            "no_call": self.no_call,
            "discordant": self.discordant,
            "excluded": dict(self.excluded),
            "explanations": dict(self.explanations),
        }


def summarise(
    comparisons: Iterable[Comparison], statuses: Mapping[str, GeneStatus]
) -> list[GeneSummary]:
    """One :class:`GeneSummary` per gene of ``statuses`` (in its order), then any other."""
    by_gene: dict[str, list[Comparison]] = {g: [] for g in statuses}
    for c in comparisons:
        by_gene.setdefault(c.truth.gene, []).append(c)
    out = []
    for gene, rows in by_gene.items():
        compared = [c for c in rows if c.compared]
        outcomes = Counter(c.outcome for c in compared)
        excluded = Counter(c.excluded_by for c in rows if c.excluded_by and c.truth.record.in_1kgp)
        explanations = Counter(c.explanation.value for c in rows if c.explanation is not None)
        out.append(
            GeneSummary(
                gene=gene,
                status=statuses.get(gene, GeneStatus.VALIDATED),
                truth_rows=len(rows),
                in_1kgp=sum(c.truth.record.in_1kgp for c in rows),
                compared=len(compared),
                concordant=outcomes[Outcome.CONCORDANT],
                tied=outcomes[Outcome.TIED],
                no_call=outcomes[Outcome.NO_CALL],
                discordant=len(compared) - outcomes[Outcome.CONCORDANT],
                excluded=dict(excluded),
                explanations=dict(explanations),
            )
        )
    return out
