"""``tailormed run``: the whole job — calls, interpretation, reports and FHIR per sample."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

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
def run_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="VCF / VCF.gz / BCF files (GRCh38)")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    outside: Annotated[
        Path | None, typer.Option("--outside", help="Outside calls TSV (CYP2D6, HLA, ...)")
    ] = None,
    meds: Annotated[
        Path | None, typer.Option("--meds", help="Current medications, one a line")
    ] = None,
    factors: Annotated[
        Path | None,
        typer.Option("--factors", help="Clinical factors JSON (age, height, weight, race...)"),
    ] = None,
    missing_to_ref: MissingToRef = False,
    covered_regions: CoveredRegions = None,
    genes: Genes = None,
    samples: Samples = None,
    jobs: Jobs = 1,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf")] = True,
) -> None:
    """Call, interpret and report: report.json/html/pdf and fhir-bundle.json per sample."""
    from tailormed.pipeline import read_factors, run
    from tailormed.recommend import PatientFactors
    from tailormed.recommend.review import read_medication_list

    kb = load_kb()
    medications = read_medication_list(meds) if meds else []
    patient = read_factors(factors) if factors else PatientFactors()
    options = call_options(
        genes=genes,
        samples=samples,
        missing_to_ref=missing_to_ref,
        covered_regions=covered_regions,
        jobs=jobs,
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=None)

        def step(message: str, done: int, total: int) -> None:
            bar.update(task, description=message, completed=done, total=total or None)

        outputs = run(
            inputs,
            out,
            kb,
            options=options,
            outside=outside,
            medications=medications,
            factors=patient,
            pdf=pdf,
            progress=step,
        )
    for o in outputs:
        actionable = [d.drug for d in o.interpretation.drugs if d.status == "actionable"]
        console.print(
            f"[green]{o.sample}[/]: {len(o.interpretation.calls)} genes, "
            f"{len(actionable)} actionable drug(s)"
            + (
                f" ({', '.join(actionable[:8])}{' ...' if len(actionable) > 8 else ''})"
                if actionable
                else ""
            )
        )
        for kind, path in sorted(o.files.items()):
            console.print(f"    {kind:<5} {path}")
    console.print(f"knowledge base {kb.version}; cohort tables and calls.tsv in {out}")
