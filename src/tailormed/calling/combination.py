"""Combination and partial calls: naming a haplotype that no single named allele explains.

Used when the standard match finds nothing and combinations are asked for, and always
for the lowest-function genes (DPYD, RYR1). On one haplotype (one orientation of the
sample's phase blocks), every non-reference allele whose defined positions all match is
a component (positions it does not define accept anything). Overlapping components are
resolved greedily, larger first; non-reference positions that no component explains
become *partials* named by their genomic HGVS (``g.94781859G>A``; ``g.<pos>?`` when the
allele is missing). Names follow PharmCAT: components in definition order, then partials
by position, joined with `` + `` and bracketed when more than one (``[*2 + *17]``); the
reference allele is never printed unless it is the whole haplotype.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tailormed.calling.compiled import CompiledGene
from tailormed.calling.matcher import allele_bits
from tailormed.vcf.models import ABSENT_HAPLOTYPE, MISSING, NOT_IN_DEFINITION

MAX_ORIENTATIONS = 1 << 10


@dataclass(frozen=True, slots=True)
class HaplotypeName:
    name: str
    components: tuple[int, ...]  # allele indices (empty: reference)
    partials: tuple[str, ...]
    score: int


def partial_name(cg: CompiledGene, p: int, code: int, unknown: str | None = None) -> str:
    """Genomic HGVS-style name of a variant no component explains (``g.18143724C>T``)."""
    variant = cg.gene.variants[int(cg.match_index[p])]
    if code == MISSING:
        return f"g.{variant.position}?"
    if code == NOT_IN_DEFINITION or code <= 0:
        return f"g.{variant.position}{variant.ref}>{unknown or '?'}"
    alt = variant.alleles[code]
    names = [h.strip() for h in (variant.hgvs or "").split(";") if h.strip()]
    if len(names) == len(variant.alts):
        return names[code - 1]
    if len(names) == 1 and len(variant.alts) == 1:
        return names[0]
    return f"g.{variant.position}{variant.ref}>{alt}"


def _viable_groups(cg: CompiledGene, found: list[int]) -> list[list[int]]:
    """Greedy grouping of matching alleles into non-overlapping combinations."""
    defined = cg.allowed != 0
    size = defined.sum(axis=1)
    order = sorted(found, key=lambda a: (-int(size[a]), a))
    groups: list[list[int]] = []
    for a in order:
        added = False
        blocked_by_larger = False
        overlapping_group: list[int] | None = None
        for g in groups:
            clash = [m for m in g if (defined[m] & defined[a]).any()]
            if not clash:
                g.append(a)
                added = True
            else:
                if any(size[m] != size[a] for m in clash):
                    blocked_by_larger = True
                elif overlapping_group is None:
                    overlapping_group = g
        if added or blocked_by_larger:
            continue  # a "shell" allele contained in a larger one is not a component
        base = [m for m in (overlapping_group or []) if not (defined[m] & defined[a]).any()]
        groups.append([*base, a])
    return groups or [[]]


def name_haplotype(
    cg: CompiledGene,
    hap: npt.NDArray[np.int8],
    absent: npt.NDArray[np.bool_],
    unknown: tuple[str | None, ...] = (),
) -> list[HaplotypeName]:
    """Every viable name for one haplotype's codes over the matching positions.

    ``absent``: positions missing on both haplotypes (no data: neither component nor
    partial); a position missing on this haplotype only is a ``g.<pos>?`` partial.
    """
    defined = cg.allowed != 0
    missing = hap == MISSING
    bits = allele_bits(hap)
    fits = (~defined | ((cg.allowed & bits) != 0)).all(axis=1)
    core = defined & ~missing
    found = [
        int(a)
        for a in np.flatnonzero(fits & core.any(axis=1))
        if a != cg.reference_index and cg.differs_from_ref[a][~missing].any()
    ]
    nonref = ((hap > 0) | (hap == NOT_IN_DEFINITION) | missing) & ~absent
    out = []
    for group in _viable_groups(cg, found):
        covered = np.zeros(len(hap), dtype=bool)
        for a in group:
            covered |= cg.differs_from_ref[a]
        partial_pos = np.flatnonzero(nonref & ~covered)
        partials = tuple(
            partial_name(cg, int(p), int(hap[p]), unknown[p] if p < len(unknown) else None)
            for p in partial_pos
        )
        comps = tuple(sorted(group))
        names = [cg.alleles[a].name for a in comps] + list(partials)
        if not names:
            name = cg.alleles[cg.reference_index].name
            score = int(core[cg.reference_index].sum())
        else:
            name = names[0] if len(names) == 1 else "[" + " + ".join(names) + "]"
            merged = np.zeros(len(hap), dtype=bool)
            for a in comps:
                merged |= core[a]
            score = int(merged.sum()) - len(partials)
        out.append(HaplotypeName(name, comps, partials, score))
    return out


def orientations(labels: npt.NDArray[np.int64]) -> list[npt.NDArray[np.bool_]]:
    """Each way to orient the phase blocks (first block fixed): a per-position swap mask."""
    blocks = [b for b in np.unique(labels) if b != 0]
    if len(blocks) <= 1:
        return [np.zeros(len(labels), dtype=bool)]
    free = blocks[1:]
    if (1 << len(free)) > MAX_ORIENTATIONS:
        free = free[:10]
    out = []
    for flips in itertools.product((False, True), repeat=len(free)):
        mask = np.zeros(len(labels), dtype=bool)
        for b, flip in zip(free, flips, strict=True):
            if flip:
                mask |= labels == b
        out.append(mask)
    return out


# Names one haplotype (its codes, and the positions missing on both haplotypes).
HaplotypeNamer = Callable[[npt.NDArray[np.int8], npt.NDArray[np.bool_]], list[HaplotypeName]]


def combination_diplotypes(
    cg: CompiledGene,
    codes: npt.NDArray[np.int8],
    labels: npt.NDArray[np.int64],
    unknown: tuple[str | None, ...] = (),
    namer: HaplotypeNamer | None = None,
) -> list[tuple[tuple[str, ...], int]]:
    """All (names, score) diplotypes over every orientation, best score first.

    ``namer`` replaces :func:`name_haplotype` for each oriented haplotype (a gene rule
    that names some alleles itself, see :mod:`tailormed.calling.hapb3`).
    """
    seen: dict[tuple[str, ...], int] = {}
    haploid = bool((codes[1] == ABSENT_HAPLOTYPE).all())
    absent = (codes[0] == MISSING) & ((codes[1] == MISSING) | haploid)

    def default(hap: npt.NDArray[np.int8], absent: npt.NDArray[np.bool_]) -> list[HaplotypeName]:
        return name_haplotype(cg, hap, absent, unknown)

    name = namer or default
    for swap in orientations(labels):
        h0 = np.where(swap, codes[1], codes[0])
        h1 = np.where(swap, codes[0], codes[1])
        names0 = name(h0, absent)
        names1 = [] if haploid else name(h1, absent)
        if haploid:
            for n in names0:
                seen[(n.name,)] = max(seen.get((n.name,), -(1 << 30)), n.score)
            continue
        for a, b in itertools.product(names0, names1):
            key = tuple(sorted((a.name, b.name)))
            seen[key] = max(seen.get(key, -(1 << 30)), a.score + b.score)
    return sorted(seen.items(), key=lambda kv: (-kv[1], kv[0]))
