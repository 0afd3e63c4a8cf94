"""``tailormed call``: VCF(s) in, ``calls.tsv`` and ``<sample>.json`` out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.calling import CallOptions, call_files
from tailormed.calling.output import merge_outside, write_calls
from tailormed.calling.outside import read_outside_calls
from tailormed.cli.common import console, err_console, handle_errors
from tailormed.errors import InputError
from tailormed.knowledge import load_kb


def _split(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _samples(value: str | None) -> tuple[str, ...] | None:
    if value and value.startswith("@"):
        path = Path(value[1:])
        if not path.exists():
            raise InputError("sample list file does not exist", path=path)
        names = [line.strip() for line in path.read_text().splitlines()]
        return tuple(n for n in names if n and not n.startswith("#")) or None
    return _split(value)


@handle_errors
def call_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="VCF / VCF.gz / BCF files (GRCh38)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    missing_to_ref: Annotated[
        bool,
        typer.Option(
            "--missing-to-ref",
            help="Treat positions absent from the input as homozygous reference (variant-only "
            "files); every call made so says so",
        ),
    ] = False,
    outside: Annotated[
        Path | None, typer.Option("--outside", help="Outside calls TSV (CYP2D6, HLA, overrides)")
    ] = None,
    genes: Annotated[str | None, typer.Option(help="Comma-separated genes (default: all)")] = None,
    samples: Annotated[
        str | None, typer.Option(help="Comma-separated sample IDs, or @file with one a line")
    ] = None,
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
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes (indexed inputs)")] = 1,
    research_cyp2d6: Annotated[
        bool,
        typer.Option(
            "--research-cyp2d6",
            help="Also call CYP2D6 from the VCF (research only: no copy number or hybrids)",
        ),
    ] = False,
) -> None:
    """Call star-allele diplotypes for every sample and gene."""
    kb = load_kb()
    options = CallOptions(
        genes=_split(genes),
        samples=_samples(samples),
        missing_to_ref=missing_to_ref,
        research_cyp2d6=research_cyp2d6,
        all_matches=all_matches,
        combinations=combinations,
        jobs=jobs,
    )
    outside_calls = read_outside_calls(outside, kb) if outside else None
    with console.status("Reading genotypes and calling ..."):
        callset = call_files(inputs, kb, options)
    if outside_calls and outside:
        callset = merge_outside(callset, outside_calls, outside)
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
