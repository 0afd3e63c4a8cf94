"""Gene-specific calling rules, as data-driven hooks on the one matching mechanism.

Each rule takes the top-scoring diplotypes and returns possibly re-ordered or
re-expressed diplotypes plus warnings explaining what it did. Rules are selected by the
knowledge base's exemption data or listed in :data:`GENE_RULES`; generic code never
tests a gene name.
"""

from __future__ import annotations

from collections.abc import Callable

from tailormed.calling.compiled import CompiledGene
from tailormed.calling.models import Diplotype

Rule = Callable[
    [CompiledGene, tuple[Diplotype, ...], bool], tuple[tuple[Diplotype, ...], list[str]]
]


def unphased_priority(
    cg: CompiledGene, diplotypes: tuple[Diplotype, ...], phased: bool
) -> tuple[tuple[Diplotype, ...], list[str]]:
    """Exemption data: when unphased ties are exactly a listed set, its ``pick`` comes first.

    The other diplotypes stay as alternatives, so the ambiguity remains visible.
    """
    if phased or len(diplotypes) < 2:
        return diplotypes, []
    texts = {d.text for d in diplotypes}
    for priority in cg.gene.exemptions.unphased_priorities:
        if texts == set(priority.candidates):
            first = [d for d in diplotypes if d.text == priority.pick]
            rest = [d for d in diplotypes if d.text != priority.pick]
            return tuple(first + rest), [
                f"unphased data fit {' or '.join(sorted(texts))}; {priority.pick} is reported "
                "first by the knowledge base's priority for unphased calls"
            ]
    return diplotypes, []


GENE_RULES: dict[str, tuple[Rule, ...]] = {}
DEFAULT_RULES: tuple[Rule, ...] = (unphased_priority,)


def apply_gene_rules(
    cg: CompiledGene, diplotypes: tuple[Diplotype, ...], phased: bool
) -> tuple[tuple[Diplotype, ...], list[str]]:
    warnings: list[str] = []
    for rule in DEFAULT_RULES + GENE_RULES.get(cg.gene.symbol, ()):
        diplotypes, w = rule(cg, diplotypes, phased)
        warnings.extend(w)
    return diplotypes, warnings
