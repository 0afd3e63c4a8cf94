"""Reading genotypes at the scored positions only, and turning them into dosage blocks.

:class:`GenotypeFiles` opens one or more VCF/BCF files holding (regions of) the same
samples. :meth:`GenotypeFiles.groups` yields, per scored position, the records there (a
multiallelic site may be one record or several split ones); indexed files are read with
region queries over the scored positions (merged into windows), others in one streaming
pass that skips every other record before its genotypes are decoded. Contig lengths of
GRCh37 in the header are refused.

:class:`BlockBuilder` collects the allele codes of matched columns, ``columns x samples``,
and turns a full block into dosages and ploidies with a few whole-array NumPy operations
before handing it to :func:`~tailormed.cardio.prs.score.score_block`. Ploidy follows the
genotype as written: a haploid call (chrX outside the PARs in males) is one allele; with
``haploid_double`` it counts twice, which is what plink2 does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.cardio.prs.match import Record
from tailormed.cardio.prs.score import BlockScores, Float, score_block
from tailormed.errors import InputError
from tailormed.vcf.build import header_build, refuse
from tailormed.vcf.capture import captured_stderr, htslib_problem
from tailormed.vcf.reader import has_index
from tailormed.vcf.records import located_error

Int32 = npt.NDArray[np.int32]
REGION_GAP = 250_000  # scored positions closer than this are read as one region
Keep = Callable[[int], bool]


def norm_chrom(name: str) -> str:
    n = name[3:] if name.lower().startswith("chr") else name
    n = n.upper()
    return "MT" if n == "M" else n


@dataclass
class SiteGroup:
    """The records at one scored position, with their genotypes read on demand."""

    chrom: str
    pos: int
    raw: list[Any]
    columns: npt.NDArray[np.int64] | None
    path: Path
    _encoded: dict[int, tuple[Int32, Int32]] = field(default_factory=dict)

    @property
    def records(self) -> tuple[Record, ...]:
        return tuple(Record(r.REF.upper(), tuple(a.upper() for a in r.ALT)) for r in self.raw)

    def encoded(self, i: int) -> tuple[Int32, Int32]:
        """Genotypes of record ``i`` in htslib's encoding, first and second allele per
        sample: ``(allele + 1) << 1 | phased``; 0 missing; :data:`END` (second allele of a
        haploid call)."""
        got = self._encoded.get(i)
        if got is None:
            got = _encoded(self.raw[i], self.columns, self)
            self._encoded[i] = got
        return got

    def alleles(self, i: int) -> tuple[Int32, Int32]:
        """Allele indices of record ``i``: -1 missing; -2 as second allele: haploid."""
        first, second = self.encoded(i)
        return decode(first), decode(second)


END = np.int32(-2147483647)  # htslib's bcf_int32_vector_end


def decode(encoded: Int32) -> Int32:
    """Allele index from htslib's genotype encoding (-1 missing, -2 vector end)."""
    return np.where(encoded == END, -2, (encoded >> 1) - 1).astype(np.int32)


def encode(alleles: Int32) -> Int32:
    """The inverse of :func:`decode`."""
    return np.where(alleles == -2, END, (alleles + 1) << 1).astype(np.int32)


def _encoded(rec: Any, cols: npt.NDArray[np.int64] | None, group: SiteGroup) -> tuple[Int32, Int32]:
    where = f"record {group.chrom}:{group.pos}"
    try:
        gt = rec.format("GT", int)
    except Exception:
        gt = None
    if gt is None:
        raise InputError(
            "record has no genotypes (FORMAT/GT missing)", path=group.path, record=where
        )
    if gt.ndim == 1 or gt.shape[1] == 1:  # every sample haploid at this record
        first = gt.reshape(len(gt))
        second = np.full(len(gt), END, dtype=np.int32)
    elif gt.shape[1] == 2:
        first, second = gt[:, 0], gt[:, 1]
    else:
        raise InputError(
            f"ploidy {gt.shape[1]} is not supported (1 or 2)", path=group.path, record=where
        )
    if cols is not None:
        first, second = first[cols], second[cols]
    return first, second


def merged_alleles(group: SiteGroup, records: Sequence[int]) -> tuple[Int32, Int32]:
    """Encoded genotypes for the REF allele of a site split over SNV records, as allele 1:
    present where a haplotype carries no ALT in any of them; missing and haploid kept."""
    firsts, seconds = zip(*(group.alleles(i) for i in records), strict=True)
    a0 = np.stack(firsts)
    a1 = np.stack(seconds)
    out0 = np.where((a0 == -1).any(0), -1, (a0 == 0).all(0).astype(np.int32))
    out1 = np.where((a1 == -1).any(0), -1, (a1 == 0).all(0).astype(np.int32))
    out1 = np.where((a1 == -2).any(0), -2, out1)
    return encode(out0), encode(out1)


class GenotypeFiles:
    """One or more VCF/BCF files holding (regions of) the same samples."""

    def __init__(self, paths: Sequence[Path], samples: Sequence[str] | None = None) -> None:
        import cyvcf2

        if not paths:
            raise InputError("no genotype files given")
        self.paths = [Path(p) for p in paths]
        self._vcfs: list[Any | None] = []
        names_per_file: list[list[str]] = []
        for path in self.paths:
            if not path.exists():
                raise InputError("file does not exist", path=path)
            if path.is_dir():
                raise InputError("is a folder, not a VCF file", path=path)
            with captured_stderr() as messages:
                try:
                    vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
                except OSError:
                    raise InputError(
                        "not a VCF or BCF file (no ##fileformat / #CHROM header found)",
                        path=path,
                        line=1,
                    ) from None
                except Exception:
                    problem = htslib_problem(messages, "cannot parse the VCF header")
                    raise InputError(problem, path=path, record="header") from None
                self._check_build(vcf, path)
            names = list(vcf.samples)
            if not names:
                raise InputError("the VCF has no sample columns", path=path, record="#CHROM line")
            dupes = sorted(s for s, n in Counter(names).items() if n > 1)
            if dupes:
                raise InputError(f"duplicate sample names: {', '.join(dupes[:5])}", path=path)
            self._vcfs.append(vcf)
            names_per_file.append(names)
        first = names_per_file[0]
        for path, names in zip(self.paths[1:], names_per_file[1:], strict=True):
            if set(names) != set(first):
                raise InputError(
                    f"holds different samples from {self.paths[0]}; files read together "
                    "must hold the same samples",
                    path=path,
                )
        if samples:
            known = set(first)  # built once: a per-sample set was quadratic in the samples
            unknown = [s for s in samples if s not in known]
            if unknown:
                raise InputError(
                    f"sample(s) not in the input: {', '.join(unknown[:10])}", path=self.paths[0]
                )
            self.samples: tuple[str, ...] = tuple(samples)
        else:
            self.samples = tuple(first)
        self._columns: list[npt.NDArray[np.int64] | None] = []
        for names in names_per_file:
            where = {s: i for i, s in enumerate(names)}
            cols = np.array([where[s] for s in self.samples], dtype=np.int64)
            same = len(cols) == len(names) and bool((cols == np.arange(len(names))).all())
            self._columns.append(None if same else cols)

    @staticmethod
    def _check_build(vcf: Any, path: Path) -> None:
        """Refuse a header that names another build than GRCh38 (the shared rules of
        :mod:`tailormed.vcf.build`: ``##reference``, contig lengths and assemblies)."""
        verdict = header_build(vcf.raw_header)
        if verdict.build not in (None, "GRCh38"):
            raise refuse(path, verdict)

    def spans(self, spans: Mapping[str, tuple[int, int]]) -> Iterator[SiteGroup]:
        """Every record within ``{chrom: (start, end)}`` (inclusive), grouped by position."""

        def plan(contigs: Mapping[str, str]) -> Iterator[tuple[str, str, Keep]]:
            for chrom, (start, end) in spans.items():
                if chrom in contigs:
                    yield chrom, f"{contigs[chrom]}:{start}-{end}", _between(start, end)

        def keep(chrom: str, pos: int) -> bool:
            span = spans.get(chrom)
            return span is not None and span[0] <= pos <= span[1]

        return self._read(plan, keep)

    def groups(self, wanted: Mapping[str, npt.NDArray[np.int64]]) -> Iterator[SiteGroup]:
        """The records at the wanted positions (``{chrom: sorted positions}``), grouped."""
        sets = {chrom: set(p.tolist()) for chrom, p in wanted.items()}

        def plan(contigs: Mapping[str, str]) -> Iterator[tuple[str, str, Keep]]:
            for chrom, positions in wanted.items():
                if chrom not in contigs or not len(positions):
                    continue
                for start, end in _windows(positions):
                    yield chrom, f"{contigs[chrom]}:{start}-{end}", sets[chrom].__contains__

        def keep(chrom: str, pos: int) -> bool:
            positions = sets.get(chrom)
            return positions is not None and pos in positions

        return self._read(plan, keep)

    def _read(
        self,
        plan: Callable[[Mapping[str, str]], Iterator[tuple[str, str, Keep]]],
        keep: Callable[[str, int], bool],
    ) -> Iterator[SiteGroup]:
        """Each file afresh (a second pass reopens it): region queries when indexed
        (``plan`` gives chrom, region and a position filter per query), else one stream
        filtered by ``keep`` before any genotype is decoded."""
        import cyvcf2

        for i, (path, cols) in enumerate(zip(self.paths, self._columns, strict=True)):
            vcf = self._vcfs[i]
            if vcf is None:
                with captured_stderr():
                    vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
            self._vcfs[i] = None  # used up: the next pass reopens the file
            if has_index(path):
                yield from self._indexed(path, vcf, cols, plan)
            else:
                yield from self._stream(path, vcf, cols, keep)

    @staticmethod
    def _indexed(
        path: Path,
        vcf: Any,
        cols: npt.NDArray[np.int64] | None,
        plan: Callable[[Mapping[str, str]], Iterator[tuple[str, str, Keep]]],
    ) -> Iterator[SiteGroup]:
        with captured_stderr():
            contigs = {norm_chrom(n): n for n in vcf.seqnames}
        for chrom, region, wanted in plan(contigs):
            with captured_stderr() as messages:
                try:
                    recs = ((chrom, r) for r in vcf(region) if wanted(r.POS))
                    yield from _grouped_stream(recs, cols, path)
                except InputError as exc:
                    raise InputError(exc.problem, path=path, record=region) from None
                except Exception:
                    problem = htslib_problem(messages, "cannot parse a record")
                    raise InputError(problem, path=path, record=f"region {region}") from None

    @staticmethod
    def _stream(
        path: Path,
        vcf: Any,
        cols: npt.NDArray[np.int64] | None,
        keep: Callable[[str, int], bool],
    ) -> Iterator[SiteGroup]:
        count = 0

        def records() -> Iterator[tuple[str, Any]]:
            nonlocal count
            for rec in vcf:
                count += 1
                chrom = norm_chrom(rec.CHROM)
                if keep(chrom, rec.POS):
                    yield chrom, rec

        with captured_stderr() as messages:
            try:
                yield from _grouped_stream(records(), cols, path)
            except InputError as exc:
                raise located_error(exc.problem, path, count) from None
            except Exception:
                problem = htslib_problem(messages, "cannot parse the record")
                if "bgzf" in " ".join(messages.lines()).lower():
                    problem = "the compressed file is truncated or corrupt (" + problem + ")"
                raise located_error(problem, path, count + 1) from None


def _between(start: int, end: int) -> Keep:
    return lambda pos: start <= pos <= end


def _windows(positions: npt.NDArray[np.int64]) -> Iterator[tuple[int, int]]:
    start = prev = int(positions[0])
    for p in positions[1:].tolist():
        if p - prev > REGION_GAP:
            yield start, prev
            start = p
        prev = p
    yield start, prev


def _grouped_stream(
    recs: Iterator[tuple[str, Any]], cols: npt.NDArray[np.int64] | None, path: Path
) -> Iterator[SiteGroup]:
    current: SiteGroup | None = None
    for chrom, rec in recs:
        pos = rec.POS
        if current is not None and current.pos == pos and current.chrom == chrom:
            current.raw.append(rec)
            continue
        if current is not None:
            yield current
        current = SiteGroup(chrom, pos, [rec], cols, path)
    if current is not None:
        yield current


class BlockBuilder:
    """Collects matched columns (encoded genotypes per sample) and scores them by block."""

    def __init__(
        self,
        n_samples: int,
        n_outputs: int,
        *,
        haploid_double: bool = False,
        mean_impute: bool = False,
        target_cells: int = 2_000_000,
    ) -> None:
        self.n = n_samples
        self.k = n_outputs
        self.rows = max(16, min(4096, target_cells // max(n_samples, 1)))
        self.haploid_double = haploid_double
        self.mean_impute = mean_impute
        self.g0 = np.empty((self.rows, n_samples), dtype=np.int32)
        self.g1 = np.empty((self.rows, n_samples), dtype=np.int32)
        self.allele = np.empty(self.rows, dtype=np.int32)
        self.kind = np.zeros(self.rows, dtype=np.int8)  # 0 additive, 1 dominant, 2 recessive
        self.weights = np.zeros((self.rows, n_outputs))
        self.member = np.zeros((self.rows, n_outputs))
        self.used = 0
        self.total = BlockScores.zeros(n_samples, n_outputs)

    def add(
        self,
        encoded: tuple[Int32, Int32],
        allele: int,
        effect_type: int,
        weights: Mapping[int, float],
    ) -> None:
        """Add a column: ``effect_type`` 0 additive, 1 dominant, 2 recessive."""
        i = self.used
        self.g0[i] = encoded[0]
        self.g1[i] = encoded[1]
        self.allele[i] = allele
        self.kind[i] = effect_type
        self.weights[i] = 0.0
        self.member[i] = 0.0
        for out, w in weights.items():
            self.weights[i, out] = w
            self.member[i, out] = 1.0
        self.used += 1
        if self.used == self.rows:
            self.flush()

    def dosages(self, b: int) -> tuple[Float, npt.NDArray[np.int8] | None]:
        """Dosage and ploidy (``columns x samples``) of the first ``b`` columns, from the
        encoded genotypes in a few whole-block operations; ploidy ``None`` when every call
        of the block is diploid and present (the common case, counted without an array)."""
        g0, g1 = self.g0[:b], self.g1[:b]
        # allele j, either phase bit: (code | 1) == ((j + 1) << 1) | 1
        target = ((self.allele[:b, None] + 1) << 1) | 1
        dose = ((g0 | 1) == target).view(np.int8) + ((g1 | 1) == target).view(np.int8)
        ploidy: npt.NDArray[np.int8] | None = None
        haploid = (g1 < 0) if (g1 < 0).any() else None
        incomplete = not (g0.all() and g1.all())
        if haploid is not None or incomplete:
            missing = (g0 == 0) | (g1 == 0)
            ploidy = np.full(dose.shape, 2, dtype=np.int8)
            if haploid is not None:
                if self.haploid_double:
                    dose[haploid] *= 2
                else:
                    ploidy[haploid] = 1
            dose[missing] = 0
            ploidy[missing] = 0
        kind = self.kind[:b, None]
        if (kind != 0).any():
            full = ploidy if ploidy is not None else np.full(dose.shape, 2, dtype=np.int8)
            dominant = (kind == 1) & (dose > 0)
            recessive = (kind == 2) & (dose == full) & (full > 0)
            dose = np.where(kind == 0, dose, (dominant | recessive).astype(np.int8))
        return dose.astype(np.float64), ploidy

    def flush(self) -> None:
        b = self.used
        if b == 0:
            return
        dose, ploidy = self.dosages(b)
        expected = None
        if self.mean_impute and ploidy is not None:
            called = (ploidy > 0).sum(axis=1)
            expected = np.divide(dose.sum(axis=1), called, out=np.zeros(b), where=called > 0)
        block = score_block(
            dose.T,
            None if ploidy is None else ploidy.T,
            self.weights[:b],
            self.member[:b],
            expected=expected,
        )
        self.total = self.total.add(block)
        self.used = 0
