"""Cohort fixtures: the bundled 200-sample example as VCF and as VCF Zarr, one 2-worker
LocalCluster for the session, and helpers to run a cohort and hash its rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tailormed.calling import CallOptions
from tailormed.cohort import CohortOptions, run_cohort
from tailormed.cohort.engine import CohortResult
from tailormed.cohort.tables import rows_hash
from tailormed.pipeline import example_path

# a gene mix with a haploid gene (G6PD), warfarin's three genes, and no-call reasons
GENES = ("CYP2C19", "CYP2C9", "CYP4F2", "VKORC1", "G6PD", "NUDT15", "TPMT", "SLCO1B1", "UGT1A1")


@pytest.fixture(scope="session")
def example_vcf() -> Path:
    return example_path("cohort-1kgp-200.vcf.gz")


@pytest.fixture(scope="session")
def example_populations() -> Path:
    return example_path("cohort-1kgp-200-populations.tsv")


@pytest.fixture(scope="session")
def example_zarr(example_vcf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bio2zarr import vcf

    out = tmp_path_factory.mktemp("zarr") / "example.vcz"
    vcf.convert([str(example_vcf)], str(out), worker_processes=0, show_progress=False)
    return out


@pytest.fixture(scope="session")
def client() -> Iterator[Any]:
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def cohort(inputs: list[Path], out: Path, client: Any = None, **kw: Any) -> CohortResult:
    call = CallOptions(genes=kw.pop("genes", GENES), missing_to_ref=True)
    return run_cohort(CohortOptions(inputs=tuple(inputs), out=out, call=call, **kw), client=client)


def hashes(out: Path) -> tuple[str, str]:
    return (
        rows_hash([out / "calls.parquet"]),
        rows_hash([out / "drugs.parquet"], ("sample", "drug")),
    )
