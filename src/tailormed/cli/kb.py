"""``tailormed kb``: build and inspect the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tailormed.cli.common import console, default_source_dir, handle_errors
from tailormed.knowledge import bundles, load_kb
from tailormed.knowledge.build import build
from tailormed.knowledge.store import bundled_path

app = typer.Typer(help="Build and inspect the PGx knowledge base.", no_args_is_help=True)


@app.command("build")
@handle_errors
def build_cmd(
    source: Annotated[
        Path | None, typer.Option(help="Source data folder (default: ../shared/data)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: the package's bundled data)")
    ] = None,
    bundle: Annotated[
        list[str] | None,
        typer.Option(help="Build only this bundle (pgx or a domain); repeatable"),
    ] = None,
) -> None:
    """Compile the source data into the versioned bundles (validated; atomic).

    Builds the PGx knowledge base and every domain bundle, or only those named with
    ``--bundle`` (``pgx`` for the PGx one).
    """
    src = source or default_source_dir()
    dest = out or bundled_path().parent
    names = bundle or ["pgx", *sorted(bundles.REGISTRY)]
    for name in names:
        if name == "pgx":
            with console.status(f"Compiling the PGx knowledge base from {src} ..."):
                manifest = build(src, dest)
            console.print(f"[green]built[/] knowledge base {manifest['kb_version']} in {dest}")
            counts = manifest["counts"]
        else:
            with console.status(f"Compiling the {name} bundle from {src} ..."):
                section = bundles.build_bundle(name, src, dest)
            console.print(f"[green]built[/] {name} bundle {section['version']} in {dest}")
            counts = section["counts"]
        for key, value in counts.items():
            console.print(f"  {key}: {value:,}")


@app.command("info")
@handle_errors
def info_cmd() -> None:
    """Sources, versions, licences and counts of the bundled knowledge base."""
    kb = load_kb()
    m = kb.manifest
    console.print(f"[bold]Tailormed knowledge base[/] {m.kb_version}  (built {m.built_at})")
    sources = Table(title="Sources")
    for col in ("source", "version", "date", "files", "sha256"):
        sources.add_column(col, overflow="fold")
    for s in m.sources:
        sources.add_row(s.name, s.version, s.date, str(s.files), s.sha256[:16])
    console.print(sources)
    for s in m.sources:
        console.print(
            f"[bold]{s.name}[/]: {s.description}. "
            f"Commit {s.commit or 'n/a'}. Licence: {s.licence}."
            + (f" [yellow]Review status: {s.review_status}[/]" if s.review_status else ""),
            highlight=False,
        )
    counts = Table(title="Counts")
    counts.add_column("what")
    counts.add_column("count", justify="right")
    for key, value in m.counts.items():
        counts.add_row(key.replace("_", " "), f"{value:,}")
    console.print(counts)
    for note in m.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    for name, section in sorted(bundles.bundled_sections().items()):
        console.rule(f"{name} bundle")
        console.print(
            f"[bold]{name}[/] {section['version']} (built {section['built_at']}): "
            f"{section['description']}",
            highlight=False,
        )
        for s in section["sources"]:
            console.print(
                f"  [bold]{s['name']}[/] {s['version']} ({s['date']}): {s['description']}. "
                f"Licence: {s['licence']}.",
                highlight=False,
            )
        for key, value in section["counts"].items():
            console.print(f"  {key.replace('_', ' ')}: {value:,}", highlight=False)
        for note in section["notes"]:
            console.print(f"  [yellow]note:[/] {note}", highlight=False)


@app.command("gene")
@handle_errors
def gene_cmd(
    symbol: Annotated[str, typer.Argument(help="Gene symbol, e.g. CYP2C19")],
) -> None:
    """A gene's defining positions and named alleles, with function and activity."""
    kb = load_kb()
    gene = kb.gene(symbol)
    console.print(
        f"[bold]{gene.symbol}[/] {gene.chrom} ({gene.genome_build}), definitions {gene.version}; "
        f"{len(gene.variants)} positions, {len(gene.named_alleles)} named alleles; "
        f"reference allele {gene.reference_allele.name}"
    )
    pos = Table(title=f"{gene.symbol} defining positions")
    for col in ("position", "rsID", "HGVS", "REF", "ALT"):
        pos.add_column(col)
    for v in gene.variants:
        pos.add_row(f"{v.chrom}:{v.position}", v.rsid or "", v.hgvs or "", v.ref, ",".join(v.alts))
    console.print(pos)
    alleles = Table(title=f"{gene.symbol} named alleles")
    for col in ("allele", "function", "activity", "defining variants"):
        alleles.add_column(col, overflow="fold")
    for a in gene.named_alleles:
        defining = ", ".join(f"{v.label} {v.ref}>{alt}" for v, alt in gene.defining_variants(a))
        label = a.name + (" (reference)" if a.reference else "")
        alleles.add_row(label, a.function or "—", a.activity_value or "—", defining or "—")
    console.print(alleles)
