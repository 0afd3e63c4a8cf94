"""Turning a call's candidate diplotypes into one table outcome, or an explained Indeterminate.

A :class:`~tailormed.calling.models.GeneCall` may carry several tied diplotypes and a
list of *uncertain alleles* (alleles the caller could not exclude because a position
they define is missing). The phenotype is determinate only when every candidate agrees:

* tied diplotypes with different (phenotype, lookup key) → Indeterminate, listing them;
  the same answer for all ties → that answer, with a note;
* each diplotype reachable by putting uncertain alleles in place of called ones is
  looked up too; if any gives another answer → Indeterminate, listing the differences.

>>> from tailormed.calling.models import Diplotype
>>> from tailormed.knowledge import load_kb
>>> from tailormed.phenotype.tables import table_view
>>> view = table_view(load_kb(), "CYP2C19")
>>> r = resolve(view, (Diplotype.of("*1", "*2"), Diplotype.of("*2", "*17")), ())
>>> r.outcome.phenotype, r.notes[0]
('Intermediate Metabolizer', '2 tied diplotypes (*1/*2, *2/*17) all give Intermediate Metabolizer')
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tailormed.calling.models import Diplotype, allele_sort_key
from tailormed.phenotype.models import INDETERMINATE, DiplotypeOutcome
from tailormed.phenotype.tables import TableView

# How many differing possibilities a reason lists before "...".
_SHOWN = 8


@dataclass(frozen=True, slots=True)
class Resolution:
    outcome: DiplotypeOutcome
    alternatives: tuple[DiplotypeOutcome, ...]
    reason: str | None
    notes: tuple[str, ...]
    # Every candidate (ties and uncertain-allele swaps) is a row of the table.
    complete: bool = True


def resolve(
    view: TableView, diplotypes: Sequence[Diplotype], uncertain: Sequence[str]
) -> Resolution:
    """One outcome for the candidates of a call (``diplotypes`` must not be empty)."""
    ties = [view.outcome(d.alleles, d.text) for d in diplotypes]
    first = ties[0]
    reasons: list[str] = []
    notes: list[str] = []
    if first.problem:
        reasons.append(first.problem)
    if len({o.key for o in ties}) > 1:
        reasons.append("tied diplotypes give different results: " + _listing(ties))
    elif len(ties) > 1:
        names = ", ".join(o.diplotype for o in ties)
        notes.append(f"{len(ties)} tied diplotypes ({names}) all give {first.phenotype}")
    possible = list(_possible_outcomes(view, diplotypes, uncertain))
    changed = [o for o in possible if o.key != first.key]
    if changed:
        reasons.append(
            f"could not exclude {', '.join(uncertain)} (defining positions missing), "
            f"which would change the result: {_listing(changed)}"
        )
    elif possible:
        notes.append(
            f"alleles that could not be excluded ({', '.join(uncertain)}) "
            "do not change the phenotype"
        )
    alternatives = (*ties[1:], *changed)
    complete = all(o.problem is None for o in (*ties, *possible))
    if len(reasons) > (1 if first.problem else 0):
        return Resolution(
            view.indeterminate(first.diplotype, "; ".join(reasons)),
            alternatives,
            "; ".join(reasons),
            tuple(notes),
            complete,
        )
    if first.phenotype == INDETERMINATE:
        reason = first.problem or view.explain(diplotypes[0].alleles, first.diplotype)
        return Resolution(first, alternatives, reason, tuple(notes), complete)
    return Resolution(first, alternatives, None, tuple(notes), complete)


def _listing(outcomes: Sequence[DiplotypeOutcome]) -> str:
    shown = "; ".join(o.summary for o in outcomes[:_SHOWN])
    return shown + (f"; ... ({len(outcomes) - _SHOWN} more)" if len(outcomes) > _SHOWN else "")


def _possible_outcomes(
    view: TableView, diplotypes: Sequence[Diplotype], uncertain: Sequence[str]
) -> Iterator[DiplotypeOutcome]:
    """Outcomes of every diplotype reachable by swapping in uncertain alleles."""
    if not uncertain:
        return
    seen = {tuple(sorted(d.alleles)) for d in diplotypes}
    for d in diplotypes:
        options = [(a, *(u for u in uncertain if u != a)) for a in d.alleles]
        for combo in itertools.product(*options):
            key = tuple(sorted(combo))
            if key in seen:
                continue
            seen.add(key)
            text = "/".join(sorted(combo, key=allele_sort_key))
            yield view.outcome(combo, text)
