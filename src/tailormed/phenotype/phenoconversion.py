"""Phenoconversion: co-medication that inhibits CYP2D6 or CYP2C19 shifts the phenotype.

The inhibitor list (drugs, RxNorm codes, strengths, each with its sources; the list's
own sources, date and review status, a draft awaiting pharmacist review) and the rules
per gene are part of the versioned knowledge base (``kb.inhibitors``, compiled from
``knowledge/curated/inhibitors.json``). Medication lines are read by the one resolver
(:func:`tailormed.medications.resolve_medication`), so "Paxil 20 mg daily" counts as
paroxetine here exactly as in the report. The adjustment:

* CYP2D6 (activity score, Cicali et al. 2021): score × 0 with a strong inhibitor,
  × 0.5 with a moderate one, then the CPIC (and DPWG) score thresholds. A score off the
  guideline grid of 0.25 (e.g. 1.25 × 0.5 = 0.625) keeps its exact value, and its
  lookup keys are the grid scores either side that fall in the same phenotype.
* CYP2C19 (phenotype step, a Tailormed convention): strong → Poor Metabolizer; moderate →
  one step down (Normal → Intermediate, Likely Intermediate → Likely Poor, ...).
* Weak inhibitors are listed but not applied. With several inhibitors the strongest
  counts; they do not compound. A strong inhibitor gives the poor-metabolizer
  equivalent whatever the genotype result (even Indeterminate or No Result), since the
  adjusted score is 0 regardless; a moderate one needs a determinate starting point.

When advising on a drug that is itself an inhibitor (paroxetine, a CYP2D6 substrate),
pass it in ``exclude``: its own guideline already accounts for it.

>>> from tailormed.knowledge import load_kb
>>> from tailormed.phenotype.models import GenePhenotype
>>> nm = GenePhenotype("CYP2D6", "S1", "*1/*1", (), "Normal Metabolizer", "2.0", ("2.0",))
>>> pm = phenoconvert(nm, ["Paxil 20 mg daily"], load_kb())
>>> pm.phenotype, pm.lookup_keys, pm.phenoconversion.caused_by
('Poor Metabolizer', ('0.0',), ('paroxetine',))
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.medicines import (
    STRENGTH_RANK,
    InhibitorTable,
    ScoreRule,
    ScoreThreshold,
    StepRule,
)
from tailormed.medications import ResolvedMedication, resolve_medication
from tailormed.phenotype.activity import (
    Score,
    ScoreBin,
    format_score,
    grid_neighbours,
    parse_score,
    phenotype_for,
)
from tailormed.phenotype.models import (
    INDETERMINATE,
    NOT_AVAILABLE,
    GenePhenotype,
    InhibitorExposure,
    Phenoconversion,
)

Medication = ResolvedMedication | str


def exposures(
    table: InhibitorTable, gene: str, ingredients: Collection[str]
) -> tuple[InhibitorExposure, ...]:
    """The gene's inhibitors among ``ingredients`` (resolved ingredient names)."""
    return tuple(
        InhibitorExposure(inh.drug, inh.rxnorm, inh.strength, inh.sources)
        for inh in table.inhibitors
        if inh.gene == gene and inh.drug in ingredients
    )


def ingredients(
    medications: Iterable[Medication], kb: KnowledgeBase, exclude: Collection[str] = ()
) -> frozenset[str]:
    """The ingredients the medication lines name (lines are resolved), less ``exclude``."""
    out: set[str] = set()
    for m in medications:
        resolved = (
            m if isinstance(m, ResolvedMedication) else resolve_medication(m, kb, suggest=False)
        )
        out.update(resolved.ingredients)
    return frozenset(out - {e.lower() for e in exclude})


def phenoconvert(
    phenotype: GenePhenotype,
    medications: Iterable[Medication],
    kb: KnowledgeBase,
    *,
    exclude: Collection[str] = (),
) -> GenePhenotype:
    """``phenotype`` adjusted for inhibitors among ``medications`` (unchanged if none).

    ``medications`` are lines as written or already resolved; ``exclude`` names
    ingredients to leave out (the drug being advised on).
    """
    return phenoconvert_ingredients(phenotype, ingredients(medications, kb, exclude), kb.inhibitors)


def phenoconvert_ingredients(
    phenotype: GenePhenotype, taken: Collection[str], table: InhibitorTable
) -> GenePhenotype:
    """:func:`phenoconvert` for ingredient names already resolved."""
    rule = table.rules.get(phenotype.gene)
    found = exposures(table, phenotype.gene, taken) if rule is not None else ()
    if rule is None or not found:
        return phenotype
    strength = max(found, key=lambda e: STRENGTH_RANK[e.strength]).strength
    record = Phenoconversion(
        strength=strength,
        inhibitors=found,
        method=f"weak {phenotype.gene} inhibitors are not applied ({rule.source})",
        adjusted=False,
        genotype_phenotype=phenotype.phenotype,
        genotype_activity_score=phenotype.activity_score,
        genotype_lookup_keys=phenotype.lookup_keys,
        genotype_dpwg_phenotype=phenotype.dpwg_phenotype,
        genotype_dpwg_lookup_key=phenotype.dpwg_lookup_key,
    )
    if strength == "weak":
        return replace(phenotype, phenoconversion=record)
    if isinstance(rule, ScoreRule):
        change = _by_score(phenotype, rule, strength)
    else:
        change = _by_step(phenotype, rule, strength)
    drugs = ", ".join(e.drug for e in found if e.strength == strength)
    if change is None:
        method = (
            f"{strength} {phenotype.gene} inhibitor ({drugs}) cannot adjust "
            f"{phenotype.phenotype} ({rule.source})"
        )
        return replace(phenotype, phenoconversion=replace(record, method=method))
    method, fields = change
    notes = [f"phenoconverted by {drugs} ({strength} {phenotype.gene} inhibitor)"]
    if phenotype.reason:
        notes.append(f"genotype result {phenotype.phenotype}: {phenotype.reason}")
    reason = None
    if fields["phenotype"] == INDETERMINATE:
        reason = f"{method}: no single phenotype"
    return replace(
        phenotype,
        reason=reason,
        notes=(*phenotype.notes, *notes),
        phenoconversion=replace(record, method=method, adjusted=True),
        **fields,
    )


def _by_score(
    result: GenePhenotype, rule: ScoreRule, strength: str
) -> tuple[str, dict[str, Any]] | None:
    factor = rule.factors[strength]
    start = parse_score(result.activity_score)
    if factor == 0:
        cpic_score = Score(Decimal(0))
        dpwg_score = cpic_score
    elif start is None:
        return None
    else:
        cpic_score = start.times(factor)
        dpwg_start = parse_score(result.dpwg_lookup_key) if result.dpwg_lookup_key else start
        dpwg_score = (dpwg_start or start).times(factor)
    phenotype, keys = _binned(cpic_score, score_bins(rule.bins["CPIC"]))
    fields: dict[str, Any] = {
        "phenotype": phenotype,
        "activity_score": format_score(cpic_score),
        "lookup_keys": keys,
        "dpwg_phenotype": None,
        "dpwg_lookup_key": None,
    }
    if "DPWG" in rule.bins:
        dpwg_phenotype, dpwg_keys = _binned(dpwg_score, score_bins(rule.bins["DPWG"]))
        if (dpwg_phenotype, dpwg_keys) != (phenotype, keys):
            fields["dpwg_phenotype"] = dpwg_phenotype
            fields["dpwg_lookup_key"] = dpwg_keys[0]
    was = result.activity_score or NOT_AVAILABLE
    method = (
        f"{result.gene} activity score {was} × {factor} ({strength} inhibitor) = "
        f"{format_score(cpic_score)} → {phenotype} ({rule.source})"
    )
    return method, fields


def _binned(score: Score, bins: tuple[ScoreBin, ...]) -> tuple[str, tuple[str, ...]]:
    phenotype = phenotype_for(score, bins)
    if phenotype is None:
        return INDETERMINATE, (NOT_AVAILABLE,)
    if score.at_least:
        return phenotype, (format_score(score),)
    keys = tuple(
        format_score(Score(v))
        for v in grid_neighbours(score.value)
        if phenotype_for(Score(v), bins) == phenotype
    )
    return phenotype, keys


def _by_step(
    result: GenePhenotype, rule: StepRule, strength: str
) -> tuple[str, dict[str, Any]] | None:
    if strength == "strong":
        new, dpwg_new = rule.strong, rule.strong
    else:
        step = rule.moderate_step.get("CPIC", {})
        if result.phenotype not in step:
            return None
        new = step[result.phenotype]
        dpwg_from = result.dpwg_phenotype or result.phenotype
        dpwg_new = rule.moderate_step.get("DPWG", {}).get(dpwg_from, new)
    fields: dict[str, Any] = {
        "phenotype": new,
        "lookup_keys": (new,),
        "dpwg_phenotype": dpwg_new if dpwg_new != new else None,
        "dpwg_lookup_key": dpwg_new if dpwg_new != new else None,
    }
    how = "poor-metabolizer equivalent" if strength == "strong" else "one step down"
    method = (
        f"{strength} {result.gene} inhibitor: {result.phenotype} → {new} ({how}; {rule.source})"
    )
    return method, fields


def score_bins(thresholds: tuple[ScoreThreshold, ...]) -> tuple[ScoreBin, ...]:
    return tuple(ScoreBin(t.phenotype, t.upper, t.upper_inclusive) for t in thresholds)
