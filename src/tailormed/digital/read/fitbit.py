"""Fitbit exports (the "Fitabase" CSVs of Furberg et al. 2016): every bundled file.

Files are recognised by their header, not their name:

=================  ===============================  ============================  ========
file               time column (format)             values read (unit)            interval
=================  ===============================  ============================  ========
dailyActivity      ActivityDate (M/D/YY)            TotalSteps, Calories (kcal)   day
sleepDay           SleepDay (M/D/YYYY h:mm:ss AM)   TotalMinutesAsleep,           day
                                                    TotalTimeInBed (min)
hourlySteps        ActivityHour (M/D/YYYY H:MM)     StepTotal                     hour
hourlyCalories     ActivityHour (M/D/YY H:MM)       Calories (kcal)               hour
hourlyIntensities  ActivityHour (M/D/YY H:MM)       TotalIntensity (Fitbit score) hour
weightLogInfo      Date (M/D/YYYY h:mm:ss AM)       WeightKg (kg; WeightPounds    instant
                                                    must agree)
heartrate_seconds  Time (M/D/YYYY h:mm:ss AM)       Value (/min)                  instant
=================  ===============================  ============================  ========

Years written with two digits are 20YY. The times carry no zone: the zone they were
recorded in is an input (``--timezone``), with the daylight-saving rules of
:mod:`.common`. Distances (unit not stated in the export) and the minutes-by-intensity
columns are not read. The files hold many users: ``source_id`` selects one (required when a
file holds more than one). Rows are read in chunks and parsed column by column; dates and
clock times are parsed once per distinct value.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from tailormed.digital.models import DAY_NS, I64, NS, FileCount, Kind, Series
from tailormed.digital.read.common import (
    keys_from_ints,
    keys_from_texts,
    local_to_utc,
    make_series,
    namespace,
    zone,
)
from tailormed.digital.read.fitbit_fast import read_fast
from tailormed.errors import InputError

CHUNK = 400_000
HOUR_NS = 3600 * NS


@dataclass(frozen=True)
class FitbitFile:
    name: str
    columns: tuple[str, ...]  # the header, exactly
    time: str
    interval: str  # "day", "hour", "instant"
    values: tuple[tuple[str, Kind, str], ...]  # (column, kind, unit)


FILES: tuple[FitbitFile, ...] = (
    FitbitFile(
        "dailyActivity",
        (
            "Id",
            "ActivityDate",
            "TotalSteps",
            "TotalDistance",
            "TrackerDistance",
            "LoggedActivitiesDistance",
            "VeryActiveDistance",
            "ModeratelyActiveDistance",
            "LightActiveDistance",
            "SedentaryActiveDistance",
            "VeryActiveMinutes",
            "FairlyActiveMinutes",
            "LightlyActiveMinutes",
            "SedentaryMinutes",
            "Calories",
        ),
        "ActivityDate",
        "day",
        (("TotalSteps", "steps", "{steps}"), ("Calories", "calories", "kcal")),
    ),
    FitbitFile(
        "sleepDay",
        ("Id", "SleepDay", "TotalSleepRecords", "TotalMinutesAsleep", "TotalTimeInBed"),
        "SleepDay",
        "day",
        (("TotalMinutesAsleep", "sleep", "min"), ("TotalTimeInBed", "time_in_bed", "min")),
    ),
    FitbitFile(
        "hourlySteps",
        ("Id", "ActivityHour", "Time", "StepTotal"),
        "ActivityHour",
        "hour",
        (("StepTotal", "steps", "{steps}"),),
    ),
    FitbitFile(
        "hourlyCalories",
        ("Id", "ActivityHour", "Calories"),
        "ActivityHour",
        "hour",
        (("Calories", "calories", "kcal"),),
    ),
    FitbitFile(
        "hourlyIntensities",
        ("Id", "ActivityHour", "TotalIntensity", "AverageIntensity", "Date", "Hour"),
        "ActivityHour",
        "hour",
        (("TotalIntensity", "activity_intensity", "{score}"),),
    ),
    FitbitFile(
        "weightLogInfo",
        ("Id", "Date", "WeightKg", "WeightPounds", "Fat", "BMI", "IsManualReport", "LogId"),
        "Date",
        "instant",
        (("WeightKg", "body_weight", "kg"),),
    ),
    FitbitFile(
        "heartrate_seconds",
        ("Id", "Time", "Value"),
        "Time",
        "instant",
        (("Value", "heart_rate", "/min"),),
    ),
)


def detect(header: list[str]) -> FitbitFile | None:
    cleaned = tuple(h.strip().lstrip("\ufeff") for h in header)
    return next((f for f in FILES if f.columns == cleaned), None)


def _date_days(text: str) -> int:
    m, d, y = (int(p) for p in text.split("/"))
    if y < 100:
        y += 2000
    return date(y, m, d).toordinal() - 719_163  # days since 1970-01-01


def _clock_seconds(clock: str, ampm: str | None) -> int:
    parts = [int(p) for p in clock.split(":")]
    if len(parts) not in (2, 3) or not all(0 <= p < 60 for p in parts[1:]):
        raise ValueError(clock)
    h = parts[0]
    if ampm is None:
        if not 0 <= h < 24:
            raise ValueError(clock)
    else:
        if not 1 <= h <= 12 or ampm not in ("AM", "PM"):
            raise ValueError(clock)
        h = h % 12 + (12 if ampm == "PM" else 0)
    return h * 3600 + parts[1] * 60 + (parts[2] if len(parts) == 3 else 0)


Lines = int | list[int]


def _ln(lines: Lines, i: int) -> int:
    """The file line of the ``i``-th row of a (possibly filtered) chunk."""
    return lines + i if isinstance(lines, int) else lines[i]


def _cached(values: set[str], parse: Callable[[str], int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = parse(v)
    return out


def parse_local_times(column: list[str], path: str, first_line: Lines) -> I64:
    """Local wall-clock seconds since the epoch of ``M/D/YY[YY][ H:MM[:SS][ AM|PM]]`` texts."""
    parts = list(map(str.split, column))
    widths = set(map(len, parts))
    if len(widths) != 1 or not widths <= {1, 2, 3}:
        bad = next(i for i, p in enumerate(parts) if len(p) != len(parts[0]) or len(p) > 3)
        raise InputError(
            f"date-time {column[bad]!r} differs in form from the rows before",
            path=path,
            line=_ln(first_line, bad),
        )
    fields = list(zip(*parts, strict=True))

    def fail(texts: tuple[str, ...], parse: Callable[[str], int], what: str) -> None:
        for i, t in enumerate(texts):
            try:
                parse(t)
            except (ValueError, IndexError):
                raise InputError(
                    f"{what} {t!r} is not M/D/YYYY [H:MM[:SS] [AM|PM]]",
                    path=path,
                    line=_ln(first_line, i),
                ) from None

    try:
        days = _cached(set(fields[0]), _date_days)
    except (ValueError, IndexError):
        fail(fields[0], _date_days, "date")
        raise
    out = np.fromiter(map(days.__getitem__, fields[0]), np.int64, len(column)) * 86_400
    if len(fields) >= 2:
        ampm = fields[2] if len(fields) == 3 else None
        keys = list(map("{} {}".format, fields[1], ampm)) if ampm else list(fields[1])

        def clock(k: str) -> int:
            c, _, a = k.partition(" ")
            return _clock_seconds(c, a or None)

        try:
            clocks = _cached(set(keys), clock)
        except (ValueError, IndexError):
            fail(tuple(keys), clock, "time")
            raise
        out += np.fromiter(map(clocks.__getitem__, keys), np.int64, len(column))
    return out


def _floats(column: list[str], name: str, path: str, first_line: Lines) -> np.ndarray:
    try:
        return np.array(column, dtype=np.float64)
    except ValueError:
        for i, t in enumerate(column):
            try:
                float(t)
            except ValueError:
                raise InputError(
                    f"{name} {t!r} is not a number", path=path, line=_ln(first_line, i)
                ) from None
        raise


def _chunks(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        fh.readline()
        line = 2
        while True:
            lines = list(itertools.islice(fh, CHUNK))
            if not lines:
                return
            yield line, lines
            line += len(lines)


def read_fitbit(
    path: Path,
    spec: FitbitFile,
    source_id: str | None,
    timezone: str | None,
    ranges: dict[str, list[float]],
    notes: list[str],
) -> tuple[list[Series], FileCount]:
    """The series of one Fitbit file for one user (see the module docstring)."""
    where = str(path)
    tz = zone(timezone, where)
    ncol = len(spec.columns)
    t_col = spec.columns.index(spec.time)
    v_cols = [(spec.columns.index(c), c) for c, _, _ in spec.values]
    users: set[str] = set()
    local_parts: list[I64] = []
    value_parts: list[list[np.ndarray]] = [[] for _ in v_cols]
    extra: list[tuple[str, str, str]] = []
    rows = other = 0
    fast = read_fast(path, source_id) if spec.name == "heartrate_seconds" else None
    if fast is not None:
        local_fast, value_fast, rows, other, first_user = fast
        if len(local_fast) or source_id is None:
            users.add(source_id or first_user)
            local_parts.append(local_fast)
            value_parts[0].append(value_fast)
    for first_line, raw in _chunks(path) if fast is None else ():
        ids = [text.partition(",")[0] for text in raw]
        users.update(ids)
        rows += sum(1 for text in raw if text.strip())
        if source_id is None:
            if len(users) > 1:
                shown = ", ".join(sorted(users)[:5])
                raise InputError(
                    f"the file holds several users ({shown}, ...): choose one with --source-id",
                    path=where,
                )
            picked = [i for i, text in enumerate(raw) if text.strip()]
        else:
            picked = [i for i, u in enumerate(ids) if u == source_id]
            other += sum(1 for i, u in enumerate(ids) if u != source_id and raw[i].strip())
        if not picked:
            continue
        chunk = list(csv.reader([raw[i] for i in picked]))
        lines = [first_line + i for i in picked]
        bad = next((i for i, r in enumerate(chunk) if len(r) != ncol), None)
        if bad is not None:
            raise InputError(
                f"{len(chunk[bad])} fields, the header has {ncol}", path=where, line=lines[bad]
            )
        cols: list[Sequence[str]] = list(zip(*chunk, strict=True))
        line0: Lines = lines
        times = list(cols[t_col])
        local_parts.append(parse_local_times(times, where, line0))
        for j, (c, name) in enumerate(v_cols):
            value_parts[j].append(_floats(list(cols[c]), name, where, line0))
        if spec.name == "weightLogInfo":
            extra.extend(zip(cols[3], cols[6], cols[7], strict=True))
    user = source_id or (next(iter(users)) if users else "")
    if source_id is not None and source_id not in users:
        return [], FileCount(where, f"fitbit:{spec.name}", rows, {}, other)
    local_s = np.concatenate(local_parts) if local_parts else np.empty(0, np.int64)
    utc, offset, gaps, ambiguous = local_to_utc(local_s, tz)
    if gaps or ambiguous:
        notes.append(
            f"{where}: {gaps} time(s) in a daylight-saving gap (read with the offset before the "
            f"change) and {ambiguous} ambiguous time(s) in {timezone}"
        )
    if spec.interval == "day":
        day_start = np.floor_divide(local_s, 86_400) * 86_400
        start, _, _, _ = local_to_utc(day_start, tz, in_order=False)
        end, _, _, _ = local_to_utc(day_start + 86_400, tz, in_order=False)
    elif spec.interval == "hour":
        start, end = utc, utc + HOUR_NS
    else:
        start, end = utc, utc.copy()
    source = f"Fitbit export, user {user}"
    zone_text = f"{timezone} (given)"
    out: list[Series] = []
    kept_counts: dict[str, int] = {}
    for j, (_, kind, unit) in enumerate(spec.values):
        values = np.concatenate(value_parts[j]) if value_parts[j] else np.empty(0)
        if spec.name == "weightLogInfo":
            out.extend(
                _weights(values, extra, start, offset, user, zone_text, ranges, where, notes)
            )
        else:
            ns_id = namespace("fitbit", spec.name, kind, user)
            out.append(
                make_series(
                    kind,
                    unit,
                    source=source,
                    fmt="fitbit-csv",
                    timezone=zone_text,
                    start=start,
                    end=end,
                    offset=offset,
                    value=values,
                    key=keys_from_ints(ns_id, local_s),
                    ranges=ranges,
                    path=where,
                    notes=notes,
                    stream=f"fitbit:{spec.name}",
                )
            )
    for s in out:
        kept_counts[s.kind] = kept_counts.get(s.kind, 0) + len(s)
    return out, FileCount(where, f"fitbit:{spec.name}", rows, kept_counts, other)


def _weights(
    kg: np.ndarray,
    extra: list[tuple[str, str, str]],
    at: I64,
    offset: np.ndarray,
    user: str,
    zone_text: str,
    ranges: dict[str, list[float]],
    where: str,
    notes: list[str],
) -> list[Series]:
    """Weights split by how they were entered (scale or by hand); pounds must agree."""
    pounds = np.array([float(e[0]) for e in extra]) if extra else np.empty(0)
    disagree = np.abs(pounds * 0.45359237 - kg) > 0.05
    if disagree.any():
        i = int(np.argmax(disagree))
        raise InputError(
            f"WeightKg {kg[i]} and WeightPounds {pounds[i]} disagree",
            path=where,
            record=f"LogId {extra[i][2]}",
        )
    manual = np.array([e[1].strip().lower() == "true" for e in extra], bool)
    out = []
    for flag, label in ((False, "scale"), (True, "manual entry")):
        sel = manual == flag
        if not sel.any():
            continue
        keys = keys_from_texts(
            f"fitbit|weight|{user}|{e[2]}" for e, s in zip(extra, sel, strict=True) if s
        )
        out.append(
            make_series(
                "body_weight",
                "kg",
                source=f"Fitbit export, user {user} ({label})",
                fmt="fitbit-csv",
                timezone=zone_text,
                start=at[sel],
                end=at[sel].copy(),
                offset=offset[sel],
                value=kg[sel],
                key=keys,
                ranges=ranges,
                path=where,
                notes=notes,
            )
        )
    return out


__all__ = ["DAY_NS", "FILES", "FitbitFile", "detect", "parse_local_times", "read_fitbit"]
