"""Variants: VEP/snpEff/plain VCFs, filters, modes of inheritance, and the combined rank."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.genotype import GenotypeParams, genotype_evidence
from tailormed.rare.models import Variant
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket
from tailormed.rare.run import rank_phenopackets
from tailormed.rare.variants import read_variants

from .conftest import SNPEFF_HEADER, VEP_HEADER, write_vcf

# the causal AAGAB variant of PMID_24573067 (hg38 chr15:67236719 TG>T, c.174del, het)
AAGAB = ("chr15", 67236719, "TG", "T")


def _vep(allele: str, cons: str, gene: str, af: str = "", clin: str = "") -> str:
    return f"CSQ={allele}|{cons}|HIGH|{gene}|ENSG1|c.1|{af}|{clin}"


def test_vep_csq_fields_follow_the_header(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    vcf = write_vcf(
        tmp_path / "v.vcf",
        [
            (*AAGAB, _vep("-", "frameshift_variant", "AAGAB"), "0/1"),
            ("chr1", 1000, "A", "G", _vep("G", "missense_variant", "GENE1", "0.2", ""), "1/1"),
            ("chr2", 2000, "C", "T", _vep("T", "synonymous_variant", "GENE2", "", "benign"), "0/1"),
            (
                "chr3",
                3000,
                "C",
                "T",
                _vep("T", "missense_variant", "GENE3", "", "Pathogenic"),
                "0/0",
            ),
        ],
        info_header=VEP_HEADER,
    )
    sv = read_variants(vcf, rare_kb.coords, {"S1": "FEMALE"})["S1"]
    assert sv.annotation == "VEP CSQ" and sv.warnings == ()
    (v,) = sv.by_gene["AAGAB"]
    assert (v.consequence, v.zygosity, v.pathogenicity) == (
        "frameshift_variant",
        "heterozygous",
        1.0,
    )
    (g1,) = sv.by_gene["GENE1"]
    assert (g1.zygosity, g1.allele_frequency) == ("homozygous", 0.2)
    assert sv.by_gene["GENE2"][0].pathogenicity == 0.0  # ClinVar benign
    assert "GENE3" not in sv.by_gene  # 0/0: not carried


def test_snpeff_ann(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    ann = "ANN=T|stop_gained|HIGH|ABCB7|ENSG|transcript|ENST|protein_coding|5/16|c.1C>T|p.Q1*|||||"
    vcf = write_vcf(
        tmp_path / "s.vcf", [("chrX", 75070433, "C", "T", ann, "1")], info_header=SNPEFF_HEADER
    )
    sv = read_variants(vcf, rare_kb.coords, {"S1": "MALE"})["S1"]
    (v,) = sv.by_gene["ABCB7"]
    assert (v.consequence, v.zygosity, v.hgvs) == ("stop_gained", "hemizygous", "c.1C>T")


def test_unannotated_vcf_maps_by_coordinates(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "p.vcf", [(*AAGAB, "", "0/1")], reference="")
    sv = read_variants(vcf, rare_kb.coords, {"S1": "FEMALE"})["S1"]
    assert sv.by_gene["AAGAB"][0].consequence == "unknown"
    assert any("consequences are unknown" in w for w in sv.warnings)
    assert any("does not state its genome build" in w for w in sv.warnings)


def test_other_builds_are_refused(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "b37.vcf", [(*AAGAB, "", "0/1")], reference="##reference=hg19")
    with pytest.raises(InputError, match="GRCh37/hg19"):
        read_variants(vcf, rare_kb.coords, {"S1": "FEMALE"})
    vcf = write_vcf(
        tmp_path / "len.vcf",
        [(*AAGAB, "", "0/1")],
        reference="##contig=<ID=1,length=249250621>",
    )
    with pytest.raises(InputError, match="GRCh37 length"):
        read_variants(vcf, rare_kb.coords, {"S1": "FEMALE"})


def _v(gene: str, zyg: str, p: float = 1.0, af: float | None = None, pos: int = 1) -> Variant:
    return Variant("chr1", pos, "A", "T", gene, "stop_gained", zyg, p, af)  # type: ignore[arg-type]


AD, AR, XR = ("HP:0000006",), ("HP:0000007",), ("HP:0001419",)


@pytest.mark.parametrize(
    ("modes", "variants", "sex", "compatible"),
    [
        (AD, [_v("G", "heterozygous")], "FEMALE", True),
        (AR, [_v("G", "heterozygous")], "FEMALE", False),  # one hit: recessive not satisfied
        (AR, [_v("G", "heterozygous"), _v("G", "heterozygous", pos=2)], "FEMALE", True),
        (AR, [_v("G", "homozygous")], "FEMALE", True),
        (XR, [_v("G", "hemizygous")], "MALE", True),
        # a heterozygous call on a male X is not hemizygous (a diploid-calling artefact or
        # mosaic): it does not fit X-linked recessive
        (XR, [_v("G", "heterozygous")], "MALE", False),
        (XR, [_v("G", "heterozygous")], "FEMALE", False),
        (AD, [_v("G", "heterozygous", af=0.01)], "FEMALE", False),  # too common for dominant
        (AR, [_v("G", "homozygous", af=0.005)], "FEMALE", True),  # rare enough for recessive
    ],
)
def test_mode_of_inheritance(
    modes: tuple[str, ...], variants: list[Variant], sex: str, compatible: bool
) -> None:
    ev = genotype_evidence("G", modes, variants, sex, GenotypeParams())  # type: ignore[arg-type]
    assert ev.compatible is compatible
    if compatible:
        assert ev.log10_lr > 0 and ev.variants


def test_no_candidate_variant_counts_against() -> None:
    ev = genotype_evidence("G", AD, [], "FEMALE", GenotypeParams())
    assert ev.log10_lr < 0 and not ev.compatible and "no candidate variant" in ev.summary


def test_causal_variant_lifts_the_right_gene(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path, tmp_path: Path
) -> None:
    """PMID 24573067: with the AAGAB frameshift the right diagnosis ranks first."""
    packet = samples / "PMID_24573067_CASE_REPORT.json"
    case = read_phenopacket(packet, rare_kb.ontology)
    before = {c.gene: c.rank for c in ranker.rank(case, top=50).candidates}
    vcf = write_vcf(
        tmp_path / "case.vcf",
        [
            ("chr1", 1000, "A", "G", _vep("G", "missense_variant", "CFTR"), "0/1"),
            (*AAGAB, _vep("-", "frameshift_variant", "AAGAB"), "0/1"),
        ],
        info_header=VEP_HEADER,
        samples=("CASE REPORT",),
    )
    (ranking,) = rank_phenopackets([packet], vcf=vcf, top=5)
    top = ranking.candidates[0]
    assert (top.gene, top.disease_id) == ("AAGAB", "OMIM:148600")
    assert before["AAGAB"] > 1
    assert top.genotype is not None and top.genotype.compatible
    assert top.genotype.variants[0].pos == 67236719
    # the other candidates have no variant: their genotype evidence counts against them
    others = [c for c in ranking.candidates if c.gene != "AAGAB"]
    assert all(c.genotype is not None and c.genotype.log10_lr < 0 for c in others)


def test_vcf_sample_must_match_subject(samples: Path, tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "two.vcf", [(*AAGAB, "", "0/1\t0/0")], samples=("A", "B"))
    with pytest.raises(InputError, match="no sample named 'CASE REPORT'"):
        rank_phenopackets([samples / "PMID_24573067_CASE_REPORT.json"], vcf=vcf)


def test_unparsable_record_is_an_input_error(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    vcf = write_vcf(
        tmp_path / "bad.vcf",
        [(*AAGAB, "", "0/1"), ("chr15", 67236800, "G", "T", "CSQ=T|x|c.[1A>T;1556G>T]||", "0/1")],
        info_header=VEP_HEADER,
    )
    with pytest.raises(InputError, match=r"bad\.vcf: cannot parse the record after record 1"):
        read_variants(vcf, rare_kb.coords, {"S1": "FEMALE"})
