"""Rare-disease knowledge: the HPO term graph, disease annotations and gene links.

:func:`compile_bundle` builds the ``rare`` sibling bundle from the source tree;
:class:`RareKnowledge` loads it (once) as typed, immutable arrays.
"""

from tailormed.knowledge.rare.compile import HPO_CITATION, compile_bundle
from tailormed.knowledge.rare.loader import RareKnowledge

__all__ = ["HPO_CITATION", "RareKnowledge", "compile_bundle"]
