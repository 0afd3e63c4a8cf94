"""``tailormed validate``: check the caller against published truth sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import JustifyMethod
from rich.table import Table

from tailormed.cli.common import console, default_source_dir, err_console, handle_errors
from tailormed.knowledge import load_kb
from tailormed.validate.concordance import GeneStatus
from tailormed.validate.getrm import TruthCategory, category_counts
from tailormed.validate.run import GetrmReport, run_getrm, write_tsv

app = typer.Typer(help="Validate calls against published truth sets.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Validate Tailormed's calls against published truth sets (GeT-RM)."""


def _split_genes(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [g for v in values for g in v.split(",") if g.strip()]


@app.command("getrm")
@handle_errors
def getrm_cmd(
    source: Annotated[
        Path | None,
        typer.Option(help="Source data folder with getrm/ and 1kgp/ (default: ../shared/data)"),
    ] = None,
    genes: Annotated[
        list[str] | None,
        typer.Option(
            "--genes", help="Genes to validate, comma-separated or repeated (default: all)"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write every per-sample comparison to this TSV")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the full report as JSON instead of tables")
    ] = False,
) -> None:
    """Call the GeT-RM samples of the 1000 Genomes panel and score concordance per gene."""
    kb = load_kb()
    src = source or default_source_dir()
    with err_console.status("Calling the GeT-RM samples of the 1KGP panel ..."):
        report = run_getrm(src, kb, _split_genes(genes))
    if out is not None:
        write_tsv(report, out)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        print_report(report)
    if out is not None:
        err_console.print(f"[green]wrote[/] {len(report.comparisons)} comparisons to {out}")


def print_report(report: GetrmReport) -> None:
    console.print(
        f"[bold]GeT-RM validation[/]  knowledge base {report.kb_version}; "
        f"{len(report.samples)} samples called from {len(report.inputs)} 1KGP VCF(s), "
        "missing positions filled as reference",
        highlight=False,
    )
    console.print(_concordance_table(report))
    _print_gene_notes(report)
    _print_discordances(report)
    console.print(_truth_table(report))


def _concordance_table(report: GetrmReport) -> Table:
    table = Table(title="Concordance per gene (rows of samples in the 1KGP panel)")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("gene", "left"),
        ("truth rows", "right"),
        ("in 1KGP", "right"),
        ("compared", "right"),
        ("concordant", "right"),
        ("%", "right"),
        ("tied", "right"),
        ("no call", "right"),
        ("discordant", "right"),
        ("excluded (in 1KGP)", "left"),
    )
    for col, justify in columns:
        table.add_column(col, justify=justify, overflow="fold")
    for s in report.summaries:
        pct = f"{s.percent:.1f}" if s.percent is not None else "—"
        excluded = ", ".join(f"{k}: {v}" for k, v in sorted(s.excluded.items())) or "—"
        if s.status is not GeneStatus.VALIDATED:
            pct = f"[yellow]{s.status.value}[/]"
        table.add_row(
            s.gene,
            str(s.truth_rows),
            str(s.in_1kgp),
            str(s.compared),
            str(s.concordant),
            pct,
            str(s.tied),
            str(s.no_call),
            str(s.discordant - s.tied - s.no_call),
            excluded,
        )
    return table


def _print_gene_notes(report: GetrmReport) -> None:
    counts = category_counts(list(report.truth))
    for gene, status in report.statuses.items():
        if status is GeneStatus.NO_PANEL:
            console.print(
                f"[yellow]{gene}[/]: GeT-RM has truth for {gene} and the KB defines it, but "
                f"there is no {gene}.vcf.gz in {report.panel_dir}; not validated.",
                highlight=False,
            )
        elif status is GeneStatus.NO_DEFINITION:
            console.print(
                f"[yellow]{gene}[/]: GeT-RM has truth for {gene} but the knowledge base has "
                "no allele definitions for it; not validated.",
                highlight=False,
            )
        elif status is GeneStatus.OUTSIDE_CALL:
            c = counts[gene]
            console.print(
                f"[yellow]{gene}[/]: outside-call gene (copy number and hybrids need a "
                f"dedicated caller); not compared. Truth rows: "
                f"{c[TruthCategory.NOT_SNV]} with structural alleles, "
                f"{c[TruthCategory.COMPARABLE]} SNV-only in 1KGP, "
                f"{c[TruthCategory.AMBIGUOUS]} ambiguous, "
                f"{c[TruthCategory.NOT_IN_1KGP]} SNV-only not in 1KGP.",
                highlight=False,
            )


def _print_discordances(report: GetrmReport) -> None:
    rows = report.discordances
    if not rows:
        console.print("[green]No discordances.[/]")
        return
    table = Table(title=f"Discordances ({len(rows)})")
    for col in ("gene", "sample", "truth", "truth (current names)", "call", "explanation"):
        table.add_column(col, overflow="fold")
    for c in sorted(rows, key=lambda c: (c.truth.gene, c.truth.sample)):
        call = c.call_text
        if c.call is not None and c.call.alternatives:
            call += f" (ties: {', '.join(c.call.alternatives)})"
        explanation = c.explanation.value if c.explanation else ""
        table.add_row(
            c.truth.gene,
            c.truth.sample,
            c.truth.record.truth_diplotype,
            c.truth.readings_text,
            call,
            f"{explanation}: {c.detail}" if c.detail else explanation,
        )
    console.print(table)


def _truth_table(report: GetrmReport) -> Table:
    counts = category_counts(list(report.truth))
    table = Table(title="GeT-RM truth rows by category")
    table.add_column("gene")
    for cat in TruthCategory:
        table.add_column(cat.value, justify="right", overflow="fold")
    for gene, c in counts.items():
        table.add_row(gene, *(str(c[cat.value]) or "" for cat in TruthCategory))
    return table
