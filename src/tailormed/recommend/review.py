"""Medication review: what the patient's results say about each medication on a list.

Each line is read by the one resolver (:func:`tailormed.medications.resolve_medication`:
names with strength and frequency, brand names, combination products, RxNorm codes) and
gets one review per ingredient, with the status of that drug's report: ``"actionable"``
(with the recommendations), ``"no change"``, ``"no result"`` (a gene its guideline needs
is missing) or ``"no guideline"`` (the knowledge base has no CPIC or DPWG guideline for
that ingredient). A line nothing recognises gets one review with status
``"not recognised"``, the closest names as ``suggestions``, and a note saying no advice
could be checked; it is never reported as "no guideline applies".

An ingredient that inhibits CYP2D6 or CYP2C19 is also listed as causing phenoconversion:
``phenoconversion`` says what it does to the patient's phenotype for *other* drugs.

The interpretation is rebuilt from its calls and factors when its medication list is not
the one reviewed, so phenoconversion always reflects the list under review.

>>> from tailormed.calling.models import Diplotype, GeneCall
>>> from tailormed.knowledge import load_kb
>>> from tailormed.recommend.interpretation import build_interpretation
>>> kb = load_kb()
>>> call = GeneCall("S1", "CYP2C19", (Diplotype.of("*2", "*2"),), False)
>>> interp = build_interpretation([call], kb)
>>> [(r.drug, r.status) for r in review_medications(interp, ["Plavix 75 mg", "zz"], kb)]
[('clopidogrel', 'actionable'), (None, 'not recognised')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tailormed.knowledge import KnowledgeBase
from tailormed.medications import (
    ResolvedMedication,
    clean_medications,
    drug_parts,
    guideline_drugs,
    read_medication_list,
)
from tailormed.recommend.interpretation import build_interpretation
from tailormed.recommend.models import (
    DoseCalculation,
    Interpretation,
    MatchedRecommendation,
    Status,
)

__all__ = ["MedicationReview", "read_medication_list", "review_medications"]

ReviewStatus = Status | Literal["not recognised"]


@dataclass(frozen=True, slots=True)
class MedicationReview:
    """One ingredient of one medication line (or an unrecognised line) and the advice."""

    medication: str  # the line as written
    drug: str | None  # the ingredient; None when the line was not recognised
    rxnorm: str | None
    status: ReviewStatus
    note: str  # one sentence: the drug report's reason, or why nothing applies
    recommendations: tuple[MatchedRecommendation, ...] = ()
    doses: tuple[DoseCalculation, ...] = ()
    phenoconversion: tuple[str, ...] = ()  # what this medication does to other drugs' advice
    suggestions: tuple[str, ...] = ()  # closest names, for a line not recognised
    ingredients: tuple[str, ...] = ()  # every ingredient the line names

    @property
    def actionable(self) -> bool:
        return self.status == "actionable"

    @property
    def recognised(self) -> bool:
        return self.status != "not recognised"

    def to_json(self) -> dict[str, Any]:
        return {
            "medication": self.medication,
            "drug": self.drug,
            "rxnorm": self.rxnorm,
            "status": self.status,
            "note": self.note,
            "recommendations": [r.to_json() for r in self.recommendations],
            "doses": [d.to_json() for d in self.doses],
            "phenoconversion": list(self.phenoconversion),
            "suggestions": list(self.suggestions),
            "ingredients": list(self.ingredients),
        }


def review_medications(
    interpretation: Interpretation, medications: Sequence[str], kb: KnowledgeBase
) -> list[MedicationReview]:
    """The reviews of every medication line, in list order (comments and blanks skipped)."""
    meds = clean_medications(medications)
    if [_norm(m) for m in meds] != [_norm(m) for m in interpretation.medications] or len(
        interpretation.resolved_medications
    ) != len(meds):
        interpretation = build_interpretation(
            interpretation.calls, kb, medications=meds, factors=interpretation.factors
        )
    resolved = interpretation.resolved_medications
    out: list[MedicationReview] = []
    for med in resolved:
        out.extend(_reviews(med, interpretation, kb))
    return out


def unrecognised_note(med: ResolvedMedication) -> str:
    """The sentence a clinician reads for a line nothing recognised."""
    text = f"{med.line.strip()!r} was not recognised as a medication"
    if med.note and "names different drugs" in med.note:
        text = f"{med.line.strip()!r} is ambiguous: {med.note}"
    elif med.suggestions:
        text += f"; did you mean {' or '.join(med.suggestions)}?"
    else:
        text += "."
    return (
        text + " No pharmacogenomic advice or phenoconversion was checked for it; "
        "write the ingredient name or an RxNorm ingredient code."
    )


def _reviews(
    med: ResolvedMedication, interp: Interpretation, kb: KnowledgeBase
) -> list[MedicationReview]:
    if not med.recognised:
        return [
            MedicationReview(
                medication=med.line,
                drug=None,
                rxnorm=None,
                status="not recognised",
                note=unrecognised_note(med),
                suggestions=med.suggestions,
            )
        ]
    drugs, others = guideline_drugs(med, kb)
    out = []
    for name in drugs:
        report = interp.drug(name)
        if report is None:  # an interpretation built with another knowledge base
            others += (name,)
            continue
        out.append(
            MedicationReview(
                medication=med.line,
                drug=report.drug,
                rxnorm=report.rxnorm or _rxnorm(name, kb),
                status=report.status,
                note=report.reason,
                recommendations=report.recommendations if report.status != "no guideline" else (),
                doses=report.doses,
                phenoconversion=_phenoconversion(name, interp, kb),
                ingredients=med.ingredients,
            )
        )
    for ingredient in others:
        inhibits = kb.inhibitors.of(ingredient)
        if inhibits:
            words = " and ".join(f"{i.strength} {i.gene} inhibitor" for i in inhibits)
            note = (
                f"No CPIC or DPWG guideline in the knowledge base covers {ingredient}; "
                f"it matters here as a {words}."
            )
        else:
            note = (
                f"No CPIC or DPWG guideline in the knowledge base covers {ingredient}, "
                "so no genotype-based advice applies."
            )
        out.append(
            MedicationReview(
                med.line,
                ingredient,
                _rxnorm(ingredient, kb),
                "no guideline",
                note,
                phenoconversion=_phenoconversion(ingredient, interp, kb),
                ingredients=med.ingredients,
            )
        )
    order = {i: n for n, i in enumerate(med.ingredients)}
    out.sort(key=lambda r: min(order.get(p, 0) for p in drug_parts(r.drug or "")))
    return out


def _rxnorm(name: str, kb: KnowledgeBase) -> str | None:
    ing = kb.drug_names.ingredient(name)
    return ing.rxnorm[0] if ing is not None and ing.rxnorm else None


def _phenoconversion(ingredient: str, interp: Interpretation, kb: KnowledgeBase) -> tuple[str, ...]:
    out: list[str] = []
    for inh in kb.inhibitors.of(ingredient):
        p = interp.phenotype(inh.gene)
        pc = p.phenoconversion if p is not None else None
        prefix = f"{inh.strength} {inh.gene} inhibitor"
        if inh.strength == "weak":
            out.append(f"{prefix}: weak inhibitors are not applied to {inh.gene} results")
        elif p is None:
            out.append(f"{prefix}: {inh.gene} not tested; no adjustment applied")
        elif pc is not None and pc.adjusted and inh.drug in pc.caused_by:
            out.append(
                f"{prefix}: {inh.gene} {pc.genotype_phenotype} is treated as {p.phenotype} "
                f"for other drugs ({pc.method})"
            )
        elif pc is not None and pc.adjusted:
            out.append(
                f"{prefix}: {inh.gene} already adjusted by a stronger inhibitor "
                f"({', '.join(pc.caused_by)})"
            )
        else:
            method = pc.method if pc is not None else "no adjustment"
            out.append(f"{prefix}: {inh.gene} {p.phenotype} unchanged ({method})")
    return tuple(out)


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())
