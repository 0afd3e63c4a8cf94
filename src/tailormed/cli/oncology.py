"""``tailormed tumor`` and ``tailormed ctdna``: the oncology commands (thin over
:mod:`tailormed.oncology.run`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tailormed.cli.common import (
    Fusions,
    Msi,
    NormalSample,
    PanelSizeMb,
    Therapies,
    Tmb,
    TumorSample,
    console,
    handle_errors,
)


@handle_errors
def tumor_cmd(
    input: Annotated[
        Path, typer.Argument(help="Somatic VCF annotated by VEP (CSQ) or snpEff (ANN), or a MAF")
    ],
    tumor_type: Annotated[
        str, typer.Option("--tumor-type", help="OncoTree code (LUAD, SKCM, COADREAD ...)")
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Output folder (tumor.json, findings.json, fhir-bundle.json)"
        ),
    ],
    tumor_sample: TumorSample = None,
    normal_sample: NormalSample = None,
    tmb: Tmb = None,
    panel_size_mb: PanelSizeMb = None,
    msi: Msi = None,
    fusions: Fusions = None,
    germline_vcf: Annotated[
        Path | None,
        typer.Option("--germline-vcf", help="Germline VCF for the PGx beside each therapy"),
    ] = None,
    germline_outside: Annotated[
        Path | None,
        typer.Option("--germline-outside", help="Outside germline calls (CYP2D6, HLA-A ...)"),
    ] = None,
    germline_sample: Annotated[
        str | None, typer.Option("--germline-sample", help="Sample in the germline VCF")
    ] = None,
    transcript: Annotated[
        list[str] | None,
        typer.Option("--transcript", help="Use this transcript's annotation (repeatable)"),
    ] = None,
) -> None:
    """Tier a tumour's somatic variants (AMP/ASCO/CAP 2017) and list therapy options."""
    from tailormed.oncology.run import TumorJob, run_tumor

    report = run_tumor(
        TumorJob(
            input=input,
            tumour_type=tumor_type,
            out=out,
            tumor_sample=tumor_sample,
            normal_sample=normal_sample,
            tmb=tmb,
            panel_size_mb=panel_size_mb,
            msi=msi,
            fusions=fusions,
            germline_vcf=germline_vcf,
            germline_outside=germline_outside,
            germline_sample=germline_sample,
            transcripts=tuple(t.split(".")[0] for t in transcript or ()),
        )
    )
    console.print(
        f"{report.sample}: {report.tumour_name} ({report.tumour_type}); knowledge "
        f"{report.knowledge_version} (CIViC {report.civic_release}, {report.oncotree_version})"
    )
    table = Table("tier", "variant", "VAF", "basis")
    for v in report.variants:
        if v.tier != "III":
            vaf = f"{v.call.vaf:.0%}" if v.call.vaf is not None else ""
            table.add_row(v.tier, v.call.label, vaf, v.tier_basis)
    console.print(table)
    therapies = Table("drug", "response", "tier", "level", "this tumour type", "germline PGx")
    for t in report.therapies[:25]:
        pgx = "; ".join(f"{p.drug}: {p.status}" for p in t.pgx)
        therapies.add_row(
            t.drug, t.response, t.tier, t.best_level, "yes" if t.on_label else "no", pgx
        )
    console.print(therapies)
    for e in report.eligibility:
        console.print(f"eligibility check (not a recommendation): {e.drug}: {e.result}")
    n3 = sum(1 for v in report.variants if v.tier == "III")
    console.print(
        f"{n3} tier III variants; wrote {out / 'tumor.json'}, {out / 'findings.json'} and "
        f"{out / 'fhir-bundle.json'}"
    )


@handle_errors
def ctdna_cmd(
    series: Annotated[
        Path, typer.Argument(help="ctDNA series TSV or manifest TSV of annotated VCFs")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (ctdna.json, charts/)")],
    therapy: Therapies = None,
    min_fall: Annotated[
        float | None,
        typer.Option(
            "--min-fall", help="Response: fall of mean VAF (fraction; default 0.5, Goldberg 2018)"
        ),
    ] = None,
    rise_fold: Annotated[
        float | None,
        typer.Option("--rise-fold", help="Progression: fold rise over nadir (default 2)"),
    ] = None,
    no_charts: Annotated[bool, typer.Option("--no-charts", help="Do not write SVG charts")] = False,
    fhir: Annotated[
        bool, typer.Option("--fhir", help="Also write fhir/<patient>.json (Observations per draw)")
    ] = False,
    documents: Annotated[
        bool,
        typer.Option(
            "--documents",
            help="Also write documents/<patient>.json (the record's oncology.ctdna body)",
        ),
    ] = False,
) -> None:
    """Classify serial ctDNA draws per patient (response, clearance, progression, resistance)."""
    from tailormed.errors import InputError
    from tailormed.oncology.run import run_ctdna

    overrides: dict[str, float] = {}
    if min_fall is not None:
        if not 0 < min_fall < 1:
            raise InputError(f"--min-fall {min_fall} must be a fraction between 0 and 1")
        overrides["min_fall_fraction"] = min_fall
    if rise_fold is not None:
        if rise_fold <= 1:
            raise InputError(f"--rise-fold {rise_fold} must be above 1")
        overrides["rise_fold"] = rise_fold
    patients = run_ctdna(
        series,
        out,
        therapies=therapy or (),
        overrides=overrides,
        charts=not no_charts,
        fhir=fhir,
        documents=documents,
    )
    table = Table("patient", "status", "baseline", "draws", "events")
    for p in patients[:50]:
        table.add_row(
            p.patient,
            p.status,
            p.baseline or "",
            str(len(p.draws)),
            "; ".join(f"{e.kind} {e.date}" for e in p.events),
        )
    console.print(table)
    if len(patients) > 50:
        console.print(f"... {len(patients) - 50} more patients in {out / 'ctdna.json'}")
    extra = "".join(
        f" and {out / name}/" for name, on in (("fhir", fhir), ("documents", documents)) if on
    )
    console.print(f"wrote {out / 'ctdna.json'}, {out / 'findings.json'}{extra}")
