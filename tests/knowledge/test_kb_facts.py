"""Facts asserted straight from the source files, and counts equal to the source's."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import expand_allele


def _definitions(shared: Path) -> dict[str, dict]:
    folder = shared / "pharmcat" / "definition" / "alleles"
    return {
        p.name.removesuffix("_translation.json"): json.loads(p.read_text())
        for p in folder.glob("*_translation.json")
    }


def test_counts_equal_the_sources(kb: KnowledgeBase, shared: Path) -> None:
    defs = _definitions(shared)
    assert set(kb.genes) == set(defs)
    assert kb.manifest.counts["genes"] == len(defs)
    for symbol, raw in defs.items():
        gene = kb.gene(symbol)
        assert len(gene.named_alleles) == len(raw["namedAlleles"]), symbol
        assert [v.position for v in gene.variants] == [v["position"] for v in raw["variants"]]
    assert kb.manifest.counts["named_alleles"] == sum(len(r["namedAlleles"]) for r in defs.values())
    assert kb.manifest.counts["positions"] == sum(len(r["variants"]) for r in defs.values())

    guideline_dir = shared / "pharmcat" / "reporter_legacy_2024-05-29" / "guidelines"
    raw_guidelines = [json.loads(p.read_text()) for p in guideline_dir.glob("*.json")]
    assert len(kb.guidelines) == len(raw_guidelines)
    assert sum(len(g.recommendations) for g in kb.guidelines) == sum(
        len(g["recommendations"]) for g in raw_guidelines
    )
    drug_names = {c["name"] for g in raw_guidelines for c in g["guideline"]["relatedChemicals"]}
    export = shared / "cpic" / "cpic_drugs_recommendations_2022-09-15.json.gz"
    drug_names |= {d["drugname"] for d in json.loads(gzip.decompress(export.read_bytes()))}
    assert {d.name for d in kb.drugs} == drug_names
    assert kb.manifest.counts["drugs"] == len(drug_names)


def test_reference_allele_of_each_gene_is_the_sources(kb: KnowledgeBase, shared: Path) -> None:
    for symbol, raw in _definitions(shared).items():
        (ref,) = [a for a in raw["namedAlleles"] if a.get("reference")]
        gene = kb.gene(symbol)
        assert gene.reference_allele.name == ref["name"]
        # the reference allele covers the GRCh38 REF at every position (CYP2D6*1 uses
        # wobble codes at two positions, e.g. R at 42128813 where REF is G)
        for value, v in zip(gene.reference_allele.alleles, gene.variants, strict=True):
            assert value is not None
            assert v.ref in expand_allele(value, v.alleles), (symbol, v.position)
    assert kb.gene("CYP2C19").reference_allele.name == "*38"
    assert kb.gene("CYP2C9").reference_allele.name == "*1"


def test_cyp2c19_star2_defining_variant(kb: KnowledgeBase) -> None:
    gene = kb.gene("CYP2C19")
    defining = {
        v.rsid: (v.position, v.ref, alt) for v, alt in gene.defining_variants(gene.allele("*2"))
    }
    # rs4244285 (c.681G>A, the splicing defect) defines *2
    assert defining["rs4244285"] == (94781859, "G", "A")
    assert gene.allele("*2").function == "No function"


def test_wobble_code_is_kept_and_expands(kb: KnowledgeBase) -> None:
    gene = kb.gene("CYP2C19")
    star2 = gene.allele("*2")
    v = gene.variant_at(94775507)
    value = star2.alleles[gene.variants.index(v)]
    assert value == "R"
    assert expand_allele(value, v.alleles) == {"A", "G"}


def test_tpmt_star3a_is_two_positions(kb: KnowledgeBase) -> None:
    gene = kb.gene("TPMT")
    defining = {v.rsid for v, _ in gene.defining_variants(gene.allele("*3A"))}
    assert defining == {"rs1800460", "rs1142345"}  # *3B + *3C positions
    assert {v.rsid for v, _ in gene.defining_variants(gene.allele("*3B"))} == {"rs1800460"}
    assert {v.rsid for v, _ in gene.defining_variants(gene.allele("*3C"))} == {"rs1142345"}


def test_cyp2c9_activity_values(kb: KnowledgeBase) -> None:
    gene = kb.gene("CYP2C9")
    assert gene.allele("*1").activity_value == "1.0"
    assert gene.allele("*2").activity_value == "0.5"
    assert gene.allele("*3").activity_value == "0.0"
    table = kb.phenotypes("CYP2C9")
    row = table.lookup("*2", "*3")
    assert row is not None
    assert (row.activity_score, row.phenotype, row.lookup_key) == (
        "0.5",
        "Poor Metabolizer",
        "0.5",
    )


def test_diplotype_lookup_is_order_free(kb: KnowledgeBase) -> None:
    table = kb.phenotypes("CYP2C19")
    assert table.lookup("*2", "*1") == table.lookup("*1", "*2")
    row = table.lookup("*2", "*2")
    assert row is not None and row.phenotype == "Poor Metabolizer"
    assert table.lookup("*1", "*nonexistent") is None


def test_clopidogrel_cpic_poor_metabolizer(kb: KnowledgeBase) -> None:
    recs = kb.recommendations(
        drug="clopidogrel", source="CPIC", lookup={"CYP2C19": "Poor Metabolizer"}
    )
    assert recs
    strong = [r for r in recs if r.classification == "Strong"]
    assert strong
    assert "Avoid clopidogrel" in strong[0].text
    assert "prasugrel or ticagrelor" in strong[0].text
    guideline = kb.guideline(strong[0].guideline_id)
    assert guideline.url and "pharmgkb.org" in guideline.url
    # DPWG has its own recommendation for the same phenotype
    assert kb.recommendations(
        drug="clopidogrel", source="DPWG", lookup={"CYP2C19": "Poor Metabolizer"}
    )


def test_multi_gene_keys_need_every_gene(kb: KnowledgeBase) -> None:
    recs = kb.recommendations(drug="phenytoin", source="CPIC")
    genes = {frozenset(r.lookup_key) for r in recs}
    assert frozenset({"CYP2C9", "HLA-B"}) in genes
    # only one of the two genes known: no two-gene recommendation may match
    partial = kb.recommendations(drug="phenytoin", source="CPIC", lookup={"CYP2C9": "2.0"})
    assert all(set(r.lookup_key) == {"CYP2C9"} for r in partial)


def test_drug_identifiers(kb: KnowledgeBase) -> None:
    clopidogrel = kb.drug("clopidogrel")
    assert clopidogrel.rxnorm == "32968"
    assert clopidogrel.pharmgkb_id == "PA449053"
    assert kb.drug("RxNorm:32968") is clopidogrel
    with pytest.raises(KnowledgeError, match="no guideline covers"):
        kb.drug("paracetamol-not-a-guideline-drug")


def test_manifest_records_provenance(kb: KnowledgeBase) -> None:
    m = kb.manifest
    assert m.kb_version == kb.version
    names = {s.name for s in m.sources}
    assert {"pharmcat-allele-definitions", "clinpgx-guideline-annotations"} <= names
    for s in m.sources:
        assert len(s.sha256) == 64 and s.licence and s.date and s.files > 0


def test_bundle_is_current_with_the_sources(kb: KnowledgeBase, shared: Path) -> None:
    """The committed bundle must be rebuilt when the source data changes."""
    from tailormed.knowledge.build import compile_sources

    _, manifest = compile_sources(shared)
    assert manifest["kb_version"] == kb.version
    assert {s["name"]: s["sha256"] for s in manifest["sources"]} == {
        s.name: s.sha256 for s in kb.manifest.sources
    }
