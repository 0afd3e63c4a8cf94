"""Outside calls, CYP2D6 research mode, combination calls, parallel jobs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.calling import CallOptions, call_files
from tailormed.calling.output import merge_outside, read_sample_json, write_calls
from tailormed.calling.outside import read_outside_calls
from tailormed.cli.main import app
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tests.vcfbuild import SyntheticVcf, bgzip_and_index

runner = CliRunner()


def _vcf(kb: KnowledgeBase, tmp_path: Path) -> Path:
    vcf = SyntheticVcf(kb, ["S1"]).reference("CYP2C19").reference("CYP2D6")
    vcf.set("S1", "CYP2C19", "rs3758581", "G/G")
    return vcf.write(tmp_path / "in.vcf")


def test_outside_calls_parse_and_override(kb: KnowledgeBase, tmp_path: Path) -> None:
    tsv = tmp_path / "outside.tsv"
    tsv.write_text(
        "# outside calls\nCYP2D6\tCYP2D6*1/CYP2D6*4\t\t1.0\nHLA-B\tB*57:01/*08:01\n"
        "MT-RNR1\t1555A>G\nCYP2C19\t*2/*2\tPoor Metabolizer\n"
    )
    calls = read_outside_calls(tsv, kb)
    assert [(c.gene, c.alleles) for c in calls] == [
        ("CYP2D6", ("*1", "*4")),
        ("HLA-B", ("*57:01", "*08:01")),
        ("MT-RNR1", ("m.1555A>G",)),
        ("CYP2C19", ("*2", "*2")),
    ]
    callset = call_files([_vcf(kb, tmp_path)], kb, CallOptions(genes=("CYP2C19",)))
    merged = merge_outside(callset, calls, tsv)
    cyp2c19 = merged.call("S1", "CYP2C19")
    assert cyp2c19.source == "outside" and cyp2c19.diplotype == "*2/*2"
    assert cyp2c19.phenotype == "Poor Metabolizer"
    assert any("overrides the VCF call *1/*1" in w for w in cyp2c19.warnings)
    assert merged.call("S1", "CYP2D6").activity_score == "1.0"
    assert merged.call("S1", "HLA-B").diplotype == "*08:01/*57:01"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NOTAGENE\t*1/*1\n", "line 1: unknown gene"),
        ("CYP2D6\n", "line 1: expected"),
        ("CYP2D6\t*1/*2/*3\n", "more than two alleles"),
        ("HLA-B\tfoo/bar\n", "not an HLA allele"),
        ("CYP2D6\t*1/*1\t\tabc\n", "not a number"),
        ("CYP2D6\t*1/*1\nCYP2D6\t*1/*2\n", "line 2: CYP2D6 is given twice"),
        ("# nothing\n", "holds no calls"),
    ],
)
def test_bad_outside_calls(kb: KnowledgeBase, tmp_path: Path, text: str, message: str) -> None:
    tsv = tmp_path / "bad.tsv"
    tsv.write_text(text)
    with pytest.raises(InputError, match=message):
        read_outside_calls(tsv, kb)


def test_cyp2d6_research_mode_says_what_was_not_assessed(kb: KnowledgeBase, tmp_path: Path) -> None:
    options = CallOptions(genes=("CYP2D6",), research_cyp2d6=True)
    call = call_files([_vcf(kb, tmp_path)], kb, options).call("S1", "CYP2D6")
    assert call.source == "vcf-research"
    assert call.diplotype == "*1/*1"
    assert "copy number" in call.warnings[0] and "not for clinical use" in call.warnings[0]


def test_default_genes_leave_cyp2d6_to_outside_calls(kb: KnowledgeBase, tmp_path: Path) -> None:
    callset = call_files([_vcf(kb, tmp_path)], kb, CallOptions())
    assert "CYP2D6" not in callset.genes
    assert set(callset.genes) == set(kb.vcf_callable_genes)


def test_combination_call_names_both_alleles(kb: KnowledgeBase, tmp_path: Path) -> None:
    # CYP2C9 *2 and *3 on the same phased haplotype: no single allele; combinations name it
    vcf = SyntheticVcf(kb, ["S1"]).reference("CYP2C9", sep="|")
    vcf.set("S1", "CYP2C9", "rs1799853", "C|T").set("S1", "CYP2C9", "rs1057910", "A|C")
    path = vcf.write(tmp_path / "c.vcf")
    plain = call_files([path], kb, CallOptions(genes=("CYP2C9",))).call("S1", "CYP2C9")
    assert not plain.called
    combo = call_files([path], kb, CallOptions(genes=("CYP2C9",), combinations=True))
    call = combo.call("S1", "CYP2C9")
    assert call.diplotype == "*1/[*2 + *3]"
    assert any("combination call" in w for w in call.warnings)


def test_parallel_jobs_give_the_same_calls(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = SyntheticVcf(kb, ["S1", "S2"]).reference("CYP2C19").reference("TPMT")
    vcf.set("S2", "TPMT", "rs1142345", "T/C").set("S1", "CYP2C19", "rs3758581", "A/G")
    plain = vcf.write(tmp_path / "p.vcf")
    indexed = bgzip_and_index(plain, tmp_path / "p.vcf.gz")
    genes = ("CYP2C19", "TPMT")
    one = call_files([indexed], kb, CallOptions(genes=genes))
    two = call_files([indexed], kb, CallOptions(genes=genes, jobs=2))
    assert one.calls == two.calls


def test_sample_json_round_trips(kb: KnowledgeBase, tmp_path: Path) -> None:
    callset = call_files([_vcf(kb, tmp_path)], kb, CallOptions(genes=("CYP2C19", "TPMT")))
    write_calls(callset, tmp_path / "out")
    sample, calls = read_sample_json(tmp_path / "out" / "S1.json")
    assert sample == "S1"
    assert {c.gene: c for c in calls} == {c.gene: c for c in callset.for_sample("S1")}


def test_cli_call_with_outside_and_sample_file(kb: KnowledgeBase, tmp_path: Path) -> None:
    tsv = tmp_path / "o.tsv"
    tsv.write_text("CYP2D6\t*1/*4\n")
    samples = tmp_path / "samples.txt"
    samples.write_text("S1\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "call",
            str(_vcf(kb, tmp_path)),
            "--genes",
            "CYP2C19",
            "--outside",
            str(tsv),
            "--samples",
            f"@{samples}",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in (out / "calls.tsv").read_text().splitlines()[1:]]
    assert [(r[1], r[2]) for r in rows] == [("CYP2C19", "*1/*1"), ("CYP2D6", "*1/*4")]
