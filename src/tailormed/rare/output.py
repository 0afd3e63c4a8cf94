"""Write rankings: ``rankings.tsv`` (one row per gene–disease pair) and one JSON per case.

Files are written to a temporary name and renamed, so a failed run never leaves a
half-written file that looks complete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.knowledge.rare import HPO_CITATION
from tailormed.rare.models import Ranking, Term

TSV_COLUMNS = (
    "case_id",
    "rank",
    "gene_symbol",
    "disease_id",
    "disease_name",
    "score",
    "matched_terms",
)
SCHEMA = "tailormed.rare.ranking/1"


def _rank_text(rank: float) -> str:
    return str(int(rank)) if rank == int(rank) else f"{rank:g}"


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\n", " ")


def tsv_rows(ranking: Ranking) -> list[list[str]]:
    """The ``rankings.tsv`` rows of one case (no header)."""
    return [
        [
            _clean(ranking.case.case_id),
            _rank_text(c.rank),
            c.gene,
            c.disease_id,
            _clean(c.disease_name),
            f"{c.score:.4f}",
            ";".join(c.matched_terms),
        ]
        for c in ranking.candidates
    ]


def ranking_to_json(ranking: Ranking) -> dict[str, Any]:
    """The per-case explanation (JSON-ready)."""
    case = ranking.case
    return {
        "schema": SCHEMA,
        "case_id": case.case_id,
        "subject_id": case.subject_id,
        "sex": case.sex,
        "onset": case.onset,
        "source": case.source,
        "method": ranking.method,
        "disease_set": ranking.disease_set,
        "knowledge": {"rare": ranking.knowledge_version, "hpo_release": ranking.hpo_release},
        "citation": HPO_CITATION,
        "observed_terms": [_term(t) for t in case.observed],
        "excluded_terms": [_term(t) for t in case.excluded],
        "ignored_terms": [asdict(t) for t in case.ignored],
        "warnings": list(ranking.warnings),
        "variants": ranking.variant_source,
        "candidates": [asdict(c) for c in ranking.candidates],
        "limitations": list(ranking.limitations),
    }


def _term(t: Term) -> dict[str, Any]:
    return {k: v for k, v in asdict(t).items() if k != "index"}


def safe_name(name: str) -> str:
    """A case id made a safe file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "case"


def _write(path: Path, text: str) -> None:
    write_atomic(path, text.encode("utf-8"))


def write_rankings(rankings: Sequence[Ranking], out: Path) -> list[Path]:
    """Write ``out/rankings.tsv`` and ``out/<case id>.json`` per case; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(TSV_COLUMNS)]
    for r in rankings:
        lines.extend("\t".join(row) for row in tsv_rows(r))
    written = [out / "rankings.tsv"]
    _write(written[0], "\n".join(lines) + "\n")
    used: set[str] = set()
    for r in rankings:
        name = safe_name(r.case.case_id)
        while name in used or name == "rankings":
            name += "_"
        used.add(name)
        path = out / f"{name}.json"
        _write(path, json.dumps(ranking_to_json(r), indent=2) + "\n")
        written.append(path)
    return written
