"""The calling stage's files: ``calls.tsv`` and ``<sample>.json`` (a stable contract).

``calls.tsv`` columns: ``sample gene diplotype alternatives phased missing_positions
warnings`` (alternatives and warnings ``;``-separated, missing positions ``,``-separated).
Each file is written under a temporary name and renamed (:mod:`tailormed.atomic`);
``calls.tsv`` is removed first and written last, so a folder with a ``calls.tsv`` is
always complete.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.calling.models import SCHEMA, CallSet, GeneCall
from tailormed.calling.outside import OutsideCall, to_gene_call
from tailormed.errors import InputError

TSV_HEADER = (
    "sample",
    "gene",
    "diplotype",
    "alternatives",
    "phased",
    "missing_positions",
    "warnings",
)


def safe_name(sample: str) -> str:
    """A file name for a sample ID (path separators and odd characters become ``_``)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", sample).lstrip(".")
    return name or "sample"


def merge_outside(callset: CallSet, outside: list[OutsideCall], path: Path) -> CallSet:
    """Add outside calls; one for a gene also called from VCF replaces that call, noted."""
    calls = dict(callset.calls)
    genes = list(callset.genes)
    for oc in outside:
        targets = [oc.sample] if oc.sample else list(callset.samples)
        for sample in targets:
            if sample not in callset.samples:
                raise InputError(f"sample {sample!r} is not in the input", path=path, line=oc.line)
            call = to_gene_call(oc, sample, callset.kb_version, path)
            previous = calls.get((sample, oc.gene))
            if previous is not None and previous.source != "outside":
                call = replace(
                    call,
                    warnings=(
                        *call.warnings,
                        f"overrides the VCF call {previous.diplotype}",
                    ),
                )
            calls[(sample, oc.gene)] = call
        if oc.gene not in genes:
            genes.append(oc.gene)
    return replace(callset, calls=calls, genes=tuple(genes))


def _tsv_field(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ")


def tsv_row(call: GeneCall) -> list[str]:
    return [
        call.sample,
        call.gene,
        call.diplotype,
        ";".join(call.alternatives),
        "yes" if call.phased else "no",
        ",".join(str(p) for p in call.missing_positions),
        "; ".join(_tsv_field(w) for w in call.warnings),
    ]


def sample_document(callset: CallSet, sample: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "sample": sample,
        "kb_version": callset.kb_version,
        "inputs": list(callset.inputs),
        "options": {
            "missing_to_ref": callset.options.missing_to_ref,
            "covered_regions": (
                str(callset.options.covered_regions) if callset.options.covered_regions else None
            ),
            "research_cyp2d6": callset.options.research_cyp2d6,
        },
        "genes": {c.gene: c.to_json() for c in callset.for_sample(sample)},
    }


def write_calls(callset: CallSet, out_dir: Path) -> Path:
    """Write ``calls.tsv`` and one JSON per sample into ``out_dir``; returns the TSV path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    names: dict[str, str] = {}
    for sample in callset.samples:
        name = safe_name(sample)
        if name in names.values():
            raise InputError(f"samples map to the same file name {name}.json", record=sample)
        names[sample] = name
    stale = out_dir / "calls.tsv"
    stale.unlink(missing_ok=True)  # never leave an old, complete-looking TSV beside new JSONs
    for sample, name in names.items():
        doc = sample_document(callset, sample)
        write_atomic(out_dir / f"{name}.json", (json.dumps(doc, indent=1) + "\n").encode())
    lines = ["\t".join(TSV_HEADER)]
    for sample in callset.samples:
        lines.extend("\t".join(tsv_row(c)) for c in callset.for_sample(sample))
    write_atomic(out_dir / "calls.tsv", ("\n".join(lines) + "\n").encode())
    return out_dir / "calls.tsv"


def read_sample_json(path: Path) -> tuple[str, list[GeneCall]]:
    """Load a ``<sample>.json`` back into GeneCalls (the next stage's input)."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read calls ({exc})", path=path) from None
    if doc.get("schema") != SCHEMA:
        raise InputError(f"not a Tailormed calls file (schema {doc.get('schema')!r})", path=path)
    sample = doc["sample"]
    return sample, [GeneCall.from_json(sample, g) for g in doc["genes"].values()]


def read_calls(path: Path, sample: str | None) -> list[tuple[str, list[GeneCall]]]:
    """``(sample, calls)`` from a call output folder or one ``<sample>.json``."""
    if not path.exists():
        raise InputError("calls file or folder does not exist", path=path)
    if path.is_dir():
        found = []
        for p in sorted(path.glob("*.json")):
            try:
                found.append(read_sample_json(p))
            except InputError as exc:
                if "not a Tailormed calls file" not in exc.problem:
                    raise
        if not found:
            raise InputError("no <sample>.json calls files here (run `tailormed call`)", path=path)
    else:
        found = [read_sample_json(path)]
    if sample is not None:
        chosen = [s for s in found if s[0] == sample]
        if not chosen:
            known = ", ".join(s for s, _ in found)
            raise InputError(f"sample {sample!r} is not in the calls (found: {known})", path=path)
        return chosen
    return found
