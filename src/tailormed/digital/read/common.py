"""What every reader shares: zone conversion, idempotency keys, plausibility, series.

Local wall-clock times without a zone (Fitbit) are converted with an IANA zone given by
the user, vectorised: each point's quarter hour is looked up in a small table built with
:mod:`zoneinfo` over the span of the data. Daylight-saving rules:

* a **nonexistent** local time (the hour skipped when clocks go forward) is read with the
  offset in force before the change (Python's ``fold=0``: 02:30 on the spring-forward
  night in New York is 07:30 UTC = 03:30 EDT); the points are kept and counted in a note;
* an **ambiguous** local time (the hour repeated when clocks go back) is the first
  (daylight-time) occurrence, unless the rows of the series have already gone past it and
  stepped back, in which case it is the second (standard-time) one; rows must be in time
  order, as Fitbit exports are. Counted in a note.

Idempotency keys identify the *source record* (e.g. Fitbit user, file kind and the local
time as written; an Open mHealth header id; a FHIR identifier), not our interpretation of
it, so importing the same export again gives the same keys whatever zone is chosen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from tailormed.digital.iso import parse_iso
from tailormed.digital.models import F64, I32, I64, KEY_DTYPE, NS, Keys, Kind, Series
from tailormed.digital.units import to_canonical
from tailormed.errors import InputError

__all__ = ["parse_iso"]

SLOT = 900  # seconds: zone offsets are looked up per local quarter hour
_EPOCH = datetime(1970, 1, 1)


def zone(name: str | None, path: str) -> ZoneInfo:
    if not name:
        raise InputError(
            "the file's times have no time zone: give the zone they were recorded in "
            "with --timezone (an IANA name such as America/Chicago)",
            path=path,
        )
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"unknown time zone {name!r} (use an IANA name)", path=path) from None


@lru_cache(maxsize=32)
def _slot_table(tz: ZoneInfo, first: int, last: int) -> tuple[I32, I32, npt.NDArray[np.int8]]:
    """Per local quarter hour from ``first`` to ``last`` (slot numbers): offset for
    fold=0, offset for fold=1 and the state (0 normal, 1 ambiguous, 2 nonexistent)."""
    n = last - first + 1
    off0 = np.empty(n, np.int32)
    off1 = np.empty(n, np.int32)
    state = np.zeros(n, np.int8)
    for i in range(n):
        naive = _EPOCH + timedelta(seconds=(first + i) * SLOT)
        a = naive.replace(tzinfo=tz, fold=0)
        b = naive.replace(tzinfo=tz, fold=1)
        oa, ob = a.utcoffset(), b.utcoffset()
        assert oa is not None and ob is not None
        off0[i] = int(oa.total_seconds())
        off1[i] = int(ob.total_seconds())
        if oa != ob:
            back = a.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
            state[i] = 2 if back != naive else 1
    return off0, off1, state


def local_to_utc(local_s: I64, tz: ZoneInfo, in_order: bool = True) -> tuple[I64, I32, int, int]:
    """UTC nanoseconds and offsets for local wall-clock seconds; counts of nonexistent and
    ambiguous times (rules in the module docstring)."""
    if len(local_s) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int32), 0, 0
    slots = np.floor_divide(local_s, SLOT)
    first, last = int(slots.min()), int(slots.max())
    if last - first > 40 * 366 * 96:
        raise ValueError("the times span more than 40 years")
    off0, off1, state = _slot_table(tz, first, last)
    idx = slots - first
    st = state[idx]
    offset = off0[idx].astype(np.int64)
    ambiguous = st == 1
    n_amb = int(ambiguous.sum())
    if n_amb and in_order:
        previous_max = np.maximum.accumulate(local_s)
        went_back = np.zeros(len(local_s), bool)
        went_back[1:] = previous_max[:-1] > local_s[1:]
        second = ambiguous & went_back
        offset[second] = off1[idx][second]
    utc_s = local_s - offset
    gap = st == 2
    n_gap = int(gap.sum())
    actual = offset.copy()
    if n_gap:
        actual[gap] = off1[idx][gap]  # the offset in force at that UTC instant
    return utc_s * NS, actual.astype(np.int32), n_gap, n_amb


def namespace(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def keys_from_ints(ns_id: int, values: I64) -> Keys:
    """Keys = (namespace, exact integer) pairs: e.g. a user's local time as written."""
    out = np.empty(len(values), KEY_DTYPE)
    out["hi"] = ns_id
    out["lo"] = values.astype(np.int64).view(np.uint64)
    return out


def keys_from_texts(texts: Iterable[str]) -> Keys:
    """Keys = 128-bit BLAKE2b of each record's identity text."""
    raw = b"".join(hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts)
    return np.frombuffer(raw, dtype=KEY_DTYPE).copy()


def plausible(kind: str, values: F64, ranges: dict[str, list[float]]) -> npt.NDArray[np.bool_]:
    lo, hi = ranges[kind]
    ok: npt.NDArray[np.bool_] = (values >= lo) & (values <= hi)
    return ok


def make_series(
    kind: Kind,
    unit: str,
    *,
    source: str,
    fmt: str,
    timezone: str,
    start: I64,
    end: I64,
    offset: I32,
    value: F64,
    key: Keys,
    ranges: dict[str, list[float]],
    path: str,
    notes: list[str],
    stream: str = "",
) -> Series:
    """A series in the canonical unit; implausible values left out with a note."""
    try:
        canonical, factor = to_canonical(kind, unit)
    except ValueError as exc:
        raise InputError(str(exc), path=path) from None
    value = value * factor if factor != 1.0 else value
    ok = plausible(kind, value, ranges)
    own_notes: list[str] = []
    if not ok.all():
        bad = int((~ok).sum())
        lo, hi = ranges[kind]
        own_notes.append(
            f"{path}: {bad} {kind.replace('_', ' ')} value(s) outside {lo:g}-{hi:g} {canonical} "
            "left out"
        )
        notes.extend(own_notes)
    series = Series(
        kind=kind,
        unit=canonical,
        original_unit=unit,
        source=source,
        format=fmt,
        timezone=timezone,
        start=start,
        end=end,
        offset=offset,
        value=value.astype(np.float64, copy=False),
        key=key,
        notes=tuple(own_notes),
        stream=stream,
    )
    return series if ok.all() else series.take(ok)


# (kind, source, unit) -> [(start ns, end ns, UTC offset s, value, identity text)]
Point = tuple[int, int, int, float, str]
Groups = dict[tuple[Kind, str, str], list[Point]]


def series_of_groups(
    groups: Groups,
    *,
    fmt: str,
    source_suffix: str,
    ranges: dict[str, list[float]],
    path: str,
    notes: list[str],
) -> tuple[list[Series], dict[str, int]]:
    """One series per (kind, source, unit) group of time-stamped points (times as recorded,
    each with its UTC offset), and the number of points kept per kind."""
    out: list[Series] = []
    for (kind, source, unit), points in sorted(groups.items()):
        cols = list(zip(*points, strict=True))
        out.append(
            make_series(
                kind,
                unit,
                source=f"{source}{source_suffix}",
                fmt=fmt,
                timezone="as recorded (UTC offset of each time)",
                start=np.array(cols[0], np.int64),
                end=np.array(cols[1], np.int64),
                offset=np.array(cols[2], np.int32),
                value=np.array(cols[3], np.float64),
                key=keys_from_texts(cols[4]),
                ranges=ranges,
                path=path,
                notes=notes,
            )
        )
    kept: dict[str, int] = {}
    for s in out:
        kept[s.kind] = kept.get(s.kind, 0) + len(s)
    return out, kept
