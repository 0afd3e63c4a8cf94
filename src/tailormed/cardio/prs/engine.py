"""Scoring many samples with one or more PGS Catalog scores, with a match report per score.

One pass over the genotypes: positions are matched as they are read
(:func:`~tailormed.cardio.prs.match.match_variant`), matched alleles are collected into
column blocks and scored with a matrix product. A score whose match rate (variants used /
variants in the file) is below ``min_match_rate`` (default 0.75, pgsc_calc's
``--min_overlap``) is refused: it gets no sample rows, only its match report with the reason.

Missing genotype calls are reported (per score and per sample) and contribute nothing unless
mean imputation is asked for; ``avg`` divides by the alleles actually observed (plink2's
``no-mean-imputation``). Haploid calls count one allele; ``haploid_double`` counts them twice
as plink2 does.

With a reference panel the reference is matched first (alleles only), the target's sums are
also kept over the variants the reference has, and then the reference is scored over exactly
the variants used for the target that it shares — so the patient and the panel are compared
on the same variants. Percentiles are within the patient's own ancestry group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.cardio.prs.genotypes import BlockBuilder, GenotypeFiles, merged_alleles
from tailormed.cardio.prs.match import match_variant
from tailormed.cardio.prs.reference import MIN_REFERENCE, Populations
from tailormed.cardio.prs.score import BlockScores
from tailormed.cardio.prs.scorefile import CHROM_NAMES, ScoringFile
from tailormed.errors import InputError

MISSING, MATCHED, FLIPPED, AMBIGUOUS, MISMATCH, DUPLICATE, UNMAPPED = range(7)
STATUS_NAMES = (
    "missing",
    "matched",
    "flipped",
    "ambiguous",
    "allele_mismatch",
    "duplicate",
    "unmapped",
)
MIN_IMPUTE_SAMPLES = 50


@dataclass(frozen=True, slots=True)
class PrsOptions:
    min_match_rate: float = 0.75
    keep_ambiguous: bool = False
    mean_impute: bool = False
    haploid_double: bool = False
    samples: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference panel (genotype files) with the ancestry group of its samples.

    ``population``, when given, is the ancestry group of every input sample; otherwise each
    input sample's group is looked up in ``populations`` (which may list them too).
    """

    paths: tuple[Path, ...]
    populations: Populations
    population: str | None = None


@dataclass(frozen=True, slots=True)
class MatchReport:
    pgs_id: str
    path: str
    build: str
    variants_total: int
    matched: int
    flipped: int
    ambiguous: int
    ambiguous_kept: int
    multiallelic: int
    allele_mismatch: int
    missing: int
    unmapped: int
    duplicate: int
    min_match_rate: float
    status: str  # "scored" | "refused"
    reason: str
    missing_calls: int = 0
    samples_with_missing_calls: int = 0
    reference_variants: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def match_rate(self) -> float:
        return self.matched / self.variants_total if self.variants_total else 0.0


@dataclass(frozen=True, slots=True)
class SampleScore:
    sample: str
    pgs_id: str
    sum: float
    avg: float | None
    variants_matched: int
    variants_total: int
    missing_calls: int
    percentile: float | None = None
    z: float | None = None
    reference_population: str | None = None


@dataclass(frozen=True, slots=True)
class PrsResult:
    samples: tuple[str, ...]
    scores: tuple[SampleScore, ...]
    reports: tuple[MatchReport, ...]
    warnings: tuple[str, ...]
    files: tuple[ScoringFile, ...]
    statuses: tuple[npt.NDArray[np.int8], ...] = field(default=())

    @property
    def all_refused(self) -> bool:
        return all(r.status == "refused" for r in self.reports)


def variant_keys(f: ScoringFile) -> npt.NDArray[np.int64]:
    """One sortable key per variant: ``chromosome code << 32 | position`` (0 unmapped).

    A span of keys (``lo``..``hi``, inclusive) is a genomic region; regions cut between
    distinct keys never separate the records of one position."""
    return (f.chrom.astype(np.int64) << 32) | f.pos.astype(np.int64)


class _Index:
    """Where each scored variant is, as sorted arrays: per chromosome the positions, and for
    each position the (score, variant) entries (no per-variant Python objects).

    ``span`` (inclusive :func:`variant_keys`) keeps only the variants of one region."""

    def __init__(self, files: Sequence[ScoringFile], span: tuple[int, int] | None = None) -> None:
        chrom = np.concatenate([f.chrom for f in files])
        pos = np.concatenate([f.pos for f in files])
        score = np.concatenate([np.full(len(f), s, dtype=np.int32) for s, f in enumerate(files)])
        variant = np.concatenate([np.arange(len(f), dtype=np.int64) for f in files])
        mapped = chrom > 0
        if span is not None:
            key = np.concatenate([variant_keys(f) for f in files])
            mapped &= (key >= span[0]) & (key <= span[1])
        chrom, pos, score, variant = chrom[mapped], pos[mapped], score[mapped], variant[mapped]
        order = np.lexsort((pos, chrom))
        self.score, self.variant = score[order], variant[order]
        chrom, pos = chrom[order], pos[order]
        self.by_chrom: dict[str, tuple[int, npt.NDArray[np.int64]]] = {}
        self.wanted: dict[str, npt.NDArray[np.int64]] = {}
        for code in np.unique(chrom):
            lo, hi = np.searchsorted(chrom, code, "left"), np.searchsorted(chrom, code, "right")
            name = CHROM_NAMES[int(code)]
            self.by_chrom[name] = (int(lo), pos[lo:hi])
            self.wanted[name] = np.unique(pos[lo:hi])

    def at(self, chrom: str, position: int) -> list[tuple[int, int]]:
        found = self.by_chrom.get(chrom)
        if found is None:
            return []
        offset, positions = found
        lo = int(np.searchsorted(positions, position, "left"))
        hi = int(np.searchsorted(positions, position, "right"))
        return [(int(self.score[offset + i]), int(self.variant[offset + i])) for i in range(lo, hi)]


@dataclass
class _Pass:
    status: list[npt.NDArray[np.int8]]
    multiallelic: list[npt.NDArray[np.bool_]]
    palindromic: list[npt.NDArray[np.bool_]]
    totals: BlockScores | None


def _run_pass(
    gfiles: GenotypeFiles,
    files: Sequence[ScoringFile],
    index: _Index,
    opts: PrsOptions,
    *,
    include: Sequence[npt.NDArray[np.bool_]] | None = None,
    extra: Sequence[npt.NDArray[np.bool_]] | None = None,
    genotypes: bool = True,
) -> _Pass:
    k = len(files)
    status = [np.where(f.chrom > 0, MISSING, UNMAPPED).astype(np.int8) for f in files]
    multi = [np.zeros(len(f), dtype=bool) for f in files]
    pal = [np.zeros(len(f), dtype=bool) for f in files]
    builder = None
    if genotypes:
        builder = BlockBuilder(
            len(gfiles.samples),
            2 * k if extra is not None else k,
            haploid_double=opts.haploid_double,
            mean_impute=opts.mean_impute,
        )
    for group in gfiles.groups(index.wanted):
        entries = index.at(group.chrom, group.pos)
        if not entries:
            continue
        records = group.records
        columns: dict[tuple[tuple[int, ...], int, int], dict[int, float]] = {}
        for s, v in entries:
            if include is not None and not include[s][v]:
                continue
            if status[s][v] in (MATCHED, FLIPPED):
                continue  # already scored from an earlier record of another input file
            f = files[s]
            m = match_variant(str(f.effect[v]), f.others(v), records, opts.keep_ambiguous)
            if m.status != "matched":
                status[s][v] = {"ambiguous": AMBIGUOUS, "allele_mismatch": MISMATCH}.get(
                    m.status, DUPLICATE
                )
                continue
            status[s][v] = FLIPPED if m.flipped else MATCHED
            multi[s][v] = m.multiallelic
            pal[s][v] = m.palindromic
            weight = float(f.weight[v])
            weights = columns.setdefault((m.records, m.allele, int(f.effect_type[v])), {})
            weights[s] = weight
            if extra is not None and extra[s][v]:
                weights[k + s] = weight
        if builder is None:
            continue
        for (recs, allele, effect_type), weights in columns.items():
            if len(recs) == 1:
                builder.add(group.encoded(recs[0]), allele, effect_type, weights)
            else:
                builder.add(merged_alleles(group, recs), 1, effect_type, weights)
    if builder is not None:
        builder.flush()
    return _Pass(status, multi, pal, builder.total if builder else None)


@dataclass(frozen=True, slots=True)
class PartialScores:
    """One region's share of a scoring run (no reference panel): per scoring file the
    match outcome of every variant (variants outside the region keep ``missing`` /
    ``unmapped``), and per sample the weighted sums, alleles observed and missing calls.

    Partials of disjoint regions add up to the whole run (:meth:`add`): counts and match
    outcomes exactly, sums up to floating-point summation order (~1e-15 relative); each
    variant's outcome comes from the one region holding its position.
    :func:`finish_scores` then applies the match-rate threshold to the total."""

    samples: tuple[str, ...]
    status: tuple[npt.NDArray[np.int8], ...]
    multiallelic: tuple[npt.NDArray[np.bool_], ...]
    palindromic: tuple[npt.NDArray[np.bool_], ...]
    totals: BlockScores

    def add(self, other: PartialScores) -> PartialScores:
        if other.samples != self.samples or len(other.status) != len(self.status):
            raise ValueError("partials of different samples or scoring files")
        status = []
        for mine, theirs in zip(self.status, other.status, strict=True):
            if mine.shape != theirs.shape:
                raise ValueError("partials of different scoring files")
            overlap = _decided(mine) & _decided(theirs)
            if overlap.any():
                raise ValueError(f"{int(overlap.sum())} variants decided in two regions")
            status.append(np.where(_decided(theirs), theirs, mine))
        return PartialScores(
            self.samples,
            tuple(status),
            tuple(a | b for a, b in zip(self.multiallelic, other.multiallelic, strict=True)),
            tuple(a | b for a, b in zip(self.palindromic, other.palindromic, strict=True)),
            self.totals.add(other.totals),
        )


def _decided(status: npt.NDArray[np.int8]) -> npt.NDArray[np.bool_]:
    """Variants a region looked at and decided (anything but the defaults)."""
    decided: npt.NDArray[np.bool_] = (status != MISSING) & (status != UNMAPPED)
    return decided


def _checked(files: Sequence[ScoringFile], opts: PrsOptions) -> None:
    if not files:
        raise InputError("no scoring files given")
    if not 0 <= opts.min_match_rate <= 1:
        raise InputError(f"min match rate {opts.min_match_rate} must be between 0 and 1")
    ids = [f.pgs_id for f in files]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"scoring files share a pgs_id: {', '.join(dupes)}")


def _target(inputs: Sequence[Path], opts: PrsOptions) -> GenotypeFiles:
    target = GenotypeFiles(inputs, opts.samples)
    if opts.mean_impute and len(target.samples) < MIN_IMPUTE_SAMPLES:
        raise InputError(
            f"mean imputation needs allele frequencies from at least {MIN_IMPUTE_SAMPLES} "
            f"samples; the input has {len(target.samples)}"
        )
    return target


def score_partial(
    inputs: Sequence[Path],
    files: Sequence[ScoringFile],
    opts: PrsOptions | None = None,
    span: tuple[int, int] | None = None,
) -> PartialScores:
    """Score every sample over the variants whose :func:`variant_keys` fall in ``span``
    (inclusive; ``None``: all), reading only that region of the (indexed) genotypes."""
    opts = opts or PrsOptions()
    _checked(files, opts)
    target = _target(inputs, opts)  # mean imputation is per variant: regions are exact
    p = _run_pass(target, files, _Index(files, span), opts)
    assert p.totals is not None
    return PartialScores(
        target.samples, tuple(p.status), tuple(p.multiallelic), tuple(p.palindromic), p.totals
    )


def finish_scores(
    files: Sequence[ScoringFile], partial: PartialScores, opts: PrsOptions | None = None
) -> PrsResult:
    """The result of a whole run from its summed partials: match reports (the refusal
    threshold applied to the total match rate) and the per-sample rows of each score."""
    opts = opts or PrsOptions()
    _checked(files, opts)
    p = _Pass(
        list(partial.status), list(partial.multiallelic), list(partial.palindromic), partial.totals
    )
    return _result(files, p, partial.samples, opts, None, None, None, None)


def score_files(
    inputs: Sequence[Path],
    files: Sequence[ScoringFile],
    opts: PrsOptions | None = None,
    reference: Reference | None = None,
) -> PrsResult:
    """Score every sample of ``inputs`` with every scoring file (see the module text)."""
    opts = opts or PrsOptions()
    _checked(files, opts)
    target = _target(inputs, opts)
    index = _Index(files)
    ref_files: GenotypeFiles | None = None
    in_ref: list[npt.NDArray[np.bool_]] | None = None
    if reference is not None:
        ref_files = GenotypeFiles(reference.paths)
        scan = _run_pass(ref_files, files, index, opts, genotypes=False)
        in_ref = [np.isin(st, (MATCHED, FLIPPED)) for st in scan.status]
    main = _run_pass(target, files, index, opts, extra=in_ref)
    assert main.totals is not None
    k = len(files)
    ref_sums: npt.NDArray[np.float64] | None = None
    if ref_files is not None and in_ref is not None:
        shared = [np.isin(main.status[s], (MATCHED, FLIPPED)) & in_ref[s] for s in range(k)]
        ref_pass = _run_pass(ref_files, files, index, opts, include=shared)
        assert ref_pass.totals is not None
        ref_sums = ref_pass.totals.sums
    return _result(files, main, target.samples, opts, in_ref, ref_sums, ref_files, reference)


def _result(
    files: Sequence[ScoringFile],
    main: _Pass,
    samples: tuple[str, ...],
    opts: PrsOptions,
    in_ref: Sequence[npt.NDArray[np.bool_]] | None,
    ref_sums: npt.NDArray[np.float64] | None,
    ref_files: GenotypeFiles | None,
    reference: Reference | None,
) -> PrsResult:
    assert main.totals is not None
    warnings: list[str] = []
    reports = [_report(f, main, s, opts, in_ref) for s, f in enumerate(files)]
    scores: list[SampleScore] = []
    for s, f in enumerate(files):
        report = reports[s]
        if report.status != "scored":
            continue
        pct = _Percentiles(s, report, main, ref_sums, ref_files, reference, opts, warnings)
        counts = main.totals.allele_counts[:, s]
        for i, sample in enumerate(samples):
            total = float(main.totals.sums[i, s])
            percentile, z, group = pct.of(i, sample)
            scores.append(
                SampleScore(
                    sample=sample,
                    pgs_id=f.pgs_id,
                    sum=total,
                    avg=total / counts[i] if counts[i] > 0 else None,
                    variants_matched=report.matched,
                    variants_total=report.variants_total,
                    missing_calls=int(main.totals.missing[i, s]),
                    percentile=percentile,
                    z=z,
                    reference_population=group,
                )
            )
        warnings.extend(pct.summary())
    for r in reports:
        warnings.extend(f"{r.pgs_id}: {n}" for n in r.notes)
        if r.status == "refused":
            warnings.append(f"{r.pgs_id}: refused — {r.reason}")
    return PrsResult(
        samples=samples,
        scores=tuple(scores),
        reports=tuple(reports),
        warnings=tuple(warnings),
        files=tuple(files),
        statuses=tuple(main.status),
    )


def _report(
    f: ScoringFile,
    p: _Pass,
    s: int,
    opts: PrsOptions,
    in_ref: Sequence[npt.NDArray[np.bool_]] | None,
) -> MatchReport:
    st = p.status[s]
    count = np.bincount(st, minlength=len(STATUS_NAMES))
    used = st == MATCHED
    used |= st == FLIPPED
    matched = int(used.sum())
    total = len(f)
    rate = matched / total
    notes = list(f.notes)
    if count[MISMATCH] and count[MISMATCH] >= 0.2 * max(1, total - count[UNMAPPED]):
        notes.append(
            f"{count[MISMATCH]} variants have other alleles at their position: check that the "
            "genotypes are GRCh38 and on the forward strand"
        )
    if count[DUPLICATE]:
        notes.append(f"{count[DUPLICATE]} variants match more than one record; excluded")
    refused = rate < opts.min_match_rate
    reason = (
        f"match rate {rate:.1%} is below the minimum {opts.min_match_rate:.0%}" if refused else ""
    )
    assert p.totals is not None
    missing = p.totals.missing[:, s]
    return MatchReport(
        pgs_id=f.pgs_id,
        path=str(f.path),
        build=f.build,
        variants_total=total,
        matched=matched,
        flipped=int(count[FLIPPED]),
        ambiguous=int(count[AMBIGUOUS]),
        ambiguous_kept=int((p.palindromic[s] & used).sum()),
        multiallelic=int((p.multiallelic[s] & used).sum()),
        allele_mismatch=int(count[MISMATCH]),
        missing=int(count[MISSING]),
        unmapped=int(count[UNMAPPED]),
        duplicate=int(count[DUPLICATE]),
        min_match_rate=opts.min_match_rate,
        status="refused" if refused else "scored",
        reason=reason,
        missing_calls=int(missing.sum()),
        samples_with_missing_calls=int((missing > 0).sum()),
        reference_variants=int((used & in_ref[s]).sum()) if in_ref is not None else None,
        notes=tuple(notes),
    )


class _Percentiles:
    """Percentiles of one score for every input sample, within its ancestry group."""

    def __init__(
        self,
        s: int,
        report: MatchReport,
        main: _Pass,
        ref_sums: npt.NDArray[np.float64] | None,
        ref_files: GenotypeFiles | None,
        reference: Reference | None,
        opts: PrsOptions,
        warnings: list[str],
    ) -> None:
        self.s = s
        self.report = report
        self.reference = reference
        self.problems: dict[str, int] = {}
        self.usable = False
        self.ref_sums = ref_sums
        assert main.totals is not None
        k = main.totals.sums.shape[1] // 2 if ref_sums is not None else 0
        self.target = main.totals.sums[:, k + s] if ref_sums is not None else None
        self.groups: dict[str, _Group] = {}
        self.ref_index: dict[str, int] = {}
        if reference is None or ref_sums is None or ref_files is None:
            return
        shared = report.reference_variants or 0
        if shared == 0:
            warnings.append(
                f"{report.pgs_id}: the reference panel has none of the {report.matched} "
                "variants used; no percentiles"
            )
            return
        if shared < opts.min_match_rate * report.matched:
            warnings.append(
                f"{report.pgs_id}: the reference panel has only {shared} of the "
                f"{report.matched} variants used (below {opts.min_match_rate:.0%}); "
                "no percentiles"
            )
            return
        if shared < report.matched:
            warnings.append(
                f"{report.pgs_id}: percentiles and z use the {shared} of {report.matched} "
                "variants the reference panel shares"
            )
        self.usable = True
        self.ref_index = {sample: j for j, sample in enumerate(ref_files.samples)}
        groups: dict[str, list[int]] = {}
        for j, sample in enumerate(ref_files.samples):
            group = reference.populations.of(sample)
            if group is not None:
                groups.setdefault(group, []).append(j)
        self.groups = {g: _Group(ref_sums[np.array(v), s], set(v)) for g, v in groups.items()}

    def of(self, i: int, sample: str) -> tuple[float | None, float | None, str | None]:
        if not self.usable or self.reference is None:
            return None, None, None
        assert self.ref_sums is not None and self.target is not None
        group = self.reference.population or self.reference.populations.of(sample)
        if group is None:
            self._problem("population not known")
            return None, None, None
        members = self.groups.get(group)
        if members is None:
            self._problem(f"population {group} not in the reference panel")
            return None, None, None
        j = self.ref_index.get(sample)
        own = float(self.ref_sums[j, self.s]) if j is not None and j in members.rows else None
        if members.n - (own is not None) < MIN_REFERENCE:
            self._problem(f"fewer than {MIN_REFERENCE} reference samples of {group}")
            return None, None, None
        percentile, z = members.place(float(self.target[i]), own)
        return percentile, z, group

    def _problem(self, why: str) -> None:
        self.problems[why] = self.problems.get(why, 0) + 1

    def summary(self) -> list[str]:
        return [
            f"{self.report.pgs_id}: no percentile for {n} sample(s): {why}"
            + (
                " (give --population or list them in the populations table; no default "
                "population is assumed)"
                if why == "population not known"
                else ""
            )
            for why, n in self.problems.items()
        ]


class _Group:
    """One ancestry group's reference scores, sorted, for fast leave-one-out ranks."""

    def __init__(self, values: npt.NDArray[np.float64], rows: set[int]) -> None:
        self.sorted = np.sort(values)
        self.rows = rows
        self.n = len(values)
        self.total = float(values.sum())
        self.squares = float((values * values).sum())

    def place(self, x: float, own: float | None) -> tuple[float, float]:
        """Mid-rank percentile and z of ``x`` among the group, without the patient's own
        reference score ``own`` when the patient is in the panel."""
        below = int(np.searchsorted(self.sorted, x, "left"))
        tied = int(np.searchsorted(self.sorted, x, "right")) - below
        n, total, squares = self.n, self.total, self.squares
        if own is not None:
            if own < x:
                below -= 1
            elif own == x:
                tied -= 1
            n, total, squares = n - 1, total - own, squares - own * own
        mean = total / n
        var = max((squares - n * mean * mean) / (n - 1), 0.0)
        z = (x - mean) / var**0.5 if var > 0 else float("nan")
        return 100.0 * (below + 0.5 * tied) / n, z
