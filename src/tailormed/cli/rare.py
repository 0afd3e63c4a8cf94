"""``tailormed rare``: rank genes and diseases for a patient's phenotype (and variants)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tailormed.cli.common import console, err_console, handle_errors

app = typer.Typer(help="Rare-disease diagnosis from HPO phenotypes.", no_args_is_help=True)


@app.command("rank")
@handle_errors
def rank_cmd(
    cases: Annotated[list[Path], typer.Argument(help="GA4GH Phenopacket v2 JSON files")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder")],
    vcf: Annotated[
        Path | None,
        typer.Option(help="GRCh38 VCF (VEP CSQ / snpEff ANN annotated, or plain)"),
    ] = None,
    top: Annotated[int, typer.Option(help="Rows per case (ties at the cut included)")] = 50,
    orpha: Annotated[
        bool, typer.Option("--orpha", help="Rank Orphanet diseases instead of OMIM")
    ] = False,
    baseline: Annotated[
        bool,
        typer.Option("--baseline", help="Use the information-content baseline (comparison)"),
    ] = False,
    fhir: Annotated[
        bool, typer.Option("--fhir", help="Also write <case>.fhir.json (FHIR R4B Bundle)")
    ] = False,
    phenopacket: Annotated[
        bool,
        typer.Option(
            "--phenopacket", help="Also write <case>.phenopacket.json with the top candidates"
        ),
    ] = False,
) -> None:
    """Rank candidate gene–disease pairs; writes rankings.tsv and one JSON per case."""
    from tailormed.rare.output import write_rankings
    from tailormed.rare.run import export_case, rank_phenopackets

    rankings = rank_phenopackets(
        cases,
        vcf=vcf,
        top=top,
        db="ORPHA" if orpha else "OMIM",
        method="ic" if baseline else "lr",
    )
    written = write_rankings(rankings, out)
    for r in rankings:
        if fhir or phenopacket:
            written += export_case(r, out, fhir=fhir, phenopacket=phenopacket)
    for r in rankings:
        table = Table(
            title=f"{r.case.case_id}: top candidates ({r.disease_set}, HPO {r.hpo_release})"
        )
        for col in ("rank", "gene", "disease", "score", "matched"):
            table.add_column(col, overflow="fold")
        for c in r.candidates[:10]:
            table.add_row(
                f"{c.rank:g}",
                c.gene or "—",
                f"{c.disease_id} {c.disease_name}",
                f"{c.score:.2f}",
                f"{len(c.matched_terms)}/{len(r.case.observed)}",
            )
        console.print(table)
        for w in r.warnings:
            err_console.print(f"[yellow]note:[/] {r.case.case_id}: {w}", highlight=False)
    console.print(f"wrote {len(written)} file(s) to {out}: rankings.tsv, per-case explanations")


@app.command("export-phenopacket")
@handle_errors
def export_phenopacket_cmd(
    case: Annotated[Path, typer.Argument(help="GA4GH Phenopacket v2 JSON file of the case")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Phenopacket file to write")],
    vcf: Annotated[
        Path | None,
        typer.Option(help="GRCh38 VCF (VEP CSQ / snpEff ANN annotated, or plain)"),
    ] = None,
    top: Annotated[
        int, typer.Option(help="Candidates ranked this or better become interpretations")
    ] = 5,
    orpha: Annotated[
        bool, typer.Option("--orpha", help="Rank Orphanet diseases instead of OMIM")
    ] = False,
) -> None:
    """Rank one case and write it as a Phenopacket v2 with the top candidates."""
    from tailormed.rare.phenopacket import to_phenopacket, write_phenopacket
    from tailormed.rare.run import rank_phenopackets

    (ranking,) = rank_phenopackets(
        [case], vcf=vcf, top=max(top, 1), db="ORPHA" if orpha else "OMIM"
    )
    packet = to_phenopacket(ranking.case, ranking, top=top)
    write_phenopacket(packet, out)
    for w in ranking.warnings:
        err_console.print(f"[yellow]note:[/] {ranking.case.case_id}: {w}", highlight=False)
    console.print(
        f"wrote {out}: {len(ranking.case.observed)} observed and "
        f"{len(ranking.case.excluded)} excluded terms, "
        f"{len(packet.get('interpretations', []))} candidate interpretation(s)"
    )


@app.command("terms")
@handle_errors
def terms_cmd(
    text: Annotated[str, typer.Argument(help="Words to find in HPO labels and synonyms")],
    limit: Annotated[int, typer.Option(help="At most this many terms")] = 20,
) -> None:
    """Search HPO terms by label and synonym."""
    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.terms import search_terms

    kb = RareKnowledge.load()
    table = Table(title=f"HPO {kb.hpo_release} terms matching {text!r}")
    for col in ("id", "label", "matched synonym"):
        table.add_column(col)
    for hit in search_terms(text, limit, ontology=kb.ontology):
        table.add_row(hit.term_id, hit.label, hit.synonym)
    console.print(table)
