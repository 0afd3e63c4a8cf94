"""Gene-specific calling behaviour, as data on the one matching mechanism.

:data:`POLICIES` says, per gene, how it departs from the standard path (facts from
PharmCAT @ 5431bf11, ``NamedAlleleMatcher`` and ``Constants``):

* ``undocumented_as_reference``: an allele the definition does not list is read as the
  reference (CACNA1S, DPYD, G6PD, NUDT15, RYR1, TPMT); elsewhere it prevents a call;
* ``lowest_function``: DPYD and RYR1 are called allele by allele; unphased data gives the
  list of haplotypes found, and the diplotype used for interpretation is made of the two
  lowest-function ones ("lowest function" = lowest activity value for DPYD, "Malignant"
  function first for RYR1);
* ``special_alleles``: alleles the gene calls by a rule of its own instead of by matching
  (DPYD's HapB3 pair, :mod:`tailormed.calling.hapb3`).

The knowledge base's own exemptions (required positions, unphased priorities) are
applied here too. Generic code never tests a gene name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from tailormed.calling.compiled import CompiledGene
from tailormed.calling.hapb3 import DPYD_HAPB3
from tailormed.calling.matcher import MatchResult, allele_bits
from tailormed.calling.models import Diplotype, allele_sort_key
from tailormed.knowledge.models import NamedAllele
from tailormed.vcf.models import ABSENT_HAPLOTYPE, MISSING

FunctionKey = Callable[[NamedAllele], tuple[object, ...]]


def _activity(allele: NamedAllele) -> float | None:
    try:
        return float(allele.activity_value) if allele.activity_value is not None else None
    except ValueError:
        return None


def activity_first(allele: NamedAllele) -> tuple[object, ...]:
    """Lowest CPIC activity value first (unknown first: the cautious choice), then name."""
    value = _activity(allele)
    return (value if value is not None else -1.0, allele_sort_key(allele.name))


def malignant_first(allele: NamedAllele) -> tuple[object, ...]:
    """Malignant-hyperthermia-causative alleles first, then name."""
    malignant = "malignant" in (allele.function or "").lower()
    return (0 if malignant else 1, allele_sort_key(allele.name))


def activity_sum(alleles: list[NamedAllele]) -> float:
    """DPYD: a diplotype's summed activity (an allele without a value counts 2.0, as
    PharmCAT's DiplotypeCpicActivityScoreComparator does); lower is lower function."""
    return sum(v if (v := _activity(a)) is not None else 2.0 for a in alleles)


def malignant_count(alleles: list[NamedAllele]) -> float:
    """RYR1: more malignant-hyperthermia-causative alleles rank first."""
    return -float(sum("malignant" in (a.function or "").lower() for a in alleles))


DiplotypeScore = Callable[[list[NamedAllele]], float]


class SpecialAlleles(Protocol):
    """Alleles a lowest-function gene calls by a rule of its own (DPYD's HapB3 pair:
    :class:`tailormed.calling.hapb3.HapB3Rule`).

    When :meth:`applies` to a genotype, the caller names the rest of the gene with
    :meth:`matching_gene` (the gene without those alleles) and takes the rule's calls:
    :meth:`phased_diplotypes` for phased data or phase sets, :meth:`unphased_calls`
    (haplotype names added to the unphased list) otherwise. Both also return notes.
    """

    def applies(self, cg: CompiledGene, codes: npt.NDArray[np.int8]) -> bool: ...

    def matching_gene(self, cg: CompiledGene) -> CompiledGene: ...

    def phased_diplotypes(
        self, cg: CompiledGene, codes: npt.NDArray[np.int8], labels: npt.NDArray[np.int64]
    ) -> tuple[list[tuple[tuple[str, ...], int]], tuple[str, ...]]: ...

    def unphased_calls(
        self, cg: CompiledGene, codes: npt.NDArray[np.int8]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]: ...


@dataclass(frozen=True, slots=True)
class GenePolicy:
    """How one gene departs from the standard path (see the module docstring).

    ``lowest_function`` orders alleles (lowest function first); ``diplotype_score`` ranks
    candidate diplotypes (lower = lower function), ties broken by allele names;
    ``special_alleles`` calls some alleles by a rule of their own (lowest-function genes).
    """

    undocumented_as_reference: bool = False
    lowest_function: FunctionKey | None = None
    diplotype_score: DiplotypeScore | None = None
    # combination mode keeps undocumented alleles (as partials) unless this is set
    undocumented_as_reference_in_combinations: bool = False
    special_alleles: SpecialAlleles | None = None


POLICIES: dict[str, GenePolicy] = {
    "CACNA1S": GenePolicy(undocumented_as_reference=True),
    "G6PD": GenePolicy(undocumented_as_reference=True),
    "NUDT15": GenePolicy(undocumented_as_reference=True),
    "TPMT": GenePolicy(undocumented_as_reference=True),
    "DPYD": GenePolicy(
        undocumented_as_reference=True,
        lowest_function=activity_first,
        diplotype_score=activity_sum,
        undocumented_as_reference_in_combinations=True,
        special_alleles=DPYD_HAPB3,
    ),
    "RYR1": GenePolicy(
        undocumented_as_reference=True,
        lowest_function=malignant_first,
        diplotype_score=malignant_count,
        undocumented_as_reference_in_combinations=True,
    ),
}
STANDARD = GenePolicy()


def policy_for(gene: str) -> GenePolicy:
    return POLICIES.get(gene, STANDARD)


def missing_required(cg: CompiledGene, missing_positions: tuple[int, ...]) -> list[int]:
    required = cg.gene.exemptions.required_positions
    return sorted(p for p in missing_positions if p in required)


def unphased_priority(
    cg: CompiledGene, result: MatchResult
) -> tuple[tuple[tuple[int, ...], ...], str | None]:
    """Exemption data (NAT2): unphased candidates containing a listed set → its pick.

    In priority mode every candidate counts, not only the top-scoring ones. Returns the
    pairs to report and a note naming what was set aside, or the top pairs unchanged.
    """
    priorities = cg.gene.exemptions.unphased_priorities
    if result.phased or not priorities or not result.ranked:
        return result.pairs, None
    names = {_text(cg, pair): pair for pair, _ in result.ranked}
    for priority in priorities:
        if set(priority.candidates) <= set(names) and priority.pick in names:
            others = sorted(n for n in names if n != priority.pick)
            return (names[priority.pick],), (
                f"unphased {cg.gene.symbol} variants fit several diplotypes ("
                + "; ".join(others)
                + f"); {priority.pick} is reported, the knowledge base's pick for this "
                "unphased pattern (based on allele frequencies)"
            )
    return result.pairs, None


def _text(cg: CompiledGene, pair: tuple[int, ...]) -> str:
    return Diplotype.of(*(cg.alleles[a].name for a in pair)).text


def unphased_haplotypes(
    cg: CompiledGene, codes: npt.NDArray[np.int8], special: Sequence[str] = ()
) -> list[str]:
    """Lowest-function genes, unphased: every allele found, homozygous ones listed twice.

    A non-reference allele is found when each position it defines carries its allele on
    either haplotype (unphased sites can be oriented freely); the reference is found when
    no position is non-reference on both haplotypes, and is dropped when more than two
    alleles are found. ``special`` are alleles called by the gene's own rule (one name per
    copy): they are listed too and count towards "more than two".
    """
    defined = cg.allowed != 0
    missing = (codes[0] == MISSING) | (codes[1] == MISSING)
    # only positions defined and present (``core`` below) are consulted
    on0 = (cg.allowed & allele_bits(codes[0])) != 0
    on1 = (cg.allowed & allele_bits(codes[1])) != 0
    found: list[str] = []
    homozygous: set[str] = set()
    for a, allele in enumerate(cg.alleles):
        if a == cg.reference_index:
            continue
        core = defined[a] & ~missing
        if not (cg.differs_from_ref[a] & ~missing).any():
            continue
        if (on0[a][core] | on1[a][core]).all():
            found.append(allele.name)
            if (on0[a][core] & on1[a][core]).all():
                homozygous.add(allele.name)
    both_alt = (codes[0] > 0) & (codes[1] > 0)
    ref_name = cg.alleles[cg.reference_index].name
    if not both_alt.any():
        found.append(ref_name)
    if len(found) + len(special) > 2 and ref_name in found:
        found.remove(ref_name)
    extra = [n for n in homozygous if n in found] + list(special)
    return sorted(found + extra, key=allele_sort_key)


def lowest_function_pair(cg: CompiledGene, names: list[str], key: FunctionKey) -> Diplotype:
    """The two lowest-function alleles of a haplotype list (or of combination strands)."""
    by_name = {a.name: a for a in cg.alleles}
    known = [by_name[n] for n in names if n in by_name]
    ranked = sorted(known, key=key)
    return Diplotype.of(*(a.name for a in ranked[:2]))


def strand_components(name: str) -> list[str]:
    """``[A + B]`` → ``[A, B]``; a plain name → ``[name]``."""
    if name.startswith("[") and name.endswith("]"):
        return [p.strip() for p in name[1:-1].split(" + ")]
    return [name]


def lowest_function_diplotype(
    cg: CompiledGene, diplotypes: tuple[Diplotype, ...], policy: GenePolicy
) -> Diplotype | None:
    """Phased lowest-function rule: each strand reduced to its lowest-function component,
    then the candidate with the lowest function overall (DPYD: lowest summed activity;
    RYR1: most malignant alleles), ties broken by allele names in PharmCAT's order."""
    key = policy.lowest_function
    score = policy.diplotype_score
    if key is None or score is None or not diplotypes:
        return None
    by_name = {a.name: a for a in cg.alleles}
    candidates = []
    for d in diplotypes:
        strands = []
        for strand in d.alleles:
            comps = [by_name[c] for c in strand_components(strand) if c in by_name]
            if not comps:
                comps = [cg.alleles[cg.reference_index]]
            strands.append(sorted(comps, key=key)[0])
        reduced = Diplotype.of(*(a.name for a in strands))
        candidates.append(
            (score(strands), tuple(allele_sort_key(n) for n in reduced.alleles), reduced)
        )
    return min(candidates, key=lambda c: (c[0], c[1]))[2]


def haploid_row(codes: npt.NDArray[np.int8]) -> bool:
    return bool((codes[1] == ABSENT_HAPLOTYPE).all())
