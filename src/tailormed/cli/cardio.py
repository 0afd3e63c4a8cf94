"""``tailormed prs`` and ``tailormed cardio``: polygenic scores, clinical risk, FH, the decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tailormed.cli.common import console, err_console, handle_errors
from tailormed.errors import InputError, TailormedError

if TYPE_CHECKING:
    from tailormed.cardio.decision import PolygenicInfo

app = typer.Typer(
    help="Cardiovascular risk: PREVENT/PCE, familial hypercholesterolaemia, statin decision.",
    no_args_is_help=True,
)


def _at(exc: TailormedError, path: Path) -> InputError:
    """A model's error about one factor, located in the factors file."""
    from tailormed.factors import line_of

    line = None
    if exc.record:
        try:
            line = line_of(path.read_text(encoding="utf-8"), exc.record)
        except OSError:
            line = None
    return InputError(exc.problem, path=path, line=line)


@handle_errors
def prs_cmd(
    inputs: Annotated[list[Path], typer.Argument(help="Genotypes: VCF / VCF.gz / BCF (GRCh38)")],
    pgs: Annotated[
        list[Path],
        typer.Option("--pgs", help="PGS Catalog scoring file (.txt / .txt.gz); repeatable"),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    reference: Annotated[
        list[Path] | None,
        typer.Option("--reference", help="Reference panel genotypes (VCF/BCF) for percentiles"),
    ] = None,
    populations: Annotated[
        Path | None,
        typer.Option(
            "--populations",
            help="Table of sample -> ancestry group (e.g. 1000 Genomes ref.psam, SuperPop)",
        ),
    ] = None,
    population: Annotated[
        str | None,
        typer.Option("--population", help="Ancestry group of every input sample (e.g. EUR)"),
    ] = None,
    min_match_rate: Annotated[
        float,
        typer.Option(
            "--min-match-rate", min=0.0, max=1.0, help="Refuse a score matching fewer variants"
        ),
    ] = 0.75,
    keep_ambiguous: Annotated[
        bool,
        typer.Option("--keep-ambiguous", help="Score palindromic (A/T, C/G) variants as written"),
    ] = False,
    mean_impute: Annotated[
        bool,
        typer.Option(
            "--mean-impute",
            help="Give missing calls the mean dosage of the input samples (>= 50 samples)",
        ),
    ] = False,
    haploid_x: Annotated[
        str,
        typer.Option(
            "--haploid",
            help="A haploid call (male chrX) counts 'one' allele (default) or 'two' (plink2)",
        ),
    ] = "one",
    samples: Annotated[
        str | None, typer.Option(help="Comma-separated sample IDs (default: all)")
    ] = None,
) -> None:
    """Polygenic scores from PGS Catalog files: scores.tsv and match_report.tsv in --out."""
    from tailormed.cardio.prs import (
        PrsOptions,
        Reference,
        read_populations,
        read_scoring_file,
        score_files,
    )
    from tailormed.cardio.prs.output import write_result

    if haploid_x not in ("one", "two"):
        raise InputError(f"--haploid must be 'one' or 'two', not {haploid_x!r}")
    if bool(reference) != bool(populations):
        raise InputError("--reference and --populations go together")
    files = [read_scoring_file(p) for p in pgs]
    ref = None
    if reference and populations:
        ref = Reference(tuple(reference), read_populations(populations), population)
    elif population:
        raise InputError("--population needs --reference and --populations")
    options = PrsOptions(
        min_match_rate=min_match_rate,
        keep_ambiguous=keep_ambiguous,
        mean_impute=mean_impute,
        haploid_double=haploid_x == "two",
        samples=tuple(s.strip() for s in samples.split(",") if s.strip()) if samples else None,
    )
    with console.status("Scoring ..."):
        result = score_files(inputs, files, options, ref)
    written = write_result(result, out)
    table = Table(title="Match report")
    for col in ("score", "status", "matched", "rate", "flipped", "ambiguous", "missing"):
        table.add_column(col)
    for r in result.reports:
        table.add_row(
            r.pgs_id,
            r.status,
            f"{r.matched}/{r.variants_total}",
            f"{r.match_rate:.1%}",
            str(r.flipped),
            str(r.ambiguous),
            str(r.missing + r.unmapped + r.allele_mismatch),
        )
    console.print(table)
    for w in result.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(
        f"{len(result.samples)} sample(s); wrote {written['scores']} and {written['match_report']}"
    )
    if result.all_refused:
        err_console.print("[bold red]error:[/] every score was refused (see match_report.tsv)")
        raise typer.Exit(1)


@app.command("risk")
@handle_errors
def risk_cmd(
    factors: Annotated[Path, typer.Argument(help="Patient factors (JSON object)")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """10- and 30-year risk: AHA PREVENT (every model that applies) and the 2013 PCE."""
    from tailormed.cardio.risk import estimate_risk
    from tailormed.factors import read_factors

    patient = read_factors(factors)
    try:
        result = estimate_risk(patient)
    except InputError as exc:
        raise _at(exc, factors) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    table = Table(title="PREVENT (percent)")
    for col in ("model", "years", "total CVD", "ASCVD", "heart failure", "CHD", "stroke"):
        table.add_column(col, justify="right")
    for e in result.prevent:
        table.add_row(
            e.model,
            str(e.horizon_years),
            *(f"{v:.1f}" for v in (e.total_cvd, e.ascvd, e.heart_failure, e.chd, e.stroke)),
        )
    console.print(table)
    if result.pce is not None:
        console.print(
            f"2013 Pooled Cohort Equations ({result.pce.equation.replace('_', ' ')}): "
            f"10-year ASCVD {result.pce.ascvd_10yr:.1f} %"
        )
    for note in result.notes:
        console.print(f"[dim]note:[/] {note}", highlight=False)
    console.print(f"[dim]cardio knowledge {result.knowledge_version}[/]")


def _prs_infos(prs_dir: Path | None, sample: str) -> list[PolygenicInfo]:
    """Polygenic scores of ``sample`` from a ``tailormed prs`` output folder."""
    import csv

    from tailormed.cardio.decision import polygenic_info

    if prs_dir is None:
        return []
    scores = prs_dir / "scores.tsv"
    if not scores.exists():
        raise InputError("no scores.tsv here (run tailormed prs --out first)", path=prs_dir)
    out = []
    with scores.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["sample"] != sample:
                continue

            def num(key: str, row: dict[str, str] = row) -> float | None:
                return float(row[key]) if row[key] else None

            out.append(
                polygenic_info(
                    row["pgs_id"],
                    None,
                    float(row["sum"]),
                    num("percentile"),
                    num("z"),
                    row["reference_population"] or None,
                    int(row["variants_matched"]),
                    int(row["variants_total"]),
                )
            )
    return out


@app.command("fh")
@handle_errors
def fh_cmd(
    vcf: Annotated[list[Path], typer.Option("--vcf", help="Genotypes (VCF/BCF, GRCh38)")],
    factors: Annotated[
        Path | None, typer.Option("--factors", help="Patient factors (JSON): LDL-C, DLCN items")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON")] = False,
) -> None:
    """Familial hypercholesterolaemia: LDLR/APOB/PCSK9 variants and the Dutch Lipid Clinic score."""
    from tailormed.cardio.fh import assess_fh, find_fh_variants
    from tailormed.cardio.findings import to_findings
    from tailormed.factors import PatientFactors, read_factors
    from tailormed.findings import findings_to_json

    patient = read_factors(factors) if factors else PatientFactors()
    results = [assess_fh(s, hits, patient) for s, hits in find_fh_variants(vcf).items()]
    findings = [f for r in results for f in to_findings(r.sample, fh=r)]
    if as_json:
        typer.echo(json.dumps(findings_to_json(findings), indent=2))
        return
    for f in findings:
        _print_finding(f)


def _print_finding(f: object) -> None:
    from tailormed.findings import Finding

    assert isinstance(f, Finding)
    console.rule(f"{f.subject}: {f.title}")
    console.print(f"[bold]{f.summary}[/]", highlight=False)
    for r in f.recommendations:
        console.print(f"  • {r}", highlight=False)
    for lim in f.limitations:
        console.print(f"  [dim]limitation: {lim}[/]", highlight=False)
    versions = ", ".join(f"{k} {v}" for k, v in f.knowledge.items())
    console.print(f"  [dim]knowledge: {versions}[/]", highlight=False)


@app.command("assess")
@handle_errors
def assess_cmd(
    vcf: Annotated[list[Path], typer.Option("--vcf", help="Genotypes (VCF/BCF, GRCh38)")],
    factors: Annotated[Path, typer.Option("--factors", help="Patient factors (JSON)")],
    outside: Annotated[
        Path | None, typer.Option("--outside", help="Outside PGx calls TSV (overrides)")
    ] = None,
    prs_dir: Annotated[
        Path | None, typer.Option("--prs", help="A tailormed prs output folder (information)")
    ] = None,
    sample: Annotated[str | None, typer.Option(help="Sample (default: the only one)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON")] = False,
) -> None:
    """The decision for one patient: risk category, FH, statin and dose for the genotype."""
    from tailormed.cardio.decision import decide
    from tailormed.cardio.fh import assess_fh, find_fh_variants
    from tailormed.cardio.findings import to_findings
    from tailormed.cardio.pgx import statin_reports
    from tailormed.cardio.risk import estimate_risk
    from tailormed.factors import read_factors
    from tailormed.findings import findings_to_json
    from tailormed.knowledge import load_kb

    patient = read_factors(factors)
    kb = load_kb()
    chosen = (sample,) if sample else None
    reports = statin_reports(vcf, kb, outside=outside, samples=chosen)
    if len(reports) != 1:
        raise InputError(
            f"the input holds {len(reports)} samples; name one with --sample", path=vcf[0]
        )
    name = next(iter(reports))
    try:
        risk = estimate_risk(patient)
    except InputError as exc:
        if exc.record is None or "needs" not in exc.problem:
            raise _at(exc, factors) from None
        risk = None
        err_console.print(
            f"[yellow]warning:[/] {exc.problem}: no PREVENT estimate", highlight=False
        )
    fh = assess_fh(name, find_fh_variants(vcf, (name,))[name], patient)
    prs = _prs_infos(prs_dir, name)
    decision = decide(
        name,
        patient,
        risk,
        fh,
        reports[name],
        prs,
        pgx_version=kb.version,
    )
    findings = to_findings(name, risk=risk, fh=fh, decision=decision, prs=prs)
    if as_json:
        typer.echo(json.dumps(findings_to_json(findings), indent=2))
        return
    for f in findings:
        _print_finding(f)
