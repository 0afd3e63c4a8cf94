"""What an input covers: a BED of covered regions, or the span of its records per gene.

Used only with ``--missing-to-ref``, where a position absent from the input becomes the
reference allele *only where the input covers it*:

* with a BED (``--covered-regions FILE``): inside its intervals;
* in a gVCF: inside its reference blocks (read as records; gaps stay missing);
* otherwise: inside the span of the records the input holds in the gene's region (the
  defining positions plus :data:`COVERAGE_FLANK` on each side). A variant-only file
  lists variant sites only, so a position between two of its records was looked at; one
  before the first or after the last record may never have been (the bundled IFNL3 panel
  ends 169 bp before rs12979860).

BED is 0-based, half-open (``chrom start end``); ``track``/``browser`` lines and ``#``
comments are skipped; chromosome names match with or without ``chr``.

>>> import tempfile, pathlib
>>> bed = pathlib.Path(tempfile.mkdtemp()) / "panel.bed"
>>> _ = bed.write_text("chr10\\t99\\t200\\n")
>>> regions = CoveredRegions.read(bed)
>>> regions.contains("10", 100), regions.contains("chr10", 200), regions.contains("chr10", 201)
(True, True, False)
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.errors import InputError

# How far beyond a gene's first and last defining position a record still shows that the
# input reached the gene (the bundled panels have a record within 170 bp of every gene
# end they cover; PharmCAT's own region file pads defining positions by 400 bp).
COVERAGE_FLANK = 1000


def chrom_key(chrom: str) -> str:
    """``chr10`` and ``10`` are the same chromosome; ``chrM`` and ``MT`` too."""
    name = chrom.removeprefix("chr")
    return "M" if name == "MT" else name


@dataclass(frozen=True, slots=True)
class CoveredRegions:
    """Sorted, merged 1-based inclusive intervals per chromosome."""

    path: Path
    starts: dict[str, list[int]] = field(default_factory=dict)
    ends: dict[str, list[int]] = field(default_factory=dict)

    @staticmethod
    def read(path: Path) -> CoveredRegions:
        path = Path(path)
        if not path.is_file():
            raise InputError("covered-regions BED file does not exist", path=path)
        raw: dict[str, list[tuple[int, int]]] = {}
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("the BED file is not UTF-8 text", path=path) from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            if len(fields) < 3:
                raise InputError(
                    "expected at least 3 columns (chrom, start, end)", path=path, line=number
                )
            chrom, start_text, end_text = fields[0].strip(), fields[1].strip(), fields[2].strip()
            if not (start_text.isdigit() and end_text.isdigit()):
                raise InputError(
                    f"start and end must be whole numbers (got {start_text!r}, {end_text!r})",
                    path=path,
                    line=number,
                )
            start, end = int(start_text), int(end_text)
            if end <= start:
                raise InputError(
                    f"end ({end}) must be greater than start ({start})", path=path, line=number
                )
            raw.setdefault(chrom_key(chrom), []).append((start + 1, end))
        if not raw:
            raise InputError("the BED file holds no regions", path=path)
        starts: dict[str, list[int]] = {}
        ends: dict[str, list[int]] = {}
        for chrom, intervals in raw.items():
            merged: list[list[int]] = []
            for lo, hi in sorted(intervals):
                if merged and lo <= merged[-1][1] + 1:
                    merged[-1][1] = max(merged[-1][1], hi)
                else:
                    merged.append([lo, hi])
            starts[chrom] = [m[0] for m in merged]
            ends[chrom] = [m[1] for m in merged]
        return CoveredRegions(path, starts, ends)

    def contains(self, chrom: str, pos: int) -> bool:
        key = chrom_key(chrom)
        starts = self.starts.get(key)
        if not starts:
            return False
        i = bisect.bisect_right(starts, pos) - 1
        return i >= 0 and pos <= self.ends[key][i]


@dataclass(slots=True)
class RecordSpan:
    """First and last base touched by the records seen in one gene's region."""

    lo: int | None = None
    hi: int | None = None

    def add(self, start: int, end: int) -> None:
        self.lo = start if self.lo is None else min(self.lo, start)
        self.hi = end if self.hi is None else max(self.hi, end)

    @property
    def empty(self) -> bool:
        return self.lo is None

    def contains(self, pos: int) -> bool:
        return self.lo is not None and self.hi is not None and self.lo <= pos <= self.hi
