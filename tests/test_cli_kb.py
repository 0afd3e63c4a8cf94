"""The kb commands print what the knowledge base holds."""

from __future__ import annotations

from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.knowledge import KnowledgeBase

runner = CliRunner()


def test_kb_info_shows_counts_and_sources(kb: KnowledgeBase) -> None:
    result = runner.invoke(app, ["kb", "info"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert kb.version in result.output
    assert "pharmcat-allele-definitions" in result.output
    assert f"{kb.manifest.counts['named_alleles']:,}" in result.output


def test_kb_gene_shows_alleles_and_positions() -> None:
    result = runner.invoke(app, ["kb", "gene", "CYP2C19"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "rs4244285" in result.output
    assert "*17" in result.output and "Increased function" in result.output


def test_kb_gene_unknown_is_a_clear_error() -> None:
    result = runner.invoke(app, ["kb", "gene", "NOTAGENE"])
    assert result.exit_code == 1
    assert "unknown gene 'NOTAGENE'" in result.output


def test_kb_info_shows_the_name_table_and_the_inhibitor_lists_draft_status() -> None:
    result = runner.invoke(app, ["kb", "info"], env={"COLUMNS": "400"})
    assert result.exit_code == 0, result.output
    assert "pharmgkb-drug-names" in result.output and "CC BY-SA 4.0" in result.output
    assert "tailormed-inhibitors" in result.output
    assert "Review status: draft" in result.output
