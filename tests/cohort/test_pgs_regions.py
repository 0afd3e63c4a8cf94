"""PGS scoring by variant regions: partials of any region plan add up to the whole run,
and a position (a split multiallelic site, a palindromic variant) is never in two regions."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pysam
import pytest

from tailormed.cardio.prs import (
    PrsOptions,
    PrsResult,
    finish_scores,
    read_scoring_file,
    score_files,
    score_partial,
    variant_keys,
)
from tailormed.cohort.engine import pgs_regions
from tests.cardio import prs_fixtures as fx


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    gz = Path(pysam.tabix_index(str(vcf), preset="vcf", force=True, keep_original=True))
    return gz, fx.write_score(tmp_path / "PGS_SYN.txt")


def _regional(
    gz: Path, score: Path, size: int, opts: PrsOptions | None = None
) -> tuple[PrsResult, list[tuple[int, int]]]:
    files = [read_scoring_file(score)]
    regions = pgs_regions(files, size)
    partials = [score_partial([gz], files, opts, span) for span in regions]
    total = partials[0]
    for p in partials[1:]:
        total = total.add(p)
    return finish_scores(files, total, opts), regions


@pytest.mark.parametrize("size", [1, 2, 3, 5, 100])
def test_any_region_plan_gives_the_hand_worked_scores(
    indexed: tuple[Path, Path], size: int
) -> None:
    gz, score = indexed
    whole = score_files([gz], [read_scoring_file(score)])
    result, regions = _regional(gz, score, size)
    if size == 100:
        assert len(regions) == 1
    if size == 1:
        # one region per distinct position: 1:100 (two rows), 200, 300, 400, 500 (two
        # rows: a site split over two records), 600, 700, 800, X:1000, X:2000
        assert len(regions) == 10
    got = [(s.sample, s.sum, s.avg, s.missing_calls) for s in result.scores]
    want = [(s.sample, s.sum, s.avg, s.missing_calls) for s in whole.scores]
    assert [g[0] for g in got] == [w[0] for w in want]
    assert [g[1] for g in got] == pytest.approx(fx.EXPECTED_SUMS)
    assert [g[1] for g in got] == pytest.approx([w[1] for w in want], rel=1e-12)
    assert [g[2] for g in got] == pytest.approx([w[2] for w in want], rel=1e-12)
    assert [g[3] for g in got] == [w[3] for w in want] == list(fx.EXPECTED_MISSING)
    assert result.reports == whole.reports
    report = whole.reports[0]
    assert (report.ambiguous, report.multiallelic) == (1, 3)  # 1:300; 1:400 and both at 1:500


def test_palindromic_kept_across_regions(indexed: tuple[Path, Path]) -> None:
    gz, score = indexed
    opts = PrsOptions(keep_ambiguous=True)
    result, _ = _regional(gz, score, 1, opts)
    assert [s.sum for s in result.scores] == pytest.approx(fx.EXPECTED_SUMS_KEEP)
    assert result.reports[0].ambiguous_kept == 1


def test_regions_cut_only_between_distinct_positions(indexed: tuple[Path, Path]) -> None:
    _, score = indexed
    files = [read_scoring_file(score)]
    keys = variant_keys(files[0])
    for size in (1, 2, 3, 4, 7):
        regions = pgs_regions(files, size)
        owners = [[r for r, (lo, hi) in enumerate(regions) if lo <= k <= hi] for k in keys]
        assert all(len(o) == 1 for o in owners)  # every variant in exactly one region
        spans = np.array(regions)
        assert (spans[1:, 0] > spans[:-1, 1]).all()  # disjoint, in genome order
        # the two rows at 1:500 (a split multiallelic site) share a region
        at500 = [o[0] for o, k in zip(owners, keys, strict=True) if k == (1 << 32 | 500)]
        assert len(at500) == 2 and at500[0] == at500[1]


def test_a_variant_decided_twice_is_refused(indexed: tuple[Path, Path]) -> None:
    gz, score = indexed
    files = [read_scoring_file(score)]
    p = score_partial([gz], files)
    with pytest.raises(ValueError, match="decided in two regions"):
        p.add(p)  # adding one region twice would double count its variants


def test_cohort_restart_reuses_region_parts(
    indexed: tuple[Path, Path], tmp_path: Path, client: Any
) -> None:
    import pyarrow.parquet as pq

    from tailormed.calling import CallOptions
    from tailormed.cohort import CohortOptions, run_cohort

    gz, score = indexed
    options = CohortOptions(
        inputs=(gz,),
        out=tmp_path / "cohort",
        call=CallOptions(genes=("CYP2C19",)),
        pgs=(score,),
        pgs_region_variants=3,
    )
    first = run_cohort(options, client=client)
    parts = sorted((tmp_path / "cohort" / "parts").glob("pgs-r*.npz"))
    assert len(parts) == 4  # 12 variants at 10 positions, 3 a region, 1:500 kept whole
    rows = pq.read_table(tmp_path / "cohort" / "scores.parquet").to_pylist()
    assert [r["sum"] for r in rows] == pytest.approx(fx.EXPECTED_SUMS)
    parts[1].unlink()  # an interrupted run: one region missing
    again = run_cohort(options, client=client)
    assert again.reused == first.partitions - 1
    assert pq.read_table(tmp_path / "cohort" / "scores.parquet").to_pylist() == rows
    # another region size is another plan: no part of the old one is reused
    other = run_cohort(replace(options, pgs_region_variants=100), client=client)
    assert other.reused == 0
    assert len(list((tmp_path / "cohort" / "parts").glob("pgs-r*.npz"))) == 1
    got = pq.read_table(tmp_path / "cohort" / "scores.parquet").to_pylist()
    assert [r["sum"] for r in got] == pytest.approx([r["sum"] for r in rows], rel=1e-12)
