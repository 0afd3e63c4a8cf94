"""``summary.json`` and ``summary.html``: what a cohort run found, per gene, drug and
population (the equity summary of :mod:`.equity`). The HTML is one self-contained file
(inline CSS and SVG charts, no script, no server)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tailormed import __version__
from tailormed.atomic import write_atomic
from tailormed.cohort.equity import EquityCounter, check_populations, read_table, sample_groups

SUMMARY_SCHEMA = "tailormed.cohort-summary/1"


def _overall(files: dict[str, Path]) -> tuple[dict[str, Any], dict[str, Any]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    calls = pq.read_table(files["calls"], columns=["gene", "diplotype", "phenotype"])
    called = pc.not_equal(calls["diplotype"], "")
    t = calls.append_column("called", called)
    genes: dict[str, Any] = {}
    for row in t.group_by(["gene", "called"]).aggregate([("gene", "count")]).to_pylist():
        g = genes.setdefault(row["gene"], {"samples": 0, "called": 0, "no_call": 0})
        g["samples"] += row["gene_count"]
        g["called" if row["called"] else "no_call"] += row["gene_count"]
    for row in calls.group_by(["gene", "phenotype"]).aggregate([("gene", "count")]).to_pylist():
        key = row["phenotype"] if row["phenotype"] is not None else "(none)"
        genes[row["gene"]].setdefault("phenotypes", {})[key] = row["gene_count"]
    drugs_t = pq.read_table(files["drugs"], columns=["drug", "status"])
    drugs: dict[str, Any] = {}
    for row in drugs_t.group_by(["drug", "status"]).aggregate([("drug", "count")]).to_pylist():
        drugs.setdefault(row["drug"], {})[row["status"]] = row["drug_count"]
    for g in genes.values():
        g["phenotypes"] = dict(sorted(g.get("phenotypes", {}).items(), key=lambda kv: -kv[1]))
    return dict(sorted(genes.items())), dict(sorted(drugs.items()))


def equity_summary(
    parts: Path,
    n_blocks: int,
    samples: Sequence[str],
    populations: Path | None,
    pedigree: Path | None,
    unrelated: bool,
) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from tailormed.cohort.engine import block_part_paths

    check_populations(populations, pedigree, unrelated)
    table = read_table(populations, pedigree) if populations is not None else None
    groups, left = sample_groups(samples, table, unrelated)
    counter = EquityCounter(groups)
    for b in range(n_blocks):
        paths = block_part_paths(parts, b)
        counter.add_drugs(pq.read_table(paths["drugs"], columns=["sample", "status"]))
        counter.add_haplotypes(pq.read_table(paths["haplotypes"]))
    result = counter.result()
    return {
        "population_table": str(populations) if populations else None,
        "unrelated": unrelated,
        **left,
        "counting": (
            "haplotypes: two per sample and gene (one for a haploid call); a no-call counts "
            "its haplotypes as unmatched (no named allele explains the genotype) or not "
            "covered (missing data). Intervals: Wilson score, 95 %."
        ),
        **result,
    }


def write_summary(
    out: Path,
    files: dict[str, Path],
    *,
    kb: Any,
    samples: Sequence[str],
    genes: Sequence[str],
    options: Any,
    fingerprint: dict[str, Any],
    partitions: int,
    seconds: float,
) -> dict[str, Any]:
    from tailormed.cohort.html import render

    n_blocks = (len(samples) + options.block_size - 1) // options.block_size
    gene_stats, drug_stats = _overall(files)
    summary: dict[str, Any] = {
        "schema": SUMMARY_SCHEMA,
        "tailormed": __version__,
        "kb_version": kb.version,
        "samples": len(samples),
        "genes": list(genes),
        "inputs": [i["path"] for i in fingerprint["inputs"]],
        "input_kind": fingerprint["input_kind"],
        "options": fingerprint["options"],
        "partitions": partitions,
        "blocks": n_blocks,
        "seconds": round(seconds, 2),
        "files": {
            "calls": "calls.parquet",
            "drugs": "drugs.parquet",
            "scores": "scores.parquet" if options.pgs else None,
            "per_sample_json": "samples/" if options.per_sample_json else None,
        },
        "calls": gene_stats,
        "drugs": drug_stats,
        "equity": equity_summary(
            files["haplotype_parts"],
            n_blocks,
            samples,
            options.populations,
            options.pedigree,
            options.unrelated,
        ),
    }
    write_atomic(out / "summary.json", (json.dumps(summary, indent=1) + "\n").encode(), mode=0o600)
    write_atomic(out / "summary.html", render(summary).encode(), mode=0o600)
    return summary
