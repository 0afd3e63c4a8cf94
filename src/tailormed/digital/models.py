"""The typed, vectorised representation of device and app observations.

One :class:`Series` holds the points of one kind from one source read in one unit: NumPy
arrays of UTC start and end instants (int64 nanoseconds since the epoch; ``end == start``
for an instant), the UTC offset in force where each point was recorded (int32 seconds,
so local time = UTC + offset), the value in the kind's canonical UCUM unit and a 128-bit
idempotency key per point (two uint64 words). The unit the source used and the time-zone
rule applied are kept beside the arrays. A series is what phase B stores in chunks (one
per patient, kind and local day): :meth:`Series.local_day` gives the day of every point.

Day rule: an interval belongs to the local date of its end minus one nanosecond (so an
hour ending at midnight, a daily total and a night's sleep ending in the morning all land
on the day they describe); an instant belongs to the local date of its time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Kind = Literal[
    "heart_rate",
    "resting_heart_rate",
    "steps",
    "sleep",
    "time_in_bed",
    "body_weight",
    "systolic_bp",
    "diastolic_bp",
    "calories",
    "activity_intensity",
]
KINDS: tuple[Kind, ...] = (
    "heart_rate",
    "resting_heart_rate",
    "steps",
    "sleep",
    "time_in_bed",
    "body_weight",
    "systolic_bp",
    "diastolic_bp",
    "calories",
    "activity_intensity",
)
NS = 1_000_000_000
DAY_NS = 86_400 * NS
KEY_DTYPE = np.dtype([("hi", "<u8"), ("lo", "<u8")])

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
Keys = npt.NDArray[np.void]


@dataclass(frozen=True, eq=False)
class Series:
    """Points of one kind, from one source, in one original unit (see the module doc)."""

    kind: Kind
    unit: str  # canonical UCUM unit of ``value``
    original_unit: str  # the unit the source wrote
    source: str  # device / app / export, e.g. "Fitbit export, user 2022484408"
    format: str  # "fitbit-csv", "openmhealth", "fhir-r4", "apple-health"
    timezone: str  # the zone rule applied, e.g. "America/Chicago (given)"
    start: I64
    end: I64
    offset: I32
    value: F64
    key: Keys
    notes: tuple[str, ...] = ()
    # which stream of the source (e.g. "fitbit:dailyActivity" vs "fitbit:hourlySteps"):
    # streams of one source that cover the same days are alternatives, never added up
    stream: str = ""

    def __post_init__(self) -> None:
        n = len(self.start)
        for name in ("end", "offset", "value", "key"):
            if len(getattr(self, name)) != n:
                raise ValueError(
                    f"series {self.kind}: {name} has {len(getattr(self, name))} != {n}"
                )

    def __len__(self) -> int:
        return len(self.start)

    def local_day(self) -> I64:
        """Local date of every point, as days since 1970-01-01 (see the day rule)."""
        at = np.where(self.end > self.start, self.end - 1, self.start)
        local = at + self.offset.astype(np.int64) * NS
        return np.floor_divide(local, DAY_NS)

    def by_day(self) -> list[tuple[int, Series]]:
        """The series split into one chunk per local day (days since 1970-01-01), in day
        order, points in their original order within a day: the unit phase B stores."""
        days = self.local_day()
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        cuts = np.flatnonzero(np.diff(sorted_days)) + 1
        return [
            (int(sorted_days[part[0]]), self.take(order[part]))
            for part in np.split(np.arange(len(order)), cuts)
            if len(part)
        ]

    def take(self, index: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Series:
        return Series(
            self.kind,
            self.unit,
            self.original_unit,
            self.source,
            self.format,
            self.timezone,
            self.start[index],
            self.end[index],
            self.offset[index],
            self.value[index],
            self.key[index],
            self.notes,
            self.stream,
        )


@dataclass(frozen=True)
class FileCount:
    """What one input file gave: rows read, points kept per kind, rows of other users."""

    path: str
    format: str
    rows: int
    kept: dict[str, int] = field(default_factory=dict)
    other_rows: int = 0  # rows of other users (Fitbit) or resources not used


@dataclass(frozen=True)
class Observations:
    """Everything read from a set of files: series, questionnaire answers, counts, notes."""

    series: tuple[Series, ...]
    responses: tuple[object, ...] = ()  # tailormed.digital.pro.Response
    files: tuple[FileCount, ...] = ()
    notes: tuple[str, ...] = ()

    def of_kind(self, kind: Kind) -> tuple[Series, ...]:
        return tuple(s for s in self.series if s.kind == kind)

    def count(self, kind: Kind) -> int:
        return sum(len(s) for s in self.of_kind(kind))


def concat(series: Sequence[Series]) -> tuple[I64, I64, I32, F64, Keys]:
    """start, end, offset, value and key arrays of several series of one kind, joined."""
    if not series:
        e = np.empty(0, np.int64)
        return e, e.copy(), np.empty(0, np.int32), np.empty(0, np.float64), np.empty(0, KEY_DTYPE)
    return (
        np.concatenate([s.start for s in series]),
        np.concatenate([s.end for s in series]),
        np.concatenate([s.offset for s in series]),
        np.concatenate([s.value for s in series]),
        np.concatenate([s.key for s in series]),
    )
