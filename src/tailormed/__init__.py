"""Tailormed: pharmacogenomic calling, interpretation and point-of-care decision support.

Stages (one package each, data flowing one way):
``knowledge`` (versioned PGx knowledge base) -> ``vcf`` (genotype input) -> ``calling``
(star-allele diplotypes) -> interpretation and output stages built on top.
"""

__version__ = "0.1.0"
