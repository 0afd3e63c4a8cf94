"""Vectorised reading of Fitbit ``heartrate_seconds`` files (millions of rows).

The file is scanned as bytes with NumPy: line ends and commas are located once, each
row's fields are gathered into small fixed-width byte matrices and the dates, clock
times and integer values are decoded column-wise. Every row is checked (two commas,
``M/D/YY[YY] h:mm:ss AM|PM``, a real calendar date, an integer value). Nothing here
raises: any row the fast path cannot vouch for makes it return ``None`` and the caller
reads the file with the row-by-row reader, which reports the exact line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.digital.models import F64, I64

BLOCK = 1 << 23  # bytes per block (8 MB, about 250,000 rows): bounds the work matrices
WIDTH = 24  # widest time text: "12/31/2016 12:59:59 PM" is 22
U8 = npt.NDArray[np.uint8]
Ints = npt.NDArray[np.int64]


def _first_two(mask: npt.NDArray[np.bool_]) -> tuple[Ints, Ints]:
    """Columns of the first and second True of each row (rows must have two)."""
    first = np.argmax(mask, axis=1)
    later = mask & (np.arange(mask.shape[1])[None, :] > first[:, None])
    return first.astype(np.int64), np.argmax(later, axis=1).astype(np.int64)


def _number(m: U8, rows: Ints, a: Ints, b: Ints, k: int) -> tuple[Ints, npt.NDArray[np.bool_]]:
    """The decimal number in columns ``[a, b)`` of each row of ``m`` (at most ``k`` digits)."""
    width = b - a
    ok = (width >= 1) & (width <= k)
    value = np.zeros(len(rows), np.int64)
    last = m.shape[1] - 1
    for j in range(k):
        inside = j < width
        digit = m[rows, np.minimum(a + j, last)].astype(np.int64) - 48
        ok &= ~inside | ((digit >= 0) & (digit <= 9))
        value = np.where(inside, value * 10 + digit, value)
    return value, ok


def _block(buf: U8, user: bytes | None) -> tuple[Ints, F64, int, int, bytes] | None:
    """(local seconds, values, rows, rows of other users, first user id) or None."""
    ends = np.flatnonzero(buf == 10).astype(np.int64)
    n = len(ends)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0), 0, 0, b""
    starts = np.concatenate([[0], ends[:-1] + 1])
    commas = np.flatnonzero(buf == 44).astype(np.int64)
    if len(commas) != 2 * n:
        return None
    c1, c2 = commas[0::2], commas[1::2]
    stop = np.where(buf[np.maximum(ends - 1, 0)] == 13, ends - 1, ends)
    if not (np.all(c1 > starts) and np.all(c2 > c1 + 1) and np.all(c2 < stop - 0)):
        return None
    first_id = bytes(buf[starts[0] : c1[0]])
    want = user if user is not None else first_id
    id_len = c1 - starts
    same_len = id_len == len(want)
    gather = starts[:, None] + np.arange(len(want))[None, :]
    mine = same_len & np.all(
        buf[np.minimum(gather, len(buf) - 1)] == np.frombuffer(want, np.uint8), axis=1
    )
    if user is None and not mine.all():
        return None  # several users and none chosen: the row reader says so
    other = int(n - mine.sum())
    c1, c2, stop = c1[mine], c2[mine], stop[mine]
    if not len(c1):
        return np.empty(0, np.int64), np.empty(0), n, other, first_id
    t0, t1 = c1 + 1, c2
    width = t1 - t0
    if np.any(width > WIDTH) or np.any(width < 14):
        return None
    cols = t0.astype(np.int32)[:, None] + np.arange(WIDTH, dtype=np.int32)[None, :]
    inside = np.arange(WIDTH)[None, :] < width[:, None]
    m: U8 = np.where(inside, buf[np.minimum(cols, len(buf) - 1)], 0).astype(np.uint8)
    rows = np.arange(len(m), dtype=np.int64)
    slash, space, colon = m == 47, m == 32, m == 58
    if not (np.all(slash.sum(1) == 2) and np.all(space.sum(1) == 2) and np.all(colon.sum(1) == 2)):
        return None
    s1, s2 = _first_two(slash)
    sp1, sp2 = _first_two(space)
    k1, k2 = _first_two(colon)
    month, ok1 = _number(m, rows, np.zeros_like(s1), s1, 2)
    day, ok2 = _number(m, rows, s1 + 1, s2, 2)
    year, ok3 = _number(m, rows, s2 + 1, sp1, 4)
    hour, ok4 = _number(m, rows, sp1 + 1, k1, 2)
    minute, ok5 = _number(m, rows, k1 + 1, k2, 2)
    second, ok6 = _number(m, rows, k2 + 1, sp2, 2)
    marker = m[rows, np.minimum(sp2 + 1, WIDTH - 1)]
    pm = marker == ord("P")
    ampm_ok = ((marker == ord("A")) | pm) & (m[rows, np.minimum(sp2 + 2, WIDTH - 1)] == ord("M"))
    ampm_ok &= width == sp2 + 3
    year = np.where(s2 + 1 + 2 == sp1, year + 2000, year)
    ok = ok1 & ok2 & ok3 & ok4 & ok5 & ok6 & ampm_ok
    ok &= (k2 - k1 == 3) & (sp2 - k2 == 3) & (sp1 - s2 >= 3)
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (hour >= 1) & (hour <= 12)
    ok &= (minute < 60) & (second < 60)
    if not ok.all():
        return None
    month_start = (np.datetime64("1970-01", "M") + ((year - 1970) * 12 + month - 1)).astype(
        "datetime64[D]"
    )
    next_month = (np.datetime64("1970-01", "M") + ((year - 1970) * 12 + month)).astype(
        "datetime64[D]"
    )
    if np.any(day > (next_month - month_start).astype(np.int64)):
        return None
    days = (month_start - np.datetime64("1970-01-01", "D")).astype(np.int64) + day - 1
    local = days * 86_400 + (hour % 12 + 12 * pm) * 3600 + minute * 60 + second
    value, vok = _number(
        _rows_of(buf, c2 + 1, stop),
        np.arange(len(c2), dtype=np.int64),
        np.zeros(len(c2), np.int64),
        stop - c2 - 1,
        6,
    )
    if not vok.all():
        return None
    return local.astype(np.int64), value.astype(np.float64), n, other, first_id


def _rows_of(buf: U8, a: Ints, b: Ints) -> U8:
    width = 6
    cols = a[:, None] + np.arange(width)[None, :]
    inside = np.arange(width)[None, :] < (b - a)[:, None]
    out: U8 = np.where(inside, buf[np.minimum(cols, len(buf) - 1)], 0).astype(np.uint8)
    return out


def read_fast(path: Path, user: str | None) -> tuple[I64, F64, int, int, str] | None:
    """(local seconds, values, rows, rows of other users, user) of a heart-rate file, or None
    when a row needs the row-by-row reader (a problem to report, or another layout)."""
    want = user.encode() if user is not None else None
    locals_: list[Ints] = []
    values: list[F64] = []
    rows = other = 0
    first: bytes | None = None
    with path.open("rb") as fh:
        header = fh.readline()
        if header.lstrip(b"\xef\xbb\xbf").strip() != b"Id,Time,Value":
            return None
        rest = b""
        while True:
            chunk = fh.read(BLOCK)
            data = rest + chunk
            if not chunk:
                if data and not data.endswith(b"\n"):
                    data += b"\n"
                rest = b""
            else:
                cut = data.rfind(b"\n") + 1
                data, rest = data[:cut], data[cut:]
            if data:
                got = _block(np.frombuffer(data, np.uint8), want)
                if got is None:
                    return None
                loc, val, n, o, fid = got
                if want is None:
                    first = first or fid
                    if fid != first:
                        return None
                    want = first
                locals_.append(loc)
                values.append(val)
                rows += n
                other += o
            if not chunk:
                break
    local = np.concatenate(locals_) if locals_ else np.empty(0, np.int64)
    value = np.concatenate(values) if values else np.empty(0)
    return local, value, rows, other, (want or b"").decode(errors="replace")
