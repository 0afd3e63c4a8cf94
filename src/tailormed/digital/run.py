"""The digital-health core end to end (what ``tailormed digital summarize`` runs):
read → aggregate → score → evaluate the care rules → findings, TSV, JSON, charts and the
report section (``section.json``, the shared Section JSON)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from tailormed.digital.aggregate import COLUMNS, DailyTable, day_text
from tailormed.digital.charts import patient_charts
from tailormed.digital.context import PatientContext, medication_start
from tailormed.digital.findings import to_findings
from tailormed.digital.models import Observations
from tailormed.digital.pro import Score
from tailormed.digital.read import read_files
from tailormed.digital.rules import Alert, Engine
from tailormed.digital.sections import section
from tailormed.errors import InputError
from tailormed.findings import findings_to_json, section_to_json
from tailormed.knowledge.digital_kb import DigitalKnowledge

SCHEMA = "tailormed.digital.summary/1"


@dataclass(frozen=True)
class Summary:
    patient: str
    observations: Observations
    table: DailyTable
    scores: tuple[Score, ...]
    alerts: tuple[Alert, ...]
    context: PatientContext
    knowledge_version: str
    as_of: str | None


def pairs(values: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for v in values:
        left, sep, right = v.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise InputError(f"{what} {v!r}: expected NAME=VALUE")
        out.append((left.strip(), right.strip()))
    return out


def summarize(
    files: Sequence[Path],
    *,
    patient: str,
    source_id: str | None = None,
    timezone: str | None = None,
    medications: Sequence[tuple[str, str]] = (),
    phenotypes: Sequence[tuple[str, str]] = (),
    as_of: date | None = None,
) -> Summary:
    kb = DigitalKnowledge.load()
    context = PatientContext(
        patient=patient,
        medications=tuple(medication_start(name, start, kb) for name, start in medications),
        phenotypes=dict(phenotypes),
    )
    observations = read_files(files, source_id, timezone)
    engine = Engine(context, kb)
    engine.add(observations)
    table = engine.table
    assert table is not None
    last = max([int(table.days.max())] if len(table) else [], default=None)
    when = as_of or (date.fromisoformat(day_text(last)) if last is not None else None)
    if when is not None:
        engine.tick(when)
    alerts = tuple(sorted(engine.raised.values(), key=lambda a: (a.day, a.rule_id)))
    return Summary(
        patient,
        observations,
        table,
        tuple(engine.scores),
        alerts,
        context,
        kb.version,
        when.isoformat() if when else None,
    )


def write(summary: Summary, out: Path) -> dict[str, Any]:
    """daily.tsv, alerts.json, findings.json, scores.json and charts/*.svg into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    rows = summary.table.rows()
    header = ["date", *COLUMNS, "resting_hr_source"]
    lines = ["\t".join(header)]
    for r in rows:
        cells = []
        for h in header:
            v = r[h]
            cells.append("" if v is None else f"{v:.1f}" if isinstance(v, float) else str(v))
        lines.append("\t".join(cells))
    (out / "daily.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    document = {
        "schema": SCHEMA,
        "patient": summary.patient,
        "knowledge": {"digital": summary.knowledge_version},
        "as_of": summary.as_of,
        "files": [c.__dict__ for c in summary.observations.files],
        "series": [
            {
                "kind": s.kind,
                "points": len(s),
                "unit": s.unit,
                "original_unit": s.original_unit,
                "source": s.source,
                "format": s.format,
                "timezone": s.timezone,
            }
            for s in summary.observations.series
        ],
        "notes": list(summary.observations.notes),
        "alerts": [a.to_json() for a in summary.alerts],
    }
    (out / "alerts.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    scores = [
        {
            "instrument": s.instrument,
            "date": s.day,
            "total": s.total,
            "band": s.band,
            "loinc": s.total_code,
            "answers": {str(k): v for k, v in s.answers.items()},
            "item9": s.safety_item_score,
            "derived_from": s.derived_from,
            "notes": list(s.notes),
        }
        for s in summary.scores
    ]
    (out / "scores.json").write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")
    findings = to_findings(
        summary.alerts, summary.scores, summary.patient, summary.knowledge_version
    )
    (out / "findings.json").write_text(
        json.dumps(findings_to_json(findings), indent=2) + "\n", encoding="utf-8"
    )
    charts = patient_charts(summary.table, summary.scores, summary.alerts, summary.context)
    (out / "charts").mkdir(exist_ok=True)
    for name, svg in charts.items():
        (out / "charts" / f"{name}.svg").write_text(svg, encoding="utf-8")
    part = section(
        summary.table,
        summary.scores,
        summary.alerts,
        summary.context,
        summary.knowledge_version,
        subject=summary.patient,
    )
    (out / "section.json").write_text(
        json.dumps(section_to_json(part), indent=2) + "\n", encoding="utf-8"
    )
    return {"days": len(rows), "alerts": len(summary.alerts), "charts": sorted(charts)}
