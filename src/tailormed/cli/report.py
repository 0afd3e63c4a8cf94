"""``tailormed report``: reports from stored calls (``tailormed call`` output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed.calling.output import read_calls, safe_name
from tailormed.cli.common import console, handle_errors
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
    from tailormed.fhir import write_bundle
    from tailormed.pipeline import read_factors
    from tailormed.recommend import PatientFactors, build_interpretation
    from tailormed.recommend.review import read_medication_list
    from tailormed.report import write_reports
    from tailormed.report.cohort import write_cohort

    kb = load_kb()
    medications = read_medication_list(meds) if meds else []
    patient = read_factors(factors) if factors else PatientFactors()
    interpretations = []
    with console.status("Writing reports ..."):
        for name, gene_calls in read_calls(calls, sample):
            interp = build_interpretation(gene_calls, kb, medications=medications, factors=patient)
            folder = out / safe_name(name)
            files = write_reports(interp, folder, kb, pdf=pdf)
            write_bundle(interp, folder / "fhir-bundle.json")
            interpretations.append(interp)
            console.print(f"[green]{name}[/]: {', '.join(sorted(p.name for p in files.values()))}")
    cohort = write_cohort(interpretations, out)
    console.print(f"cohort tables: {', '.join(str(p) for p in cohort.values())}")
