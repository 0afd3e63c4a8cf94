"""``tailormed review``: a medication list checked against each sample's results.

Reads a ``tailormed call`` output folder (every ``<sample>.json`` in it) or one
``<sample>.json``, and a medication file (one medication a line: a name with optional
strength and frequency, a brand or combination name, or ``RxNorm:<code>``; a line
starting with ``#`` is a comment, a ``#`` inside a line is kept, as in "Tylenol #3").
Every line is read by the one resolver (:mod:`tailormed.medications`); a line it does
not recognise is listed as "not recognised" with the closest names, never as "no
guideline". Prints one table per sample (or JSON with ``--json``).

The table stays short: a gene that is not tested, not called or indeterminate is one
line per medication ("CYP2C9 indeterminate: 66 positions missing; 65 alleles could not be
excluded — see calls/HG00096.json"); the positions, the alleles and every result they
could give are in that calls JSON and in ``--json``. Advice is quoted a whole sentence at
a time, never cut.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tailormed.calling.models import GeneCall
from tailormed.calling.output import read_calls, safe_name
from tailormed.cli.common import console, handle_errors
from tailormed.knowledge import load_kb
from tailormed.medications import read_medication_list
from tailormed.phenotype import INDETERMINATE, NO_RESULT, NOT_AVAILABLE
from tailormed.recommend import (
    Interpretation,
    MedicationReview,
    build_interpretation,
    review_medications,
)
from tailormed.recommend.advice import classify, key_sentence
from tailormed.recommend.models import MatchedRecommendation

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
            _print_table(name, reviews, interp, _calls_file(calls, name))
    if json_out:
        doc = {"schema": SCHEMA, "kb_version": kb.version, "samples": results}
        typer.echo(json.dumps(doc, indent=1))
    else:
        console.print(f"[dim]knowledge base {kb.version}[/]")


def _calls_file(calls: Path, sample: str) -> Path:
    """The calls JSON that holds ``sample`` (``calls`` itself when it is one file)."""
    if calls.is_dir():
        found = calls / f"{safe_name(sample)}.json"
        return found if found.exists() else calls
    return calls


def _print_table(
    sample: str, reviews: list[MedicationReview], interp: Interpretation, details: Path
) -> None:
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
            _advice(r, interp, details.name),
            "\n".join(line.split(" (", 1)[0] for line in r.phenoconversion) or "-",
        )
    console.print(table, highlight=False)
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
    if any(_gap(g, interp, details.name) for r in reviews for g in _genes(r, interp)):
        console.print(
            f"Positions, alleles and possible results of genes without a result: {details}",
            highlight=False,
            soft_wrap=True,
        )
    if interp.limitations:
        console.print(f"[dim]{len(interp.limitations)} limitation(s) apply; `--json` lists them[/]")


_HEADLINE = {
    "no result": "No CPIC or DPWG recommendation can be selected.",
    "no change": "The guideline advice for the results available is to prescribe as usual.",
}


def _genes(r: MedicationReview, interp: Interpretation) -> tuple[str, ...]:
    report = interp.drug(r.drug) if r.drug else None
    return report.genes if report else ()


def _gap(gene: str, interp: Interpretation, details: str) -> tuple[str, bool] | None:
    """One line for a gene whose result cannot select advice, and whether it was tested
    (then its result is indeterminate or missing); ``None`` for a usable result."""
    ph = interp.phenotype(gene)
    if ph is None:
        return f"{gene} not tested", False
    if ph.phenotype not in (INDETERMINATE, NO_RESULT, NOT_AVAILABLE):
        return None
    call: GeneCall | None = next((c for c in interp.calls if c.gene == gene), None)
    what = {INDETERMINATE: "indeterminate", NO_RESULT: "no result"}.get(
        ph.phenotype, "no phenotype"
    )
    parts = []
    if call is not None:
        if call.missing_positions:
            parts.append(f"{len(call.missing_positions)} positions missing")
        if call.uncertain_alleles:
            parts.append(f"{len(call.uncertain_alleles)} alleles could not be excluded")
        if call.alternatives:
            parts.append(f"{len(call.alternatives) + 1} tied diplotypes")
        if not call.called:
            parts.append("no call")
    if not parts and ph.reason:
        parts.append(ph.reason)
    return f"{gene} {what}: {'; '.join(parts) or 'no result'} (details: {details})", True


def _who(m: MatchedRecommendation) -> str:
    return ", ".join(f"{g} {m.phenotypes.get(g, m.lookup_key.get(g, ''))}" for g in m.genes)


def _advice(r: MedicationReview, interp: Interpretation, details: str) -> str:
    """Whole sentences: the advice asked for (or why there is none), unresolved genes in
    one line each, then computed doses."""
    gaps = [g for g in (_gap(x, interp, details) for x in _genes(r, interp)) if g]
    unresolved = any(tested for _, tested in gaps)
    lines: list[str] = []
    seen: set[str] = set()
    if r.status == "actionable" or unresolved:
        if r.status in _HEADLINE:
            lines.append(_HEADLINE[r.status])
        for m in r.recommendations:
            if r.status == "actionable" and not m.actionable:
                continue
            if classify(m.text) == "none":  # "No recommendation": nothing to say
                continue
            sentence = key_sentence(m.text)
            if sentence in seen:
                continue
            seen.add(sentence)
            strength = f" ({m.classification})" if m.classification else ""
            population = f", {m.population}" if m.population and m.population != "general" else ""
            lines.append(f"• {m.source}{strength}{population} for {_who(m)}: {sentence}")
        lines.extend(text for text, _ in gaps)
    else:  # the note names any gene not tested; nothing else is unresolved
        lines.append(r.note)
    for d in r.doses:
        if d.value is not None:
            lines.append(f"• dose: {d.text}")
        else:  # why it was not computed is said above (genes) or by its missing inputs
            missing = f" (missing: {', '.join(d.missing_inputs)})" if d.missing_inputs else ""
            lines.append(f"• dose: not computed{missing}")
    return "\n".join(lines)
