"""A drug's status and the one sentence that explains it.

Per guideline (one CPIC or DPWG guideline, for one drug), from what
:func:`~tailormed.recommend.match.evaluate` selected and the advice kind of each selected
recommendation (:mod:`.advice`):

* **change**: a selected recommendation asks for a change;
* **standard**: selected recommendations say to prescribe as usual;
* **silent**: selected recommendations are informational ("No recommendation", "The
  guideline does not provide a recommendation for ... normal metabolizers"), or nothing
  was selected although every gene the guideline needs has a determinate result (DPWG
  writes HLA advice only for carriers; an HLA-B*57:01-negative patient matches nothing);
* **unresolved**: silent *and* a gene the guideline needs was not tested, not called or
  is indeterminate, so the silence may only be the missing result.

The drug is ``"actionable"`` if any guideline is *change*; else ``"no result"`` if any is
*unresolved* (the reason names the genes); else ``"no change"`` if any guideline exists;
else ``"no guideline"``. A recommendation selected through a gene's ``"No Result"`` key
(CPIC carbamazepine for an untested HLA-A) counts like any other, and the reason says the
gene was not tested.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tailormed.recommend.advice import Advice, key_sentence
from tailormed.recommend.match import GuidelineOutcome, UnknownGene
from tailormed.recommend.models import MatchedRecommendation, Status


@dataclass(frozen=True, slots=True)
class Judged:
    """A guideline's outcome with its selected recommendations and their advice kinds."""

    outcome: GuidelineOutcome
    selected: tuple[tuple[MatchedRecommendation, Advice], ...]
    described: str  # the patient's results for the guideline's genes, for sentences

    @property
    def kind(self) -> str:
        kinds = {a for _, a in self.selected}
        if "change" in kinds:
            return "change"
        if "standard" in kinds:
            return "standard"
        return "unresolved" if self.outcome.unknown else "silent"


def drug_status(drug: str, judged: Sequence[Judged]) -> tuple[Status, str]:
    """``(status, reason)`` for one drug from its judged guidelines (rule above)."""
    if not judged:
        return "no guideline", (
            f"No CPIC or DPWG guideline in the knowledge base gives genotype-based "
            f"recommendations for {drug}."
        )
    changes = [(m, j) for j in judged for m, a in j.selected if a == "change"]
    if changes:
        rec, j = min(changes, key=lambda mj: _priority(mj[0]))
        return "actionable", _actionable_reason(rec, j, len(changes))
    unresolved = [j for j in judged if j.kind == "unresolved"]
    if unresolved:
        genes = _unique_unknown(u for j in unresolved for u in j.outcome.unknown)
        sources = " or ".join(sorted({j.outcome.guideline.source for j in unresolved}))
        usual = [j for j in judged if j.kind == "standard"]
        lead = (
            f"{usual[0].outcome.guideline.source} advice for {usual[0].described} is to "
            f"prescribe as usual, but no {sources} recommendation"
            if usual
            else f"No {sources} recommendation"
        )
        return "no result", f"{lead} can be selected because {unknown_sentence(genes)}."
    standard = [j for j in judged if j.kind == "standard"]
    untested = _unique_unknown(u for j in judged for u in j.outcome.unknown)
    caveat = (
        f" ({unknown_sentence(untested)}; the guideline's advice for that case was used)"
        if untested
        else ""
    )
    if standard:
        sources = _join(sorted({j.outcome.guideline.source for j in standard}))
        return "no change", (
            f"{sources} advice for {standard[0].described} is to prescribe as usual{caveat}."
        )
    j = judged[0]
    what = "gives no recommendation" if j.selected else "has no recommendation"
    return "no change", (
        f"The {j.outcome.guideline.source} guideline {what} for {j.described}, "
        f"so no change is indicated{caveat}."
    )


_STRENGTH = {"strong": 0, "moderate": 1, "optional": 2}


def _priority(rec: MatchedRecommendation) -> tuple[int, int]:
    """CPIC before DPWG, then the strongest classification."""
    return (0 if rec.source == "CPIC" else 1, _STRENGTH.get((rec.classification or "").lower(), 3))


def _actionable_reason(rec: MatchedRecommendation, j: Judged, count: int) -> str:
    advice = key_sentence(rec.text).rstrip(".;:")  # whole: never cut
    strength = f" ({rec.classification})" if rec.classification else ""
    who = _who(rec) or j.described
    more = f"; {count - 1} more recommendation(s) advise a change" if count > 1 else ""
    return f"{rec.source}{strength} for {who}: {advice}{more}."


def _who(rec: MatchedRecommendation) -> str:
    return ", ".join(f"{g} {rec.phenotypes.get(g, rec.lookup_key.get(g, ''))}" for g in rec.genes)


def unknown_sentence(genes: Sequence[UnknownGene]) -> str:
    """``"CYP2C9 and VKORC1 were not tested and HLA-B is indeterminate (...)"``."""
    parts: list[str] = []
    names = sorted(u.gene for u in genes if u.why == "not tested")
    if names:
        parts.append(f"{_join(names)} {'was' if len(names) == 1 else 'were'} not tested")
    parts.extend(u.sentence for u in genes if u.why != "not tested")
    return _join(parts)


def _unique_unknown(items: Iterable[UnknownGene]) -> list[UnknownGene]:
    seen: dict[str, UnknownGene] = {}
    for u in items:
        seen.setdefault(u.gene, u)
    return list(seen.values())


def _join(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
