"""Medication lists as text: one medication a line, ``#`` at the start of a line a comment.

A ``#`` inside a line is part of it ("Tylenol #3"). Blank lines are skipped.

>>> medication_lines("# home meds\\nTylenol #3 1 tab\\n\\n  clopidogrel 75 mg  ")
[(2, 'Tylenol #3 1 tab'), (4, 'clopidogrel 75 mg')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from tailormed.errors import InputError

MAX_LINE = 200
_BAD_CODE = re.compile(r"^(rxnorm|rxcui)\s*:\s*(?!\d+$)", re.IGNORECASE)


def medication_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, entry)`` for every medication line of ``text``."""
    out = []
    for n, raw in enumerate(text.splitlines(), start=1):
        entry = raw.strip()
        if entry and not entry.startswith("#"):
            out.append((n, entry))
    return out


def clean_medications(entries: Iterable[str]) -> list[str]:
    """Entries given one per item (API, form): stripped, blanks and comments dropped."""
    return [e.strip() for e in entries if e.strip() and not e.strip().startswith("#")]


def read_medication_list(path: Path) -> list[str]:
    """The medications of ``path``; problems raise :class:`InputError` with file and line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("medication list does not exist", path=path) from None
    except IsADirectoryError:
        raise InputError("medication list is a folder, not a file", path=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("medication list is not UTF-8 text", path=path) from None
    meds: list[str] = []
    for n, entry in medication_lines(text):
        if "\t" in entry or "\x00" in entry or len(entry) > MAX_LINE:
            raise InputError(
                "expected one medication a line (name and dose, or RxNorm:<code>)",
                path=path,
                line=n,
            )
        if _BAD_CODE.match(entry.replace(" ", "")):
            raise InputError(
                f"{entry!r}: an RxNorm code is digits only (RxNorm:32968)", path=path, line=n
            )
        meds.append(entry)
    if not meds:
        raise InputError("medication list holds no medications", path=path)
    return meds
