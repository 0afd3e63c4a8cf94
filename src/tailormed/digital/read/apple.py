"""Apple Health ``export.xml`` (the Health app's "Export All Health Data"), streamed.

Read with :func:`xml.etree.ElementTree.iterparse`: each ``Record`` is handled when its
end tag is read and then cleared, and finished children are dropped from the root, so
memory does not grow with the file. Records used (``type`` → kind, the record's
``unit`` → canonical unit):

* ``HKQuantityTypeIdentifierHeartRate`` (count/min) → heart rate;
  ``HKQuantityTypeIdentifierRestingHeartRate`` → resting heart rate;
* ``HKQuantityTypeIdentifierStepCount`` (count) → steps over ``startDate``-``endDate``;
* ``HKQuantityTypeIdentifierBodyMass`` (kg, lb) → body weight;
* ``HKCorrelationTypeIdentifierBloodPressure`` with its ``...BloodPressureSystolic`` and
  ``...Diastolic`` records (mmHg) → blood pressure (the same records repeated at the top
  level, as exports do, have the same idempotency keys and are counted once);
* ``HKCategoryTypeIdentifierSleepAnalysis``: the asleep values (``Asleep``,
  ``AsleepUnspecified``, ``AsleepCore``, ``AsleepDeep``, ``AsleepREM``) → sleep minutes
  over the interval; ``InBed`` → time in bed; ``Awake`` is not sleep.

Dates are ``YYYY-MM-DD HH:MM:SS ±HHMM``: each carries its own offset. The source is the
record's ``sourceName``; the key hashes type, source, start, end, value and unit.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

from tailormed.digital.models import NS, FileCount, Kind, Series
from tailormed.digital.read.common import series_of_groups
from tailormed.errors import InputError

QUANTITY: dict[str, Kind] = {
    "HKQuantityTypeIdentifierHeartRate": "heart_rate",
    "HKQuantityTypeIdentifierRestingHeartRate": "resting_heart_rate",
    "HKQuantityTypeIdentifierStepCount": "steps",
    "HKQuantityTypeIdentifierBodyMass": "body_weight",
    "HKQuantityTypeIdentifierBloodPressureSystolic": "systolic_bp",
    "HKQuantityTypeIdentifierBloodPressureDiastolic": "diastolic_bp",
}
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
_ASLEEP = {
    "HKCategoryValueSleepAnalysisAsleep",
    "HKCategoryValueSleepAnalysisAsleepUnspecified",
    "HKCategoryValueSleepAnalysisAsleepCore",
    "HKCategoryValueSleepAnalysisAsleepDeep",
    "HKCategoryValueSleepAnalysisAsleepREM",
}
_IN_BED = "HKCategoryValueSleepAnalysisInBed"
_SLEEP_OTHER = {"HKCategoryValueSleepAnalysisAwake"}
_UNITS = {"count/min": "/min", "count": "{steps}", "mmHg": "mm[Hg]"}
_EPOCH = datetime(1970, 1, 1).toordinal()


def apple_time(text: str, path: str, where: str) -> tuple[int, int]:
    """``2024-01-05 08:30:00 -0500`` → (UTC ns, offset s)."""
    try:
        if len(text) != 25 or text[10] != " " or text[19] != " " or text[20] not in "+-":
            raise ValueError(text)
        local = datetime(
            int(text[0:4]),
            int(text[5:7]),
            int(text[8:10]),
            int(text[11:13]),
            int(text[14:16]),
            int(text[17:19]),
        )
        sign = -1 if text[20] == "-" else 1
        hours, minutes = int(text[21:23]), int(text[23:25])
        if minutes >= 60 or hours > 18:
            raise ValueError(text)
    except (ValueError, TypeError):
        raise InputError(
            f"date {text!r} is not 'YYYY-MM-DD HH:MM:SS ±HHMM'", path=path, record=where
        ) from None
    off = sign * (hours * 3600 + minutes * 60)
    secs = (local.toordinal() - _EPOCH) * 86_400 + local.hour * 3600 + local.minute * 60
    return (secs + local.second - off) * NS, off


def is_apple_export(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(4096)
    return b"<HealthData" in head


def read_apple(
    path: Path, ranges: dict[str, list[float]], notes: list[str]
) -> tuple[list[Series], FileCount]:
    where_file = str(path)
    groups: dict[tuple[Kind, str, str], list[tuple[int, int, int, float, str]]] = {}
    rows = unused = 0
    seen_root = False
    try:
        context = ET.iterparse(str(path), events=("start", "end"))
        root: ET.Element | None = None
        depth = 0
        for event, elem in context:
            if event == "start":
                if root is None:
                    root = elem
                    seen_root = elem.tag == "HealthData"
                    if not seen_root:
                        raise InputError("not an Apple Health export (no HealthData)", path=path)
                depth += 1
                continue
            depth -= 1
            if elem.tag == "Record":
                rows += 1
                used = _record(elem, rows, groups, where_file)
                unused += 0 if used else 1
            if depth == 1 and root is not None:
                root.clear()  # a finished top-level element (Record, Correlation, ...)
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise InputError(
            f"XML error: {exc.msg if hasattr(exc, 'msg') else exc}", path=path, line=line
        ) from None
    out, kept = series_of_groups(
        groups,
        fmt="apple-health",
        source_suffix=" (Apple Health)",
        ranges=ranges,
        path=where_file,
        notes=notes,
    )
    if unused:
        notes.append(f"{path}: {unused} Apple Health record(s) of other types not used")
    return out, FileCount(where_file, "apple-health", rows, kept, unused)


def _record(
    elem: ET.Element,
    n: int,
    groups: dict[tuple[Kind, str, str], list[tuple[int, int, int, float, str]]],
    path: str,
) -> bool:
    a = elem.attrib
    kind_type = a.get("type", "")
    where = f"Record {n} ({kind_type})"
    if kind_type in QUANTITY:
        kind: Kind = QUANTITY[kind_type]
        try:
            value = float(a["value"])
        except (KeyError, ValueError):
            raise InputError(
                f"value {a.get('value')!r} is not a number", path=path, record=where
            ) from None
        unit = a.get("unit") or ""
        unit = _UNITS.get(unit, unit)
    elif kind_type == SLEEP:
        category = a.get("value", "")
        if category in _ASLEEP:
            kind = "sleep"
        elif category == _IN_BED:
            kind = "time_in_bed"
        elif category in _SLEEP_OTHER:
            return False
        else:
            raise InputError(f"unknown sleep value {category!r}", path=path, record=where)
        value, unit = -1.0, "min"
    else:
        return False
    start, off = apple_time(a.get("startDate", ""), path, where)
    end, _ = apple_time(a.get("endDate", a.get("startDate", "")), path, where)
    if end < start:
        raise InputError("endDate is before startDate", path=path, record=where)
    if value < 0:  # a sleep interval: its length in minutes
        value = (end - start) / (60 * NS)
    if kind in ("heart_rate", "resting_heart_rate", "body_weight", "systolic_bp", "diastolic_bp"):
        start = end  # an instant measurement: Apple writes start == end
    source = a.get("sourceName") or "Apple Health"
    ident = "|".join(
        (
            "apple",
            kind_type,
            source,
            a.get("startDate", ""),
            a.get("endDate", ""),
            a.get("value", ""),
            a.get("unit", ""),
        )
    )
    groups.setdefault((kind, source, unit), []).append((start, end, off, value, ident))
    return True
