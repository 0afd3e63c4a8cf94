"""The versioned PGx knowledge base: what Tailormed knows, and where it came from.

Owns compiling the source data (PharmCAT allele definitions and phenotype maps, CPIC and
DPWG guideline recommendations, CPIC drug tables) into the bundle shipped in
``knowledge/data/``, and the typed, immutable query API over it. Depends on nothing
else in Tailormed; every other stage receives a :class:`KnowledgeBase` explicitly.
"""

from tailormed.knowledge.models import (
    DefiningVariant,
    DiplotypePhenotype,
    Drug,
    GeneDefinition,
    GenePhenotypes,
    Guideline,
    NamedAllele,
    Recommendation,
)
from tailormed.knowledge.store import OUTSIDE_CALL_GENES, KnowledgeBase, load_kb

__all__ = [
    "OUTSIDE_CALL_GENES",
    "DefiningVariant",
    "DiplotypePhenotype",
    "Drug",
    "GeneDefinition",
    "GenePhenotypes",
    "Guideline",
    "KnowledgeBase",
    "NamedAllele",
    "Recommendation",
    "load_kb",
]
