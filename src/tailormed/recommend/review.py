"""Medication review: what the patient's results say about each medication on a list.

Each medication (name with strength/frequency, brand name the inhibitor list knows, or
``RxNorm:<code>``) is resolved (:mod:`.resolve`) and gets the status of its drug report:
``"actionable"`` (with the recommendations), ``"no change"``, ``"no result"`` (a gene its
guideline needs is missing) or ``"no guideline"`` (the knowledge base has no CPIC or DPWG
guideline for it, including names nothing recognises, which the note says).

A medication that inhibits CYP2D6 or CYP2C19 is also listed as causing phenoconversion:
``phenoconversion`` says what it does to the patient's phenotype for *other* drugs.

The interpretation is rebuilt from its calls and factors when its medication list is not
the one reviewed, so phenoconversion always reflects the list under review.

>>> from tailormed.calling.models import Diplotype, GeneCall
>>> from tailormed.knowledge import load_kb
>>> from tailormed.recommend.interpretation import build_interpretation
>>> kb = load_kb()
>>> call = GeneCall("S1", "CYP2C19", (Diplotype.of("*2", "*2"),), False)
>>> interp = build_interpretation([call], kb)
>>> [(r.drug, r.status) for r in review_medications(interp, ["clopidogrel 75 mg", "zz"], kb)]
[('clopidogrel', 'actionable'), (None, 'no guideline')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.interpretation import build_interpretation
from tailormed.recommend.models import (
    DoseCalculation,
    Interpretation,
    MatchedRecommendation,
    Status,
)
from tailormed.recommend.resolve import ResolvedMedication, normalize, resolve_medication


@dataclass(frozen=True, slots=True)
class MedicationReview:
    """One medication of the list and what the results say about it."""

    medication: str  # as written
    drug: str | None  # the knowledge-base drug it names
    rxnorm: str | None
    status: Status
    note: str  # one sentence: the drug report's reason, or why nothing applies
    recommendations: tuple[MatchedRecommendation, ...] = ()
    doses: tuple[DoseCalculation, ...] = ()
    phenoconversion: tuple[str, ...] = ()  # what this medication does to other drugs' advice

    @property
    def actionable(self) -> bool:
        return self.status == "actionable"

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
        }


def review_medications(
    interpretation: Interpretation, medications: Sequence[str], kb: KnowledgeBase
) -> list[MedicationReview]:
    """A :class:`MedicationReview` per non-empty medication, in list order."""
    meds = [m for m in medications if m.strip()]
    if [normalize(m) for m in meds] != [normalize(m) for m in interpretation.medications]:
        interpretation = build_interpretation(
            interpretation.calls, kb, medications=meds, factors=interpretation.factors
        )
    return [_review(resolve_medication(m, kb), interpretation) for m in meds]


def _review(med: ResolvedMedication, interp: Interpretation) -> MedicationReview:
    effects = _phenoconversion(med, interp)
    report = interp.drug(med.drug) if med.drug else None
    if report is None:
        if med.inhibits:
            note = (
                f"No CPIC or DPWG guideline in the knowledge base covers {med.name}; it "
                f"matters here as a {_inhibitor_words(med)}."
            )
        else:
            note = (
                f"{med.text.strip()!r} is not a drug any CPIC or DPWG guideline in the "
                "knowledge base covers (name or RxNorm code not recognised), so no "
                "genotype-based advice applies."
            )
        return MedicationReview(
            med.text, None, med.rxnorm, "no guideline", note, phenoconversion=effects
        )
    return MedicationReview(
        medication=med.text,
        drug=report.drug,
        rxnorm=report.rxnorm or med.rxnorm,
        status=report.status,
        note=report.reason,
        recommendations=report.recommendations if report.status != "no guideline" else (),
        doses=report.doses,
        phenoconversion=effects,
    )


def _inhibitor_words(med: ResolvedMedication) -> str:
    return " and ".join(f"{i.strength} {i.gene} inhibitor" for i in med.inhibits)


def _phenoconversion(med: ResolvedMedication, interp: Interpretation) -> tuple[str, ...]:
    out: list[str] = []
    for inh in med.inhibits:
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


_MAX_LINE = 200
_BAD_CODE = re.compile(r"^(rxnorm|rxcui)\s*:\s*(?!\d+$)", re.IGNORECASE)


def read_medication_list(path: Path) -> list[str]:
    """The medications of ``path``; problems raise :class:`InputError` with file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("medication list does not exist", path=path) from None
    except IsADirectoryError:
        raise InputError("medication list is a folder, not a file", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("medication list is not UTF-8 text", path=path) from None
    meds: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        if "\t" in entry or "\x00" in entry or len(entry) > _MAX_LINE:
            raise InputError(
                "expected one medication a line (name and dose, or RxNorm:<code>)",
                path=path,
                line=n,
            )
        if _BAD_CODE.match(entry.replace(" ", "")):
            raise InputError(
                f"{entry!r}: an RxNorm code is digits only (RxNorm:32968)", path=path, line=n
            )
        meds.append(entry)
    if not meds:
        raise InputError("medication list holds no medications", path=path)
    return meds
