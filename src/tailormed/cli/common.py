"""Shared CLI plumbing: consoles, error handling, locating the source data, and the
calling options ``call`` and ``run`` share (one definition, one :class:`CallOptions`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from tailormed.errors import InputError, TailormedError

if TYPE_CHECKING:  # the caller (NumPy, cyvcf2) loads only for commands that call
    from tailormed.calling import CallOptions

console = Console()
err_console = Console(stderr=True)  # progress, status and errors: never mixed with output

MissingToRef = Annotated[
    bool,
    typer.Option(
        "--missing-to-ref",
        help="Read absent positions as homozygous reference (variant-only files), only where "
        "the input covers them (--covered-regions, gVCF blocks, or the span of its records "
        "around each gene); every call made so says so",
    ),
]
CoveredRegions = Annotated[
    Path | None,
    typer.Option(
        "--covered-regions",
        help="BED of the regions the input covers (with --missing-to-ref): absent positions "
        "inside are reference, outside missing",
    ),
]
Genes = Annotated[str | None, typer.Option(help="Comma-separated genes (default: all)")]
Samples = Annotated[
    str | None, typer.Option(help="Comma-separated sample IDs, or @file with one a line")
]
Jobs = Annotated[int, typer.Option(min=1, help="Worker processes (indexed inputs)")]

# tumour options, shared by `tailormed tumor` and `tailormed run`
TumorSample = Annotated[
    str | None, typer.Option("--tumor-sample", help="Tumour sample in the VCF/MAF")
]
NormalSample = Annotated[
    str | None, typer.Option("--normal-sample", help="Matched normal sample in the VCF")
]
Tmb = Annotated[float | None, typer.Option("--tmb", help="TMB measured elsewhere (mut/Mb)")]
PanelSizeMb = Annotated[
    float | None,
    typer.Option("--panel-size-mb", help="Compute TMB from the tumour input over this size (Mb)"),
]
Msi = Annotated[str | None, typer.Option("--msi", help="MSI-H, MSI-L, MSS, dMMR or pMMR")]
Fusions = Annotated[
    Path | None, typer.Option("--fusions", help="Fusions, one a line: GENE5::GENE3")
]
Therapies = Annotated[
    list[str] | None, typer.Option("--therapy", help="DRUG or DRUG:YYYY-MM-DD (repeatable)")
]


def split_list(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip()) or None


def sample_list(value: str | None) -> tuple[str, ...] | None:
    """``S1,S2`` or ``@file`` (one sample a line, ``#`` comments)."""
    if value and value.startswith("@"):
        path = Path(value[1:])
        if not path.exists():
            raise InputError("sample list file does not exist", path=path)
        names = [line.strip() for line in path.read_text().splitlines()]
        return tuple(n for n in names if n and not n.startswith("#")) or None
    return split_list(value)


def call_options(
    *,
    genes: str | None = None,
    samples: str | None = None,
    missing_to_ref: bool = False,
    covered_regions: Path | None = None,
    jobs: int = 1,
    research_cyp2d6: bool = False,
    all_matches: bool = False,
    combinations: bool = False,
) -> CallOptions:
    """The :class:`CallOptions` of the command-line options."""
    from tailormed.calling import CallOptions

    return CallOptions(
        genes=split_list(genes),
        samples=sample_list(samples),
        missing_to_ref=missing_to_ref,
        covered_regions=covered_regions,
        research_cyp2d6=research_cyp2d6,
        all_matches=all_matches,
        combinations=combinations,
        jobs=jobs,
    )


P = ParamSpec("P")
R = TypeVar("R")


def default_source_dir() -> Path:
    """``$TAILORMED_SOURCE``, else ``shared/data`` beside the checkout or the working dir."""
    env = os.environ.get("TAILORMED_SOURCE")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for base in (Path.cwd(), *here.parents):
        candidate = base.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return Path("../shared/data")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a TailormedError into ``error: <where>: <problem>`` and exit status 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TailormedError as exc:
            # soft_wrap: one line (the terminal folds it), so paths copy whole
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper
