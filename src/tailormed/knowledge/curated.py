"""Validate and compile the curated tables in ``knowledge/curated/``.

* ``inhibitors.json``: CYP2D6 / CYP2C19 inhibitors with strengths and sources, and the
  phenoconversion rules per gene (a draft awaiting pharmacist review; the status travels
  in the manifest and in every report that used it);
* ``combination_brands.json``: brand names standing for several ingredients;
* ``dose_tables.json``: IWPC warfarin coefficients, CPIC 2017 adjustments, fluoropyrimidine
  and thiopurine percentages, each row with the guideline words it comes from.

Every problem raises :class:`~tailormed.errors.KnowledgeError` naming the file and entry.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.medicines import STRENGTH_RANK, dose_tables


def curated_dir() -> Path:
    return Path(str(resources.files("tailormed.knowledge") / "curated"))


def read_curated(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError("curated table is missing", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise KnowledgeError(f"cannot parse curated table ({exc})", path=path, line=line) from None
    if not isinstance(raw, dict) or not raw.get("compiled") or not raw.get("review_status"):
        raise KnowledgeError("needs 'compiled' and 'review_status'", path=path)
    return raw


def compile_inhibitors(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The inhibitor list, checked: known methods, strengths, sources, numeric bins."""
    try:
        sources = {k: {"citation": v["citation"]} for k, v in raw["sources"].items()}
        for gene, r in raw["rules"].items():
            record = f"rules.{gene}"
            if r["source"] not in sources:
                raise KnowledgeError(
                    f"cites unknown source {r['source']!r}", path=path, record=record
                )
            if r["method"] == "activity_score":
                for v in r["factors"].values():
                    Decimal(v)
                for bins in r["bins"].values():
                    for b in bins:
                        _ = b["phenotype"], None if b["upper"] is None else Decimal(b["upper"])
            elif r["method"] == "phenotype_step":
                _ = r["strong"], dict(r["moderate_step"])
            else:
                raise KnowledgeError(f"unknown method {r['method']!r}", path=path, record=record)
        for i, e in enumerate(raw["inhibitors"]):
            record = f"inhibitors[{i}] ({e.get('drug')})"
            if e["strength"] not in STRENGTH_RANK:
                raise KnowledgeError(f"strength {e['strength']!r}", path=path, record=record)
            unknown = set(e["sources"]) - set(sources)
            if unknown or not e["sources"]:
                raise KnowledgeError(
                    f"unknown or no sources {sorted(unknown)}", path=path, record=record
                )
            _ = e["drug"], e["gene"]
    except (KeyError, TypeError, AttributeError, InvalidOperation) as exc:
        raise KnowledgeError(f"inhibitor list is malformed ({exc!r})", path=path) from None
    return {
        "compiled": raw["compiled"],
        "review_status": raw["review_status"],
        "sources": sources,
        "rules": raw["rules"],
        "inhibitors": raw["inhibitors"],
    }


def compile_dose_tables(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """The dose tables, checked by building their typed form once."""
    try:
        dose_tables(raw)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise KnowledgeError(f"dose tables are malformed ({exc!r})", path=path) from None
    return {k: v for k, v in raw.items() if k not in ("schema", "title")}
