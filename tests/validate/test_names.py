"""Every legacy-name mapping lands on an allele the knowledge base defines, as sourced."""

from __future__ import annotations

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.validate.names import (
    LEGACY_NAMES,
    OLD_NAMING_MERGES,
    NameMapping,
    core_name,
    current_names,
    is_structural,
)

ALL_MAPPINGS = [m for table in LEGACY_NAMES.values() for m in table.values()]


@pytest.mark.parametrize("mapping", ALL_MAPPINGS, ids=lambda m: f"{m.gene}{m.legacy}")
def test_every_mapping_resolves_to_a_kb_allele(kb: KnowledgeBase, mapping: NameMapping) -> None:
    gene = kb.gene(mapping.gene)
    for name in mapping.current:
        assert gene.allele(name).name == name  # raises KeyError when the KB lacks it
    assert mapping.source, "every mapping cites its source"


def _rsids(kb: KnowledgeBase, gene: str, allele: str) -> set[str | None]:
    g = kb.gene(gene)
    return {v.rsid for v, _ in g.defining_variants(g.allele(allele))}


@pytest.mark.parametrize(
    ("legacy", "rsids"),
    [
        ("*2A", {"rs3918290"}),  # IVS14+1G>A
        ("*2", {"rs3918290"}),
        ("*13", {"rs55886062"}),  # c.1679T>G
        ("*9", {"rs1801265"}),  # c.85T>C (*9A)
        ("*5", {"rs1801159"}),  # c.1627A>G
        ("*6", {"rs1801160"}),  # c.2194G>A
        ("*4", {"rs1801158"}),  # c.1601G>A
        ("rs17376848", {"rs17376848"}),  # c.1896T>C
        ("*1", set()),
    ],
)
def test_dpyd_legacy_names_land_on_their_defining_variant(
    kb: KnowledgeBase, legacy: str, rsids: set[str]
) -> None:
    (name,) = current_names("DPYD", legacy)
    assert _rsids(kb, "DPYD", name) == rsids


def test_slco1b1_redefinition(kb: KnowledgeBase) -> None:
    assert current_names("SLCO1B1", "*1B") == ("*37",)
    assert _rsids(kb, "SLCO1B1", "*37") == {"rs2306283"}  # c.388A>G alone
    assert _rsids(kb, "SLCO1B1", "*15") == {"rs2306283", "rs4149056"}
    # legacy *17 / *21 differ from *15 / *37 only at g.-11187G>A (rs4149015) and
    # c.597C>T (rs2291075), which the current definition does not use
    positions = {v.rsid for v in kb.gene("SLCO1B1").variants}
    assert {"rs4149015", "rs2291075"}.isdisjoint(positions)
    assert current_names("SLCO1B1", "*17") == ("*15",)
    assert current_names("SLCO1B1", "*21") == ("*37",)
    assert set(current_names("SLCO1B1", "*1")) == {"*1", "*37"}


def test_cyp3a4_1b_is_core_1(kb: KnowledgeBase) -> None:
    assert "rs2740574" not in {v.rsid for v in kb.gene("CYP3A4").variants}
    assert current_names("CYP3A4", "*1B") == ("*1",)


def test_names_without_a_mapping_are_kept() -> None:
    assert current_names("CYP2C9", "*3") == ("*3",)
    assert current_names("TPMT", "*3A") == ("*3A",)


def test_cyp2c19_old_naming_merges_the_reference_haplotype(kb: KnowledgeBase) -> None:
    assert kb.gene("CYP2C19").reference_allele.name == "*38"
    assert OLD_NAMING_MERGES["CYP2C19"] == {"*38": "*1"}


@pytest.mark.parametrize("name", ["*2x2", "*4xN", "*10×2", "*36+*10", "*4+*68", "*5", "*13"])
def test_cyp2d6_structural_notation(name: str) -> None:
    assert is_structural("CYP2D6", name)


def test_structural_names_are_gene_specific() -> None:
    assert not is_structural("CYP2D6", "*4")
    assert not is_structural("CYP2C9", "*5")
    assert not is_structural("DPYD", "*13")


def test_core_name() -> None:
    assert core_name("*45.001") == "*45"
    assert core_name("*3A") == "*3A"
    assert core_name("Reference") == "Reference"
