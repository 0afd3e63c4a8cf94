"""The scoring engine on a hand-worked synthetic file: sums, allele counts, missing calls,
haploid chrX conventions, the match report and its refusal threshold, indexed reading."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pysam
import pytest

from tailormed.cardio.prs import PrsOptions, read_scoring_file, score_block, score_files
from tailormed.errors import InputError
from tests.cardio import prs_fixtures as fx


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return fx.write_vcf(tmp_path / "g.vcf"), fx.write_score(tmp_path / "PGS_SYN.txt")


def _by_sample(result: object) -> dict[str, object]:
    return {s.sample: s for s in result.scores}  # type: ignore[attr-defined]


def test_hand_worked_sums(files: tuple[Path, Path]) -> None:
    vcf, score = files
    result = score_files([vcf], [read_scoring_file(score)])
    got = _by_sample(result)
    for sample, total, alleles, missing in zip(
        ("F1", "M1", "F2"),
        fx.EXPECTED_SUMS,
        fx.EXPECTED_ALLELES,
        fx.EXPECTED_MISSING,
        strict=True,
    ):
        s = got[sample]
        assert s.sum == pytest.approx(total)  # type: ignore[attr-defined]
        assert s.avg == pytest.approx(total / alleles)  # type: ignore[attr-defined]
        assert s.missing_calls == missing  # type: ignore[attr-defined]
        assert s.variants_matched == 9 and s.variants_total == 12  # type: ignore[attr-defined]
        assert s.percentile is None and s.reference_population is None  # type: ignore[attr-defined]
    r = result.reports[0]
    assert (r.matched, r.flipped, r.ambiguous, r.missing, r.allele_mismatch) == (9, 1, 1, 1, 1)
    assert r.multiallelic == 3  # 1:400 and both split-site variants at 1:500
    assert r.status == "scored" and r.match_rate == 0.75  # exactly at the threshold
    assert (r.missing_calls, r.samples_with_missing_calls) == (3, 3)


def test_plink2_haploid_convention(files: tuple[Path, Path]) -> None:
    vcf, score = files
    result = score_files([vcf], [read_scoring_file(score)], PrsOptions(haploid_double=True))
    got = _by_sample(result)
    for sample, total, alleles in zip(
        ("F1", "M1", "F2"), fx.EXPECTED_SUMS_DOUBLE, fx.EXPECTED_ALLELES_DOUBLE, strict=True
    ):
        assert got[sample].sum == pytest.approx(total)  # type: ignore[attr-defined]
        assert got[sample].avg == pytest.approx(total / alleles)  # type: ignore[attr-defined]


def test_keep_ambiguous(files: tuple[Path, Path]) -> None:
    vcf, score = files
    result = score_files([vcf], [read_scoring_file(score)], PrsOptions(keep_ambiguous=True))
    got = _by_sample(result)
    assert [got[s].sum for s in ("F1", "M1", "F2")] == pytest.approx(fx.EXPECTED_SUMS_KEEP)  # type: ignore[attr-defined]
    r = result.reports[0]
    assert r.matched == 10 and r.ambiguous == 0 and r.ambiguous_kept == 1


def test_below_threshold_is_refused_with_the_reason(files: tuple[Path, Path]) -> None:
    vcf, score = files
    result = score_files([vcf], [read_scoring_file(score)], PrsOptions(min_match_rate=0.76))
    assert result.scores == () and result.all_refused
    assert result.reports[0].status == "refused"
    assert "75.0% is below the minimum 76%" in result.reports[0].reason


def test_indexed_input_reads_by_region_and_agrees(files: tuple[Path, Path], tmp_path: Path) -> None:
    vcf, score = files
    gz = Path(pysam.tabix_index(str(vcf), preset="vcf", force=True, keep_original=True))
    assert Path(str(gz) + ".tbi").exists()
    plain = score_files([vcf], [read_scoring_file(score)])
    indexed = score_files([gz], [read_scoring_file(score)])
    assert [s.sum for s in indexed.scores] == pytest.approx([s.sum for s in plain.scores])


def test_sample_subset_and_order(files: tuple[Path, Path]) -> None:
    vcf, score = files
    result = score_files([vcf], [read_scoring_file(score)], PrsOptions(samples=("F2", "M1")))
    assert [s.sample for s in result.scores] == ["F2", "M1"]
    assert [s.sum for s in result.scores] == pytest.approx([27.0, 13.0])
    with pytest.raises(InputError, match="not in the input: X9"):
        score_files([vcf], [read_scoring_file(score)], PrsOptions(samples=("X9",)))


def test_mean_imputation_needs_enough_samples(files: tuple[Path, Path]) -> None:
    vcf, score = files
    with pytest.raises(InputError, match="at least 50 samples"):
        score_files([vcf], [read_scoring_file(score)], PrsOptions(mean_impute=True))


def test_dominant_and_recessive(tmp_path: Path) -> None:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    score = tmp_path / "d.txt"
    score.write_text(
        fx.SCORE_HEAD.replace("effect_weight\n", "effect_weight\teffect_type\n")
        + "1\t100\tG\tA\t1\tdominant\n1\t700\tA\tG\t10\trecessive\n"
    )
    got = _by_sample(score_files([vcf], [read_scoring_file(score)]))
    # 1:100 G: F1 het -> 1, M1 hom -> 1 (dominant), F2 missing; 1:700 A: only F2 hom counts
    assert [got[s].sum for s in ("F1", "M1", "F2")] == pytest.approx([1.0, 1.0, 10.0])  # type: ignore[attr-defined]


def test_grch37_contigs_are_refused(tmp_path: Path) -> None:
    vcf = fx.write_vcf(tmp_path / "g.vcf")
    vcf.write_text(vcf.read_text().replace("length=248956422", "length=249250621"))
    score = fx.write_score(tmp_path / "s.txt")
    with pytest.raises(InputError, match=r"GRCh37 \(##contig 1 length=249250621\)"):
        score_files([vcf], [read_scoring_file(score)])


def test_bad_genotype_file_is_a_clear_error(tmp_path: Path) -> None:
    score = fx.write_score(tmp_path / "s.txt")
    bad = tmp_path / "bad.vcf"
    bad.write_text("not a vcf\n")
    with pytest.raises(InputError, match="not a VCF"):
        score_files([bad], [read_scoring_file(score)])
    with pytest.raises(InputError, match="does not exist"):
        score_files([tmp_path / "none.vcf"], [read_scoring_file(score)])


def test_score_block_is_a_matrix_product() -> None:
    rng = np.random.default_rng(7)
    dosage = rng.integers(0, 3, size=(5, 40)).astype(float)
    ploidy = np.full((5, 40), 2, dtype=np.int8)
    ploidy[0, :3] = 0
    dosage[0, :3] = 0
    weights = rng.normal(size=(40, 2))
    member = np.ones((40, 2))
    whole = score_block(dosage, ploidy, weights, member)
    halves = score_block(dosage[:, :20], ploidy[:, :20], weights[:20], member[:20]).add(
        score_block(dosage[:, 20:], ploidy[:, 20:], weights[20:], member[20:])
    )
    assert np.allclose(whole.sums, dosage @ weights)
    assert np.allclose(whole.sums, halves.sums)
    assert whole.allele_counts[0, 0] == 74 and whole.missing[0, 0] == 3
