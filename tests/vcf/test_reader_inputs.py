"""Input variety: compression, BCF, indexes, chromosome names, split/joined multiallelics,
indel spellings, gVCF blocks, haploid calls, several files of one sample set."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import KnowledgeBase
from tests.vcfbuild import SyntheticVcf, bgzip_and_index, to_bcf


def _call(kb: KnowledgeBase, path: Path | list[Path], gene: str, sample: str = "S1", **kw: object):
    paths = path if isinstance(path, list) else [path]
    return call_files(paths, kb, CallOptions(genes=(gene,), **kw)).call(sample, gene)  # type: ignore[arg-type]


def _cyp2c19_star1_star2(kb: KnowledgeBase, prefix: str = "chr") -> SyntheticVcf:
    return (
        SyntheticVcf(kb, ["S1"], chrom_prefix=prefix)
        .reference("CYP2C19")
        .set("S1", "CYP2C19", "rs12769205", "A/G")
        .set("S1", "CYP2C19", "rs4244285", "G/A")
        .set("S1", "CYP2C19", "rs3758581", "G/G")
    )


def test_star1_star2_unphased(kb: KnowledgeBase, tmp_path: Path) -> None:
    call = _call(kb, _cyp2c19_star1_star2(kb).write(tmp_path / "a.vcf"), "CYP2C19")
    assert call.diplotype == "*1/*2"
    assert not call.phased
    evidence = {e.rsid: e.genotype for e in call.evidence["*2"]}
    assert evidence["rs4244285"] == "G/A"


@pytest.mark.parametrize("prefix", ["chr", ""])
@pytest.mark.parametrize("form", ["vcf", "vcf.gz", "indexed", "bcf"])
def test_same_call_from_every_container(
    kb: KnowledgeBase, tmp_path: Path, prefix: str, form: str
) -> None:
    plain = _cyp2c19_star1_star2(kb, prefix).write(tmp_path / "a.vcf")
    path = {
        "vcf": lambda: plain,
        "vcf.gz": lambda: _cyp2c19_star1_star2(kb, prefix).write(tmp_path / "a.vcf.gz"),
        "indexed": lambda: bgzip_and_index(plain, tmp_path / "b.vcf.gz"),
        "bcf": lambda: to_bcf(plain, tmp_path / "a.bcf"),
    }[form]()
    assert _call(kb, path, "CYP2C19").diplotype == "*1/*2"


def _ugt1a1(kb: KnowledgeBase) -> SyntheticVcf:
    return SyntheticVcf(kb, ["S1"]).reference("UGT1A1").drop("UGT1A1", 233760233)


def test_multiallelic_joined_and_split_agree(kb: KnowledgeBase, tmp_path: Path) -> None:
    # UGT1A1 TA repeat: REF CAT = (TA)7; *28 = (TA)8 = CATAT; *36 = (TA)6 = C
    joined = _ugt1a1(kb).add_record("chr2", 233760233, "CAT", ["C", "CATAT"], {"S1": "1/2"})
    split = (
        _ugt1a1(kb)
        .add_record("chr2", 233760233, "CAT", ["C"], {"S1": "0/1"})
        .add_record("chr2", 233760233, "CAT", ["CATAT"], {"S1": "1/0"})
    )
    a = _call(kb, joined.write(tmp_path / "j.vcf"), "UGT1A1")
    b = _call(kb, split.write(tmp_path / "s.vcf"), "UGT1A1")
    assert a.diplotypes == b.diplotypes
    assert {x for d in a.diplotypes for x in d.alleles} >= {"*36"}


def test_indel_spelled_differently_is_recognised(kb: KnowledgeBase, tmp_path: Path) -> None:
    # (TA)8 written as an insertion after the anchor base instead of the definition's REF
    vcf = _ugt1a1(kb).add_record("chr2", 233760233, "C", ["CAT"], {"S1": "0/1"})
    call = _call(kb, vcf.write(tmp_path / "i.vcf"), "UGT1A1")
    assert call.called
    assert any("*28" in a for d in call.diplotypes for a in d.alleles)
    assert not any("allele not in the definition" in w for w in call.warnings)


def test_absent_position_is_missing_not_reference(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = _cyp2c19_star1_star2(kb).drop("CYP2C19", "rs4244285")
    call = _call(kb, vcf.write(tmp_path / "m.vcf"), "CYP2C19")
    assert 94781859 in call.missing_positions
    assert "*2" in call.uncertain_alleles or not call.called or call.diplotype != "*1/*2"


def test_missing_to_ref_says_so(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = (
        SyntheticVcf(kb, ["S1"])
        .set("S1", "CYP2C19", "rs4244285", "G/A")
        .set("S1", "CYP2C19", "rs12769205", "A/G")
        .set("S1", "CYP2C19", "rs3758581", "G/G")
    )
    path = vcf.write(tmp_path / "v.vcf")
    strict = _call(kb, path, "CYP2C19")
    assert strict.missing_positions
    # the three records do not span the gene: a BED says the whole gene was sequenced
    variants = kb.gene("CYP2C19").variants
    bed = tmp_path / "cyp2c19.bed"
    bed.write_text(f"chr10\t{variants[0].position - 1}\t{variants[-1].position}\n")
    lenient = _call(kb, path, "CYP2C19", missing_to_ref=True, covered_regions=bed)
    assert lenient.diplotype == "*1/*2"
    assert not lenient.missing_positions
    assert any("--missing-to-ref" in w for w in lenient.warnings)


def test_gvcf_reference_block(kb: KnowledgeBase, tmp_path: Path) -> None:
    gene = kb.gene("CYP2C19")
    first, last = gene.variants[0].position, gene.variants[-1].position
    vcf = SyntheticVcf(kb, ["S1"]).add_record(
        "chr10", first - 10, "N", ["<NON_REF>"], {"S1": "0/0"}, info=f"END={last + 5}"
    )
    path = vcf.write(tmp_path / "g.vcf")
    call = _call(kb, path, "CYP2C19")
    assert call.diplotype == "*38/*38"
    assert not call.missing_positions
    nocall = SyntheticVcf(kb, ["S1"]).add_record(
        "chr10", first - 10, "N", ["<NON_REF>"], {"S1": "./."}, info=f"END={last + 5}"
    )
    call = _call(kb, nocall.write(tmp_path / "n.vcf"), "CYP2C19")
    assert len(call.missing_positions) == len(gene.variants)


def test_haploid_g6pd_male(kb: KnowledgeBase, tmp_path: Path) -> None:
    gene = kb.gene("G6PD")
    a_minus = gene.allele("A- 202A_376G")
    defining = gene.defining_variants(a_minus)
    vcf = SyntheticVcf(kb, ["M1", "F1"])
    for v in gene.variants:
        vcf.add_record(v.chrom, v.position, v.ref, list(v.alts), {"M1": "0", "F1": "0|0"})
    for v, alt in defining:
        vcf.sites.pop((v.chrom, v.position, v.ref + ",".join(v.alts)))
        vcf.add_record(v.chrom, v.position, v.ref, [alt], {"M1": "1", "F1": "0|1"})
    path = vcf.write(tmp_path / "x.vcf")
    cs = call_files([path], kb, CallOptions(genes=("G6PD",)))
    male, female = cs.call("M1", "G6PD"), cs.call("F1", "G6PD")
    assert male.diplotype == "A- 202A_376G"
    assert female.diplotypes[0].alleles == ("A- 202A_376G", "B (reference)")


def test_several_files_of_one_sample_set(kb: KnowledgeBase, tmp_path: Path) -> None:
    a = _cyp2c19_star1_star2(kb).write(tmp_path / "cyp2c19.vcf")
    b = (
        SyntheticVcf(kb, ["S1"])
        .reference("TPMT")
        .set("S1", "TPMT", "rs1142345", "T/C")  # genomic strand: c.719A>G is T>C
        .write(tmp_path / "tpmt.vcf")
    )
    cs = call_files([a, b], kb, CallOptions(genes=("CYP2C19", "TPMT")))
    assert cs.call("S1", "CYP2C19").diplotype == "*1/*2"
    assert cs.call("S1", "TPMT").diplotype == "*1/*3C"


def test_sample_subset_and_order(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = SyntheticVcf(kb, ["S1", "S2", "S3"]).reference("CYP2C19")
    vcf.set("S2", "CYP2C19", "rs4244285", "A/A").set("S2", "CYP2C19", "rs12769205", "G/G")
    vcf.set("S2", "CYP2C19", "rs3758581", "G/G")
    cs = call_files(
        [vcf.write(tmp_path / "s.vcf")], kb, CallOptions(genes=("CYP2C19",), samples=("S2",))
    )
    assert cs.samples == ("S2",)
    assert cs.call("S2", "CYP2C19").diplotype == "*2/*2"


def test_ref_mismatch_is_a_warning(kb: KnowledgeBase, tmp_path: Path) -> None:
    v = kb.gene("CYP2C19").variant_at(94762706)  # rs28399504 A>G
    vcf = _cyp2c19_star1_star2(kb).drop("CYP2C19", "rs28399504")
    vcf.add_record("chr10", v.position, "T", ["G"], {"S1": "0/0"})
    call = _call(kb, vcf.write(tmp_path / "r.vcf"), "CYP2C19")
    assert any("REF mismatch at chr10:94762706" in w for w in call.warnings)
