"""Slow: a real `dask scheduler` + two `dask worker` processes through --scheduler, a
worker killed mid-run, the driver killed mid-run and resumed, 1 vs 2 workers, and the
bundled example against the full panel. Every process started here is killed here."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.cohort import CohortOptions, run_cohort
from tailormed.knowledge import KnowledgeBase

from .conftest import hashes

pytestmark = pytest.mark.slow
GENES = "CYP2C19,CYP2C9,VKORC1,G6PD,NUDT15,TPMT,SLCO1B1,UGT1A1,CYP3A5,RYR1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: it and its children are killed together
    )


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the group this test created for it
    proc.wait(timeout=30)


def _cli(args: list[str]) -> list[str]:
    return ["-c", "from tailormed.cli.main import app; app()", "cohort", *args]


def _done_parts(out: Path) -> int:
    return len(list((out / "parts").glob("*.done"))) if (out / "parts").exists() else 0


def _wait_for_parts(out: Path, proc: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 300
    while _done_parts(out) < at_least:
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline
        time.sleep(0.2)


@pytest.fixture
def reference(tmp_path_factory: pytest.TempPathFactory, example_vcf: Path) -> tuple[str, str]:
    """An uninterrupted run on a 1-worker LocalCluster."""
    out = tmp_path_factory.mktemp("reference")
    run_cohort(
        CohortOptions(
            inputs=(example_vcf,),
            out=out,
            workers=1,
            call=CallOptions(genes=tuple(GENES.split(",")), missing_to_ref=True),
        )
    )
    return hashes(out)


@pytest.fixture
def dask_cluster() -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        _start(
            [
                "-m",
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-dashboard",
            ]
        )
    ]
    try:
        for _ in range(2):
            procs.append(
                _start(
                    [
                        "-m",
                        "distributed.cli.dask_worker",
                        address,
                        "--nthreads",
                        "1",
                        "--nworkers",
                        "1",
                        "--host",
                        "127.0.0.1",
                        "--no-dashboard",
                    ]
                )
            )
        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=120)
        yield address, procs
    finally:
        for p in reversed(procs):
            _kill(p)


def test_real_scheduler_and_a_killed_worker(
    tmp_path: Path,
    example_vcf: Path,
    reference: tuple[str, str],
    dask_cluster: tuple[str, list[subprocess.Popen[bytes]]],
) -> None:
    address, procs = dask_cluster
    common = [str(example_vcf), "--missing-to-ref", "--genes", GENES, "--scheduler", address]
    done = subprocess.run(
        [sys.executable, *_cli([*common, "--out", str(tmp_path / "a")])],
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert hashes(tmp_path / "a") == reference
    # a second run in small blocks; one worker is killed once some blocks are done
    driver = _start(_cli([*common, "--out", str(tmp_path / "b"), "--block-size", "10"]))
    try:
        _wait_for_parts(tmp_path / "b", driver, 2)
        assert _done_parts(tmp_path / "b") < 20
        _kill(procs[2])
        assert driver.wait(timeout=600) == 0
    finally:
        _kill(driver)
    assert hashes(tmp_path / "b") == reference


def test_driver_killed_mid_run_resumes_to_the_same_rows(
    tmp_path: Path, example_vcf: Path, reference: tuple[str, str]
) -> None:
    args = [
        str(example_vcf),
        "--out",
        str(tmp_path),
        "--missing-to-ref",
        "--genes",
        GENES,
        "--workers",
        "2",
        "--block-size",
        "10",
    ]
    driver = _start(_cli(args))
    try:
        _wait_for_parts(tmp_path, driver, 3)
        os.kill(driver.pid, signal.SIGKILL)  # the driver, by its PID
        driver.wait(timeout=30)
    finally:
        _kill(driver)  # and the local cluster it started (its process group)
    finished = _done_parts(tmp_path)
    assert 3 <= finished < 20 and not (tmp_path / "calls.parquet").exists()
    done = subprocess.run([sys.executable, *_cli(args)], capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "reused from an earlier run" in " ".join(done.stdout.decode().split())
    assert hashes(tmp_path) == reference


def test_bundled_example_calls_equal_the_full_panel(kb: KnowledgeBase, shared: Path) -> None:
    """The example keeps only the records the caller reads: same calls as the panel."""
    from tailormed.pipeline import example_path

    example = example_path("cohort-1kgp-200.vcf.gz")
    small = call_files([example], kb, CallOptions(missing_to_ref=True))
    panel = sorted((shared / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    full = call_files(panel, kb, CallOptions(missing_to_ref=True, samples=small.samples))
    assert len(small.samples) == 200
    for key, call in small.calls.items():
        other = full.calls[key]
        # the panel's header states no build (a warning); the example's states GRCh38
        warnings = tuple(w for w in other.warnings if not w.startswith("genome build not stated"))
        assert (call.diplotypes, call.missing_positions, call.phased, call.warnings) == (
            other.diplotypes,
            other.missing_positions,
            other.phased,
            warnings,
        ), key
