"""``tailormed validate getrm`` on a small synthetic source folder with a stand-in caller."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.calling.models import CallOptions, CallSet, Diplotype, GeneCall
from tailormed.cli.validate import app
from tailormed.knowledge import KnowledgeBase
from tailormed.validate import run
from tests.validate.builders import tsv

runner = CliRunner()
ENV = {"COLUMNS": "220"}

TRUTH = tsv(
    "NA00001\tCYP2C19\t*1/*2\tsrc\tyes\t\t\t",
    "NA00002\tCYP2C19\t*1/*17\tsrc\tyes\t\t\t",
    "NA00003\tCYP2C19\t*1/*2\tsrc\tno\t\t\t",
    "NA00001\tCYP2C9\t*1/*3\tsrc\tyes\t\t\t",
    "NA00001\tDPYD\t*1/*5\tsrc\tyes\t\t1/5\t",
    "NA00001\tCYP2D6\t*2x2/*4\tsrc\tyes\t\t\t",
    "NA00001\tCYP2C8\t*1/*3\tsrc\tyes\t\t\t",
)
CALLS = {
    ("NA00001", "CYP2C19"): ("*2", "*1"),
    ("NA00002", "CYP2C19"): ("*1", "*2"),
    ("NA00001", "CYP2C9"): ("*1", "*3"),
}


def _vcf(path: Path, chrom: str, positions: list[int]) -> None:
    lines = [
        "##fileformat=VCFv4.1",
        f"##contig=<ID={chrom}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA00001\tNA00002",
        *(f"{chrom}\t{p}\t.\tA\tG\t.\tPASS\t.\tGT\t0|0\t0|1" for p in positions),
    ]
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.fixture()
def source(tmp_path: Path, kb: KnowledgeBase) -> Path:
    (tmp_path / "getrm").mkdir()
    (tmp_path / "getrm" / "getrm_truth.tsv").write_text(TRUTH)
    panel = tmp_path / "1kgp" / "GRCh38"
    panel.mkdir(parents=True)
    for gene in ("CYP2C19", "CYP2C9", "CYP2D6", "CYP2C8"):
        positions = [v.position for v in kb.gene(gene).variants] if gene != "CYP2C8" else [1]
        _vcf(panel / f"{gene}.vcf.gz", "chr10", sorted(positions))
    return tmp_path


@pytest.fixture()
def fake_caller(monkeypatch: pytest.MonkeyPatch) -> list[CallOptions]:
    seen: list[CallOptions] = []

    def call_files(paths: list[Path], kb: KnowledgeBase, options: CallOptions) -> CallSet:
        seen.append(options)
        assert {p.name for p in paths} == {"CYP2C19.vcf.gz", "CYP2C9.vcf.gz"}
        calls = {
            key: GeneCall(key[0], key[1], (Diplotype(alleles),), phased=True)
            for key, alleles in CALLS.items()
        }
        genes = options.genes or ()
        samples = options.samples or ()
        return CallSet(samples, genes, calls, kb.version, options=options)

    monkeypatch.setattr(run, "load_caller", lambda: call_files)
    return seen


def test_tables_and_discordances(source: Path, fake_caller: list[CallOptions]) -> None:
    result = runner.invoke(app, ["getrm", "--source", str(source)], env=ENV)
    assert result.exit_code == 0, result.output
    (options,) = fake_caller
    assert options.missing_to_ref
    assert options.genes == ("CYP2C19", "CYP2C9")
    assert options.samples == ("NA00001", "NA00002")
    out = result.output
    assert "Concordance per gene" in out
    assert "50.0" in out and "100.0" in out
    assert "NA00002" in out and "caller discordance needing review" in out
    assert "no DPYD.vcf.gz" in out
    assert "no allele definitions" in out  # CYP2C8
    assert "outside-call gene" in out and "1 with structural alleles" in out


def test_out_tsv_and_json(source: Path, fake_caller: list[CallOptions], tmp_path: Path) -> None:
    out = tmp_path / "cmp.tsv"
    result = runner.invoke(
        app, ["getrm", "--source", str(source), "--out", str(out), "--json"], env=ENV
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0].split("\t")[:3] == ["sample_id", "gene", "in_1kgp_30x"]
    assert len(lines) == 1 + 7
    report = json.loads(result.stdout)
    assert report["schema"] == run.SCHEMA
    genes = {g["gene"]: g for g in report["genes"]}
    assert genes["CYP2C19"]["compared"] == 2 and genes["CYP2C19"]["concordant"] == 1
    assert genes["DPYD"]["status"] == "no 1KGP VCF for this gene"
    assert len(report["comparisons"]) == 7


def test_genes_without_a_panel_need_no_caller(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_caller() -> None:
        raise AssertionError("the caller must not be loaded")

    monkeypatch.setattr(run, "load_caller", no_caller)
    result = runner.invoke(app, ["getrm", "--source", str(source), "--genes", "DPYD,CYP2C8"])
    assert result.exit_code == 0, result.output


def test_unknown_gene_is_a_clear_error(source: Path) -> None:
    result = runner.invoke(app, ["getrm", "--source", str(source), "--genes", "NUDT15"], env=ENV)
    assert result.exit_code == 1
    assert "no GeT-RM truth for NUDT15" in result.output


def test_missing_truth_table_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["getrm", "--source", str(tmp_path)], env=ENV)
    assert result.exit_code == 1
    assert "getrm_truth.tsv" in result.output
