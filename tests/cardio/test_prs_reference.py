"""Ancestry-aware percentiles: the patient's own group, never a default; what the panel lacks."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from tailormed.cardio.prs import (
    PrsOptions,
    Reference,
    read_populations,
    read_scoring_file,
    score_files,
)
from tailormed.cardio.prs.reference import percentile_and_z
from tailormed.errors import InputError


def _tiny(shared: Path) -> tuple[Path, Path, Path]:
    g = shared / "cardio" / "genotypes"
    return (
        g / "tiny1000G.vcf.gz",
        g / "ref.psam",
        shared / "cardio" / "pgs" / "PGS001229_hmPOS_GRCh38_tiny1000G_subset.txt",
    )


def _target_with_extra_sites(
    shared: Path, tmp: Path, from_tiny: int, extra: int
) -> tuple[Path, Path]:
    """A 3-sample target holding ``from_tiny`` scored sites of the 1000 Genomes file and
    ``extra`` scored sites the panel lacks, with a scoring file for exactly those."""
    vcf, _psam, score = _tiny(shared)
    records: dict[tuple[str, str], tuple[str, str]] = {}
    with gzip.open(vcf, "rt") as fh:
        for line in fh:
            if not line.startswith("#"):
                c, p, _i, r, a = line.split("\t")[:5]
                records.setdefault((c, p), (r, a))
    rows, sites = [], []
    for line in score.read_text().splitlines():
        if line.startswith(("#", "chr_name")):
            continue
        c, p, e, o, w, _t = line.split("\t")
        if c == "X" or {e, o} in ({"A", "T"}, {"C", "G"}) or records.get((c, p)) != (o, e):
            continue
        rows.append(f"{c}\t{p}\t{e}\t{o}\t{w}")
        sites.append((c, int(p), o, e))
        if len(rows) == from_tiny:
            break
    for i in range(extra):
        rows.append(f"22\t{10_000 + i}\tG\tA\t0.01")
        sites.append(("22", 10_000 + i, "A", "G"))
    header = "##fileformat=VCFv4.2\n" + '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
    header += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tP1\tP2\tP3\n"
    body = [
        f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n"
        for c, p, r, a in sorted(sites, key=lambda s: (int(s[0]), s[1]))
    ]
    target = tmp / "target.vcf"
    target.write_text(header + "".join(body))
    scoring = tmp / "PGS_T.txt"
    scoring.write_text(
        "#pgs_id=PGS_T\n#genome_build=GRCh38\n"
        "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n"
        + "\n".join(rows)
        + "\n"
    )
    return target, scoring


def test_populations_table(shared: Path, tmp_path: Path) -> None:
    pops = read_populations(_tiny(shared)[1])
    assert pops.column == "SuperPop" and pops.of("HG00096") == "EUR" and len(pops.groups) == 3202
    bad = tmp_path / "p.tsv"
    bad.write_text("IID\tcolour\nA\tred\n")
    with pytest.raises(InputError, match="needs a sample column"):
        read_populations(bad)
    bad.write_text("IID\tSuperPop\nA\tEUR\nA\tAFR\n")
    with pytest.raises(InputError, match="appears twice") as err:
        read_populations(bad)
    assert err.value.line == 3


def test_patient_population_not_in_panel_or_unknown(shared: Path) -> None:
    vcf, psam, score = _tiny(shared)
    ref = Reference((vcf,), read_populations(psam), population="XYZ")
    result = score_files([vcf], [read_scoring_file(score)], PrsOptions(samples=("HG00096",)), ref)
    assert result.scores[0].percentile is None and result.scores[0].reference_population is None
    assert any("population XYZ not in the reference panel" in w for w in result.warnings)


def test_unknown_population_is_never_defaulted(shared: Path, tmp_path: Path) -> None:
    vcf, psam, _score = _tiny(shared)
    target, scoring = _target_with_extra_sites(shared, tmp_path, 40, 0)
    result = score_files(
        [target], [read_scoring_file(scoring)], reference=Reference((vcf,), read_populations(psam))
    )
    assert all(s.percentile is None for s in result.scores)
    assert any("population not known" in w and "no default" in w for w in result.warnings)
    given = score_files(
        [target],
        [read_scoring_file(scoring)],
        reference=Reference((vcf,), read_populations(psam), population="AFR"),
    )
    assert all(s.reference_population == "AFR" and s.percentile is not None for s in given.scores)


def test_reference_lacking_variants(shared: Path, tmp_path: Path) -> None:
    vcf, psam, _ = _tiny(shared)
    ref = Reference((vcf,), read_populations(psam), population="EUR")
    target, scoring = _target_with_extra_sites(shared, tmp_path, 20, 10)
    few = score_files([target], [read_scoring_file(scoring)], reference=ref)
    assert few.reports[0].matched == 30 and few.reports[0].reference_variants == 20
    assert all(s.percentile is None for s in few.scores)
    assert any("only 20 of the 30 variants" in w for w in few.warnings)
    target, scoring = _target_with_extra_sites(shared, tmp_path, 28, 2)
    most = score_files([target], [read_scoring_file(scoring)], reference=ref)
    assert all(s.percentile is not None for s in most.scores)
    assert any("use the 28 of 30 variants" in w for w in most.warnings)
    # percentiles use the shared variants only: the same as scoring just those 28
    shared_only, shared_scoring = _target_with_extra_sites(shared, tmp_path, 28, 0)
    same = score_files([shared_only], [read_scoring_file(shared_scoring)], reference=ref)
    assert [s.percentile for s in most.scores] == pytest.approx([s.percentile for s in same.scores])
    assert [s.sum for s in most.scores] != pytest.approx([s.sum for s in same.scores])


def test_percentile_and_z_definition() -> None:
    ref = np.array([1.0, 2.0, 2.0, 3.0])
    assert percentile_and_z(2.0, ref)[0] == 50.0
    assert percentile_and_z(0.0, ref)[0] == 0.0 and percentile_and_z(9.0, ref)[0] == 100.0
    assert percentile_and_z(3.0, ref)[1] == pytest.approx((3.0 - 2.0) / ref.std(ddof=1))
