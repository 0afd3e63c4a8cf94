"""Oracle: plink2 ``--score`` on the same kept variants of PGS001229 and 1000 Genomes genotypes.

The kept variants are worked out here independently of Tailormed's matcher (non-palindromic
scoring-file rows whose two alleles are a record's REF and ALT), given to plink2 by record
ID, and plink2's sums (6 significant digits) compared with ours to a relative 1e-5:
- autosomes: every sample;
- chrX: females equal; males differ by convention — Debian's plink2 counts a haploid allele
  twice, Tailormed once by default (``--haploid two`` reproduces plink2 exactly).
"""

from __future__ import annotations

import csv
import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tailormed.cardio.prs import PrsOptions, read_scoring_file, score_files

PAL = {("A", "T"), ("T", "A"), ("C", "G"), ("G", "C")}


@pytest.fixture(scope="module")
def plink2() -> str:
    exe = shutil.which("plink2")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("plink2 is missing (scripts/system-packages.txt installs it)")
        pytest.skip("plink2 not installed")
    return exe


def _kept(score: Path, vcf: Path) -> list[tuple[str, str, str, float]]:
    """(chrom, record ID chrom:pos:ref:alt, effect allele, weight) of the usable variants."""
    records: dict[tuple[str, int], list[tuple[str, str]]] = {}
    with gzip.open(vcf, "rt") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            chrom, pos, _id, ref, alt = line.split("\t", 5)[:5]
            records.setdefault((chrom, int(pos)), []).append((ref, alt))
    kept = []
    with score.open() as fh:
        rows = csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t")
        for row in rows:
            eff, oth = row["effect_allele"], row["other_allele"]
            if (eff, oth) in PAL:
                continue
            key = (row["chr_name"], int(row["chr_position"]))
            for ref, alt in records.get(key, []):
                if {ref, alt} == {eff, oth}:
                    ident = f"{key[0]}:{key[1]}:{ref}:{alt}"
                    kept.append((key[0], ident, eff, float(row["effect_weight"])))
    return kept


def _plink2(
    exe: str, vcf: Path, sexes: Path, variants: list, out: Path
) -> dict[str, tuple[float, float]]:
    score = out.with_suffix(".score")
    score.write_text("".join(f"{i}\t{a}\t{w!r}\n" for _c, i, a, w in variants))
    subprocess.run(
        [
            exe,
            "--vcf",
            str(vcf),
            "--set-all-var-ids",
            "@:#:$r:$a",
            "--update-sex",
            str(sexes),
            "--score",
            str(score),
            "1",
            "2",
            "3",
            "cols=+scoresums",
            "no-mean-imputation",
            "--threads",
            "1",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    result = {}
    with out.with_suffix(".sscore").open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            result[row["#IID"]] = (float(row["SCORE1_SUM"]), float(row["SCORE1_AVG"]))
    return result


@pytest.fixture(scope="module")
def oracle(plink2: str, shared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    data = shared / "cardio"
    vcf = data / "genotypes" / "tiny1000G.vcf.gz"
    score = data / "pgs" / "PGS001229_hmPOS_GRCh38_tiny1000G_subset.txt"
    tmp = tmp_path_factory.mktemp("plink2")
    sexes = tmp / "sex.txt"
    sex = {}
    lines = ["#IID\tSEX"]
    for row in csv.DictReader((data / "genotypes" / "ref.psam").open(), delimiter="\t"):
        sex[row["#IID"]] = row["SEX"]
        lines.append(f"{row['#IID']}\t{row['SEX']}")
    sexes.write_text("\n".join(lines) + "\n")
    kept = _kept(score, vcf)
    auto = [k for k in kept if k[0] != "X"]
    chrx = [k for k in kept if k[0] == "X"]
    auto_file = tmp / "PGS001229_auto.txt"
    with score.open() as fh:
        text = [ln for ln in fh if ln.startswith("#") or ln.startswith("chr_name")]
    with score.open() as fh:
        body = [ln for ln in fh if ln[0] != "#" and not ln.startswith("chr_name")]
    auto_file.write_text("".join(text) + "".join(ln for ln in body if not ln.startswith("X\t")))
    return {
        "vcf": vcf,
        "score": score,
        "auto_score": auto_file,
        "kept": kept,
        "sex": sex,
        "all": _plink2(plink2, vcf, sexes, kept, tmp / "all"),
        "auto": _plink2(plink2, vcf, sexes, auto, tmp / "auto"),
        "x": _plink2(plink2, vcf, sexes, chrx, tmp / "x"),
    }


def _rel(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-5 * max(abs(a), abs(b)) + 1e-12


def test_autosomes_equal_plink2_for_every_sample(oracle: dict) -> None:
    result = score_files([oracle["vcf"]], [read_scoring_file(oracle["auto_score"])])
    assert len(result.scores) == 3202
    n_auto = sum(1 for k in oracle["kept"] if k[0] != "X")
    for s in result.scores:
        total, avg = oracle["auto"][s.sample]
        assert s.variants_matched == n_auto
        assert _rel(s.sum, total), (s.sample, s.sum, total)
        assert s.avg is not None and _rel(s.avg, avg), (s.sample, s.avg, avg)


def test_chrx_females_equal_males_one_allele(oracle: dict) -> None:
    result = score_files([oracle["vcf"]], [read_scoring_file(oracle["score"])])
    assert result.reports[0].matched == len(oracle["kept"]) == 917
    males = 0
    for s in result.scores:
        total, _ = oracle["all"][s.sample]
        if oracle["sex"][s.sample] == "2":
            assert _rel(s.sum, total), s.sample
        else:
            males += 1
            x_plink2, _ = oracle["x"][s.sample]
            assert abs(s.sum - (total - x_plink2 / 2)) <= 1e-5 * abs(total) + 1e-6, s.sample
    assert males == 1599


def test_chrx_haploid_two_reproduces_plink2(oracle: dict) -> None:
    result = score_files(
        [oracle["vcf"]], [read_scoring_file(oracle["score"])], PrsOptions(haploid_double=True)
    )
    for s in result.scores:
        total, avg = oracle["all"][s.sample]
        assert _rel(s.sum, total), s.sample
        assert s.avg is not None and _rel(s.avg, avg), s.sample


def test_percentiles_within_superpopulation_from_plink2_sums(oracle: dict, shared: Path) -> None:
    """Each sample's percentile is its mid-rank among the other samples of its
    super-population, computed here from plink2's sums (same variants, plink2's haploid
    convention on both sides)."""
    from tailormed.cardio.prs import Reference, read_populations

    pops = read_populations(shared / "cardio" / "genotypes" / "ref.psam")
    result = score_files(
        [oracle["vcf"]],
        [read_scoring_file(oracle["score"])],
        PrsOptions(haploid_double=True, samples=("HG00096", "NA19238", "HG03642")),
        Reference((oracle["vcf"],), pops),
    )
    plink = {sample: total for sample, (total, _) in oracle["all"].items()}
    for s in result.scores:
        group = pops.of(s.sample)
        others = [v for k, v in plink.items() if k != s.sample and pops.of(k) == group]
        x = plink[s.sample]
        expected = 100 * (sum(v < x for v in others) + 0.5 * sum(v == x for v in others))
        expected /= len(others)
        assert s.reference_population == group
        assert s.percentile is not None and abs(s.percentile - expected) < 0.5 / len(others) * 100
