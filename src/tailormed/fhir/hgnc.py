"""HGNC gene ids for the gene-studied component (LOINC 48018-6) of genomic observations.

The Genomics Reporting IG codes a gene as ``system = http://www.genenames.org``,
``code = HGNC:<number>``, ``display = <symbol>``.

Source of the ids: the CPIC database, ``cpicpgx/cpic-data``
``src/main/resources/db/migration/V2__initial_data.sql``, table ``gene`` column
``hgncid`` (repository commit 459e3ebdccdccbe515a71dacf038ec532d1bc68d, release 1.56.0;
no later migration changes these rows). CYP2C19 ``HGNC:2621``, CYP2C9 ``HGNC:2623`` and
HLA-B ``HGNC:4932`` also appear in the IG 3.0.0 examples. The table covers every gene
the knowledge base defines alleles or phenotypes for, plus the outside-call genes
(``tests/fhir`` checks this against the KB).

>>> hgnc_id("CYP2C19")
'HGNC:2621'
>>> gene_for_hgnc("2623"), gene_for_hgnc("HGNC:2623")
('CYP2C9', 'CYP2C9')
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

HGNC_SYSTEM = "http://www.genenames.org"

HGNC_IDS: Mapping[str, str] = MappingProxyType(
    {
        "ABCG2": "HGNC:74",
        "CACNA1S": "HGNC:1397",
        "CFTR": "HGNC:1884",
        "CYP2B6": "HGNC:2615",
        "CYP2C19": "HGNC:2621",
        "CYP2C9": "HGNC:2623",
        "CYP2D6": "HGNC:2625",
        "CYP3A4": "HGNC:2637",
        "CYP3A5": "HGNC:2638",
        "CYP4F2": "HGNC:2645",
        "DPYD": "HGNC:1806",
        "G6PD": "HGNC:4057",
        "HLA-A": "HGNC:4931",
        "HLA-B": "HGNC:4932",
        "IFNL3": "HGNC:18365",
        "MT-RNR1": "HGNC:7470",
        "NAT2": "HGNC:7646",
        "NUDT15": "HGNC:23063",
        "RYR1": "HGNC:10483",
        "SLCO1B1": "HGNC:10959",
        "TPMT": "HGNC:12014",
        "UGT1A1": "HGNC:12530",
        "VKORC1": "HGNC:23663",
    }
)

_BY_ID: Mapping[str, str] = MappingProxyType({v: k for k, v in HGNC_IDS.items()})


def hgnc_id(symbol: str) -> str | None:
    """``"HGNC:<n>"`` for a gene symbol (case-insensitive), or ``None`` if not listed."""
    return HGNC_IDS.get(symbol.strip().upper())


def gene_for_hgnc(code: str) -> str | None:
    """The symbol for ``"HGNC:2621"``, ``"hgnc:2621"`` or ``"2621"``; ``None`` if unknown."""
    value = code.strip()
    if value.upper().startswith("HGNC:"):
        value = value[5:]
    return _BY_ID.get(f"HGNC:{value}")


def known_gene(symbol: str) -> str | None:
    """The canonical symbol if ``symbol`` names a listed gene, else ``None``."""
    s = symbol.strip().upper()
    return s if s in HGNC_IDS else None
