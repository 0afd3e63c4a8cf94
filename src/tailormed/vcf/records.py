"""One record's genotypes, decoded once and checked before anything reads them.

htslib parses the GT field leniently: ``+1/0`` and ``00/1`` become ``1/0`` and ``0/1``, a
GT index beyond the ALT list is kept, extra sample columns are dropped. Its parsed record
no longer shows any of that, so the records whose genotypes Tailormed uses (those at
defining positions; the rest are never decoded) are checked against their text too:

* :class:`TextLines` reads a text VCF (plain, gzip or BGZF) line by line in step with
  htslib (which reads each line after the ``#CHROM`` line as one record, blank ones
  included, so record ``n`` is on line ``header + n``);
* :class:`IndexedLines` fetches the text of a record of an indexed file by position
  (pysam's tabix reader); its line number is looked up only when reporting an error.

Reading the text again costs a second decompression of every line (streamed) or of a
tabix bin per record (indexed): for files of up to :data:`TEXT_CHECK_MAX_SAMPLES` samples
(a patient, a family, a small panel) that is cheap and done; for cohort files the text
checks are left out and htslib's parse plus the checks on the decoded genotypes apply.

Checks (each failure is an :class:`~tailormed.errors.InputError` naming the record):
the ALT list (no allele twice, none equal to REF), the column count, the GT syntax
(``0``, ``1``, ``.`` ... joined by ``/`` or ``|``: no signs, no leading zeros), the
ploidy (diploid; haploid only on chrX, chrY and chrM, where a male carries one copy; a
lone ``.`` is a missing genotype anywhere) and the allele indices (within the ALT list).
"""

from __future__ import annotations

import contextlib
import gzip
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.vcf.regions import chrom_key

HAPLOID_CHROMOSOMES = frozenset({"X", "Y", "M"})
TEXT_CHECK_MAX_SAMPLES = 100
_ALLELE = rb"(?:\.|0|[1-9][0-9]*)"
_GT = rb"[/|]?" + _ALLELE + rb"(?:[/|]" + _ALLELE + rb")*"
# Sample columns whose FORMAT starts with GT: "GT[:anything]" joined by tabs.
_GT_FIRST_COLUMNS = re.compile(_GT + rb"(?::[^\t]*)?(?:\t" + _GT + rb"(?::[^\t]*)?)*")
_GT_ONLY = re.compile(_GT)


def open_binary(path: Path) -> BinaryIO:
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def is_bcf(path: Path) -> bool:
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as gz:
                return gz.read(3) == b"BCF"
        except (OSError, EOFError):
            return False
    return magic[:3] == b"BCF"


def located_error(problem: str, path: Path, record: int) -> InputError:
    """An error at the ``record``-th data record of ``path``: its line in a text VCF (the
    header is counted only now, on the error path), its record number in a BCF."""
    if is_bcf(path):
        return InputError(problem, path=path, record=f"record {record}")
    return InputError(problem, path=path, line=header_lines(path) + record)


def header_lines(path: Path) -> int:
    """Number of header lines of a text VCF (plain or gzip)."""
    count = 0
    with contextlib.suppress(OSError, EOFError), open_binary(path) as fh:
        for line in fh:
            if not line.startswith(b"#"):
                break
            count += 1
    return count


class TextLines:
    """The lines of a text VCF, advanced once per record htslib reads."""

    def __init__(self, path: Path) -> None:
        self._fh = open_binary(path)
        self._lines: Iterator[bytes] = iter(self._fh)
        self.header = 0
        self.record = 0
        self.current = b""
        with contextlib.suppress(OSError, EOFError):
            for line in self._lines:
                self.header += 1
                if line.startswith(b"#CHROM"):
                    break

    def advance(self) -> bytes:
        """The next record's text (empty once the file ends or cannot be read)."""
        self.record += 1
        try:
            self.current = next(self._lines, b"")
        except (OSError, EOFError):
            self.current = b""
        return self.current

    @property
    def line(self) -> int:
        return self.header + self.record

    def close(self) -> None:
        self._fh.close()


class IndexedLines:
    """Record text of a tabix-indexed text VCF, fetched by position."""

    def __init__(self, path: Path) -> None:
        import pysam

        self.path = path
        self._tbx = pysam.TabixFile(str(path), encoding="latin-1")

    def fetch(self, chrom: str, pos: int, occurrence: int) -> bytes | None:
        """The ``occurrence``-th (0-based) record at ``chrom:pos``, as bytes."""
        found = 0
        with contextlib.suppress(ValueError, OSError):
            for text in self._tbx.fetch(chrom, pos - 1, pos):
                fields = text.split("\t", 2)
                if len(fields) > 1 and fields[1] == str(pos):
                    if found == occurrence:
                        return str(text).encode("latin-1")
                    found += 1
        return None

    def close(self) -> None:
        self._tbx.close()


def line_number(path: Path, chrom: str, pos: int, occurrence: int) -> int | None:
    """The line of the ``occurrence``-th record at ``chrom:pos`` (error path only)."""
    prefix = f"{chrom}\t{pos}\t".encode()
    found = 0
    try:
        with open_binary(path) as fh:
            for number, line in enumerate(fh, start=1):
                if line.startswith(prefix):
                    if found == occurrence:
                        return number
                    found += 1
    except (OSError, EOFError):
        return None
    return None


def check_alts(ref: str, alts: list[str]) -> None:
    """The ALT list names each allele once, none equal to REF."""
    if len(set(alts)) != len(alts):
        raise InputError(f"ALT lists the same allele twice ({','.join(alts)})")
    if ref in alts:
        raise InputError(f"ALT allele {ref} equals REF ({ref}>{','.join(alts)})")


def check_text(line: bytes, n_samples: int, names: list[str]) -> None:
    """Column count and GT syntax of one record's text."""
    text = line.rstrip(b"\r\n")
    columns = text.count(b"\t") + 1
    expected = 9 + n_samples
    if columns != expected:
        raise InputError(
            f"the record has {columns} columns; the header names {expected} "
            f"(9 fixed + {n_samples} sample column(s))"
        )
    fields = text.split(b"\t", 9)
    keys = fields[8].split(b":")
    if b"GT" not in keys:
        return
    samples = fields[9]
    if keys[0] == b"GT" and _GT_FIRST_COLUMNS.fullmatch(samples):
        return
    where = keys.index(b"GT")
    for name, column in zip(names, samples.split(b"\t"), strict=True):
        parts = column.split(b":")
        value = parts[where] if where < len(parts) else b"."
        if not _GT_ONLY.fullmatch(value):
            shown = value.decode("utf-8", errors="replace")
            raise InputError(
                f"sample {name}: invalid genotype {shown!r} (GT alleles are 0, 1, 2 ... or '.', "
                "joined by '/' or '|')"
            )


def check_genotypes(gt: npt.NDArray[np.int16], chrom: str, n_alts: int, names: list[str]) -> None:
    """Ploidy and allele indices of a decoded GT array (samples x (alleles + phase))."""
    alleles = gt[:, :-1]
    if alleles.shape[1] > 2:
        extra = (alleles[:, 2:] != -2).any(axis=1)
        if extra.any():
            i = int(np.flatnonzero(extra)[0])
            n = int((alleles[i] != -2).sum())
            raise InputError(
                f"sample {names[i]}: genotype with {n} alleles (ploidy {n}); Tailormed reads "
                "diploid genotypes (haploid ones on chrX, chrY and chrM)"
            )
    if chrom_key(chrom) not in HAPLOID_CHROMOSOMES:
        one = alleles[:, 1] == -2 if alleles.shape[1] >= 2 else np.ones(len(alleles), bool)
        haploid = one & (alleles[:, 0] != -1)
        if haploid.any():
            i = int(np.flatnonzero(haploid)[0])
            raise InputError(
                f"sample {names[i]}: haploid genotype {int(alleles[i, 0])} on {chrom}; a "
                "haploid call is valid only on chrX, chrY and chrM (ploidy error)"
            )
    top = int(alleles.max()) if alleles.size else 0
    if top > n_alts:
        i = int(np.flatnonzero((alleles > n_alts).any(axis=1))[0])
        raise InputError(
            f"sample {names[i]}: GT allele {top}, but the record lists {n_alts} ALT allele(s)"
        )


class LazyGenotypes:
    """A record's GT (and PS) columns, decoded and checked on first use, in output order.

    ``text`` returns the record's line (or None where there is none: BCF); ``names`` are
    the file's sample names in file order; ``cols`` picks the output samples (None: all,
    already in order).
    """

    def __init__(
        self,
        rec: Any,
        cols: npt.NDArray[np.int64] | None,
        names: list[str],
        text: Any,
    ) -> None:
        self.rec = rec
        self.cols = cols
        self.names = names
        self._text = text
        self._gt: npt.NDArray[np.int16] | None = None
        self._ps: npt.NDArray[np.int64] | None = None
        self._ps_done = False

    def gt(self) -> npt.NDArray[np.int16]:
        if self._gt is None:
            rec = self.rec
            genotype = rec.genotype
            if genotype is None:  # sites-only record: every sample missing
                raise InputError("record has no genotypes (FORMAT/GT missing)")
            line = self._text() if self._text is not None else None
            if line is not None:
                check_text(line, len(self.names), self.names)
            gt = genotype.array()
            check_genotypes(gt, rec.CHROM, len(rec.ALT), self.names)
            if gt.shape[1] == 2:  # every sample haploid at this record
                gt = np.column_stack([gt[:, 0], np.full(len(gt), -2, dtype=gt.dtype), gt[:, 1]])
            elif gt.shape[1] > 3:  # ploidy checked: the extra columns hold only vector ends
                gt = np.column_stack([gt[:, :2], gt[:, -1]])
            self._gt = gt if self.cols is None else gt[self.cols]
        return self._gt

    def ps(self) -> npt.NDArray[np.int64] | None:
        if not self._ps_done:
            self._ps_done = True
            with contextlib.suppress(KeyError, Exception):
                raw = self.rec.format("PS")
                if raw is not None:
                    ps = np.asarray(raw[:, 0], dtype=np.int64)
                    self._ps = ps if self.cols is None else ps[self.cols]
        return self._ps
