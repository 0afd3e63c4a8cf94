"""Entry point: assembles the command groups into ``tailormed``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tailormed import __version__
from tailormed.cli import (
    admin,
    call,
    cardio,
    cohort,
    digital,
    kb,
    oncology,
    rare,
    record,
    report,
    review,
    run,
    serve,
    validate,
)
from tailormed.cli.common import console, handle_errors

app = typer.Typer(
    help="Tailormed: pharmacogenomics from a genome to the point of care.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(kb.app, name="kb")
app.command("call")(call.call_cmd)
app.command("cohort")(cohort.cohort_cmd)
app.command("run")(run.run_cmd)
app.command("review")(review.review_cmd)
app.command("report")(report.report_cmd)
app.command("serve")(serve.serve_cmd)
app.add_typer(admin.app, name="admin")
app.add_typer(validate.app, name="validate")
app.command("tumor")(oncology.tumor_cmd)
app.command("ctdna")(oncology.ctdna_cmd)
app.command("prs")(cardio.prs_cmd)
app.add_typer(cardio.app, name="cardio")
app.add_typer(rare.app, name="rare")
app.add_typer(digital.app, name="digital")
app.add_typer(record.app, name="record")


def _print_version(value: bool) -> None:
    if value:
        from tailormed.knowledge import load_kb

        console.print(f"tailormed {__version__}, knowledge base {load_kb().version}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the Tailormed and knowledge-base versions and exit.",
        ),
    ] = False,
) -> None:
    """Tailormed: pharmacogenomics from a genome to the point of care."""


@app.command("version")
def version_cmd() -> None:
    """Print the Tailormed and knowledge-base versions."""
    _print_version(True)


@app.command()
@handle_errors
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")] = Path(
        "tailormed-demo"
    ),
) -> None:
    """The quick-start job: the bundled example patient through every stage (with a Fitbit
    month and synthetic PHQ-9/GAD-7 answers around a made-up sertraline start in the same
    report), then a 200-genome example cohort with its equity summary."""
    from tailormed.pipeline import example_path

    kb.info_cmd()
    console.rule("Example patient")
    run.run_cmd(
        [example_path("example-patient.vcf")],
        out,
        outside=example_path("example-outside.tsv"),
        meds=example_path("example-meds.txt"),
        factors=example_path("example-cardio-factors.json"),
        pgs=[example_path("example-pgs.txt")],
        prs_genotypes=[example_path("example-prs-genotypes.vcf.gz")],
        prs_reference=example_path("example-prs-reference.vcf.gz"),
        prs_populations=example_path("example-prs-populations.tsv"),
        tumor=example_path("example-tumor.vcf"),
        tumor_type="LUAD",
        ctdna=[example_path("example-ctdna.tsv")],
        observations=[
            *(
                example_path(f"example-fitbit-{name}.csv")
                for name in ("dailyActivity", "sleepDay", "hourlySteps")
            ),
            example_path("example-phq9-series.json"),
        ],
        observation_source_id="8378563200",
        observation_timezone="America/Chicago",
        medication_start=["sertraline=2016-04-15"],
    )
    console.rule("Example rare-disease case")
    rare.rank_cmd(
        [example_path("example-rare-phenopacket.json")],
        out / "rare",
        vcf=example_path("example-rare.vcf"),
        top=50,
        fhir=True,
        phenopacket=True,
    )
    console.print(f"Open [bold]{out}/Sample_2/report.html[/] in a browser to read the report.")
    console.rule("Example cohort: 200 genomes of the 1000 Genomes Project")
    cohort.cohort_cmd(
        [example_path("cohort-1kgp-200.vcf.gz")],
        out / "cohort",
        missing_to_ref=True,
        populations=example_path("cohort-1kgp-200-populations.tsv"),
        unrelated=True,
        workers=2,
    )
    console.print(
        f"Open [bold]{out}/cohort/summary.html[/] for the cohort's equity summary "
        "(calls.parquet and drugs.parquet beside it)."
    )


if __name__ == "__main__":  # pragma: no cover
    app()
