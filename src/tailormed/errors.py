"""The one exception family: user-fixable problems that carry where they happened.

No-calls, ambiguities and data warnings are *not* exceptions: they travel as data in
the stage results. These exceptions are for bad input, broken knowledge sources and
authorisation failures, and they always name the file / line / record involved.
"""

from __future__ import annotations

from pathlib import Path


class TailormedError(Exception):
    """Base class. ``str(err)`` is one readable line: ``<where>: <problem>``."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        record: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        self.record = record
        super().__init__(self.message)

    @property
    def where(self) -> str:
        parts: list[str] = []
        if self.path is not None:
            parts.append(self.path)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(self.record)
        return ", ".join(parts)

    @property
    def message(self) -> str:
        return f"{self.where}: {self.problem}" if self.where else self.problem


class InputError(TailormedError):
    """A user-supplied file (VCF, outside calls, medication list...) is unusable."""


class KnowledgeError(TailormedError):
    """A knowledge source is missing, corrupt or inconsistent, or a query names nothing known."""
