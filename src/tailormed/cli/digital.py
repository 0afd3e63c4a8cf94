"""``tailormed digital``: the digital-health core from a terminal (thin over
:mod:`tailormed.digital.run`)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tailormed.cli.common import console, handle_errors

app = typer.Typer(
    help="Digital health: wearables, questionnaires and care rules.", no_args_is_help=True
)


@app.command("summarize")
@handle_errors
def summarize_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Fitbit CSVs, Open mHealth JSON(L), FHIR JSON, Apple export.xml"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")] = Path(
        "tailormed-digital"
    ),
    source_id: Annotated[
        str | None, typer.Option("--source-id", help="The Fitbit user Id to read")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA zone of zone-less times (Fitbit), e.g. Europe/Paris"),
    ] = None,
    patient: Annotated[str, typer.Option("--patient", help="Patient label")] = "patient",
    medication: Annotated[
        list[str] | None,
        typer.Option("--medication", help="DRUG=YYYY-MM-DD start date (repeatable)"),
    ] = None,
    phenotype: Annotated[
        list[str] | None,
        typer.Option("--phenotype", help="GENE=PHENOTYPE, e.g. CYP2C19='Poor Metabolizer'"),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate schedules as of this date")
    ] = None,
) -> None:
    """Read, aggregate per day, score questionnaires, evaluate the care rules, write
    daily.tsv, alerts.json, scores.json, findings.json and charts/*.svg."""
    from tailormed.digital.run import pairs, summarize, write
    from tailormed.errors import InputError

    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    summary = summarize(
        files,
        patient=patient,
        source_id=source_id,
        timezone=timezone,
        medications=pairs(medication or [], "--medication"),
        phenotypes=pairs(phenotype or [], "--phenotype"),
        as_of=when,
    )
    info = write(summary, out)
    table = Table(title=f"{patient}: {info['days']} days, {info['alerts']} alert(s)")
    for col in ("date", "severity", "rule", "clinician text"):
        table.add_column(col)
    for a in summary.alerts:
        table.add_row(a.day, a.severity, a.rule_id, a.clinician_text)
    console.print(table)
    for note in summary.observations.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(
        f"Wrote {out}/daily.tsv, alerts.json, scores.json, findings.json and "
        f"charts ({', '.join(info['charts']) or 'none'})."
    )


@app.command("questionnaire")
@handle_errors
def questionnaire_cmd(
    name: Annotated[str, typer.Argument(help="PHQ-9, PHQ-2 or GAD-7")],
) -> None:
    """Print the FHIR R4 Questionnaire of a PRO instrument."""
    from tailormed.digital.pro import questionnaire

    typer.echo(json.dumps(questionnaire(name), indent=2))
