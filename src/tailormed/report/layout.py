"""What the clinician view shows where: causes, groups and cards, decided from the Report.

The first page answers, in this order: drugs on the medication list that need action
(most severe first, :func:`tailormed.report.build.severity`), the other actionable drugs
grouped by the results behind them, computed doses, phenoconversion with its cause, and
genes not tested or without a result. The pages after it give every actionable
recommendation in full (drugs whose advice is word for word the same share a card, and a
repeated "Other considerations" text refers to where it was first given) and one compact
table of "no change" drugs. Nothing here shortens a text; it only decides where each one
is shown, once.

>>> Cause("CYP2D6", "Poor Metabolizer", "paroxetine").phenoconverted
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tailormed.report import plain
from tailormed.report.schema import DrugResult, GeneResult, Recommendation

ACTION_LABELS = {
    "alternative drug": "Alternative drug",
    "dose change": "Dose change",
    "other change": "Other change",
}


@dataclass(frozen=True, slots=True)
class Cause:
    """One gene's part in why advice was selected, as the clinician view shows it."""

    gene: str
    label: str  # the patient's result that selected the advice ("*57:01 positive")
    phenoconverted_by: str | None = None  # inhibitors that changed this phenotype

    @property
    def phenoconverted(self) -> bool:
        return self.phenoconverted_by is not None


def split_text(text: str) -> tuple[str, str]:
    """A recommendation's advice, and its "Other Considerations" part (may be empty).

    >>> split_text("Use X.\\nOther Considerations\\nIf Y, then Z.")
    ('Use X.', 'If Y, then Z.')
    """
    main, sep, other = text.partition("Other Considerations")
    return (main.strip(), other.strip()) if sep else (text.strip(), "")


def phenoconverted(g: GeneResult | None) -> bool:
    """The phenotype used for advice differs from the genotype's because of co-medication."""
    if g is None or g.phenoconversion is None:
        return False
    pc = g.phenoconversion
    return pc.adjusted and pc.genotype_phenotype != g.phenotype


def _label(gene: str, rec: Recommendation, genes: dict[str, GeneResult]) -> str:
    """The phenotype that selected ``rec`` for ``gene`` — the one the recommendation
    records (a drug whose advice was chosen from the genotype shows the genotype's
    phenotype even when the gene is phenoconverted for other drugs)."""
    g = genes.get(gene)
    if g is None:
        return "not tested"
    if g.allele_presence:  # HLA: the allele key that selected the advice
        return rec.lookup_key.get(gene) or "no result"
    if plain.is_undetermined(g):
        return "no result"
    used = rec.phenotypes.get(gene)
    if used:
        return used.split(", phenoconverted from ", 1)[0].split(" (activity score", 1)[0]
    return g.phenotype or "no result"


def _cause(
    gene: str, labels: list[str], genes: dict[str, GeneResult], converted: bool = True
) -> Cause:
    g = genes.get(gene)
    by = None
    if converted and g is not None and g.phenoconversion is not None and phenoconverted(g):
        by = ", ".join(g.phenoconversion.inhibitors)
    return Cause(gene, ", ".join(labels), by)


def rec_causes(rec: Recommendation, genes: dict[str, GeneResult]) -> tuple[Cause, ...]:
    """The patient's results that selected one recommendation."""
    return tuple(
        _cause(gene, [_label(gene, rec, genes)], genes, rec.phenoconverted)
        for gene in rec.lookup_key
    )


def causes(drug: DrugResult, genes: dict[str, GeneResult]) -> tuple[Cause, ...]:
    """The results behind a drug's actionable advice, one per gene, in advice order."""
    labels: dict[str, list[str]] = {}
    converted: dict[str, bool] = {}
    for rec in drug.recommendations:
        if not rec.actionable:
            continue
        for gene in rec.genes:
            found = labels.setdefault(gene, [])
            label = _label(gene, rec, genes)
            if label not in found:
                found.append(label)
            converted[gene] = converted.get(gene, False) or rec.phenoconverted
    return tuple(_cause(gene, ls, genes, converted[gene]) for gene, ls in labels.items())


def action_key(d: DrugResult) -> str:
    """The actions of a drug as one label ("Alternative drug or dose change")."""
    names = [ACTION_LABELS[a] for a in d.actions] or [ACTION_LABELS["other change"]]
    return " or ".join([names[0], *(n.lower() for n in names[1:])])


# ----------------------------------------------------------------------------- page 1
@dataclass(frozen=True, slots=True)
class CauseGroup:
    """Actionable drugs that share the results behind their advice, by action asked for."""

    causes: tuple[Cause, ...]
    by_action: dict[str, list[DrugResult]]


def cause_groups(drugs: Sequence[DrugResult], genes: dict[str, GeneResult]) -> list[CauseGroup]:
    """Group drugs (given most severe first) by their causes, then by their actions; groups
    keep the order of their most severe drug."""
    groups: dict[tuple[Cause, ...], dict[str, list[DrugResult]]] = {}
    for d in drugs:
        groups.setdefault(causes(d, genes), {}).setdefault(action_key(d), []).append(d)
    return [CauseGroup(c, by_action) for c, by_action in groups.items()]


def dosed(drugs: Sequence[DrugResult]) -> list[DrugResult]:
    """Drugs with a computed dose: on the list first, then individual doses, then by name."""
    return sorted(
        (d for d in drugs if d.doses),
        key=lambda d: (not d.on_medication_list, not d.individual_dose, d.drug),
    )


def gap(g: GeneResult | None) -> str:
    """Why a gene gives no usable result, in counts (the lists are in the gene table).

    >>> gap(None)
    'not tested'
    """
    if g is None:
        return "not tested"
    parts = []
    if g.missing_positions:
        n = len(g.missing_positions)
        parts.append(f"{n} defining position{'s' if n != 1 else ''} missing")
    if g.uncertain_alleles:
        n = len(g.uncertain_alleles)
        parts.append(f"{n} allele{'s' if n != 1 else ''} could not be excluded")
    if g.alternatives:
        parts.append(f"{len(g.alternatives) + 1} tied diplotypes")
    if g.diplotype is None:
        parts.append("no call")
    what = g.phenotype or "no call"
    if not parts:
        return f"{what}: {g.reason or '; '.join(g.warnings) or 'no result'}"
    return f"{what}: {'; '.join(parts)}"


def unresolved(d: DrugResult, genes: dict[str, GeneResult]) -> list[str]:
    """The genes a drug's guidelines use that gave no usable result, one line each."""
    out = []
    for gene in d.genes:
        g = genes.get(gene)
        if g is None or plain.is_undetermined(g):
            out.append(f"{gene} {gap(g)}")
    return out


def reason_groups(drugs: Sequence[DrugResult]) -> list[tuple[str, list[DrugResult]]]:
    """Drugs sharing the same one-sentence reason, in first-seen order."""
    groups: dict[str, list[DrugResult]] = {}
    for d in drugs:
        groups.setdefault(d.reason, []).append(d)
    return list(groups.items())


# ----------------------------------------------------------------------------- cards
@dataclass(frozen=True, slots=True)
class Block:
    """One recommendation as a card shows it (identical ones merged, populations joined).

    ``considerations_as`` names the drug whose card already gave the same "Other
    considerations" text (``""`` for the same card), in which case it is not repeated.
    """

    rec: Recommendation
    populations: tuple[str, ...]
    keys: tuple[Cause, ...]
    advice: str
    considerations: str
    considerations_as: str | None = None


@dataclass(frozen=True, slots=True)
class Card:
    """One card of the advice section: drugs whose advice is word for word the same."""

    drugs: tuple[DrugResult, ...]
    blocks: tuple[Block, ...]

    @property
    def first(self) -> DrugResult:
        return self.drugs[0]


def _merged(d: DrugResult) -> list[tuple[Recommendation, list[str]]]:
    """Recommendations with the same source, strength, keys and text shown once, with
    the populations they apply to (CPIC carbamazepine gives one text for two)."""
    merged: dict[object, tuple[Recommendation, list[str]]] = {}
    for rec in d.recommendations:
        key = (rec.source, rec.classification, rec.actionable, tuple(rec.lookup_key.items()))
        _, populations = merged.setdefault((key, rec.text), (rec, []))
        if rec.population and rec.population not in populations:
            populations.append(rec.population)
    return list(merged.values())


def blocks(
    d: DrugResult, genes: dict[str, GeneResult], given: dict[str, str] | None = None
) -> tuple[Block, ...]:
    """The blocks of one drug. ``given`` (considerations text → drug that showed it) is
    updated, so a text already shown is referred to instead of repeated."""
    given = {} if given is None else given
    out = []
    for rec, populations in _merged(d):
        advice, other = split_text(rec.text)
        seen = given.get(other) if other else None
        if other and seen is None:
            given[other] = d.drug
        out.append(
            Block(
                rec,
                tuple(populations),
                rec_causes(rec, genes),
                advice,
                other,
                None if seen is None else ("" if seen == d.drug else seen),
            )
        )
    return tuple(out)


def cards(drugs: Sequence[DrugResult], genes: dict[str, GeneResult]) -> list[Card]:
    """Cards in drug order. A drug joins an earlier card when its recommendations say the
    same (source, strength, population and text) for the same results and the same
    actions, unless it is on the medication list or has a computed dose."""
    grouped: list[list[DrugResult]] = []
    index: dict[object, int] = {}
    for d in drugs:
        key: object = (
            causes(d, genes),
            tuple(d.actions),
            tuple((r.source, r.classification, r.population, r.text) for r in d.recommendations),
        )
        alone = d.on_medication_list or bool(d.doses)
        if not alone and key in index:
            grouped[index[key]].append(d)
            continue
        if not alone:
            index[key] = len(grouped)
        grouped.append([d])
    given: dict[str, str] = {}
    return [Card(tuple(ds), blocks(ds[0], genes, given)) for ds in grouped]
