"""The patient context rules need: medication starts and pharmacogenomic results.

Medication names are read by the one resolver (:func:`tailormed.medications.
resolve_medication`); the drug's class (antidepressant, statin) comes from the digital
bundle. PGx inputs are a mapping gene → phenotype as reported by a lab or by
``tailormed run`` (e.g. ``{"CYP2C19": "Poor Metabolizer"}``); the guideline advice is
looked up through the PGx knowledge base and :func:`tailormed.recommend.
build_interpretation`, exactly as ``tailormed run`` selects it for an outside phenotype
call, never re-typed here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge


@dataclass(frozen=True)
class MedicationStart:
    text: str  # as written
    drug: str  # generic name
    start: date
    drug_class: str | None


@dataclass(frozen=True)
class PgxAdvice:
    """The guideline advice for one drug given the patient's phenotypes."""

    drug: str
    status: str  # actionable / no change / no result / no guideline / not tested
    reason: str
    phenotypes: tuple[tuple[str, str], ...]
    recommendations: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()
    guideline_urls: tuple[str, ...] = ()
    kb_version: str = ""

    @property
    def sentence(self) -> str:
        genes = "; ".join(f"{g} {p}" for g, p in self.phenotypes) or "no PGx result given"
        return f"PGx for {self.drug} ({genes}): {self.status}. {self.reason}"


@dataclass(frozen=True)
class PatientContext:
    patient: str
    medications: tuple[MedicationStart, ...] = ()
    phenotypes: Mapping[str, str] = field(default_factory=dict)

    def starts(self, drug_class: str) -> list[MedicationStart]:
        return [m for m in self.medications if m.drug_class == drug_class]


def medication_start(text: str, start: str, kb: DigitalKnowledge | None = None) -> MedicationStart:
    """``("sertraline 50 mg", "2024-03-01")`` → a :class:`MedicationStart` (or InputError)."""
    from tailormed.knowledge import load_kb
    from tailormed.medications import resolve_medication

    kb = kb or DigitalKnowledge.load()
    try:
        when = date.fromisoformat(start)
    except ValueError:
        raise InputError(f"medication start {start!r} is not a date (YYYY-MM-DD)") from None
    resolved = resolve_medication(text, load_kb(), suggest=True)
    if not resolved.ingredients:
        hint = (
            f" (did you mean {', '.join(resolved.suggestions[:3])}?)"
            if resolved.suggestions
            else ""
        )
        raise InputError(f"medication {text!r} is not recognised{hint}")
    drug = next((i for i in resolved.ingredients if kb.drug_class(i)), resolved.ingredients[0])
    return MedicationStart(text, drug, when, kb.drug_class(drug))


@lru_cache(maxsize=64)
def _interpretation(phenotypes: tuple[tuple[str, str], ...]) -> Any:
    from tailormed.calling.models import GeneCall
    from tailormed.knowledge import load_kb
    from tailormed.recommend import build_interpretation

    calls = [
        GeneCall("patient", gene, (), False, source="outside", phenotype=phenotype)
        for gene, phenotype in phenotypes
    ]
    return build_interpretation(calls, load_kb())


def pgx_advice(
    drug: str,
    phenotypes: Mapping[str, str],
    genes: Sequence[str],
    drug_class: str | None = None,
    kb: DigitalKnowledge | None = None,
) -> PgxAdvice:
    """The CPIC/DPWG advice for ``drug`` with the patient's phenotypes, and for the other
    drugs of its class the knowledge base has guidelines for (the alternatives)."""
    kb = kb or DigitalKnowledge.load()
    given = tuple(sorted((g.upper(), p) for g, p in phenotypes.items()))
    if not given:
        return PgxAdvice(drug, "not tested", f"No {'/'.join(genes)} result was given.", ())
    interp = _interpretation(given)
    shown = tuple((p.gene, p.phenotype) for p in interp.phenotypes)
    report = interp.drug(drug)
    if report is None:
        return PgxAdvice(
            drug,
            "no guideline",
            f"No CPIC or DPWG guideline covers {drug}.",
            shown,
            kb_version=interp.kb_version,
        )
    recs = tuple(
        f"{r.source}{f' ({r.classification})' if r.classification else ''}: {r.text}"
        for r in report.recommendations
    )
    urls = tuple(dict.fromkeys(r.guideline_url for r in report.recommendations if r.guideline_url))
    alternatives: list[str] = []
    if drug_class:
        members = [d for d, c in kb.classes.items() if c == drug_class and d != drug]
        others = [r for m in members if (r := interp.drug(m)) is not None]
        order = {"no change": 0, "actionable": 1, "no result": 2}
        for other in sorted(others, key=lambda r: (order.get(r.status, 3), r.drug)):
            alternatives.append(f"{other.drug}: {other.status} ({other.reason})")
    relevant = tuple((g, p) for g, p in shown if g in report.genes)
    return PgxAdvice(
        drug=drug,
        status=report.status,
        reason=report.reason,
        phenotypes=relevant or shown,
        recommendations=recs,
        alternatives=tuple(alternatives),
        guideline_urls=urls,
        kb_version=interp.kb_version,
    )
