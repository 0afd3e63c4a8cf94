"""Outside calls that supply a phenotype and/or an activity score directly.

Owns reading those values into the table's vocabulary, following PharmCAT's rules for
outside calls (``Diplotype(OutsideCall)`` in PharmCAT's reporter):

* an activity score is the lookup key of an activity-score gene; the phenotype is the
  supplied one, else the one the table gives that score;
* a phenotype alone, for an activity-score gene, gives one lookup key per score the
  table maps to that phenotype (CYP2D6 "Intermediate Metabolizer" → 0.25 … 1.0);
* for other genes the (normalised) phenotype is the lookup key.

Supplied values win over the diplotype; a disagreement with the table is noted.

>>> normalize_phenotype("pm", None)
'Poor Metabolizer'
>>> normalize_phenotype("intermediate metaboliser", None)
'Intermediate Metabolizer'
"""

from __future__ import annotations

import re

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype.activity import normalize_score_text
from tailormed.phenotype.models import (
    INDETERMINATE,
    NOT_AVAILABLE,
    AlleleInterpretation,
    GenePhenotype,
)
from tailormed.phenotype.resolve import resolve
from tailormed.phenotype.tables import TableView

_ABBREVIATIONS = {
    "pm": "Poor Metabolizer",
    "im": "Intermediate Metabolizer",
    "nm": "Normal Metabolizer",
    "em": "Normal Metabolizer",  # "extensive" is the retired name of "normal"
    "rm": "Rapid Metabolizer",
    "um": "Ultrarapid Metabolizer",
}
_METABOLIZER = re.compile(r"metaboli[sz]ers?", re.IGNORECASE)


def normalize_phenotype(text: str, view: TableView | None) -> str:
    """A supplied phenotype in the table's spelling where it names one of its phenotypes."""
    value = " ".join(text.split())
    value = _METABOLIZER.sub("Metabolizer", value)
    value = re.sub("extensive", "Normal", value, flags=re.IGNORECASE)
    if value.lower() in _ABBREVIATIONS:
        value = _ABBREVIATIONS[value.lower()]
    if INDETERMINATE.lower() in value.lower():
        return INDETERMINATE
    known = view.phenotypes if view is not None else frozenset(_ABBREVIATIONS.values())
    for phenotype in known:
        if phenotype.lower() == value.lower():
            return phenotype
    return value


def interpret_outside(call: GeneCall, kb: KnowledgeBase, view: TableView | None) -> GenePhenotype:
    """A :class:`GenePhenotype` from an outside call carrying a phenotype or activity score."""
    notes = ["outside call: phenotype/activity score as supplied by the outside source"]
    reason: str | None = None
    alleles: tuple[AlleleInterpretation, ...] = ()
    table_summary = None
    if call.called:
        first = call.diplotypes[0].alleles
        if view is not None:
            alleles = tuple(view.allele(a) for a in first)
            res = resolve(view, call.diplotypes, ())
            table_summary = res.outcome
        else:
            alleles = tuple(AlleleInterpretation(a) for a in first)

    given_phenotype = normalize_phenotype(call.phenotype, view) if call.phenotype else None
    given_score = normalize_score_text(call.activity_score) if call.activity_score else None
    score_problem = None
    if call.activity_score and given_score is None:
        score_problem = f"outside activity score {call.activity_score!r} is not a number"
    activity_score: str | None = None

    if view is not None and view.activity_gene and given_score is not None:
        activity_score = given_score
        keys: tuple[str, ...] = (given_score,)
        from_table = view.phenotypes_by_key.get(given_score, frozenset())
        if given_phenotype is not None:
            phenotype = given_phenotype
            if from_table and given_phenotype not in from_table:
                notes.append(
                    f"the {view.label} gives {' or '.join(sorted(from_table))} for activity "
                    f"score {given_score}, the outside call says {given_phenotype}"
                )
        elif len(from_table) == 1:
            phenotype = next(iter(from_table))
        else:
            phenotype = INDETERMINATE
            reason = (
                f"activity score {given_score} does not map to one phenotype in the {view.label}"
            )
    elif view is not None and view.activity_gene and given_phenotype is not None:
        phenotype = given_phenotype
        keys = tuple(
            k
            for k in view.keys_by_phenotype.get(given_phenotype, ())
            if k != NOT_AVAILABLE or given_phenotype == INDETERMINATE
        ) or (NOT_AVAILABLE,)
        notes.append(
            "no activity score supplied: lookup keys are the scores the "
            f"{view.label} gives {given_phenotype}"
        )
    elif given_phenotype is not None:
        phenotype = given_phenotype
        keys = (given_phenotype,)
        if view is not None and given_phenotype not in view.phenotypes:
            notes.append(f"{given_phenotype!r} is not a phenotype the {view.label} uses")
        if given_score is not None:
            activity_score = given_score
    else:
        # A score for a gene without activity scores (or without a table).
        phenotype = INDETERMINATE
        keys = (NOT_AVAILABLE,)
        activity_score = given_score
        reason = score_problem or (
            f"{call.gene} phenotypes are not assigned from an activity score here"
        )

    if phenotype == INDETERMINATE and reason is None:
        reason = "the outside call reports the phenotype as Indeterminate"
    elif score_problem and reason is None:
        notes.append(score_problem)
    if table_summary is not None and (
        table_summary.phenotype != phenotype or table_summary.lookup_key not in keys
    ):
        notes.append(
            f"the {view.label if view else 'KB'} gives {table_summary.summary} for the "
            "supplied diplotype; the outside result is used"
        )
    return GenePhenotype(
        gene=call.gene,
        sample=call.sample,
        diplotype=call.diplotype if call.called else NOT_AVAILABLE,
        alleles=alleles,
        phenotype=phenotype,
        activity_score=activity_score,
        lookup_keys=keys,
        reason=reason,
        notes=tuple(notes),
        call_source=call.source,
        phenotype_source="outside call",
        kb_version=kb.version,
    )
