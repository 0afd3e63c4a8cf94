"""``tailormed report``: reports from stored calls (``tailormed call`` output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.calling.output import read_calls
from tailormed.cli.common import console, err_console, handle_errors
from tailormed.knowledge import load_kb


@handle_errors
def report_cmd(
    calls: Annotated[
        Path,
        typer.Option("--calls", help="A `tailormed call` output folder or one <sample>.json"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    meds: Annotated[
        Path | None, typer.Option("--meds", help="Current medications, one a line")
    ] = None,
    factors: Annotated[
        Path | None, typer.Option("--factors", help="Clinical factors JSON (warfarin dosing)")
    ] = None,
    sample: Annotated[str | None, typer.Option("--sample", help="This sample only")] = None,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf")] = True,
) -> None:
    """JSON, HTML and PDF reports per sample, a FHIR bundle, and the cohort TSVs."""
    from tailormed.pipeline import read_factors, report_samples
    from tailormed.recommend import PatientFactors
    from tailormed.recommend.review import read_medication_list

    kb = load_kb()
    medications = read_medication_list(meds) if meds else []
    patient = read_factors(factors) if factors else PatientFactors()
    stored = read_calls(calls, sample)
    with err_console.status("Writing reports ..."):
        outputs = report_samples(stored, out, kb, medications=medications, factors=patient, pdf=pdf)
    for o in outputs:
        names = ", ".join(sorted(p.name for p in o.files.values()))
        console.print(f"[green]{o.sample}[/]: {names}")
    console.print(f"cohort tables: {out / 'genes.tsv'}, {out / 'drugs.tsv'}")
