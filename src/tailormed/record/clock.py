"""The record layer's clock: timezone-aware UTC ``now``.

One function so consent and share expiry can be tested by replacing it
(``monkeypatch.setattr(tailormed.record.clock, "utcnow", ...)``); all modules call it as
``clock.utcnow()``.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (naive values are taken to be UTC already)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
