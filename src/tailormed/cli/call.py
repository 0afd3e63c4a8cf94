"""``tailormed call``: VCF(s) in, ``calls.tsv`` and ``<sample>.json`` out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.calling.output import write_calls
from tailormed.cli.common import (
    CoveredRegions,
    Genes,
    Jobs,
    MissingToRef,
    Samples,
    call_options,
    console,
    err_console,
    handle_errors,
)
from tailormed.knowledge import load_kb


@handle_errors
def call_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="VCF / VCF.gz / BCF files (GRCh38)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    missing_to_ref: MissingToRef = False,
    covered_regions: CoveredRegions = None,
    outside: Annotated[
        Path | None, typer.Option("--outside", help="Outside calls TSV (CYP2D6, HLA, overrides)")
    ] = None,
    genes: Genes = None,
    samples: Samples = None,
    all_matches: Annotated[
        bool,
        typer.Option("--all-matches", help="List every fitting diplotype, not only the best"),
    ] = False,
    combinations: Annotated[
        bool,
        typer.Option(
            "--combinations",
            help="Name haplotypes no single allele explains as combinations ([*2 + *17])",
        ),
    ] = False,
    jobs: Jobs = 1,
    research_cyp2d6: Annotated[
        bool,
        typer.Option(
            "--research-cyp2d6",
            help="Also call CYP2D6 from the VCF (research only: no copy number or hybrids)",
        ),
    ] = False,
) -> None:
    """Call star-allele diplotypes for every sample and gene."""
    from tailormed.pipeline import call_inputs

    kb = load_kb()
    options = call_options(
        genes=genes,
        samples=samples,
        missing_to_ref=missing_to_ref,
        covered_regions=covered_regions,
        jobs=jobs,
        research_cyp2d6=research_cyp2d6,
        all_matches=all_matches,
        combinations=combinations,
    )
    with err_console.status("Reading genotypes and calling ..."):
        callset = call_inputs(inputs, kb, options, outside=outside)
    tsv = write_calls(callset, out)
    n_calls = len(callset.calls)
    no_calls = sum(1 for c in callset.calls.values() if not c.called)
    ambiguous = sum(1 for c in callset.calls.values() if len(c.diplotypes) > 1)
    console.print(
        f"[green]called[/] {len(callset.samples)} sample(s) × {len(callset.genes)} gene(s): "
        f"{n_calls - no_calls} calls, {ambiguous} ambiguous, {no_calls} no-calls "
        f"→ {tsv}  (knowledge base {kb.version})"
    )
    if no_calls:
        err_console.print("[yellow]no-calls and warnings are listed in calls.tsv[/]")
