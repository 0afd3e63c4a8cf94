"""Read only the defining positions of the requested genes from VCF / VCF.gz / BCF files.

Output is one :class:`GenotypeMatrix` per gene: NumPy arrays over all samples at once.
Several input files may hold different regions of the same samples; they are read as
one. Each file is parsed once: indexed files by region query per gene, others by a
single streaming pass. Alongside, the reader notes what the input covers (the span of
its records around each gene, :mod:`.regions`), what tells its genome build
(:mod:`.build`), and keeps every record at a defining position as a statement, so that
records contradicting each other are caught (:mod:`.sites`). Genotypes are decoded only
for records at defining positions, and checked first (:mod:`.records`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.vcf.build import (
    LIFTOVER_HINT,
    BuildEvidence,
    Grch37Site,
    grch37_sites,
    header_build,
    refuse,
    unstated_warning,
)
from tailormed.vcf.capture import Captured, captured_stderr, htslib_problem
from tailormed.vcf.gene import GeneReader, Where
from tailormed.vcf.models import GenePanel, GenotypeMatrix
from tailormed.vcf.records import (
    TEXT_CHECK_MAX_SAMPLES,
    IndexedLines,
    LazyGenotypes,
    TextLines,
    header_lines,
    is_bcf,
    line_number,
)
from tailormed.vcf.regions import CoveredRegions, chrom_key

# GRCh37 detection: this many REF mismatches, making up at least this share of the
# checked SNV positions, means the coordinates are not GRCh38.
BUILD_MISMATCH_MIN = 5
BUILD_MISMATCH_SHARE = 0.5


def has_index(path: Path) -> bool:
    """A bgzipped VCF or BCF with a tabix/CSI index beside it (regions can be queried)."""
    name = str(path)
    return any(Path(name + ext).exists() for ext in (".tbi", ".csi")) and not name.endswith(".vcf")


class _File:
    """One opened input: its parser, sample columns, header build, build evidence."""

    def __init__(self, path: Path, vcf: Any, names: list[str], build: str | None) -> None:
        self.path = path
        self.vcf = vcf
        self.names = names
        self.build = build  # "GRCh38" or None (not stated); others are refused on open
        self.bcf = is_bcf(path)
        self.indexed = has_index(path)
        # text files: record n is on line header + n; BCF records have numbers only
        self.header: int | None = None if self.bcf else header_lines(path)
        self.check_text = not self.bcf and len(names) <= TEXT_CHECK_MAX_SAMPLES
        self.cols: npt.NDArray[np.int64] | None = None
        self.evidence = BuildEvidence()


def _open(path: Path) -> _File:
    import cyvcf2

    if not path.exists():
        raise InputError("file does not exist", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a VCF file", path=path)
    with captured_stderr() as messages:
        try:
            vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
        except OSError:
            raise InputError(
                "not a VCF or BCF file (no ##fileformat / #CHROM header found)", path=path, line=1
            ) from None
        except Exception:
            problem = htslib_problem(messages, "cannot parse the VCF header")
            raise InputError(problem, path=path, record="header") from None
    try:
        names = list(vcf.samples)
    except UnicodeDecodeError:
        raise InputError(
            "the sample names are not UTF-8 text", path=path, record="#CHROM line"
        ) from None
    if not names:
        raise InputError("the VCF has no sample columns", path=path, record="#CHROM line")
    dupes = sorted(s for s, n in Counter(names).items() if n > 1)
    if dupes:
        raise InputError(f"duplicate sample names: {', '.join(dupes)}", path=path)
    try:
        verdict = header_build(vcf.raw_header)
    except UnicodeDecodeError:
        raise InputError("the header is not UTF-8 text", path=path, record="header") from None
    if verdict.build not in (None, "GRCh38"):
        raise refuse(path, verdict)
    return _File(path, vcf, names, verdict.build)


class VcfSet:
    """One or more VCF/BCF files holding (regions of) the same samples."""

    def __init__(self, paths: Sequence[Path], samples: Sequence[str] | None = None) -> None:
        if not paths:
            raise InputError("no input files given")
        self.paths = [Path(p) for p in paths]
        self._files = [_open(p) for p in self.paths]
        first = self._files[0].names
        for f in self._files[1:]:
            if set(f.names) != set(first):
                raise InputError(
                    f"holds different samples from {self.paths[0]} "
                    f"({len(set(f.names) ^ set(first))} differ); files read together must "
                    "hold the same samples",
                    path=f.path,
                )
        if samples:
            unknown = [s for s in samples if s not in set(first)]
            if unknown:
                raise InputError(
                    f"sample(s) not in the input: {', '.join(unknown[:10])}", path=self.paths[0]
                )
            self.samples = tuple(samples)
        else:
            self.samples = tuple(first)
        for f in self._files:  # the column index of each output sample (None: in order)
            where = {s: i for i, s in enumerate(f.names)}
            cols = np.array([where[s] for s in self.samples], dtype=np.int64)
            identity = len(cols) == len(f.names) and bool((cols == np.arange(len(f.names))).all())
            f.cols = None if identity else cols

    @property
    def indexed(self) -> bool:
        """Every file has a tabix/CSI index (regions can be read independently)."""
        return all(f.indexed for f in self._files)

    def read(
        self,
        panels: Sequence[GenePanel],
        missing_to_ref: bool = False,
        covered: CoveredRegions | None = None,
    ) -> dict[str, GenotypeMatrix]:
        """Every panel's genotype matrix; raises if the input is not on GRCh38."""
        readers = [GeneReader(p, len(self.samples)) for p in panels]
        sites = grch37_sites(p.gene for p in panels)
        with captured_stderr() as messages:
            for f in self._files:
                if f.indexed:
                    self._read_indexed(f, readers, messages, sites)
                else:
                    self._read_stream(f, readers, messages, sites)
        self._check_build(readers)
        unstated = [f.path for f in self._files if f.build is None]
        notes = [unstated_warning(unstated)] if unstated else []
        return {
            r.panel.gene: r.matrix(self.samples, missing_to_ref, covered, notes) for r in readers
        }

    def _check_build(self, readers: list[GeneReader]) -> None:
        for f in self._files:
            refusal = f.evidence.verdict(f.path)
            if refusal is not None:
                raise refusal
        checks = sum(r.ref_checks for r in readers)
        mismatches = [m for r in readers for m in r.ref_mismatches]
        if (
            len(mismatches) >= BUILD_MISMATCH_MIN
            and len(mismatches) >= BUILD_MISMATCH_SHARE * checks
        ):
            raise InputError(
                f"REF differs from GRCh38 at {len(mismatches)} of {checks} defining positions: "
                f"the coordinates look like another genome build (GRCh37?). {LIFTOVER_HINT}. "
                f"First: {mismatches[0]}",
                path=self.paths[0],
            )

    # ------------------------------------------------------------------ indexed files

    def _read_indexed(
        self,
        f: _File,
        readers: list[GeneReader],
        messages: Captured,
        sites: dict[tuple[str, int], list[Grch37Site]],
    ) -> None:
        names = set(f.vcf.seqnames)
        lines: list[IndexedLines] = []

        def text_of(chrom: str, pos: int, occurrence: int) -> Callable[[], bytes | None]:
            def get() -> bytes | None:
                if not f.check_text:
                    return None
                if not lines:
                    lines.append(IndexedLines(f.path))
                return lines[0].fetch(chrom, pos, occurrence)

            return get

        def located(problem: str, chrom: str, pos: int, occurrence: int) -> InputError:
            line = None if f.bcf else line_number(f.path, chrom, pos, occurrence)
            where = None if line else f"record at {chrom}:{pos}"
            return InputError(problem, path=f.path, line=line, record=where)

        def query(region: str, reader: GeneReader | None, first_only: bool = False) -> None:
            last: tuple[str, int] | None = None
            occurrence = 0
            records = f.vcf(region)
            while True:
                try:
                    rec = next(records)
                except StopIteration:
                    return
                except Exception as exc:  # htslib could not parse the next record
                    where = f"record after {last[0]}:{last[1]}" if last else f"region {region}"
                    problem = (
                        "the record is not UTF-8 text"
                        if isinstance(exc, UnicodeDecodeError)
                        else htslib_problem(messages, "cannot parse a record")
                    )
                    raise InputError(problem, path=f.path, record=where) from None
                chrom, pos = rec.CHROM, rec.POS
                occurrence = occurrence + 1 if last == (chrom, pos) else 0
                last = (chrom, pos)
                try:
                    if reader is None:  # a GRCh37 position of a defining variant
                        f.evidence.check_record(sites, chrom, pos, rec.REF, rec.ALT)
                        continue
                    end = int(rec.end)
                    reader.note(pos, end)
                    if first_only:
                        return
                    if reader.reads(pos, end):
                        lazy = LazyGenotypes(rec, f.cols, f.names, text_of(chrom, pos, occurrence))
                        reader.add(rec, lazy, lambda: "", f.evidence)
                except InputError as exc:
                    raise located(exc.problem, chrom, pos, occurrence) from None
                except UnicodeDecodeError:
                    raise located("the record is not UTF-8 text", chrom, pos, occurrence) from None
                except Exception:  # htslib parsed the record only partly
                    problem = htslib_problem(messages, "cannot parse the record")
                    raise located(problem, chrom, pos, occurrence) from None

        try:
            for reader in readers:
                chrom = reader.panel.chrom
                for candidate in (chrom, chrom.removeprefix("chr")):
                    if candidate not in names:
                        continue
                    query(f"{candidate}:{max(reader.lo, 1)}-{reader.hi}", reader)
                    span = reader.span
                    if span.empty or (span.lo or 0) > reader.first:
                        query(f"{candidate}:{reader.cov_lo}-{max(reader.lo - 1, 1)}", reader, True)
                    if span.empty or (span.hi or 0) < reader.last:
                        query(f"{candidate}:{reader.hi + 1}-{reader.cov_hi}", reader, True)
                    break
            if f.build is None:  # nothing in the header: look where GRCh37 puts variants
                for chrom_name, pos in sites:
                    for candidate in (f"chr{chrom_name}", chrom_name):
                        if candidate in names:
                            query(f"{candidate}:{pos}-{pos}", None)
        finally:
            for opened in lines:
                opened.close()

    # ------------------------------------------------------------------ streamed files

    def _read_stream(
        self,
        f: _File,
        readers: list[GeneReader],
        messages: Captured,
        sites: dict[tuple[str, int], list[Grch37Site]],
    ) -> None:
        by_chrom: dict[str, list[GeneReader]] = {}
        for r in readers:
            by_chrom.setdefault(chrom_key(r.panel.chrom), []).append(r)
        text = TextLines(f.path) if f.check_text else None
        n = 0

        def line_of(rec: Any) -> Callable[[], bytes | None]:
            def get() -> bytes | None:
                assert text is not None
                head = text.current.split(b"\t", 2)
                if len(head) < 2 or head[0] != rec.CHROM.encode() or head[1] != b"%d" % rec.POS:
                    return None  # not the line htslib read: no text check
                return text.current

            return get

        def where() -> str:
            return f" (record {n})" if f.header is None else f" (line {f.header + n})"

        records = iter(f.vcf)
        try:
            while True:
                try:
                    rec = next(records)
                except StopIteration:
                    break
                except UnicodeDecodeError:
                    raise self._at("the record is not UTF-8 text", f, n + 1) from None
                except Exception:  # htslib could not parse record ``n + 1``
                    raise self._htslib_error(messages, f, n + 1) from None
                n += 1
                if text is not None:
                    text.advance()
                try:
                    self._stream_record(rec, f, by_chrom, sites, text, line_of, where)
                except InputError as exc:  # record ``n`` was read but is unusable
                    raise self._at(exc.problem, f, n) from None
                except UnicodeDecodeError:
                    raise self._at("the record is not UTF-8 text", f, n) from None
                except Exception:  # htslib parsed record ``n`` only partly
                    raise self._htslib_error(messages, f, n) from None
        finally:
            if text is not None:
                text.close()

    @staticmethod
    def _stream_record(
        rec: Any,
        f: _File,
        by_chrom: dict[str, list[GeneReader]],
        sites: dict[tuple[str, int], list[Grch37Site]],
        text: TextLines | None,
        line_of: Callable[[Any], Callable[[], bytes | None]],
        where: Where,
    ) -> None:
        chrom = rec.CHROM
        pos = rec.POS
        key = chrom_key(chrom)
        if f.build is None and (key, pos) in sites:  # nothing in the header: look here
            f.evidence.check_record(sites, chrom, pos, rec.REF, rec.ALT)
        on_chrom = by_chrom.get(key)
        if not on_chrom:
            return
        end = int(rec.end)
        hits = []
        for r in on_chrom:
            r.note(pos, end)
            if r.reads(pos, end):
                hits.append(r)
        if hits:
            lazy = LazyGenotypes(rec, f.cols, f.names, line_of(rec) if text is not None else None)
            for r in hits:
                r.add(rec, lazy, where, f.evidence)

    @classmethod
    def _htslib_error(cls, messages: Captured, f: _File, record: int) -> InputError:
        problem = htslib_problem(messages, "cannot parse the record")
        if "bgzf" in " ".join(messages.lines()).lower():
            problem = "the compressed file is truncated or corrupt (" + problem + ")"
        return cls._at(problem, f, record)

    @staticmethod
    def _at(problem: str, f: _File, record: int) -> InputError:
        """An error at the ``record``-th data record: its line, or its number in a BCF."""
        if f.header is None:
            return InputError(problem, path=f.path, record=f"record {record}")
        return InputError(problem, path=f.path, line=f.header + record)
