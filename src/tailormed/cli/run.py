"""``tailormed run``: the whole job — calls, interpretation, reports and FHIR per sample.

Clinical inputs (factors, PGS scoring files, tumour findings, phenopackets, observations)
go to the clinical domains registered in :mod:`tailormed.pipeline.domains`; their sections
join the same report and FHIR bundle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from tailormed.cli.common import (
    CoveredRegions,
    Fusions,
    Genes,
    Jobs,
    MissingToRef,
    Msi,
    NormalSample,
    PanelSizeMb,
    Samples,
    Therapies,
    Tmb,
    TumorSample,
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
        typer.Option(
            "--factors",
            help="Patient factors JSON (one model for every domain: age, sex, lipids, blood "
            "pressure, height, weight, race...)",
        ),
    ] = None,
    pgs: Annotated[
        list[Path] | None,
        typer.Option("--pgs", help="PGS Catalog scoring file (.txt/.txt.gz; repeatable)"),
    ] = None,
    prs_reference: Annotated[
        Path | None,
        typer.Option("--prs-reference", help="Reference panel VCF for PGS percentiles"),
    ] = None,
    prs_populations: Annotated[
        Path | None,
        typer.Option("--prs-populations", help="Population table of the reference panel (.psam)"),
    ] = None,
    prs_genotypes: Annotated[
        list[Path] | None,
        typer.Option(
            "--prs-genotypes",
            help="Genotypes for the polygenic scores when the VCF lacks their sites (e.g. "
            "imputed array data; same sample name); repeatable",
        ),
    ] = None,
    prs_population: Annotated[
        str | None,
        typer.Option(
            "--prs-population",
            help="The patient's ancestry group in the reference panel (e.g. EUR), when the "
            "populations table does not list the patient",
        ),
    ] = None,
    tumor: Annotated[
        Path | None, typer.Option("--tumor", help="Tumour findings (somatic VCF, MAF or JSON)")
    ] = None,
    tumor_type: Annotated[
        str | None, typer.Option("--tumor-type", help="Tumour type (OncoTree code)")
    ] = None,
    ctdna: Annotated[
        list[Path] | None, typer.Option("--ctdna", help="ctDNA series file (repeatable)")
    ] = None,
    tumor_sample: TumorSample = None,
    normal_sample: NormalSample = None,
    tmb: Tmb = None,
    panel_size_mb: PanelSizeMb = None,
    msi: Msi = None,
    fusions: Fusions = None,
    therapy: Therapies = None,
    phenopacket: Annotated[
        list[Path] | None,
        typer.Option("--phenopacket", help="GA4GH phenopacket JSON (repeatable)"),
    ] = None,
    hpo: Annotated[
        list[str] | None,
        typer.Option(
            "--hpo",
            help="HPO term id, e.g. HP:0001166; not:HP:0002616 for an excluded term (repeatable)",
        ),
    ] = None,
    rare_vcf: Annotated[
        Path | None,
        typer.Option(
            "--rare-vcf",
            help="Annotated GRCh38 exome/genome VCF (VEP CSQ or snpEff ANN) for the rare-disease "
            "ranking's variant evidence",
        ),
    ] = None,
    observations: Annotated[
        list[Path] | None,
        typer.Option("--observations", help="Wearable / PRO / FHIR observation file (repeatable)"),
    ] = None,
    observation_source_id: Annotated[
        str | None,
        typer.Option("--observation-source-id", help="Fitbit user Id in the observation files"),
    ] = None,
    observation_timezone: Annotated[
        str | None,
        typer.Option("--observation-timezone", help="IANA zone of zone-less observation times"),
    ] = None,
    medication_start: Annotated[
        list[str] | None,
        typer.Option(
            "--medication-start", help="DRUG=YYYY-MM-DD start (digital rules; repeatable)"
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option("--subject", help="The sample the clinical inputs belong to (multi-sample)"),
    ] = None,
    missing_to_ref: MissingToRef = False,
    covered_regions: CoveredRegions = None,
    genes: Genes = None,
    samples: Samples = None,
    jobs: Jobs = 1,
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="Also write report.pdf")] = True,
) -> None:
    """Call, interpret and report: report.json/html/pdf and fhir-bundle.json per sample."""
    from tailormed.pipeline import ClinicalInputs, read_factors, run
    from tailormed.recommend import PatientFactors
    from tailormed.recommend.review import read_medication_list

    kb = load_kb()
    medications = read_medication_list(meds) if meds else []
    patient = read_factors(factors) if factors else PatientFactors()
    clinical = ClinicalInputs(
        factors=factors,
        pgs=tuple(pgs or ()),
        prs_reference=prs_reference,
        prs_populations=prs_populations,
        tumor=tumor,
        tumor_type=tumor_type,
        ctdna=tuple(ctdna or ()),
        phenopackets=tuple(phenopacket or ()),
        hpo=tuple(hpo or ()),
        observations=tuple(observations or ()),
        options={
            **{
                k: v
                for k, v in {
                    "cardio.prs_genotypes": tuple(prs_genotypes or ()),
                    "cardio.prs_population": prs_population,
                    "rare.vcf": rare_vcf,
                    "oncology.tumor_sample": tumor_sample,
                    "oncology.normal_sample": normal_sample,
                    "oncology.tmb": tmb,
                    "oncology.panel_size_mb": panel_size_mb,
                    "oncology.msi": msi,
                    "oncology.fusions": fusions,
                    "oncology.therapies": tuple(therapy or ()),
                }.items()
                if v is not None and v != ()  # a TMB of 0 is a value
            },
            **_digital_options(observation_source_id, observation_timezone, medication_start),
        },
    )
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
            clinical=clinical,
            subject=subject,
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
        for section in o.sections:
            flagged = [f for f in section.findings if f.severity in ("critical", "high")]
            console.print(
                f"    {section.title}: {len(section.findings)} finding(s)"
                + (f", {len(flagged)} high or critical" if flagged else "")
            )
        for kind, path in sorted(o.files.items()):
            console.print(f"    {kind:<5} {path}")
    console.print(f"knowledge base {kb.version}; cohort tables and calls.tsv in {out}")


def _digital_options(
    source_id: str | None, timezone: str | None, starts: list[str] | None
) -> dict[str, object]:
    from tailormed.digital.run import pairs

    out: dict[str, object] = {}
    if source_id:
        out["digital.source_id"] = source_id
    if timezone:
        out["digital.timezone"] = timezone
    if starts:
        out["digital.medications"] = pairs(starts, "--medication-start")
    return out
