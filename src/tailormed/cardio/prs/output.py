"""Writing a PRS run: ``scores.tsv``, ``match_report.tsv``, ``missing_calls.tsv``, ``variants.tsv``.

``scores.tsv`` columns (exactly): ``sample pgs_id sum avg variants_matched variants_total
percentile z reference_population``; empty cells where a value does not apply (no reference,
no percentile for that sample). Numbers are written with 10 significant digits.
``variants.tsv`` lists every scoring-file row with what happened to it (matched, flipped,
ambiguous, allele_mismatch, missing, unmapped, duplicate), so a score can be re-run by other
tools on exactly the same variants.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tailormed.atomic import write_atomic
from tailormed.cardio.prs.engine import STATUS_NAMES, PrsResult
from tailormed.cardio.prs.scorefile import CHROM_NAMES
from tailormed.errors import InputError

SCORE_COLUMNS = (
    "sample",
    "pgs_id",
    "sum",
    "avg",
    "variants_matched",
    "variants_total",
    "percentile",
    "z",
    "reference_population",
)
REPORT_COLUMNS = (
    "pgs_id",
    "file",
    "genome_build",
    "status",
    "variants_total",
    "variants_matched",
    "match_rate",
    "min_match_rate",
    "flipped",
    "ambiguous_excluded",
    "ambiguous_kept",
    "multiallelic",
    "allele_mismatch",
    "missing",
    "unmapped",
    "duplicate",
    "missing_calls",
    "samples_with_missing_calls",
    "reference_variants",
    "reason",
    "notes",
)


def _num(value: float | None) -> str:
    if value is None or value != value:
        return ""
    return f"{value:.10g}"


def _write(path: Path, header: Iterable[str], rows: Iterable[Iterable[str]]) -> None:
    """Write atomically (a temporary file renamed into place)."""
    lines = ["\t".join(header)] + ["\t".join(row) for row in rows]
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))


def write_result(result: PrsResult, out: Path) -> dict[str, Path]:
    """Write the run's tables into ``out`` (created); returns them by name."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the output folder ({exc.strerror})", path=out) from None
    files = {
        "scores": out / "scores.tsv",
        "match_report": out / "match_report.tsv",
        "missing_calls": out / "missing_calls.tsv",
        "variants": out / "variants.tsv",
    }
    _write(
        files["scores"],
        SCORE_COLUMNS,
        (
            (
                s.sample,
                s.pgs_id,
                _num(s.sum),
                _num(s.avg),
                str(s.variants_matched),
                str(s.variants_total),
                _num(s.percentile),
                _num(s.z),
                s.reference_population or "",
            )
            for s in result.scores
        ),
    )
    _write(
        files["match_report"],
        REPORT_COLUMNS,
        (
            (
                r.pgs_id,
                r.path,
                r.build,
                r.status,
                str(r.variants_total),
                str(r.matched),
                f"{r.match_rate:.4f}",
                f"{r.min_match_rate:g}",
                str(r.flipped),
                str(r.ambiguous),
                str(r.ambiguous_kept),
                str(r.multiallelic),
                str(r.allele_mismatch),
                str(r.missing),
                str(r.unmapped),
                str(r.duplicate),
                str(r.missing_calls),
                str(r.samples_with_missing_calls),
                "" if r.reference_variants is None else str(r.reference_variants),
                r.reason,
                "; ".join(r.notes),
            )
            for r in result.reports
        ),
    )
    _write(
        files["missing_calls"],
        ("sample", "pgs_id", "variants_missing", "variants_matched"),
        (
            (s.sample, s.pgs_id, str(s.missing_calls), str(s.variants_matched))
            for s in result.scores
            if s.missing_calls
        ),
    )
    _write(
        files["variants"],
        ("pgs_id", "line", "chrom", "pos", "effect_allele", "other_allele", "weight", "status"),
        (
            (
                f.pgs_id,
                str(f.line[i]),
                CHROM_NAMES[f.chrom[i]],
                str(f.pos[i]) if f.chrom[i] else "",
                str(f.effect[i]),
                str(f.other[i]),
                repr(float(f.weight[i])),
                STATUS_NAMES[int(status[i])],
            )
            for f, status in zip(result.files, result.statuses, strict=True)
            for i in range(len(f))
        ),
    )
    return files
