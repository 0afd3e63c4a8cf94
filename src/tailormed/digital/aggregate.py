"""Per-day aggregates, computed with NumPy from the series (no loop over points).

Definitions (local day of each point as in :mod:`tailormed.digital.models`):

* **steps**, **calories**, **sleep** and **time in bed** (minutes): the points of each series
  are summed per day; where several series cover a day (a daily total and hourly rows of
  the same export, or two devices) the largest total is used, never the sum, so the same
  steps are not counted twice;
* **weight** (kg), **systolic** / **diastolic** (mmHg): the mean of the day's measurements;
* **heart rate**: the day's mean and sample count; the **night-time heart rate** is the
  median of the samples between 00:00 and 06:00 local time, when at least 30 samples span
  at least an hour; the **resting heart rate** is the device's own resting value
  (LOINC 40443-4, Apple RestingHeartRate) when it gives one, else our estimate: the 10th
  percentile of the day's samples when at least 60 samples span at least 4 hours
  (``resting_hr_source`` says which).

Points with the same idempotency key are counted once (the last one read wins).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

from tailormed.digital.models import DAY_NS, F64, I64, NS, Kind, Series, concat

COLUMNS = (
    "steps",
    "calories",
    "sleep_min",
    "time_in_bed_min",
    "weight_kg",
    "systolic",
    "diastolic",
    "hr_mean",
    "hr_samples",
    "night_hr",
    "resting_hr",
)
CUMULATIVE: Mapping[str, Kind] = {
    "steps": "steps",
    "calories": "calories",
    "sleep_min": "sleep",
    "time_in_bed_min": "time_in_bed",
}
MEANS: Mapping[str, Kind] = {
    "weight_kg": "body_weight",
    "systolic": "systolic_bp",
    "diastolic": "diastolic_bp",
}
NIGHT_END_S = 6 * 3600
NIGHT_MIN_SAMPLES, NIGHT_MIN_SPAN = 30, 3600 * NS
REST_MIN_SAMPLES, REST_MIN_SPAN, REST_PERCENTILE = 60, 4 * 3600 * NS, 10.0
EPOCH = date(1970, 1, 1)


def day_text(day: int) -> str:
    return (EPOCH + timedelta(days=int(day))).isoformat()


def day_number(text: str) -> int:
    return (date.fromisoformat(text) - EPOCH).days


@dataclass(frozen=True, eq=False)
class DailyTable:
    """One row per local day with any data: ``days`` (days since 1970-01-01) and columns
    of floats (NaN where there is no value). ``resting_hr_source``: "device",
    "estimate" or "" per day."""

    days: I64
    columns: Mapping[str, F64]
    resting_hr_source: npt.NDArray[np.str_] = field(default_factory=lambda: np.empty(0, "<U8"))

    def __len__(self) -> int:
        return len(self.days)

    def column(self, name: str) -> F64:
        return self.columns[name]

    def window(self, name: str, first: int, last: int) -> F64:
        """Values of ``name`` for days ``first``..``last`` inclusive (missing days left out)."""
        sel = (self.days >= first) & (self.days <= last)
        values = self.columns[name][sel]
        out: F64 = values[~np.isnan(values)]
        return out

    def rows(self) -> list[dict[str, object]]:
        out = []
        for i, d in enumerate(self.days):
            row: dict[str, object] = {"date": day_text(int(d))}
            for name in COLUMNS:
                v = float(self.columns[name][i])
                row[name] = None if np.isnan(v) else v
            row["resting_hr_source"] = str(self.resting_hr_source[i]) or None
            out.append(row)
        return out


def dedupe(series: Sequence[Series]) -> Sequence[Series]:
    """The series with repeated idempotency keys removed (last read wins)."""
    if not series:
        return series
    simple = all(
        len(s) < 2 or bool(np.all(np.diff(s.key["lo"].view(np.int64)) > 0)) for s in series
    )
    namespaces = [set(np.unique(s.key["hi"]).tolist()) for s in series if len(s)]
    disjoint = sum(len(n) for n in namespaces) == len(set().union(*namespaces))
    if simple and disjoint:
        return series
    _, _, _, _, keys = concat(series)
    reversed_keys = keys[::-1]
    _, first_of_reversed = np.unique(reversed_keys, return_index=True)
    keep = np.zeros(len(keys), bool)
    keep[len(keys) - 1 - first_of_reversed] = True
    out: list[Series] = []
    at = 0
    for s in series:
        out.append(s.take(keep[at : at + len(s)]))
        at += len(s)
    return out


def aggregate(series: Sequence[Series]) -> DailyTable:
    """The per-day table of a patient's series (definitions in the module docstring)."""
    by_kind: dict[Kind, list[Series]] = {}
    for s in series:
        if len(s):
            by_kind.setdefault(s.kind, []).append(s)
    by_kind = {k: list(dedupe(v)) for k, v in by_kind.items()}
    day_sets = [s.local_day() for v in by_kind.values() for s in v]
    if not day_sets:
        return DailyTable(np.empty(0, np.int64), {c: np.empty(0) for c in COLUMNS})
    all_days = np.unique(np.concatenate(day_sets))
    n = len(all_days)
    cols: dict[str, F64] = {c: np.full(n, np.nan) for c in COLUMNS}
    for col, kind in CUMULATIVE.items():
        for s in by_kind.get(kind, []):
            idx = np.searchsorted(all_days, s.local_day())
            total = np.bincount(idx, weights=s.value, minlength=n)
            has = np.bincount(idx, minlength=n) > 0
            cols[col] = np.where(has, np.fmax(cols[col], total), cols[col])
    for col, kind in MEANS.items():
        parts = by_kind.get(kind, [])
        if parts:
            idx = np.concatenate([np.searchsorted(all_days, s.local_day()) for s in parts])
            values = np.concatenate([s.value for s in parts])
            count = np.bincount(idx, minlength=n)
            total = np.bincount(idx, weights=values, minlength=n)
            with np.errstate(invalid="ignore", divide="ignore"):
                cols[col] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    source = np.full(n, "", dtype="<U8")
    rest = by_kind.get("resting_heart_rate", [])
    if rest:
        idx = np.concatenate([np.searchsorted(all_days, s.local_day()) for s in rest])
        values = np.concatenate([s.value for s in rest])
        count = np.bincount(idx, minlength=n)
        total = np.bincount(idx, weights=values, minlength=n)
        device = count > 0
        cols["resting_hr"][device] = total[device] / count[device]
        source[device] = "device"
    hr = by_kind.get("heart_rate", [])
    if hr:
        _heart_rate(hr, all_days, cols, source)
    return DailyTable(all_days, cols, source)


def _heart_rate(
    hr: Sequence[Series], all_days: I64, cols: dict[str, F64], source: npt.NDArray[np.str_]
) -> None:
    start, _, offset, value, _ = concat(hr)
    local = start + offset.astype(np.int64) * NS
    day = np.floor_divide(local, DAY_NS)
    if len(day) > 1 and not bool(np.all(day[1:] >= day[:-1])):
        order = np.argsort(day, kind="stable")
        day, local, value, start = day[order], local[order], value[order], start[order]
    n = len(all_days)
    idx = np.searchsorted(all_days, day)
    count = np.bincount(idx, minlength=n)
    total = np.bincount(idx, weights=value, minlength=n)
    has = count > 0
    cols["hr_mean"][has] = total[has] / count[has]
    cols["hr_samples"][has] = count[has]
    bounds = np.searchsorted(day, all_days, side="left")
    ends = np.searchsorted(day, all_days, side="right")
    second_of_day = (local - day * DAY_NS) // NS
    need_estimate = source == ""
    for i in np.flatnonzero(has):
        lo, hi = int(bounds[i]), int(ends[i])
        v = value[lo:hi]
        t = start[lo:hi]
        night = second_of_day[lo:hi] < NIGHT_END_S
        if night.sum() >= NIGHT_MIN_SAMPLES:
            tn = t[night]
            if tn.max() - tn.min() >= NIGHT_MIN_SPAN:
                cols["night_hr"][i] = float(np.median(v[night]))
        if need_estimate[i] and len(v) >= REST_MIN_SAMPLES and t.max() - t.min() >= REST_MIN_SPAN:
            cols["resting_hr"][i] = float(np.percentile(v, REST_PERCENTILE))
            source[i] = "estimate"
