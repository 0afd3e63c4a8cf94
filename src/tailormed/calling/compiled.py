"""A gene's named-allele definitions compiled to arrays for matching.

``allowed[a, p]`` is a bitmask over the definition's allele indices at position ``p``
(bit 0 = reference, bit k = k-th alternate) listing what named allele ``a`` accepts
there; ``0`` means the allele does not define the position (any allele matches).
IUPAC wobble codes set several bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tailormed.knowledge.models import GeneDefinition, NamedAllele, expand_allele


@dataclass(frozen=True, slots=True)
class CompiledGene:
    """Arrays over (named allele, matching position) for one gene.

    ``match_index`` are the indices into ``gene.variants`` used for matching.
    ``alleles`` excludes ignored and structural-variant alleles.
    """

    gene: GeneDefinition
    match_index: npt.NDArray[np.int64]
    alleles: tuple[NamedAllele, ...]
    allowed: npt.NDArray[np.int32]  # (A, P), 0 = not defined (wildcard)
    filled: npt.NDArray[np.int32]  # (A, P), undefined positions must be the reference
    wobble: npt.NDArray[np.bool_]  # (A, P): defined by an IUPAC code (several alleles)
    differs_from_ref: npt.NDArray[np.bool_]  # (A, P): defined and not accepting the reference
    reference_index: int  # index of the gene's reference allele in ``alleles``

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.alleles)

    @property
    def defined(self) -> npt.NDArray[np.bool_]:
        defined: npt.NDArray[np.bool_] = self.allowed != 0
        return defined


def compile_gene(gene: GeneDefinition) -> CompiledGene:
    ex = gene.exemptions
    # Ignored positions and alleles are already removed from the published definitions
    # (PharmCAT applies them at data ingestion); an ignored *indel* may share its
    # coordinate with a defining SNV (G6PD 154532990), so positions are not filtered here.
    match_index = np.arange(len(gene.variants), dtype=np.int64)
    alleles = tuple(
        a
        for a in gene.named_alleles
        if a.name not in ex.ignored_alleles and not a.structural_variant
    )
    allowed = np.zeros((len(alleles), len(match_index)), dtype=np.int32)
    for ai, allele in enumerate(alleles):
        for pj, vi in enumerate(match_index):
            value = allele.alleles[vi]
            if value is None:
                continue
            variant = gene.variants[vi]
            accepted = expand_allele(value, variant.alleles)
            mask = 0
            for k, vcf_allele in enumerate(variant.alleles):
                if vcf_allele in accepted:
                    mask |= 1 << k
            allowed[ai, pj] = mask
    differs = (allowed != 0) & ((allowed & 1) == 0)
    # PharmCAT's standard semantics: a position an allele does not define must carry the
    # reference allele (bit 0: the locus REF, even where the reference allele has a wobble).
    filled = np.where(allowed != 0, allowed, np.int32(1)).astype(np.int32)
    popcount = np.zeros_like(allowed)
    for k in range(8):
        popcount += (allowed >> k) & 1
    wobble = popcount > 1
    ref_index = next(i for i, a in enumerate(alleles) if a.reference)
    return CompiledGene(gene, match_index, alleles, allowed, filled, wobble, differs, ref_index)
