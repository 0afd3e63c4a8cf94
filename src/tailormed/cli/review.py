"""``tailormed review``: a medication list checked against each sample's results.

Reads a ``tailormed call`` output folder (every ``<sample>.json`` in it) or one
``<sample>.json``, and a medication file (one medication a line: a name with optional
strength and frequency, a brand or combination name, or ``RxNorm:<code>``; a line
starting with ``#`` is a comment, a ``#`` inside a line is kept, as in "Tylenol #3").
Every line is read by the one resolver (:mod:`tailormed.medications`); a line it does
not recognise is listed as "not recognised" with the closest names, never as "no
guideline". Prints one table per sample (or JSON with ``--json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tailormed.calling.output import read_calls
from tailormed.cli.common import console, handle_errors
from tailormed.knowledge import load_kb
from tailormed.medications import read_medication_list
from tailormed.recommend import MedicationReview, build_interpretation, review_medications
from tailormed.recommend.advice import key_sentence

SCHEMA = "tailormed.review/2"  # /2: status "not recognised", suggestions, ingredients
_STYLE = {
    "not recognised": "bold magenta",
    "actionable": "bold red",
    "no change": "green",
    "no result": "yellow",
    "no guideline": "dim",
}


@handle_errors
def review_cmd(
    calls: Annotated[
        Path,
        typer.Option("--calls", help="A `tailormed call` output folder or one <sample>.json"),
    ],
    meds: Annotated[
        Path,
        typer.Option(
            "--meds", help="Medication list: one a line (name and dose, or RxNorm:<code>)"
        ),
    ],
    sample: Annotated[str | None, typer.Option("--sample", help="Review this sample only")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the reviews as JSON instead of tables")
    ] = False,
) -> None:
    """Check a medication list against each sample's pharmacogenomic results."""
    kb = load_kb()
    medications = read_medication_list(meds)
    results: list[dict[str, Any]] = []
    for name, gene_calls in read_calls(calls, sample):
        interp = build_interpretation(gene_calls, kb, medications=medications)
        reviews = review_medications(interp, medications, kb)
        if json_out:
            results.append(
                {
                    "sample": name,
                    "reviews": [r.to_json() for r in reviews],
                    "limitations": list(interp.limitations),
                }
            )
        else:
            _print_table(name, reviews, len(interp.limitations))
    if json_out:
        doc = {"schema": SCHEMA, "kb_version": kb.version, "samples": results}
        typer.echo(json.dumps(doc, indent=1))
    else:
        console.print(f"[dim]knowledge base {kb.version}[/]")


def _print_table(sample: str, reviews: list[MedicationReview], limitations: int) -> None:
    table = Table(
        title=f"{sample}: medication review", show_lines=True, title_justify="left", expand=True
    )
    table.add_column("Medication", ratio=1, min_width=16)
    table.add_column("Status", no_wrap=True)
    table.add_column("What the results say", ratio=4)
    table.add_column("Phenoconversion", ratio=2)
    for r in reviews:
        table.add_row(
            r.medication + (f"\n[dim]{r.drug}[/]" if r.drug else ""),
            f"[{_STYLE[r.status]}]{r.status}[/]",
            _advice(r),
            "\n".join(line.split(" (", 1)[0] for line in r.phenoconversion) or "-",
        )
    console.print(table)
    unknown = [r for r in reviews if not r.recognised]
    if unknown:
        console.print(
            f"[bold magenta]{len(unknown)} medication line(s) not recognised[/]: "
            + "; ".join(
                r.medication
                + (f" (did you mean {' or '.join(r.suggestions)}?)" if r.suggestions else "")
                for r in unknown
            ),
            highlight=False,
        )
    if limitations:
        console.print(f"[dim]{limitations} limitation(s) apply; `--json` lists them[/]")


def _advice(r: MedicationReview) -> str:
    """The reason, then each further change asked for (once), then computed doses."""
    lines = [r.note]
    seen = {r.note}
    for m in r.recommendations:
        if not m.actionable:
            continue
        sentence = key_sentence(m.text)
        if any(sentence.rstrip(".") in s for s in seen):
            continue
        seen.add(sentence)
        population = f", {m.population}" if m.population and m.population != "general" else ""
        lines.append(f"• {m.source}{population}: {sentence}")
    lines.extend(f"• dose: {d.text.split(' (guideline', 1)[0]}" for d in r.doses)
    return "\n".join(lines)
