"""The cohort's Parquet tables: names, Arrow types and meaning of every column.

``calls.parquet``: one row per sample and gene (samples in input order, genes in
knowledge-base order, outside-call genes after them); ``drugs.parquet``: one row per
sample and knowledge-base drug. Lists are Arrow ``list<...>`` columns (never joined
text); a null is "not applicable / none". The knowledge-base version, Tailormed version
and run options are in the files' key-value metadata (``tailormed`` key, JSON).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tailormed.calling.models import GeneCall
from tailormed.phenotype.models import GenePhenotype
from tailormed.recommend.models import DrugReport

CALL_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("sample", pa.string(), "Sample identifier as in the input."),
    ("gene", pa.string(), "Gene symbol."),
    (
        "diplotype",
        pa.string(),
        "The diplotype shown (the first of tied diplotypes); empty for a no-call.",
    ),
    ("alternatives", pa.list_(pa.string()), "The other tied or fitting diplotypes."),
    ("phased", pa.bool_(), "True when the input was phased for this gene."),
    ("missing_positions", pa.list_(pa.int64()), "Defining positions missing (GRCh38, 1-based)."),
    ("warnings", pa.list_(pa.string()), "Call warnings, as in calls.tsv."),
    ("phenotype", pa.string(), "CPIC phenotype (Indeterminate, No Result, n/a included)."),
    ("activity_score", pa.string(), "Activity score where the gene has one, else null."),
    (
        "lookup_key",
        pa.string(),
        "The key matched against guideline recommendations; null when there are several (HLA).",
    ),
)

DRUG_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("sample", pa.string(), "Sample identifier."),
    ("drug", pa.string(), "Drug name (knowledge-base spelling)."),
    ("status", pa.string(), "actionable, no change, no result or no guideline."),
    ("genes", pa.list_(pa.string()), "Genes the drug's guidelines use."),
    (
        "lookup_keys",
        pa.list_(pa.string()),
        "The recommendation keys matched, GENE=key, one per gene of each selected recommendation.",
    ),
    ("recommendation_ids", pa.list_(pa.string()), "Knowledge-base ids of the recommendations."),
    ("sources", pa.list_(pa.string()), "Guideline sources of those recommendations (CPIC, DPWG)."),
    ("classifications", pa.list_(pa.string()), "source:classification of each, where given."),
    ("reason", pa.string(), "One sentence: why this status."),
)

# ``scores.parquet`` (with --pgs): the columns of `tailormed prs`'s scores.tsv, typed.
SCORE_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("sample", pa.string(), "Sample identifier."),
    ("pgs_id", pa.string(), "PGS Catalog score id."),
    ("sum", pa.float64(), "Weighted sum (plink2 SCORE_SUM)."),
    ("avg", pa.float64(), "Sum over alleles observed (plink2 SCORE_AVG); null with none."),
    ("variants_matched", pa.int64(), "Scoring-file variants matched in the input."),
    ("variants_total", pa.int64(), "Variants in the scoring file."),
    ("percentile", pa.float64(), "Percentile in a reference panel (not computed by cohort)."),
    ("z", pa.float64(), "z-score in a reference panel (not computed by cohort)."),
    ("reference_population", pa.string(), "Reference group used (not computed by cohort)."),
)

# Internal (parts only): each haplotype's category for the equity summary.
HAPLOTYPE_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("sample", pa.string(), ""),
    ("gene", pa.string(), ""),
    ("alleles", pa.list_(pa.string()), ""),
    ("status", pa.list_(pa.string()), ""),
    ("phenotype", pa.string(), ""),
)


def schema(columns: tuple[tuple[str, pa.DataType, str], ...]) -> pa.Schema:
    return pa.schema([pa.field(name, kind) for name, kind, _ in columns])


CALLS_SCHEMA = schema(CALL_COLUMNS)
DRUGS_SCHEMA = schema(DRUG_COLUMNS)
HAPLOTYPES_SCHEMA = schema(HAPLOTYPE_COLUMNS)
SCORES_SCHEMA = schema(SCORE_COLUMNS)


def score_values(s: Any) -> tuple[Any, ...]:
    """A :class:`~tailormed.cardio.prs.SampleScore` in ``SCORE_COLUMNS`` order."""
    return (
        s.sample,
        s.pgs_id,
        s.sum,
        s.avg,
        s.variants_matched,
        s.variants_total,
        s.percentile,
        s.z,
        s.reference_population,
    )


def call_values(c: GeneCall, p: GenePhenotype) -> tuple[Any, ...]:
    """A call row's values after ``sample`` and ``gene``, in ``CALL_COLUMNS`` order."""
    return (
        c.diplotypes[0].text if c.called else "",
        list(c.alternatives),
        c.phased,
        [int(x) for x in c.missing_positions],
        list(c.warnings),
        p.phenotype,
        p.activity_score,
        p.lookup_key,
    )


def drug_values(d: DrugReport) -> tuple[Any, ...]:
    """A drug row's values after ``sample`` and ``drug``, in ``DRUG_COLUMNS`` order."""
    keys: list[str] = []
    for r in d.recommendations:
        keys.extend(f"{g}={k}" for g, k in r.lookup_key.items())
    return (
        d.status,
        list(d.genes),
        list(dict.fromkeys(keys)),
        list(dict.fromkeys(r.recommendation_id for r in d.recommendations)),
        list(dict.fromkeys(r.source for r in d.recommendations)),
        list(
            dict.fromkeys(
                f"{r.source}:{r.classification}" for r in d.recommendations if r.classification
            )
        ),
        d.reason,
    )


def table(cols: dict[str, list[Any]], kind: pa.Schema) -> pa.Table:
    return pa.table(cols, schema=kind)


def write_table(t: pa.Table, path: Path) -> Path:
    """Write a Parquet file atomically (private: it holds genotype-derived results)."""
    from tailormed.atomic import replacing

    with replacing(path, mode=0o600) as tmp:
        pq.write_table(t, tmp, compression="zstd")
    return path


def rows_hash(paths: Iterable[Path], keys: tuple[str, ...] = ("sample", "gene")) -> str:
    """SHA-256 of a table's rows sorted by ``keys`` (not of the Parquet bytes).

    Each row is written as JSON-like text in column order; identical content gives the
    same hash whatever the row groups, compression, worker count or input format.
    """
    import json

    tables = [pq.read_table(p) for p in paths]
    t = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    t = t.sort_by([(k, "ascending") for k in keys])
    digest = hashlib.sha256()
    digest.update(json.dumps(t.schema.names).encode())
    for batch in t.to_batches(max_chunksize=65536):
        for row in batch.to_pylist():
            digest.update(json.dumps(row, sort_keys=False, default=str).encode())
            digest.update(b"\n")
    return digest.hexdigest()
