"""Invalid genotypes are errors naming file, line (or record) and problem (issue 8, item 4).

Each case used to be read plausibly: a triploid call cut to two alleles, a haploid call
on an autosome used as one allele, ``+1/0`` and ``00/1`` read as numbers, ``ALT=G,G``
accepted, and a GT index beyond the ALT list or a wrong column count read as "missing".
A haploid call stays valid on chrX (males: G6PD) and chrM.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.calling import CallOptions, call_files
from tailormed.cli.main import app
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.vcf.models import GenePanel
from tailormed.vcf.reader import VcfSet
from tests.vcfbuild import SyntheticVcf, bgzip_and_index, to_bcf

runner = CliRunner()
RS4244285 = 94781859  # CYP2C19 *2, G>A


def _with_record(kb: KnowledgeBase, line: str, samples: tuple[str, ...] = ("S1",)) -> str:
    """A CYP2C19 file whose rs4244285 record is replaced by ``line``."""
    vcf = SyntheticVcf(kb, list(samples)).reference("CYP2C19").drop("CYP2C19", "rs4244285")
    return vcf.add_raw("chr10", RS4244285, line).text()


def _record(ref: str, alt: str, *fields: str, fmt: str = "GT") -> str:
    fixed = ["chr10", str(RS4244285), "rs4244285", ref, alt, ".", "PASS", ".", fmt]
    return "\t".join([*fixed, *fields])


def _line_of(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if f"\t{RS4244285}\t" in line)


CASES = [
    ("triploid", _record("G", "A", "0/1/1"), "ploidy"),
    ("haploid-autosome", _record("G", "A", "1"), "haploid"),
    ("plus-sign", _record("G", "A", "+1/0"), "genotype"),
    ("leading-zero", _record("G", "A", "00/1"), "genotype"),
    ("alt-twice", _record("G", "A,A", "0/1"), "ALT"),
    ("alt-equals-ref", _record("G", "G", "0/1"), "ALT"),
    ("alt-g-g", _record("G", "G,G", "0/1"), "ALT"),
    ("index-beyond-alt", _record("G", "A", "0/3"), "allele 3"),
    ("too-many-columns", _record("G", "A", "0/1", "0/0"), "column"),
    ("too-few-columns", _record("G", "A"), "column"),
]


@pytest.mark.parametrize(("name", "line", "problem"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("form", ["vcf", "vcf.gz", "indexed"])
def test_invalid_genotype_is_an_error_naming_file_and_line(
    kb: KnowledgeBase, tmp_path: Path, name: str, line: str, problem: str, form: str
) -> None:
    text = _with_record(kb, line)
    plain = tmp_path / f"{name}.vcf"
    plain.write_text(text)
    path = {
        "vcf": plain,
        "vcf.gz": tmp_path / f"{name}.vcf.gz",
        "indexed": tmp_path / f"{name}.bgz.vcf.gz",
    }[form]
    if form == "vcf.gz":
        path.write_bytes(gzip.compress(text.encode()))
    elif form == "indexed":
        bgzip_and_index(plain, path)
    with pytest.raises(InputError) as err:
        call_files([path], kb, CallOptions(genes=("CYP2C19",)))
    message = str(err.value)
    assert "\n" not in message
    assert path.name in message
    assert f"line {_line_of(text)}" in message, message
    assert problem.lower() in message.lower(), message


def test_invalid_genotype_in_a_bcf_names_the_record(kb: KnowledgeBase, tmp_path: Path) -> None:
    plain = tmp_path / "t.vcf"
    plain.write_text(_with_record(kb, _record("G", "A", "0/1/1")))
    bcf = to_bcf(plain, tmp_path / "t.bcf")
    with pytest.raises(InputError) as err:
        call_files([bcf], kb, CallOptions(genes=("CYP2C19",)))
    assert "t.bcf" in str(err.value) and "record" in str(err.value)
    assert "ploidy" in str(err.value).lower()


def test_the_error_names_the_sample(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "s.vcf"
    path.write_text(_with_record(kb, _record("G", "A", "0/1", "0/1/1"), ("S1", "S2")))
    with pytest.raises(InputError, match="S2"):
        call_files([path], kb, CallOptions(genes=("CYP2C19",)))


def test_haploid_and_missing_genotypes_stay_valid(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A lone ``.`` is a missing genotype (any ploidy); ``./.`` and ``.|.`` too."""
    for gt in (".", "./.", ".|."):
        path = tmp_path / "m.vcf"
        path.write_text(_with_record(kb, _record("G", "A", gt)))
        call = call_files([path], kb, CallOptions(genes=("CYP2C19",))).call("S1", "CYP2C19")
        assert RS4244285 in call.missing_positions


def test_haploid_on_chrx_is_valid(kb: KnowledgeBase, tmp_path: Path) -> None:
    gene = kb.gene("G6PD")
    vcf = SyntheticVcf(kb, ["M1"])
    for v in gene.variants:
        vcf.add_record(v.chrom, v.position, v.ref, list(v.alts), {"M1": "0"})
    call = call_files([vcf.write(tmp_path / "x.vcf")], kb, CallOptions(genes=("G6PD",)))
    assert call.call("M1", "G6PD").called


def test_haploid_on_chrm_is_valid(tmp_path: Path) -> None:
    """MT-RNR1 is an outside-call gene; the reader itself accepts haploid chrM calls."""
    from tailormed.knowledge.models import DefiningVariant

    variant = DefiningVariant("chrM", 1555, "rs267606617", "A", ("G",), None, (), {})
    text = "\n".join(
        [
            "##fileformat=VCFv4.2",
            "##contig=<ID=chrM,length=16569>",
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1",
            "chrM\t1555\t.\tA\tG\t.\tPASS\t.\tGT\t1",
            "",
        ]
    )
    path = tmp_path / "mt.vcf"
    path.write_text(text)
    matrix = VcfSet([path]).read([GenePanel("MT", "chrM", (variant,))])["MT"]
    assert matrix.codes[0, 0, 0] == 1


def test_non_utf8_sample_name(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = _with_record(kb, _record("G", "A", "0/1")).replace("\tS1\n", "\tS\xe91\n")
    path = tmp_path / "enc.vcf"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(InputError) as err:
        call_files([path], kb, CallOptions(genes=("CYP2C19",)))
    message = str(err.value)
    assert "enc.vcf" in message and "UTF-8" in message and "\n" not in message


def test_cli_reports_invalid_genotype_in_one_line(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "cli.vcf"
    text = _with_record(kb, _record("G", "A", "+1/0"))
    path.write_text(text)
    result = runner.invoke(app, ["call", str(path), "--genes", "CYP2C19", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"cli.vcf, line {_line_of(text)}" in " ".join(result.output.split())
