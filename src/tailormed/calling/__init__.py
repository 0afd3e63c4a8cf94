"""Star-allele diplotype calling: genotype matrices in, :class:`GeneCall` per sample out.

Owns named-allele matching (wobble codes, missing positions, phase blocks), diplotype
scoring with every tie reported, gene-specific rules as data-driven hooks, outside calls,
and the stable ``calls.tsv`` / ``<sample>.json`` output.
"""

from tailormed.calling.caller import call_files
from tailormed.calling.models import CallOptions, CallSet, Diplotype, GeneCall

__all__ = ["CallOptions", "CallSet", "Diplotype", "GeneCall", "call_files"]
