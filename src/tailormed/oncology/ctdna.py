"""ctDNA serial monitoring: per-draw summaries and the patient's molecular status over time.

Rules are data (``ctdna_rules`` of the oncology bundle, each with its citation; any
threshold can be overridden). Definitions used:

- **not detected**: ``vaf`` 0 or below the assay's limit of detection; such a variant
  was tested, and counts at its LoD in a mean (an upper bound: never zero);
- **baseline**: the last draw on or before the therapy start when known, else the first;
- **molecular response** (Goldberg 2018): mean VAF of the baseline-detected variants
  falls by more than ``min_fall_fraction`` from baseline, confirmed by the next draw;
  a fall the next draw does not confirm is "response not confirmed";
- **clearance**: every baseline-detected variant tested and not detected;
- **rise from nadir**: mean VAF (relative to baseline) at least ``min_fold`` × its
  nadir and at least ``min_absolute_vaf``;
- **emergence**: a variant not detected at baseline nor in any earlier draw, detected
  now; flagged as resistance when the knowledge base records resistance of it to the
  therapy current at that draw.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from tailormed.oncology.models import (
    CtdnaEvent,
    CtdnaObservation,
    DrawSummary,
    PatientCtdna,
    VariantState,
)

Resistance = Callable[[str, str | None], list[tuple[str, str, str]]]


@dataclass(frozen=True, slots=True)
class Rules:
    min_fall_fraction: float
    confirm: bool
    rise_fold: float
    rise_min_vaf: float
    citations: Mapping[str, str]

    @staticmethod
    def of(data: Mapping[str, Any], overrides: Mapping[str, float] | None = None) -> Rules:
        o = dict(overrides or {})
        return Rules(
            min_fall_fraction=float(
                o.get("min_fall_fraction", data["molecular_response"]["min_fall_fraction"])
            ),
            confirm=bool(data["molecular_response"]["confirm_with_next_draw"]),
            rise_fold=float(o.get("rise_fold", data["rise_from_nadir"]["min_fold"])),
            rise_min_vaf=float(o.get("rise_min_vaf", data["rise_from_nadir"]["min_absolute_vaf"])),
            citations={k: str(v["citation"]) for k, v in data.items() if "citation" in v},
        )


@cache
def regimen_key(text: str) -> str:
    return " + ".join(sorted(p.strip().lower() for p in text.split("+") if p.strip()))


def _therapy_at(
    day: str, row_therapy: str | None, given: Sequence[tuple[str, str | None]]
) -> str | None:
    current = row_therapy
    best: str | None = None
    for drug, start in given:
        if (start is None or start <= day) and (best is None or (start or "") >= best):
            best = start or ""
            current = drug
    return current


def _summary(
    day: str,
    rows: Sequence[CtdnaObservation],
    baseline_set: set[str],
    baseline_means: Mapping[str, float],
    therapy: str | None,
) -> DrawSummary:
    states = tuple(
        VariantState(o.key, o.detected, o.vaf if o.detected else None, o.lod) for o in rows
    )
    values = [o.vaf if o.detected else (o.lod or 0.0) for o in rows]
    detected = [o.vaf for o in rows if o.detected]
    common = [o for o in rows if o.key in baseline_set]
    fold: float | None = None
    if common and baseline_set:
        base = sum(baseline_means[o.key] for o in common) / len(common)
        now = sum(o.vaf if o.detected else (o.lod or 0.0) for o in common) / len(common)
        fold = now / base if base > 0 else None
    return DrawSummary(
        date=day,
        therapy=therapy,
        states=states,
        mean_vaf=sum(values) / len(values) if values else 0.0,
        max_vaf=max(detected) if detected else 0.0,
        tested=len(rows),
        detected=len(detected),
        fold_from_baseline=fold,
    )


def classify_patient(
    patient: str,
    rows: Sequence[CtdnaObservation],
    rules: Rules,
    resistance: Resistance,
    therapies: Sequence[tuple[str, str | None]] = (),
) -> PatientCtdna:
    by_date: dict[str, list[CtdnaObservation]] = {}
    for o in rows:
        by_date.setdefault(o.date, []).append(o)
    dates = sorted(by_date)
    row_starts = sorted(
        {(o.therapy, o.therapy_start) for o in rows if o.therapy and o.therapy_start}
    )
    given = [(regimen_key(d), s) for d, s in therapies] or [
        (regimen_key(d), s) for d, s in row_starts if d
    ]
    starts = sorted(s for _, s in given if s)
    baseline = dates[0]
    if starts:
        before = [d for d in dates if d <= starts[0]]
        baseline = before[-1] if before else dates[0]
    notes: list[str] = []
    if starts and not any(d <= starts[0] for d in dates):
        notes.append(
            f"no draw on or before the therapy start {starts[0]}: the first draw is baseline"
        )
    base_rows = by_date[baseline]
    baseline_set = {o.key for o in base_rows if o.detected}
    baseline_means = {o.key: o.vaf for o in base_rows if o.detected}
    draws: list[DrawSummary] = []
    for day in dates:
        rows_now = by_date[day]
        row_therapy = next((regimen_key(o.therapy) for o in rows_now if o.therapy), None)
        therapy = _therapy_at(day, row_therapy, given)
        draws.append(_summary(day, rows_now, baseline_set, baseline_means, therapy))
    events = _events(draws, by_date, baseline, baseline_set, rules, resistance)
    status = _status(draws, events, baseline, baseline_set)
    return PatientCtdna(
        patient=patient,
        baseline=baseline,
        status=status,
        draws=tuple(draws),
        events=tuple(events),
        therapies=tuple(given),
        notes=tuple(notes),
    )


def _events(
    draws: Sequence[DrawSummary],
    by_date: Mapping[str, Sequence[CtdnaObservation]],
    baseline: str,
    baseline_set: set[str],
    rules: Rules,
    resistance: Resistance,
) -> list[CtdnaEvent]:
    events: list[CtdnaEvent] = []
    cite = rules.citations
    after = [d for d in draws if d.date > baseline]
    fall = 1.0 - rules.min_fall_fraction
    for i, d in enumerate(after):
        if d.fold_from_baseline is None or d.fold_from_baseline >= fall:
            continue
        if i > 0 and (after[i - 1].fold_from_baseline or 1.0) < fall:
            continue  # part of a run already judged
        nxt = after[i + 1] if i + 1 < len(after) else None
        pct = (1 - d.fold_from_baseline) * 100
        if not rules.confirm:
            events.append(
                CtdnaEvent(
                    "molecular-response",
                    d.date,
                    f"mean VAF {pct:.0f} % below baseline",
                    cite["molecular_response"],
                )
            )
        elif nxt is None:
            events.append(
                CtdnaEvent(
                    "response-pending",
                    d.date,
                    f"mean VAF {pct:.0f} % below baseline; needs a confirming draw",
                    cite["molecular_response"],
                )
            )
        elif nxt.fold_from_baseline is not None and nxt.fold_from_baseline < fall:
            events.append(
                CtdnaEvent(
                    "molecular-response",
                    nxt.date,
                    f"mean VAF {pct:.0f} % below baseline on {d.date}, confirmed on {nxt.date}",
                    cite["molecular_response"],
                )
            )
        else:
            events.append(
                CtdnaEvent(
                    "response-not-confirmed",
                    nxt.date,
                    f"mean VAF {pct:.0f} % below baseline on {d.date}, not confirmed on {nxt.date}",
                    cite["molecular_response"],
                )
            )
    for d in after:
        tested = {s.variant for s in d.states}
        if (
            baseline_set
            and baseline_set <= tested
            and not any(s.detected for s in d.states if s.variant in baseline_set)
        ):
            events.append(
                CtdnaEvent(
                    "clearance",
                    d.date,
                    "no baseline variant detected above the assay LoD",
                    cite["clearance"],
                )
            )
    nadir = 1.0
    for d in after:
        fold = d.fold_from_baseline
        if fold is None:
            continue
        common_mean = _common_mean(by_date[d.date], baseline_set)
        risen = fold > 0 if nadir == 0 else fold / nadir >= rules.rise_fold
        if risen and common_mean >= rules.rise_min_vaf:
            events.append(
                CtdnaEvent(
                    "rise-from-nadir",
                    d.date,
                    f"mean VAF {fold:.2f}x baseline, nadir {nadir:.2f}x",
                    cite["rise_from_nadir"],
                )
            )
        nadir = min(nadir, fold)
    seen_detected = set(baseline_set)
    for d in draws:
        if d.date <= baseline:
            continue
        for o in by_date[d.date]:
            if not o.detected or o.key in seen_detected:
                continue
            seen_detected.add(o.key)
            sources = tuple(
                f"{src}: {drug} ({citation})"
                for drug, src, citation in resistance(o.gene, o.hgvs_p)
                if d.therapy and regimen_key(drug) == d.therapy
            )
            if sources:
                events.append(
                    CtdnaEvent(
                        "resistance-emergence",
                        d.date,
                        f"{o.key} emerged on {d.therapy} (VAF {o.vaf:.2%}); known resistance",
                        cite["emergence"],
                        o.key,
                        sources,
                    )
                )
            else:
                events.append(
                    CtdnaEvent(
                        "new-variant",
                        d.date,
                        f"{o.key} emerged (VAF {o.vaf:.2%})",
                        cite["emergence"],
                        o.key,
                    )
                )
    events.sort(key=lambda e: e.date)
    return events


def _common_mean(rows: Iterable[CtdnaObservation], keys: set[str]) -> float:
    vals = [o.vaf if o.detected else 0.0 for o in rows if o.key in keys]
    return sum(vals) / len(vals) if vals else 0.0


def _status(
    draws: Sequence[DrawSummary],
    events: Sequence[CtdnaEvent],
    baseline: str,
    baseline_set: set[str],
) -> str:
    kinds = [e.kind for e in events]
    if "resistance-emergence" in kinds:
        return "molecular-progression-resistance"
    last_good = max(
        (i for i, e in enumerate(events) if e.kind in ("molecular-response", "clearance")),
        default=-1,
    )
    if any(e.kind == "rise-from-nadir" for e in events[last_good + 1 :]):
        return "molecular-progression"
    if "new-variant" in kinds:
        return "new-variant"
    if not baseline_set:
        return "not-evaluable"
    if len(draws) == 1 or all(d.date <= baseline for d in draws):
        return "baseline-only"
    if (events and events[-1].kind == "clearance") or (
        "clearance" in kinds and draws[-1].detected == 0
    ):
        return "clearance"
    if "molecular-response" in kinds:
        return "molecular-response"
    if "response-pending" in kinds:
        return "response-pending-confirmation"
    if "response-not-confirmed" in kinds:
        return "response-not-confirmed"
    return "no-molecular-response"


def classify_series(
    observations: Sequence[CtdnaObservation],
    rules: Rules,
    resistance: Resistance,
    therapies: Sequence[tuple[str, str | None]] = (),
) -> list[PatientCtdna]:
    from tailormed.oncology.read_ctdna import paused_gc

    by_patient: dict[str, list[CtdnaObservation]] = {}
    for o in observations:
        by_patient.setdefault(o.patient, []).append(o)
    with paused_gc():
        return [
            classify_patient(p, rows, rules, resistance, therapies)
            for p, rows in by_patient.items()
        ]
