"""Read only the defining positions of the requested genes from VCF / VCF.gz / BCF files.

Output is one :class:`GenotypeMatrix` per gene: NumPy arrays over all samples at once.
Several input files may hold different regions of the same samples; they are read as
one. Each file is parsed once: indexed files by region query per gene, others by a
single streaming pass.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.knowledge.models import DefiningVariant
from tailormed.vcf.models import (
    ABSENT_HAPLOTYPE,
    MISSING,
    NOT_IN_DEFINITION,
    GenePanel,
    GenotypeMatrix,
    PositionSource,
)
from tailormed.vcf.normalize import canonical

# Region padding: an indel record may start a few bases before the position it changes.
PAD = 60
# GRCh37 detection: this many REF mismatches, making up at least this share of the
# checked SNV positions, means the coordinates are not GRCh38.
BUILD_MISMATCH_MIN = 5
BUILD_MISMATCH_SHARE = 0.5
GVCF_ALTS = frozenset({"<NON_REF>", "<*>"})


class _Stderr:
    """What htslib wrote to fd 2 so far (it bypasses Python's sys.stderr)."""

    def __init__(self, tmp: Any) -> None:
        self._tmp = tmp

    def lines(self) -> list[str]:
        self._tmp.seek(0)
        text: str = self._tmp.read().decode(errors="replace")
        return [line.strip() for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def _captured_stderr() -> Iterator[_Stderr]:
    """Collect htslib's stderr messages to quote them in our own errors."""
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield _Stderr(tmp)
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _htslib_problem(stderr: _Stderr, fallback: str) -> str:
    messages = stderr.lines()
    for msg in reversed(messages):
        if msg.startswith("[E::"):
            return msg.split("]", 1)[-1].strip()
    return fallback


@dataclass
class _SiteState:
    """Accumulates what the records covering one defining position say per haplotype."""

    n: int
    alt_code: npt.NDArray[np.int8] = field(init=False)
    saw_ref: npt.NDArray[np.bool_] = field(init=False)
    saw_unknown: npt.NDArray[np.bool_] = field(init=False)
    haploid: npt.NDArray[np.bool_] = field(init=False)
    phased: npt.NDArray[np.bool_] = field(init=False)
    phase_set: npt.NDArray[np.int64] = field(init=False)
    present: bool = False
    ref_mismatch: bool = False
    unknown_allele: str | None = None
    source: PositionSource = "absent"
    observed_ref: str | None = None

    def __post_init__(self) -> None:
        self.alt_code = np.zeros((self.n, 2), dtype=np.int8)
        self.saw_ref = np.zeros((self.n, 2), dtype=bool)
        self.saw_unknown = np.zeros((self.n, 2), dtype=bool)
        self.haploid = np.zeros(self.n, dtype=bool)
        self.phased = np.zeros(self.n, dtype=bool)
        self.phase_set = np.zeros(self.n, dtype=np.int64)

    def codes(self) -> npt.NDArray[np.int8]:
        out = np.full((self.n, 2), MISSING, dtype=np.int8)
        out[self.saw_ref] = 0
        out[self.saw_unknown] = NOT_IN_DEFINITION
        has_alt = self.alt_code > 0
        out[has_alt] = self.alt_code[has_alt]
        out[self.haploid, 1] = ABSENT_HAPLOTYPE
        return out


class _GeneReader:
    """Routes the records of one gene's region to its defining positions."""

    def __init__(self, panel: GenePanel, n_samples: int) -> None:
        self.panel = panel
        self.n = n_samples
        self.by_pos: dict[int, int] = {v.position: i for i, v in enumerate(panel.variants)}
        self.by_key: dict[tuple[int, str, str], tuple[int, int]] = {}
        for i, v in enumerate(panel.variants):
            for k, alt in enumerate(v.alts, start=1):
                self.by_key.setdefault(canonical(v.position, v.ref, alt), (i, k))
        self.states = [_SiteState(n_samples) for _ in panel.variants]
        self.ref_checks = 0
        self.ref_mismatches: list[str] = []
        self.lo = min(v.position for v in panel.variants) - PAD
        self.hi = max(v.position + len(v.ref) for v in panel.variants) + PAD

    def covers(self, chrom: str, pos: int) -> bool:
        return _same_chrom(chrom, self.panel.chrom) and self.lo <= pos <= self.hi

    def add(self, rec: Any, lazy: _LazyGenotypes) -> None:
        pos: int = rec.POS
        ref: str = rec.REF
        alts: list[str] = rec.ALT
        if (alts and all(a in GVCF_ALTS for a in alts)) or (not alts and rec.INFO.get("END")):
            self._add_block(rec, lazy.gt())
            return
        # Which defining position does each ALT of this record change?
        targets: dict[int, dict[int, int]] = {}  # variant index -> {record allele -> code}
        anchored = self.by_pos.get(pos)
        if anchored is not None:
            targets.setdefault(anchored, {})
        unknown_at: dict[int, list[int]] = {}
        for j, alt in enumerate(alts, start=1):
            hit = self.by_key.get(canonical(pos, ref, alt))
            if hit is not None:
                targets.setdefault(hit[0], {})[j] = hit[1]
            elif anchored is not None and _changes_base(
                pos, ref, alt, self.panel.variants[anchored]
            ):
                unknown_at.setdefault(anchored, []).append(j)
        for i, codes in targets.items():
            # genotypes are decoded only for records that touch a defining position
            self._apply(i, rec, lazy.gt(), lazy.ps(), codes, unknown_at.get(i, []), anchored == i)

    def _apply(
        self,
        i: int,
        rec: Any,
        gt: npt.NDArray[np.int16],
        ps: npt.NDArray[np.int64] | None,
        codes: dict[int, int],
        unknown: list[int],
        anchored: bool,
    ) -> None:
        st = self.states[i]
        variant = self.panel.variants[i]
        if anchored and not self._check_ref(variant, rec.REF):
            st.ref_mismatch = True
        st.present = True
        st.source = "vcf"
        alleles = gt[:, :2]
        for h in (0, 1):
            col = alleles[:, h]
            st.saw_ref[:, h] |= col == 0
            for j, code in codes.items():
                hit = col == j
                st.alt_code[hit, h] = code
            for j in unknown:
                carriers = col == j
                st.saw_unknown[:, h] |= carriers
                if st.unknown_allele is None and carriers.any():
                    st.unknown_allele = rec.ALT[j - 1]
        st.haploid |= alleles[:, 1] == -2
        st.phased |= gt[:, 2].astype(bool)
        if ps is not None:
            st.phase_set = np.where(ps > 0, ps, st.phase_set)

    def _add_block(self, rec: Any, gt: npt.NDArray[np.int16]) -> None:
        end = int(rec.INFO.get("END") or rec.POS)
        for i, v in enumerate(self.panel.variants):
            if rec.POS <= v.position <= end:
                st = self.states[i]
                if st.source == "vcf":
                    continue  # a variant record beats a reference block
                st.present = True
                st.source = "gvcf-block"
                alleles = gt[:, :2]
                for h in (0, 1):
                    st.saw_ref[:, h] |= alleles[:, h] == 0
                st.haploid |= alleles[:, 1] == -2
                st.phased |= True  # a homozygous reference block needs no phase

    def _check_ref(self, variant: DefiningVariant, vcf_ref: str) -> bool:
        """Count the check; on a mismatch note it and return False."""
        if not variant.is_snv or len(vcf_ref) != 1:
            first_def, first_vcf = variant.ref[:1].upper(), vcf_ref[:1].upper()
        else:
            first_def, first_vcf = variant.ref.upper(), vcf_ref.upper()
        self.ref_checks += 1
        if first_def != first_vcf:
            self.ref_mismatches.append(
                f"REF mismatch at {variant.chrom}:{variant.position} ({variant.label}): "
                f"input has {vcf_ref}, the definition has {variant.ref}; the position is "
                "treated as missing"
            )
            return False
        return True

    def matrix(self, samples: tuple[str, ...], missing_to_ref: bool) -> GenotypeMatrix:
        p = len(self.panel.variants)
        codes = np.full((self.n, 2, p), MISSING, dtype=np.int8)
        phased = np.zeros((self.n, p), dtype=bool)
        phase_set = np.zeros((self.n, p), dtype=np.int64)
        haploid = np.zeros((self.n, p), dtype=bool)
        sources: list[PositionSource] = []
        for i, st in enumerate(self.states):
            if st.ref_mismatch:  # a genotype against another REF says nothing here
                sources.append("ref-mismatch")
            elif st.present:
                codes[:, :, i] = st.codes()
                phased[:, i] = st.phased
                phase_set[:, i] = st.phase_set
                haploid[:, i] = st.haploid
                sources.append(st.source)
            elif missing_to_ref:
                codes[:, :, i] = 0
                phased[:, i] = True
                sources.append("missing-to-ref")
            else:
                sources.append("absent")
        # Haploid samples (chrX in males): absent second haplotype at every position
        # once any record shows them haploid.
        male = haploid.any(axis=1)
        if male.any():
            codes[male, 1, :] = ABSENT_HAPLOTYPE
            phased[male, :] = True
        return GenotypeMatrix(
            gene=self.panel.gene,
            samples=samples,
            variants=self.panel.variants,
            codes=codes,
            phased=phased,
            phase_set=phase_set,
            sources=tuple(sources),
            warnings=tuple(self.ref_mismatches),
            unknown_alleles=tuple(st.unknown_allele for st in self.states),
        )


def _changes_base(pos: int, ref: str, alt: str, variant: DefiningVariant) -> bool:
    """Whether an unmatched ALT alters the base(s) a defining variant is about."""
    start, deleted, _inserted = canonical(pos, ref, alt)
    if not deleted:
        return not variant.is_snv and start == variant.position + 1
    return start <= variant.position < start + len(deleted) or (
        not variant.is_snv and start == variant.position + 1
    )


def _same_chrom(a: str, b: str) -> bool:
    return a.removeprefix("chr") == b.removeprefix("chr")


def _header_lines(path: Path) -> int | None:
    """Number of header lines of a text VCF (plain or gzip), None for BCF."""
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic[:2] == b"\x1f\x8b":
        opener: Any = gzip.open
        with gzip.open(path, "rb") as gz:
            if gz.read(3) == b"BCF":
                return None
    elif magic[:3] == b"BCF":
        return None
    else:
        opener = open
    count = 0
    try:
        with opener(path, "rb") as fh:
            for line in fh:
                if not line.startswith(b"#"):
                    break
                count += 1
    except (OSError, EOFError):
        pass
    return count


def _located(problem: str, path: Path, record: int) -> InputError:
    """An error at the ``record``-th data record: its line in a text VCF (the header is
    counted only now, on the error path), its record number in a BCF."""
    header = _header_lines(path)
    if header is None:  # BCF: binary, no lines
        return InputError(problem, path=path, record=f"record {record}")
    return InputError(problem, path=path, line=header + record)


def _has_index(path: Path) -> bool:
    name = str(path)
    return any(Path(name + ext).exists() for ext in (".tbi", ".csi")) and not name.endswith(".vcf")


class VcfSet:
    """One or more VCF/BCF files holding (regions of) the same samples."""

    def __init__(self, paths: Sequence[Path], samples: Sequence[str] | None = None) -> None:
        if not paths:
            raise InputError("no input files given")
        import cyvcf2

        self.paths = [Path(p) for p in paths]
        self._vcfs: list[Any] = []
        file_samples: list[list[str]] = []
        for path in self.paths:
            if not path.exists():
                raise InputError("file does not exist", path=path)
            if path.is_dir():
                raise InputError("is a folder, not a VCF file", path=path)
            with _captured_stderr() as messages:
                try:
                    vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
                except OSError:
                    raise InputError(
                        "not a VCF or BCF file (no ##fileformat / #CHROM header found)",
                        path=path,
                        line=1,
                    ) from None
                except Exception:
                    problem = _htslib_problem(messages, "cannot parse the VCF header")
                    raise InputError(problem, path=path, record="header") from None
            names = list(vcf.samples)
            if not names:
                raise InputError("the VCF has no sample columns", path=path, record="#CHROM line")
            dupes = sorted(s for s, n in Counter(names).items() if n > 1)
            if dupes:
                raise InputError(f"duplicate sample names: {', '.join(dupes)}", path=path)
            self._vcfs.append(vcf)
            file_samples.append(names)
        first = file_samples[0]
        for path, names in zip(self.paths[1:], file_samples[1:], strict=True):
            if set(names) != set(first):
                raise InputError(
                    f"holds different samples from {self.paths[0]} "
                    f"({len(set(names) ^ set(first))} differ); files read together must "
                    "hold the same samples",
                    path=path,
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
        # Per file: the column index of each output sample (None: already in order).
        self._columns: list[npt.NDArray[np.int64] | None] = []
        for names in file_samples:
            where = {s: i for i, s in enumerate(names)}
            cols = np.array([where[s] for s in self.samples], dtype=np.int64)
            identity = len(cols) == len(names) and bool((cols == np.arange(len(names))).all())
            self._columns.append(None if identity else cols)

    @property
    def indexed(self) -> bool:
        """Every file has a tabix/CSI index (regions can be read independently)."""
        return all(_has_index(p) for p in self.paths)

    def read(
        self, panels: Sequence[GenePanel], missing_to_ref: bool = False
    ) -> dict[str, GenotypeMatrix]:
        readers = [_GeneReader(p, len(self.samples)) for p in panels]
        with _captured_stderr() as messages:
            for path, vcf, cols in zip(self.paths, self._vcfs, self._columns, strict=True):
                if _has_index(path):
                    self._read_indexed(path, vcf, cols, readers, messages)
                else:
                    self._read_stream(path, vcf, cols, readers, messages)
        checks = sum(r.ref_checks for r in readers)
        mismatches = [m for r in readers for m in r.ref_mismatches]
        if (
            len(mismatches) >= BUILD_MISMATCH_MIN
            and len(mismatches) >= BUILD_MISMATCH_SHARE * checks
        ):
            raise InputError(
                f"REF differs from GRCh38 at {len(mismatches)} of {checks} defining positions: "
                "the coordinates look like another genome build (GRCh37?). Tailormed needs "
                f"GRCh38; lift the file over first. First: {mismatches[0]}",
                path=self.paths[0],
            )
        return {r.panel.gene: r.matrix(self.samples, missing_to_ref) for r in readers}

    def _read_indexed(
        self,
        path: Path,
        vcf: Any,
        cols: npt.NDArray[np.int64] | None,
        readers: list[_GeneReader],
        messages: _Stderr,
    ) -> None:
        names = set(vcf.seqnames)
        for reader in readers:
            chrom = reader.panel.chrom
            for candidate in (chrom, chrom.removeprefix("chr")):
                if candidate in names:
                    region = f"{candidate}:{max(reader.lo, 1)}-{reader.hi}"
                    last = None
                    try:
                        for rec in vcf(region):
                            last = rec.POS
                            self._dispatch(rec, cols, [reader])
                    except InputError as exc:
                        where = f"record after {candidate}:{last}" if last else f"region {region}"
                        raise InputError(exc.problem, path=path, record=where) from None
                    except Exception:
                        where = f"record after {candidate}:{last}" if last else f"region {region}"
                        problem = _htslib_problem(messages, "cannot parse a record")
                        raise InputError(problem, path=path, record=where) from None
                    break

    def _read_stream(
        self,
        path: Path,
        vcf: Any,
        cols: npt.NDArray[np.int64] | None,
        readers: list[_GeneReader],
        messages: _Stderr,
    ) -> None:
        n = 0
        try:
            for rec in vcf:
                n += 1
                chrom = rec.CHROM
                pos = rec.POS
                hits = [r for r in readers if r.covers(chrom, pos)]
                if hits:
                    self._dispatch(rec, cols, hits)
        except InputError as exc:  # record ``n`` was read but is unusable
            raise _located(exc.problem, path, n) from None
        except Exception:  # htslib could not parse record ``n + 1``
            problem = _htslib_problem(messages, "cannot parse the record")
            if "bgzf" in " ".join(messages.lines()).lower():
                problem = "the compressed file is truncated or corrupt (" + problem + ")"
            raise _located(problem, path, n + 1) from None

    @staticmethod
    def _dispatch(rec: Any, cols: npt.NDArray[np.int64] | None, readers: list[_GeneReader]) -> None:
        lazy = _LazyGenotypes(rec, cols)
        for reader in readers:
            if reader.covers(rec.CHROM, rec.POS):
                reader.add(rec, lazy)


class _LazyGenotypes:
    """A record's GT (and PS) columns, decoded on first use, in output sample order."""

    def __init__(self, rec: Any, cols: npt.NDArray[np.int64] | None) -> None:
        self.rec = rec
        self.cols = cols
        self._gt: npt.NDArray[np.int16] | None = None
        self._ps: npt.NDArray[np.int64] | None = None
        self._ps_done = False

    def gt(self) -> npt.NDArray[np.int16]:
        if self._gt is None:
            genotype = self.rec.genotype
            if genotype is None:  # sites-only record: every sample missing
                raise InputError("record has no genotypes (FORMAT/GT missing)")
            gt = genotype.array()
            if gt.shape[1] == 2:  # every sample haploid at this record
                gt = np.column_stack([gt[:, 0], np.full(len(gt), -2, dtype=gt.dtype), gt[:, 1]])
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
