"""Genotype input: read only the defining positions from VCF / VCF.gz / BCF / gVCF.

Owns file validation (clear errors naming file and line), chromosome naming, split and
joined multiallelic records, indel representation, gVCF reference blocks, phase and
haploid calls, and GRCh37 detection. Produces :class:`GenotypeMatrix` per gene.
"""

from tailormed.vcf.models import GenePanel, GenotypeMatrix
from tailormed.vcf.reader import VcfSet

__all__ = ["GenePanel", "GenotypeMatrix", "VcfSet"]
