"""Genotype data handed from the VCF reader to the caller.

Allele codes (``int8``) per sample, haplotype and defining position:

* ``0`` the definition's reference allele, ``1..K`` its alternate alleles in definition order;
* ``MISSING`` (-1): no call (``./.``) or, without ``--missing-to-ref``, position absent;
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

PositionSource = Literal["vcf", "gvcf-block", "absent", "missing-to-ref", "ref-mismatch"]


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
    ``i`` was obtained. ``warnings`` are file-level problems for this gene (REF mismatches).
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
