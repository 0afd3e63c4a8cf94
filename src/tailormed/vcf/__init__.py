"""Genotype input: read only the defining positions from VCF / VCF.gz / BCF / gVCF.

Owns file validation (one-line errors naming file and line: malformed records, invalid
genotypes, a genome build other than GRCh38), chromosome naming, split and joined
multiallelic records and records that contradict each other, indel representation, gVCF
reference blocks, phase and haploid calls, and what the input covers (a BED, reference
blocks, or the span of its records). Produces :class:`GenotypeMatrix` per gene.
"""

from tailormed.vcf.models import GenePanel, GenotypeMatrix
from tailormed.vcf.reader import VcfSet
from tailormed.vcf.regions import CoveredRegions

__all__ = ["CoveredRegions", "GenePanel", "GenotypeMatrix", "VcfSet"]
