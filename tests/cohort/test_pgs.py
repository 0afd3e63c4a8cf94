"""--pgs: polygenic scores through the cohort's variant-region partitions equal `tailormed prs`."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tailormed.calling import CallOptions
from tailormed.cli.main import app
from tailormed.cohort import CohortOptions, run_cohort


def test_scores_parquet_equals_tailormed_prs(tmp_path: Path, client: Any, shared: Path) -> None:
    import shutil

    import cyvcf2
    import pysam

    genotypes = tmp_path / "tiny1000G.vcf.gz"  # an indexed copy: read by variant regions
    shutil.copy(shared / "cardio" / "genotypes" / "tiny1000G.vcf.gz", genotypes)
    pysam.tabix_index(str(genotypes), preset="vcf", force=True)
    score = shared / "cardio" / "pgs" / "PGS001229_hmPOS_GRCh38_tiny1000G_subset.txt"

    samples = tuple(cyvcf2.VCF(str(genotypes)).samples[:120])
    run_cohort(
        CohortOptions(
            inputs=(genotypes,),
            out=tmp_path / "cohort",
            call=CallOptions(genes=("CYP2C19",), samples=samples),
            pgs=(score,),
            block_size=50,  # three sample blocks
            pgs_region_variants=300,  # four variant regions (984 variants)
        ),
        client=client,
    )
    assert len(list((tmp_path / "cohort" / "parts").glob("pgs-r*.npz"))) == 4
    done = CliRunner().invoke(
        app,
        [
            "prs",
            str(genotypes),
            "--pgs",
            str(score),
            "--out",
            str(tmp_path / "prs"),
            "--samples",
            ",".join(samples),
        ],
    )
    assert done.exit_code == 0, done.output
    with (tmp_path / "prs" / "scores.tsv").open() as fh:
        want = list(csv.DictReader(fh, delimiter="\t"))
    got = pq.read_table(tmp_path / "cohort" / "scores.parquet").to_pylist()
    assert len(got) == len(want) == 120
    for g, w in zip(got, want, strict=True):
        assert (g["sample"], g["pgs_id"]) == (w["sample"], w["pgs_id"])
        assert g["sum"] == pytest.approx(float(w["sum"]), rel=1e-9, abs=1e-12)
        assert g["avg"] == pytest.approx(float(w["avg"]), rel=1e-9, abs=1e-12)
        assert (g["variants_matched"], g["variants_total"]) == (
            int(w["variants_matched"]),
            int(w["variants_total"]),
        )
    assert len({g["sum"] for g in got}) > 10  # real scores, not one value
