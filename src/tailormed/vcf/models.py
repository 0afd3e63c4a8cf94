"""Genotype data handed from the VCF reader to the caller.

Allele codes (``int8``) per sample, haplotype and defining position:

* ``0`` the definition's reference allele, ``1..K`` its alternate alleles in definition order;
* ``MISSING`` (-1): no call (``./.``), conflicting records, or a position absent from the
  input (without ``--missing-to-ref``, or outside what the input covers);
* ``NOT_IN_DEFINITION`` (-2): an allele the definition does not list (reported as a warning);
* ``ABSENT_HAPLOTYPE`` (-3): the second haplotype of a haploid call (chrX in males).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from tailormed.knowledge.models import DefiningVariant

MISSING = -1
NOT_IN_DEFINITION = -2
ABSENT_HAPLOTYPE = -3

# How each position was obtained: a record ("vcf"), a gVCF reference block, absent (no
# call), assumed reference under --missing-to-ref where the input covers it, absent
# outside what the input covers (no call, warned), or a record whose REF contradicts the
# definition (no call, warned).
PositionSource = Literal[
    "vcf", "gvcf-block", "absent", "missing-to-ref", "outside-coverage", "ref-mismatch"
]


@dataclass(frozen=True, slots=True)
class GenePanel:
    """The positions to read for one gene (definition positions plus report-only extras)."""

    gene: str
    chrom: str
    variants: tuple[DefiningVariant, ...]


@dataclass(frozen=True, slots=True)
class GenotypeMatrix:
    """All samples' genotypes at one gene's positions.

    ``codes``: ``(samples, 2, positions)`` int8 as above. ``phased``: ``(samples, positions)``
    bool, the phase flag of the genotype at that position. ``phase_set``: ``(samples,
    positions)`` int64, the FORMAT/PS value (0 = none). ``sources[i]`` says how position
    ``i`` was obtained. ``warnings`` are file-level notes for this gene (REF mismatches,
    an unstated genome build, positions outside the covered region).

    ``covered`` is False when the input holds nothing in the gene's region (no record,
    and no BED region under ``--missing-to-ref``): the gene is not called. ``conflicts``
    (``(samples, positions)`` bool, or None when there are none) marks positions where the
    input's records state different genotypes for a sample; ``conflict_records[i]`` names
    those records. ``mixed_ploidy`` (same shape, or None) marks diploid calls of a sample
    called haploid elsewhere in the gene (chrX): no-calls too.
    """

    gene: str
    samples: tuple[str, ...]
    variants: tuple[DefiningVariant, ...]
    codes: npt.NDArray[np.int8]
    phased: npt.NDArray[np.bool_]
    phase_set: npt.NDArray[np.int64]
    sources: tuple[PositionSource, ...]
    warnings: tuple[str, ...] = ()
    # per position: the VCF allele read where codes say NOT_IN_DEFINITION (first seen)
    unknown_alleles: tuple[str | None, ...] = ()
    covered: bool = True
    coverage_note: str = ""
    conflicts: npt.NDArray[np.bool_] | None = None
    conflict_records: tuple[str, ...] = ()
    mixed_ploidy: npt.NDArray[np.bool_] | None = None
