"""One gene's phenotype table (CPIC or DPWG) as the phenotype stage reads it.

Owns turning a list of allele names into the table's answer (phenotype, activity
score, lookup key) and, when the table has no answer, into an ``Indeterminate``
outcome that says why. Nothing here guesses: a diplotype the table lists gets the
table's row even if an allele's function is uncertain; anything else is Indeterminate.

>>> from tailormed.knowledge import load_kb
>>> view = table_view(load_kb(), "CYP2C9")
>>> view.outcome(("*1", "*3"), "*1/*3").lookup_key
'1.0'
>>> view.indeterminate_key
'n/a'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from tailormed.knowledge import GenePhenotypes, KnowledgeBase
from tailormed.phenotype.activity import parse_score
from tailormed.phenotype.models import (
    INDETERMINATE,
    NOT_AVAILABLE,
    AlleleInterpretation,
    DiplotypeOutcome,
)

# PharmVar sub-alleles (``*4.024``) share their core allele's function.
_SUBALLELE = re.compile(r"^(\*\d+)\.\d{3}$")


@dataclass(frozen=True, slots=True)
class TableView:
    """A :class:`GenePhenotypes` table with the derived facts interpretation needs.

    ``indeterminate_key`` is the lookup key the table itself gives its Indeterminate
    rows (``"Indeterminate"``; ``"n/a"`` for CYP2C9/CYP2D6), or ``"n/a"`` when the
    table has no such rows (DPYD, RYR1, ...), as PharmCAT does for unlisted diplotypes.
    """

    table: GenePhenotypes
    activity_gene: bool
    indeterminate_key: str
    phenotypes: frozenset[str]
    phenotypes_by_key: Mapping[str, frozenset[str]]
    keys_by_phenotype: Mapping[str, tuple[str, ...]]

    @property
    def gene(self) -> str:
        return self.table.gene

    @property
    def label(self) -> str:
        return f"{self.table.source} phenotype map ({self.table.version})"

    @property
    def source_text(self) -> str:
        return f"{self.table.source} {self.table.version}"

    def canonical(self, name: str) -> str:
        """The table's name for an allele written with a gene prefix or as a sub-allele."""
        alleles = self.table.alleles
        if name in alleles:
            return name
        short = name.strip()
        if short.upper().startswith(self.gene.upper()):
            short = short[len(self.gene) :].strip()
        if short in alleles:
            return short
        m = _SUBALLELE.match(short)
        if m and m.group(1) in alleles:
            return m.group(1)
        return name

    def allele(self, name: str) -> AlleleInterpretation:
        entry = self.table.alleles.get(self.canonical(name))
        if entry is None:
            return AlleleInterpretation(name)
        return AlleleInterpretation(name, entry.function, entry.activity_value)

    def outcome(self, alleles: Sequence[str], text: str) -> DiplotypeOutcome:
        """The table's row for ``alleles`` (order-free), else an explained Indeterminate."""
        names = tuple(self.canonical(a) for a in alleles)
        row = self.table.lookup(*names)
        if row is not None:
            return DiplotypeOutcome(text, row.phenotype, row.activity_score, row.lookup_key)
        missing = sorted(
            {a for a, n in zip(alleles, names, strict=True) if n not in self.table.alleles}
        )
        if missing:
            verb = "has" if len(missing) == 1 else "have"
            problem = f"{', '.join(missing)} {verb} no function in the {self.label}"
        else:
            problem = f"{text} is not in the {self.label}"
        return self.indeterminate(text, problem)

    def indeterminate(self, text: str, problem: str) -> DiplotypeOutcome:
        score = NOT_AVAILABLE if self.activity_gene else None
        return DiplotypeOutcome(text, INDETERMINATE, score, self.indeterminate_key, problem)

    def explain(self, alleles: Sequence[str], text: str) -> str:
        """Why the table's own row for ``alleles`` says Indeterminate: the allele functions."""
        parts = []
        for a in alleles:
            info = self.allele(a)
            parts.append(f"{a}: {info.function or 'no function assigned'}")
        return f"the {self.label} gives {INDETERMINATE} for {text} ({'; '.join(parts)})"

    def mapped_names(self, alleles: Sequence[str]) -> list[str]:
        """Notes for allele names read under another spelling."""
        return [
            f"{self.gene} allele {a} read as {self.canonical(a)}"
            for a in dict.fromkeys(alleles)
            if self.canonical(a) != a
        ]


def build_view(table: GenePhenotypes) -> TableView:
    rows = list(table.diplotypes.values())
    indeterminate = {r.lookup_key for r in rows if r.phenotype == INDETERMINATE}
    by_key: dict[str, set[str]] = {}
    by_phenotype: dict[str, set[str]] = {}
    for r in rows:
        by_key.setdefault(r.lookup_key, set()).add(r.phenotype)
        by_phenotype.setdefault(r.phenotype, set()).add(r.lookup_key)
    activity = any(parse_score(a.activity_value) is not None for a in table.alleles.values())
    return TableView(
        table=table,
        activity_gene=activity,
        indeterminate_key=indeterminate.pop() if len(indeterminate) == 1 else NOT_AVAILABLE,
        phenotypes=frozenset(r.phenotype for r in rows),
        phenotypes_by_key=MappingProxyType({k: frozenset(v) for k, v in by_key.items()}),
        keys_by_phenotype=MappingProxyType(
            {p: tuple(sorted(v, key=_key_order)) for p, v in by_phenotype.items()}
        ),
    )


def _key_order(key: str) -> tuple[int, object]:
    score = parse_score(key)
    if score is None:
        return (1, key)
    return (0, (score.value, score.at_least))


@lru_cache(maxsize=64)
def table_view(kb: KnowledgeBase, gene: str, source: str = "CPIC") -> TableView | None:
    """The gene's table from ``kb`` (cached per KB), or ``None`` when there is none.

    A table without any diplotype rows (IFNL3 at this KB version) counts as none.
    """
    if not kb.has_phenotypes(gene, source):
        return None
    table = kb.phenotypes(gene, source)
    if not table.diplotypes:
        return None
    return build_view(table)
