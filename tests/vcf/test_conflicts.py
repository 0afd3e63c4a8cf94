"""Conflicting records at one position (issue 8, item 3).

Two records that state different genotypes for one sample at one position (the same
POS/REF/ALT twice, or a split multiallelic site whose records put two alternate alleles
on one haplotype) make that position a no-call for that sample, with a warning naming
both records. Never a silent merge (an ALT used to win on each haplotype: CYP2B6 *1/*6
became *6/*9), never an error that stops the other samples.

Reading of a split multiallelic site (``bcftools norm -m-`` writes GT 1/2 as ``1/0`` and
``0/1``): each record says, per haplotype, "my ALT" or "not my ALT" (0). Phased records
showing their ALT on different haplotypes are consistent (the sample carries both
alleles); two records showing an ALT on the same haplotype claim two alleles for one
haplotype, a conflict. Unphased records carry no haplotype: they are consistent while
they state at most two alternate alleles in all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import KnowledgeBase
from tests.conftest import SHARED
from tests.vcfbuild import SyntheticVcf, bgzip_and_index

RS3745274 = 41006936  # CYP2B6 c.516G>T (*6 and *9)
RS2279343 = 41009358  # CYP2B6 c.785A>G (*6 with c.516G>T)
TA_REPEAT = 233760233  # UGT1A1 rs3064744: CAT = (TA)7; C = (TA)6 *36; CATAT *28; CATATAT *37


def _cyp2b6_star1_star6(kb: KnowledgeBase, samples: list[str]) -> SyntheticVcf:
    vcf = SyntheticVcf(kb, samples).reference("CYP2B6")
    for s in samples:
        vcf.set(s, "CYP2B6", "rs3745274", "G/T").set(s, "CYP2B6", "rs2279343", "A/G")
    return vcf


def _line(chrom: str, pos: int, ref: str, alts: str, *gts: str) -> str:
    return "\t".join([chrom, str(pos), ".", ref, alts, ".", "PASS", ".", "GT", *gts])


@pytest.mark.parametrize("indexed", [False, True])
def test_duplicate_record_with_another_genotype_is_a_no_call_position(
    kb: KnowledgeBase, tmp_path: Path, indexed: bool
) -> None:
    vcf = _cyp2b6_star1_star6(kb, ["S1", "S2"])
    vcf.add_raw("chr19", RS3745274, _line("chr19", RS3745274, "G", "T", "1/1", "0/1"))
    path = vcf.write(tmp_path / "dup.vcf")
    if indexed:
        path = bgzip_and_index(path, tmp_path / "dup.vcf.gz")
    cs = call_files([path], kb, CallOptions(genes=("CYP2B6",)))
    s1, s2 = cs.call("S1", "CYP2B6"), cs.call("S2", "CYP2B6")
    assert s1.diplotype != "*6/*9"
    assert RS3745274 in s1.missing_positions
    conflict = [w for w in s1.warnings if "conflicting records" in w]
    assert conflict, s1.warnings
    assert f"chr19:{RS3745274}" in conflict[0]
    if not indexed:  # both records named by line
        lines = path.read_text().splitlines()
        numbers = [i for i, line in enumerate(lines, 1) if f"\t{RS3745274}\t" in line]
        assert len(numbers) == 2
        assert all(f"line {n}" in conflict[0] for n in numbers), conflict[0]
    # S2's two records agree: nothing changes for S2
    assert s2.diplotype == "*1/*6"
    assert not any("conflicting" in w for w in s2.warnings)


def test_identical_duplicate_records_change_nothing(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = _cyp2b6_star1_star6(kb, ["S1"])
    vcf.add_raw("chr19", RS3745274, _line("chr19", RS3745274, "G", "T", "1/0"))  # = 0/1
    call = call_files([vcf.write(tmp_path / "same.vcf")], kb, CallOptions(genes=("CYP2B6",)))
    got = call.call("S1", "CYP2B6")
    assert got.diplotype == "*1/*6"
    assert not got.missing_positions or RS3745274 not in got.missing_positions
    assert not any("conflicting" in w for w in got.warnings)


def _ugt1a1(kb: KnowledgeBase, samples: list[str]) -> SyntheticVcf:
    return SyntheticVcf(kb, samples).reference("UGT1A1").drop("UGT1A1", TA_REPEAT)


def _split(kb: KnowledgeBase, gt_ins2: str, gt_ins4: str) -> SyntheticVcf:
    """The TA repeat as two split records: +AT (*28) and +ATAT (*37), as the 1KGP panel."""
    return (
        _ugt1a1(kb, ["S1"])
        .add_raw("chr2", TA_REPEAT, _line("chr2", TA_REPEAT, "C", "CAT", gt_ins2))
        .add_raw("chr2", TA_REPEAT, _line("chr2", TA_REPEAT, "C", "CATAT", gt_ins4))
    )


@pytest.mark.parametrize(
    ("gt28", "gt37"),
    [("0|1", "0|1"), ("1|0", "1|0"), ("1/1", "0/1"), ("1|1", "0|1")],
)
def test_split_records_with_alts_on_one_haplotype_conflict(
    kb: KnowledgeBase, tmp_path: Path, gt28: str, gt37: str
) -> None:
    call = call_files(
        [_split(kb, gt28, gt37).write(tmp_path / "s.vcf")], kb, CallOptions(genes=("UGT1A1",))
    ).call("S1", "UGT1A1")
    assert TA_REPEAT in call.missing_positions
    assert any("conflicting records" in w and f"chr2:{TA_REPEAT}" in w for w in call.warnings)
    assert "*28/*37" not in [d.text for d in call.diplotypes]


@pytest.mark.parametrize(
    ("gt28", "gt37"),
    [("0|1", "1|0"), ("1|0", "0|1"), ("0/1", "0/1"), ("1/0", "0/1"), ("1/.", "./1")],
)
def test_split_records_on_different_haplotypes_agree(
    kb: KnowledgeBase, tmp_path: Path, gt28: str, gt37: str
) -> None:
    call = call_files(
        [_split(kb, gt28, gt37).write(tmp_path / "s.vcf")], kb, CallOptions(genes=("UGT1A1",))
    ).call("S1", "UGT1A1")
    assert call.diplotype == "*28/*37", (call.diplotype, call.warnings)
    assert not any("conflicting" in w for w in call.warnings)


def test_joined_and_split_forms_of_one_site_together_agree(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """A file holding both the joined record and its split records, all saying *28/*37."""
    vcf = _split(kb, "1/0", "0/1").add_raw(
        "chr2", TA_REPEAT, _line("chr2", TA_REPEAT, "CAT", "CATAT,CATATAT", "1/2")
    )
    call = call_files([vcf.write(tmp_path / "j.vcf")], kb, CallOptions(genes=("UGT1A1",)))
    got = call.call("S1", "UGT1A1")
    assert got.diplotype == "*28/*37"
    assert not any("conflicting" in w for w in got.warnings)


@pytest.mark.needs_shared
def test_ugt1a1_panel_hg02648(kb: KnowledgeBase) -> None:
    """The bundled UGT1A1 panel splits the TA repeat into three records. HG02648 shows
    the ALT on its second haplotype in both the +AT (*28) and the +ATAT (*37) record: one
    haplotype cannot carry (TA)8 and (TA)9, so the site is a no-call for HG02648 only."""
    if SHARED is None:
        pytest.skip("../shared/data not available")
    panel = SHARED / "1kgp" / "GRCh38" / "UGT1A1.vcf.gz"
    cs = call_files([panel], kb, CallOptions(genes=("UGT1A1",), samples=("HG02648", "HG00096")))
    bad = cs.call("HG02648", "UGT1A1")
    assert TA_REPEAT in bad.missing_positions
    warning = next(w for w in bad.warnings if "conflicting records" in w)
    assert "C>CAT" in warning and "C>CATAT" in warning, warning
    good = cs.call("HG00096", "UGT1A1")
    assert TA_REPEAT not in good.missing_positions
    assert not any("conflicting" in w for w in good.warnings)


def test_diploid_call_among_haploid_ones_on_chrx(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A male (haploid calls on chrX) with one heterozygous diploid call: that call cannot
    be read as one allele; it used to lose its ALT silently (second haplotype dropped)."""
    gene = kb.gene("G6PD")
    a_minus = gene.allele("A- 202A_376G")
    (v, alt), *_ = gene.defining_variants(a_minus)
    vcf = SyntheticVcf(kb, ["M1"])
    for other in gene.variants:
        if other.position != v.position:
            vcf.add_record(other.chrom, other.position, other.ref, list(other.alts), {"M1": "0"})
    vcf.add_record(v.chrom, v.position, v.ref, [alt], {"M1": "0/1"})
    call = call_files([vcf.write(tmp_path / "x.vcf")], kb, CallOptions(genes=("G6PD",)))
    got = call.call("M1", "G6PD")
    assert v.position in got.missing_positions
    assert any("diploid genotype" in w and v.label in w for w in got.warnings), got.warnings
