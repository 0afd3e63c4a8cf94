"""Validation of Tailormed's calls against published truth sets.

Owns reading truth tables (the CDC GeT-RM consensus diplotypes), normalising their
legacy star-allele names to the knowledge base's current names with an explicit,
sourced mapping table (:mod:`tailormed.validate.names`), classifying every truth row
(comparable, ambiguous, structural, not in the KB, ...), running the caller on the
1000 Genomes panel and scoring per-gene concordance with an explanation for every
discordance. It reads the knowledge base and the calling stage's result types; no
other stage depends on it.
"""

from tailormed.validate.concordance import (
    Comparison,
    GeneStatus,
    GeneSummary,
    Outcome,
    compare,
    summarise,
)
from tailormed.validate.explain import Explanation, PanelSite
from tailormed.validate.getrm import TruthCall, TruthCategory, TruthRecord, classify, read_truth
from tailormed.validate.run import GetrmReport, run_getrm

__all__ = [
    "Comparison",
    "Explanation",
    "GeneStatus",
    "GeneSummary",
    "GetrmReport",
    "Outcome",
    "PanelSite",
    "TruthCall",
    "TruthCategory",
    "TruthRecord",
    "classify",
    "compare",
    "read_truth",
    "run_getrm",
    "summarise",
]
