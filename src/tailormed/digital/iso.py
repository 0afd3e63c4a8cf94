"""ISO 8601 / RFC 3339 date-times to UTC nanoseconds and the offset they were written in."""

from __future__ import annotations

from datetime import UTC, datetime

from tailormed.digital.models import NS
from tailormed.errors import InputError

_EPOCH = datetime(1970, 1, 1)


def parse_iso(text: str, path: str, where: str) -> tuple[int, int]:
    """An ISO 8601 / RFC 3339 date-time → (UTC ns, offset s). No zone means UTC (the Open
    mHealth rule; FHIR requires a zone when a time is given)."""
    try:
        dt = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise InputError(
            f"{text!r} is not an ISO 8601 date-time", path=path, record=where
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    off = dt.utcoffset()
    assert off is not None
    delta = dt.astimezone(UTC).replace(tzinfo=None) - _EPOCH
    ns = (delta.days * 86_400 + delta.seconds) * NS + delta.microseconds * 1000
    return ns, int(off.total_seconds())
