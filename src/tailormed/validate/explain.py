"""Why a call differs from the truth: one :class:`Explanation` per discordance.

:func:`explain` tries the explanations in the order :class:`Explanation` lists them and
returns the first that fits, with a one-line detail. Only ``REVIEW`` is left for a
person to look at; every other explanation names a known limitation of the truth, the
naming or the panel.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Protocol

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.validate import names
from tailormed.validate.getrm import Genotype, TruthCall, genotype


class Explanation(StrEnum):
    """Why a call differs from the truth, in the order they are tried."""

    NO_CALL = "no call"
    TIED = "truth among tied alternatives"
    SUBALLELE = "suballele/core naming"
    MISSING_POSITION = "missing position in the panel"
    NOT_SNV = "allele not definable from SNVs"
    PHASE = "same variants, different phase (truth assay unphased)"
    OLD_NAME = "old star-allele name"
    ALT_TRUTH = "call matches the alternative truth (older consensus / Aldy update)"
    UNTYPED = "allele not typed by the truth assays"
    AMBIGUOUS_TRUTH = "ambiguous truth"
    REVIEW = "caller discordance needing review"


class PanelSite(StrEnum):
    """What the panel VCF holds at a position."""

    RECORD = "record"  # a record at this position
    ABSENT = "absent"  # inside the file's span, no record: filled as reference
    OUTSIDE = "outside"  # outside the region the file was cut to


class Coverage(Protocol):
    def site(self, gene: str, position: int) -> PanelSite: ...


def variant_set(kb: KnowledgeBase, gene: str, name: str) -> frozenset[tuple[int, str]]:
    """The (position, allele) pairs where a named allele differs from the reference."""
    definition = kb.gene(gene)
    try:
        named = definition.allele(name)
    except KeyError:
        return frozenset()
    return frozenset((v.position, a) for v, a in definition.defining_variants(named))


def _positions(kb: KnowledgeBase, gene: str, name: str) -> set[int]:
    return {p for p, _ in variant_set(kb, gene, name)}


def typed_positions(truth: Iterable[TruthCall], kb: KnowledgeBase) -> dict[str, frozenset[int]]:
    """Per gene, the defining positions of every allele named in a truth diplotype.

    A stand-in for the positions the truth assays typed: an allele the call names whose
    distinguishing position appears in no truth call of the gene was most likely not
    tested (GeT-RM 2016 typed a few alleles per gene; PharmVar has added many since).
    """
    out: dict[str, set[int]] = {}
    for t in truth:
        if t.gene not in kb.genes:
            continue
        positions = out.setdefault(t.gene, set())
        for reading in t.readings:
            for name in reading:
                positions |= _positions(kb, t.gene, name)
    return {g: frozenset(p) for g, p in out.items()}


def _closest(readings: Iterable[Genotype], called: Genotype) -> Genotype:
    """The reading sharing most alleles with the call (ties: sorted order)."""
    have: Counter[str] = Counter(called)

    def shared(reading: Genotype) -> int:
        return sum((Counter(reading) & have).values())

    return max(sorted(readings), key=shared)


def _differing(truth: Genotype, called: Genotype) -> tuple[list[str], list[str]]:
    t, c = Counter(truth), Counter(called)
    return list((t - c).elements()), list((c - t).elements())


def _variant_counts(kb: KnowledgeBase, gene: str, g: Genotype) -> Counter[tuple[int, str]]:
    counts: Counter[tuple[int, str]] = Counter()
    for name in g:
        counts.update(variant_set(kb, gene, name))
    return counts


def explain(
    truth: TruthCall,
    call: GeneCall,
    kb: KnowledgeBase,
    coverage: Coverage,
    typed: frozenset[int] = frozenset(),
) -> tuple[Explanation, str]:
    """The first :class:`Explanation` that fits a call that does not match the truth.

    ``typed`` are the positions the truth assays are taken to have typed for this gene
    (see :func:`typed_positions`); empty disables the ``UNTYPED`` explanation.
    """
    gene = truth.gene
    if not call.diplotypes:
        why = "; ".join(call.warnings) or "the caller made no call"
        truth_alleles = sorted({a for r in truth.readings for a in r})
        hint = _missing(kb, gene, truth_alleles, call, coverage)
        return Explanation.NO_CALL, f"{hint}; {why}" if hint else why
    called = genotype(*call.diplotypes[0].alleles)
    for alternative in call.diplotypes[1:]:
        if genotype(*alternative.alleles) in truth.readings:
            return Explanation.TIED, f"truth {alternative.text} is a tied alternative"
    if not truth.readings:
        return Explanation.REVIEW, "the truth has no reading in KB names"
    best = _closest(truth.readings, called)
    if genotype(*map(names.core_name, called)) == genotype(*map(names.core_name, best)):
        return Explanation.SUBALLELE, "same core alleles; the names differ only in suballele"
    truth_only, call_only = _differing(best, called)
    differing = truth_only + call_only
    missing = _missing(kb, gene, differing, call, coverage)
    if missing:
        return Explanation.MISSING_POSITION, missing
    sv = [a for a in differing if names.is_structural(gene, a) or _is_sv(kb, gene, a)]
    if sv:
        return Explanation.NOT_SNV, f"{', '.join(sv)} is structural"
    if _variant_counts(kb, gene, best) == _variant_counts(kb, gene, called):
        return Explanation.PHASE, f"{'/'.join(best)} and {'/'.join(called)} share all variants"
    naming = _old_naming(gene, called, truth.readings)
    if naming:
        return Explanation.OLD_NAME, naming
    if called in truth.alt_readings:
        return Explanation.ALT_TRUTH, f"matches truth_alt {truth.record.truth_alt}"
    untyped = _untyped(kb, gene, truth_only, call_only, typed)
    if untyped:
        return Explanation.UNTYPED, untyped
    return Explanation.REVIEW, f"differs in {', '.join(truth_only)} → {', '.join(call_only)}"


def _missing(
    kb: KnowledgeBase, gene: str, differing: list[str], call: GeneCall, coverage: Coverage
) -> str:
    labels = {v.position: v.label for v in kb.gene(gene).variants}
    positions = sorted({p for a in differing for p in _positions(kb, gene, a)})
    caller_missing = [p for p in positions if p in set(call.missing_positions)]
    if caller_missing:
        return "caller reports missing " + ", ".join(labels[p] for p in caller_missing)
    sites = {p: coverage.site(gene, p) for p in positions}
    outside = [p for p, s in sites.items() if s is PanelSite.OUTSIDE]
    if outside:
        where = ", ".join(f"{labels[p]} ({p})" for p in outside)
        return f"{where} outside the panel region, filled as reference"
    absent = [p for p, s in sites.items() if s is PanelSite.ABSENT]
    if absent:
        where = ", ".join(f"{labels[p]} ({p})" for p in absent)
        return f"{where} has no record in the panel VCF, filled as reference"
    uncertain = sorted(set(differing) & set(call.uncertain_alleles))
    if uncertain:
        return f"caller could not exclude {', '.join(uncertain)} (a defining position is missing)"
    return ""


def _is_sv(kb: KnowledgeBase, gene: str, name: str) -> bool:
    try:
        return kb.gene(gene).allele(name).structural_variant
    except KeyError:
        return False


def _old_naming(gene: str, called: Genotype, readings: frozenset[Genotype]) -> str:
    """Call and truth agree once the names an older nomenclature merged are merged again."""
    merges: Mapping[str, str] | None = names.OLD_NAMING_MERGES.get(gene)
    if not merges:
        return ""

    def merged(g: Genotype) -> Genotype:
        return genotype(*(merges.get(a, a) for a in g))

    if any(merged(called) == merged(r) for r in readings):
        old = ", ".join(f"{k} was part of {v}" for k, v in merges.items())
        return f"agrees in the older nomenclature ({old})"
    return ""


def _untyped(
    kb: KnowledgeBase,
    gene: str,
    truth_only: list[str],
    call_only: list[str],
    typed: frozenset[int],
) -> str:
    """Each called allele in place of a truth allele = that allele + variants at positions
    no truth call of the gene uses."""
    if not typed or len(truth_only) != len(call_only):
        return ""
    pairings = [list(zip(truth_only, call_only, strict=True))]
    if len(call_only) == 2:
        pairings.append(list(zip(truth_only, reversed(call_only), strict=True)))
    for pairing in pairings:
        extras: list[str] = []
        for t, c in pairing:
            tv, cv = variant_set(kb, gene, t), variant_set(kb, gene, c)
            untyped = {p for p, _ in cv - tv} - typed
            if not (tv < cv and untyped):
                break
            extras.append(f"{_labels(kb, gene, untyped)} (defines {c}, called for {t})")
        else:
            return "no truth call of the gene uses " + "; ".join(extras)
    return ""


def _labels(kb: KnowledgeBase, gene: str, positions: set[int]) -> str:
    labels = {v.position: v.label for v in kb.gene(gene).variants}
    return ", ".join(labels.get(p, str(p)) for p in sorted(positions))
