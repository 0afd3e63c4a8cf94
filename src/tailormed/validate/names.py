"""Legacy star-allele names in published truth sets → the knowledge base's current names.

Truth sets were typed years before the current PharmVar/CPIC nomenclature, so a truth
allele name is first looked up in :data:`LEGACY_NAMES` (an explicit, per-gene table with
the source of every entry) and only then compared with the knowledge base. A legacy name
may stand for more than one current allele (``SLCO1B1 *1`` from assays that did not
subtype ``*1A``/``*1B``); the comparison then accepts any of them.

>>> current_names("SLCO1B1", "*1B")
('*37',)
>>> current_names("CYP2C9", "*3")
('*3',)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class NameMapping:
    """One legacy name and the current knowledge-base name(s) it corresponds to."""

    gene: str
    legacy: str
    current: tuple[str, ...]
    source: str

    @property
    def text(self) -> str:
        return " or ".join(self.current)


_PHARMVAR_SLCO1B1 = (
    "PharmVar GeneFocus: SLCO1B1 (Ramsey et al., Clin Pharmacol Ther 2023;113:782, "
    "doi:10.1002/cpt.2705); CPIC 2022 statin guideline uses these names"
)
# Pre-PharmVar (PharmGKB-era) SLCO1B1 haplotype definitions, as tabulated in
# github:0xTCG/aldy aldy/resources/genes/slco1b1.yml ("version: pharmgkb", 2020-07-18):
#   *17 = g.-11187G>A (rs4149015) + c.388A>G + c.521T>C
#   *21 = g.-11187G>A (rs4149015) + c.388A>G + c.597C>T (rs2291075, synonymous)
# Neither rs4149015 (upstream) nor rs2291075 (synonymous) is a defining position of the
# current PharmVar/CPIC definition (checked against the KB in tests), so the remaining
# defining variants are exactly those of current *15 (c.388G + c.521C) and *37 (c.388G).
_LEGACY_SLCO1B1 = "legacy SLCO1B1 definition (PharmGKB-era, via github:0xTCG/aldy slco1b1.yml)"
_PHARMVAR_CYP3A4 = (
    "PharmVar CYP3A4 5.2.3 (as in github:0xTCG/aldy aldy/resources/genes/cyp3a4.yml): legacy "
    "*1B (g.-392A>G, rs2740574) and *1A are *1 suballeles (*1.001 / *1.002); rs2740574 is "
    "not a CPIC/PharmCAT defining position, so both are core *1"
)
_CPIC_DPYD = (
    "CPIC/PharmCAT DPYD allele names keep the legacy star name in parentheses; legacy "
    "definitions per PharmVar DPYD 4.1.7 (github:0xTCG/aldy aldy/resources/genes/dpyd.yml)"
)


def _table(gene: str, source: str, entries: Mapping[str, tuple[str, ...]]) -> list[NameMapping]:
    return [NameMapping(gene, legacy, current, source) for legacy, current in entries.items()]


_ENTRIES: list[NameMapping] = [
    # --- SLCO1B1 (Pratt 2016 GeT-RM calls via Aldy's spreadsheet) -------------------
    NameMapping("SLCO1B1", "*1A", ("*1",), _PHARMVAR_SLCO1B1 + ": *1A is the reference *1"),
    NameMapping("SLCO1B1", "*1B", ("*37",), _PHARMVAR_SLCO1B1 + ": *1B (c.388A>G) became *37"),
    # Pratt 2016 also writes a bare "*1" where the assays did not subtype *1A/*1B: it
    # covers both, i.e. current *1 or *37. (Consistent with the 1KGP panel: several
    # GeT-RM "*1/*1" samples carry c.388G on one or both haplotypes.)
    NameMapping(
        "SLCO1B1",
        "*1",
        ("*1", "*37"),
        _PHARMVAR_SLCO1B1 + ": legacy *1 without A/B subtype covers *1A (*1) and *1B (*37)",
    ),
    NameMapping("SLCO1B1", "*17", ("*15",), _LEGACY_SLCO1B1 + "; core variants = current *15"),
    NameMapping("SLCO1B1", "*21", ("*37",), _LEGACY_SLCO1B1 + "; core variants = current *37"),
    # --- CYP3A4 --------------------------------------------------------------------
    NameMapping("CYP3A4", "*1A", ("*1",), _PHARMVAR_CYP3A4),
    NameMapping("CYP3A4", "*1B", ("*1",), _PHARMVAR_CYP3A4),
    # --- CYP2D6 (outside-call gene; mapped for classification only) ----------------
    NameMapping(
        "CYP2D6",
        "*2A",
        ("*2",),
        "PharmVar CYP2D6: legacy *2A (with -1584C>G) is a *2 suballele (core *2)",
    ),
    # --- DPYD: legacy star names → CPIC/PharmCAT variant names ----------------------
    *_table(
        "DPYD",
        _CPIC_DPYD,
        {
            "*1": ("Reference",),
            # legacy *2 family: IVS14+1G>A splice variant (rs3918290); PharmVar *2 = *2A
            "*2": ("c.1905+1G>A (*2A)",),
            "*2A": ("c.1905+1G>A (*2A)",),
            "*3": ("c.1898delC (*3)",),
            "*4": ("c.1601G>A (*4)",),  # rs1801158, S534N
            "*5": ("c.1627A>G (*5)",),  # rs1801159, I543V
            "*6": ("c.2194G>A (*6)",),  # rs1801160, V732I
            "*7": ("c.295_298delTCAT (*7)",),
            "*8": ("c.703C>T (*8)",),
            # GeT-RM "*9" is *9A, c.85T>C (rs1801265, C29R) - PharmVar *9.001
            "*9": ("c.85T>C (*9A)",),
            "*9A": ("c.85T>C (*9A)",),
            "*9B": ("c.2657G>A (*9B)",),  # rs1801267, R886H - PharmVar *9.002
            "*10": ("c.2983G>T (*10)",),
            "*11": ("c.1003G>T (*11)",),
            "*12": ("c.1156G>T (*12)",),
            "*13": ("c.1679T>G (*13)",),  # rs55886062, I560S
            "rs17376848": ("c.1896T>C",),  # F632F; PharmVar DPYD*rs17376848
        },
    ),
]

LEGACY_NAMES: Mapping[str, Mapping[str, NameMapping]] = MappingProxyType(
    {
        gene: MappingProxyType({m.legacy: m for m in _ENTRIES if m.gene == gene})
        for gene in sorted({m.gene for m in _ENTRIES})
    }
)

# Names an older nomenclature did not tell apart: CYP2C19 *38 (the GRCh38 reference
# haplotype) was part of *1 until PharmVar split it off. Gaedigk 2022 gives both columns
# (truth_diplotype in *38 naming, truth_alt in *1 naming). Used only to explain a
# discordance, never to count one as concordant.
OLD_NAMING_MERGES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"CYP2C19": MappingProxyType({"*38": "*1"})}
)

# Alleles that are structural (deletion, duplication, hybrid) and cannot be called from
# SNVs/indels, by gene. PharmVar CYP2D6 structural variation: *5 deletion; *13, *61, *63,
# *68 CYP2D6/2D7 hybrids; *36 carries a CYP2D7-derived exon 9 (gene conversion) and occurs
# mostly in tandem with *10; *4N is a *4-like hybrid. Copy numbers (``x2``, ``xN``) and
# tandem arrangements (``+``) are recognised from the notation itself.
STRUCTURAL_ALLELES: Mapping[str, frozenset[str]] = MappingProxyType(
    {"CYP2D6": frozenset({"*4N", "*5", "*13", "*36", "*61", "*63", "*68"})}
)

_COPY_NUMBER = re.compile(r"(x|×)\s*(\d+|N)$", re.IGNORECASE)
_LEGACY_LETTER = re.compile(r"^\*\d+[A-Z]$")
_SUBALLELE = re.compile(r"^(\*\d+)\.\d+$")


def current_names(gene: str, name: str) -> tuple[str, ...]:
    """The current names a truth allele name stands for (itself when not a legacy name)."""
    mapping = LEGACY_NAMES.get(gene, {}).get(name)
    return mapping.current if mapping else (name,)


def legacy_mapping(gene: str, name: str) -> NameMapping | None:
    return LEGACY_NAMES.get(gene, {}).get(name)


def is_structural(gene: str, name: str) -> bool:
    """True for copy-number, tandem or hybrid notation (``*2x2``, ``*36+*10``, ``*5``)."""
    return (
        "+" in name
        or bool(_COPY_NUMBER.search(name))
        or name in STRUCTURAL_ALLELES.get(gene, frozenset())
    )


def looks_legacy(name: str) -> bool:
    """A letter-suffixed star name (``*1A``, ``*4B``): the pre-PharmVar suballele style."""
    return bool(_LEGACY_LETTER.match(name))


def core_name(name: str) -> str:
    """The core allele of a suballele name: ``*45.001`` → ``*45``; others unchanged.

    >>> core_name("*45.002"), core_name("*3A")
    ('*45', '*3A')
    """
    m = _SUBALLELE.match(name)
    return m.group(1) if m else name


def merge_old_naming(gene: str, name: str) -> str:
    return OLD_NAMING_MERGES.get(gene, {}).get(name, name)
