"""Bad input: a clear error naming the file, line and problem; no output that looks complete."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.calling import CallOptions, call_files
from tailormed.cli.main import app
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tests.vcfbuild import SyntheticVcf

runner = CliRunner()


def _good(kb: KnowledgeBase, path: Path, samples: list[str] | None = None) -> Path:
    vcf = SyntheticVcf(kb, samples or ["S1"]).reference("CYP2C19").reference("TPMT")
    return vcf.write(path)


def _call(kb: KnowledgeBase, *paths: Path) -> None:
    call_files(list(paths), kb, CallOptions(genes=("CYP2C19", "TPMT")))


def test_truncated_gzip(kb: KnowledgeBase, tmp_path: Path) -> None:
    good = _good(kb, tmp_path / "g.vcf")
    data = gzip.compress(good.read_bytes() * 3)
    bad = tmp_path / "t.vcf.gz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError) as err:
        _call(kb, bad)
    assert "t.vcf.gz" in str(err.value)


def test_non_vcf_text(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "notes.vcf"
    bad.write_text("this is not a VCF\njust text\n")
    with pytest.raises(InputError, match=r"notes\.vcf.*not a VCF"):
        _call(kb, bad)


def test_missing_header(kb: KnowledgeBase, tmp_path: Path) -> None:
    good = _good(kb, tmp_path / "g.vcf").read_text().splitlines()
    bad = tmp_path / "nohead.vcf"
    bad.write_text("\n".join(line for line in good if not line.startswith("#")) + "\n")
    with pytest.raises(InputError, match=r"nohead\.vcf"):
        _call(kb, bad)


def test_duplicate_sample_names(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = _good(kb, tmp_path / "d.vcf", ["S1", "S1"])
    with pytest.raises(InputError, match=r"duplicate sample names: S1|Duplicated sample name"):
        _call(kb, bad)


def test_bad_record_names_its_line(kb: KnowledgeBase, tmp_path: Path) -> None:
    lines = _good(kb, tmp_path / "g.vcf").read_text().splitlines()
    header = sum(1 for line in lines if line.startswith("#"))
    lines.insert(header + 3, "chr10\tnot-a-number\t.\tA\tG\t.\tPASS\t.\tGT\t0/1")
    bad = tmp_path / "b.vcf"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as err:
        _call(kb, bad)
    assert err.value.path and err.value.path.endswith("b.vcf")
    assert err.value.line == header + 4


def test_grch37_coordinates_detected(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = SyntheticVcf(kb, ["S1"])
    swap = {"A": "C", "C": "G", "G": "T", "T": "A"}
    for v in kb.gene("CYP2C19").variants:
        if v.is_snv:
            ref = swap[v.ref]
            vcf.add_record(v.chrom, v.position, ref, [v.ref], {"S1": "0/0"})
    with pytest.raises(InputError, match="GRCh37"):
        call_files([vcf.write(tmp_path / "b37.vcf")], kb, CallOptions(genes=("CYP2C19",)))


def test_files_with_different_samples(kb: KnowledgeBase, tmp_path: Path) -> None:
    a = _good(kb, tmp_path / "a.vcf", ["S1"])
    b = _good(kb, tmp_path / "b.vcf", ["S2"])
    with pytest.raises(InputError, match="different samples"):
        _call(kb, a, b)


def test_unknown_sample_requested(kb: KnowledgeBase, tmp_path: Path) -> None:
    a = _good(kb, tmp_path / "a.vcf")
    with pytest.raises(InputError, match="NOPE"):
        call_files([a], kb, CallOptions(genes=("TPMT",), samples=("NOPE",)))


def test_cyp2d6_needs_research_mode(kb: KnowledgeBase, tmp_path: Path) -> None:
    a = _good(kb, tmp_path / "a.vcf")
    with pytest.raises(InputError, match="outside call"):
        call_files([a], kb, CallOptions(genes=("CYP2D6",)))


def test_cli_error_leaves_no_output(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "notes.vcf"
    bad.write_text("not a vcf\n")
    out = tmp_path / "out"
    result = runner.invoke(app, ["call", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert "notes.vcf" in result.output
    assert not (out / "calls.tsv").exists()


def test_cli_writes_contract_files(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = _good(kb, tmp_path / "g.vcf", ["S1", "S/2"])
    out = tmp_path / "out"
    result = runner.invoke(app, ["call", str(vcf), "--genes", "CYP2C19,TPMT", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = (out / "calls.tsv").read_text().splitlines()
    assert lines[0].split("\t") == [
        "sample",
        "gene",
        "diplotype",
        "alternatives",
        "phased",
        "missing_positions",
        "warnings",
    ]
    assert len(lines) == 1 + 2 * 2
    assert (out / "S1.json").exists() and (out / "S_2.json").exists()
