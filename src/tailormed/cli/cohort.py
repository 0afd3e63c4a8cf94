"""``tailormed cohort``: a cohort on Dask → ``calls.parquet``, ``drugs.parquet``, summaries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.common import (
    CoveredRegions,
    Genes,
    MissingToRef,
    Samples,
    call_options,
    console,
    err_console,
    handle_errors,
)


@handle_errors
def cohort_cmd(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="VCF / BCF files (bgzipped + indexed) or VCF Zarr stores (GRCh38)"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    samples: Samples = None,
    genes: Genes = None,
    outside: Annotated[
        Path | None, typer.Option("--outside", help="Outside calls TSV (CYP2D6, HLA, overrides)")
    ] = None,
    missing_to_ref: MissingToRef = False,
    covered_regions: CoveredRegions = None,
    populations: Annotated[
        Path | None,
        typer.Option(
            "--populations",
            help="TSV: sample, population[, superpopulation][, father, mother]: equity summary",
        ),
    ] = None,
    unrelated: Annotated[
        bool,
        typer.Option("--unrelated", help="Leave children of trios out of the equity summary"),
    ] = False,
    pedigree: Annotated[
        Path | None,
        typer.Option("--pedigree", help="Parents for --unrelated (e.g. a plink2 .psam: PAT/MAT)"),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Address of a running Dask scheduler (tcp://host:port)"),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes of the local Dask cluster")
    ] = 2,
    block_size: Annotated[
        int, typer.Option("--block-size", min=1, help="Samples per partition")
    ] = 10_000,
    pgs: Annotated[
        list[Path] | None,
        typer.Option("--pgs", help="PGS Catalog scoring file: scores.parquet; repeatable"),
    ] = None,
    per_sample_json: Annotated[
        bool,
        typer.Option("--per-sample-json", help="Also write samples/<sample>.json (calls)"),
    ] = False,
) -> None:
    """Call and interpret a cohort on Dask; restartable; Parquet tables and an equity summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from tailormed.cohort import CohortOptions, run_cohort

    options = CohortOptions(
        inputs=tuple(inputs),
        out=out,
        call=call_options(
            genes=genes,
            samples=samples,
            missing_to_ref=missing_to_ref,
            covered_regions=covered_regions,
        ),
        outside=outside,
        populations=populations,
        unrelated=unrelated,
        pedigree=pedigree,
        scheduler=scheduler,
        workers=workers,
        per_sample_json=per_sample_json,
        block_size=block_size,
        pgs=tuple(pgs or ()),
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def step(message: str, done: int, total: int) -> None:
            bar.update(task, description=message, completed=done, total=total)

        result = run_cohort(
            options,
            progress=step,
            say=lambda m: err_console.print(f"[yellow]{m}[/]"),
            on_dashboard=lambda link: err_console.print(f"Dask dashboard: {link}"),
        )
    reused = f", {result.reused} reused from an earlier run" if result.reused else ""
    console.print(
        f"[green]cohort[/] {result.samples:,} sample(s) × {len(result.genes)} gene(s) in "
        f"{result.partitions} partitions{reused}, {result.seconds:.1f} s → "
        f"{result.files['calls']}, {result.files['drugs']}, "
        + (f"{result.files['scores']}, " if "scores" in result.files else "")
        + f"{result.files['summary_html']}"
    )
