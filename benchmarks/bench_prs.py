"""Benchmark: polygenic-score throughput beside plink2 ``--score`` on the same data, same run.

    .venv/bin/python benchmarks/bench_prs.py [--variants 100000] [--samples 10000] [--keep DIR]
        [--dask] [--blocks 4]

Generates a synthetic cohort in a temporary folder (never in the repository): random phased
biallelic genotypes for ``--samples`` samples at ``--variants`` SNVs, written as bgzipped
VCF and as BCF, and a PGS Catalog scoring file weighting every variant. Then, for each
format, times ``tailormed`` scoring (in a child process, one core) and ``plink2 --score
... --threads 1`` on the same file, checks that the sums agree, and prints throughput in
variants x samples per CPU-second, the ratio to plink2, and peak memory. Memory must stay
flat: the script also scores a quarter of the variants and compares peak RSS.

Then the cohort engine on the BCF (``--dask`` runs this part alone): ``tailormed cohort
BCF --pgs FILE --block-size B`` (B gives ``--blocks`` sample blocks for the PGx calls; the
scores are partitioned by variant regions of 5,000 scoring-file variants) in a child process,
attached with ``--scheduler`` to a local Dask cluster of 1 and then 2 single-threaded
worker processes that this script starts, so it can read each worker's CPU time and peak
RSS. It prints wall and summed worker CPU per run, genotypes/s, the speed-up of 2 workers
over 1, the ratio of the 1-worker run's CPU to plain ``tailormed prs`` on the same file
(the engine's overhead) and the load average, and checks that ``scores.parquet`` holds
the sums of ``tailormed prs``'s ``scores.tsv`` (relative 1e-9) for every sample.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def generate(folder: Path, n_variants: int, n_samples: int, seed: int = 11) -> dict[str, Path]:
    """Write ``cohort.vcf.gz``, ``cohort.bcf`` and ``PGS_BENCH.txt`` into ``folder``."""
    import pysam

    rng = np.random.default_rng(seed)
    vcf_gz = folder / "cohort.vcf.gz"
    header = (
        "##fileformat=VCFv4.2\n##contig=<ID=1,length=248956422>\n"
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t"
        + "\t".join(f"S{i}" for i in range(n_samples))
        + "\n"
    )
    table = np.array([b"0|0\t", b"0|1\t", b"1|0\t", b"1|1\t"])
    pairs = [("A", "G"), ("C", "T"), ("G", "A"), ("T", "C")]
    weights = rng.normal(0, 0.05, n_variants)
    score_lines = []
    with pysam.BGZFile(str(vcf_gz), "wb1") as out:  # type: ignore[call-arg]  # fast compression: generation only
        out.write(header.encode())
        for j in range(n_variants):
            pos = 10_000 + 25 * j
            ref, alt = pairs[j % 4]
            p = rng.uniform(0.05, 0.5)
            codes = (rng.random(n_samples) < p).astype(np.int8) + 2 * (rng.random(n_samples) < p)
            row = bytearray(table[codes].tobytes())
            row[-1] = 10  # newline instead of the last tab
            out.write(f"1\t{pos}\tv{j}\t{ref}\t{alt}\t.\t.\t.\tGT\t".encode() + bytes(row))
            effect = alt if j % 2 else ref
            other = ref if j % 2 else alt
            score_lines.append(f"1\t{pos}\tv{j}\t{effect}\t{other}\t{float(weights[j])!r}\n")
    score = folder / "PGS_BENCH.txt"
    score.write_text(
        "#format_version=2.0\n#pgs_id=PGS_BENCH\n#genome_build=GRCh38\n"
        "chr_name\tchr_position\trsID\teffect_allele\tother_allele\teffect_weight\n"
        + "".join(score_lines)
    )
    bcf = folder / "cohort.bcf"
    with (
        pysam.VariantFile(str(vcf_gz)) as src,
        pysam.VariantFile(str(bcf), "wb1", header=src.header) as dst,
    ):
        for rec in src:
            dst.write(rec)
    return {"vcf": vcf_gz, "bcf": bcf, "score": score}


def _quarter(score: Path, folder: Path) -> Path:
    lines = score.read_text().splitlines(keepends=True)
    head = [ln for ln in lines if ln.startswith(("#", "chr_name"))]
    body = [ln for ln in lines if not ln.startswith(("#", "chr_name"))]
    out = folder / "PGS_QUARTER.txt"
    out.write_text("".join(head + body[: len(body) // 4]).replace("PGS_BENCH", "PGS_QUARTER"))
    return out


def worker(genotypes: str, score: str) -> None:
    """Child process: score and print timing, memory and a few sums as JSON."""
    from tailormed.cardio.prs import read_scoring_file, score_files

    start = time.perf_counter()
    cpu0 = time.process_time()
    result = score_files([Path(genotypes)], [read_scoring_file(Path(score))])
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    sums = {s.sample: s.sum for s in result.scores[:50]}
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "rss_mb": rss, "sums": sums,
                      "matched": result.reports[0].matched}))  # fmt: skip


def floor(genotypes: str) -> None:
    """Child process: the raw floor — read every record and its GT with cyvcf2, nothing else."""
    import cyvcf2

    cpu0 = time.process_time()
    for rec in cyvcf2.VCF(genotypes, lazy=True, threads=1):
        rec.format("GT", int)
    print(json.dumps({"cpu": time.process_time() - cpu0}))


def run_floor(genotypes: Path) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--floor", str(genotypes)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(json.loads(out.stdout.strip().splitlines()[-1])["cpu"])


def run_tailormed(genotypes: Path, score: Path) -> dict[str, Any]:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run(
        [sys.executable, __file__, "--worker", str(genotypes), str(score)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    data: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def run_plink2(genotypes: Path, score: Path, folder: Path) -> dict[str, Any]:
    exe = shutil.which("plink2")
    if exe is None:
        sys.exit("plink2 is not installed (scripts/system-packages.txt installs it)")
    ids = folder / "plink2.score"
    with score.open() as fh, ids.open("w") as out:
        for line in fh:
            if line.startswith(("#", "chr_name")):
                continue
            cells = line.rstrip("\n").split("\t")
            out.write(f"{cells[2]}\t{cells[3]}\t{cells[5]}\n")
    flag = "--bcf" if genotypes.suffix == ".bcf" else "--vcf"
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [*timer, exe, flag, str(genotypes), "--score", str(ids), "1", "2", "3",
         "cols=+scoresums", "no-mean-imputation", "--threads", "1", "--memory", "4000",
         "--out", str(folder / "p2")],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = float(done.stderr.strip().splitlines()[-1]) / 1024 if timer else float("nan")
    sums = {}
    with (folder / "p2.sscore").open() as fh:
        next(fh)
        for line in fh:
            cells = line.split()
            sums[cells[0]] = float(cells[-1])
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "sums": sums}


SINGLE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
CLI = "from tailormed.cli.main import app; app()"


def _worker_usage() -> dict[str, float]:
    """Run on a Dask worker: its CPU seconds so far and its peak RSS (MB)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def _child(args: list[str]) -> tuple[float, float]:
    """Run ``tailormed ARGS`` in a child process (one BLAS thread); wall and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", CLI, *args],
        check=True,
        capture_output=True,
        text=True,
        env=dict(os.environ, **SINGLE_THREAD),
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _index(bcf: Path) -> None:
    """The cohort engine reads indexed inputs: write ``.csi`` beside the BCF once."""
    from pysam import bcftools

    if not Path(str(bcf) + ".csi").exists():
        bcftools.index(str(bcf))


def run_cohort_cli(
    bcf: Path, score: Path | None, out: Path, workers: int, block: int
) -> dict[str, Any]:
    """``tailormed cohort BCF [--pgs SCORE]`` on a fresh local cluster of ``workers`` processes
    (without a score: the pharmacogenomic calls alone, which every cohort run makes)."""
    from distributed import Client, LocalCluster

    os.environ.update(SINGLE_THREAD)  # inherited by the worker processes
    shutil.rmtree(out, ignore_errors=True)
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address="127.0.0.1:0",
        host="127.0.0.1",
    )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        before = client.run(_worker_usage)
        load = os.getloadavg()[0]
        cpu0 = time.process_time()  # the scheduler runs in this process
        pgs = ["--pgs", str(score)] if score is not None else []
        wall, driver = _child(
            ["cohort", str(bcf), *pgs, "--out", str(out),
             "--scheduler", str(cluster.scheduler_address), "--block-size", str(block)]
        )  # fmt: skip
        scheduler = time.process_time() - cpu0
        after = client.run(_worker_usage)
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()
    return {
        "wall": wall,
        "cpu": sum(after[w]["cpu"] - before[w]["cpu"] for w in after),
        "per_worker_cpu": [after[w]["cpu"] - before[w]["cpu"] for w in after],
        "rss_mb": [after[w]["rss_mb"] for w in after],
        "driver_cpu": driver,
        "scheduler_cpu": scheduler,
        "load": (load, os.getloadavg()[0]),
    }


def _tsv_sums(path: Path) -> dict[str, float]:
    with path.open() as fh:
        head = next(fh).rstrip("\n").split("\t")
        i, j = head.index("sample"), head.index("sum")
        return {cells[i]: float(cells[j]) for cells in (ln.rstrip("\n").split("\t") for ln in fh)}


def _parquet_sums(path: Path) -> dict[str, float]:
    import pyarrow.parquet as pq

    table = pq.read_table(path, columns=["sample", "sum"]).to_pydict()
    return dict(zip(table["sample"], table["sum"], strict=True))


def _worst(ours: dict[str, float], oracle: dict[str, float]) -> float:
    """Largest relative difference; every oracle sample must be there, and no other."""
    if set(ours) != set(oracle):
        sys.exit(f"scores.parquet holds {len(ours):,} samples, scores.tsv {len(oracle):,}")
    return max(abs(ours[k] - v) / max(abs(v), 1e-12) for k, v in oracle.items())


def cohort_scaling(data: dict[str, Path], work: Path, n_variants: int, blocks: int) -> None:
    """The cohort engine (Dask) with 1 and 2 workers beside plain ``tailormed prs``."""
    bcf, score = data["bcf"], data["score"]
    _index(bcf)
    prs_wall, prs_cpu = _child(["prs", str(bcf), "--pgs", str(score), "--out", str(work / "prs")])
    oracle = _tsv_sums(work / "prs" / "scores.tsv")
    n_samples = len(oracle)
    block = -(-n_samples // blocks)
    cells = n_variants * n_samples
    print(f"\n[cohort engine, bcf] {cells:,} genotypes ({n_variants:,} variants x "
          f"{n_samples:,} samples), block size {block:,} = "
          f"{-(-n_samples // block)} blocks")  # fmt: skip
    print(f"  tailormed prs (CLI, one process): {prs_wall:.1f} s wall, {prs_cpu:.1f} s CPU "
          f"= {cells / prs_cpu / 1e6:.1f} M genotypes / CPU-s")  # fmt: skip
    runs: dict[int, dict[str, Any]] = {}
    for workers in (1, 2):
        r = run_cohort_cli(bcf, score, work / f"cohort-{workers}", workers, block)
        runs[workers] = r
        worst = _worst(_parquet_sums(work / f"cohort-{workers}" / "scores.parquet"), oracle)
        print(f"  {workers} worker(s): {r['wall']:.1f} s wall ({cells / r['wall'] / 1e6:.1f} M "
              f"genotypes/s), worker CPU {r['cpu']:.1f} s "
              f"({' + '.join(f'{c:.1f}' for c in r['per_worker_cpu'])}; "
              f"{cells / r['cpu'] / 1e6:.1f} M genotypes / CPU-s), CLI driver CPU "
              f"{r['driver_cpu']:.1f} s, scheduler CPU {r['scheduler_cpu']:.1f} s, "
              f"peak RSS per worker {', '.join(f'{m:.0f}' for m in r['rss_mb'])} MB, "
              f"load average {r['load'][0]:.1f} -> {r['load'][1]:.1f}")  # fmt: skip
        print(f"    scores.parquet vs prs scores.tsv, {n_samples:,} samples: worst relative "
              f"difference {worst:.1e} ({'ok' if worst <= 1e-9 else 'FAIL'} at 1e-9)")  # fmt: skip
        if worst > 1e-9:
            sys.exit("the cohort engine's scores differ from tailormed prs")
    one, two = runs[1], runs[2]
    print(f"  speed-up 2 vs 1 workers: {one['wall'] / two['wall']:.2f}x wall; CPU 2 / 1 "
          f"workers {two['cpu'] / one['cpu']:.2f}x (1.00 = no extra work per worker)")  # fmt: skip
    print(f"  engine overhead: 1-worker CPU / tailormed prs CPU = {one['cpu'] / prs_cpu:.2f}x")
    for workers in (1, 2):
        calls = run_cohort_cli(bcf, None, work / f"cohort-calls-{workers}", workers, block)
        share = runs[workers]["cpu"] - calls["cpu"]
        print(f"  of which: the same run without --pgs (PGx calls only, {workers} worker(s)) "
              f"{calls['wall']:.1f} s wall, worker CPU {calls['cpu']:.1f} s "
              f"({' + '.join(f'{c:.1f}' for c in calls['per_worker_cpu'])}), peak RSS "
              f"{', '.join(f'{m:.0f}' for m in calls['rss_mb'])} MB, load average "
              f"{calls['load'][0]:.1f} -> {calls['load'][1]:.1f}; scoring share "
              f"{share:.1f} s CPU = {share / prs_cpu:.2f}x tailormed prs (variant regions of "
              f"5,000, each read once for every sample)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument(
        "--keep", type=Path, help="keep the generated data in this folder (reused if there)"
    )
    parser.add_argument(
        "--dask", action="store_true", help="only the cohort engine's Dask scaling (BCF)"
    )
    parser.add_argument("--blocks", type=int, default=4, help="sample blocks (cohort engine)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--floor", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    if args.floor:
        floor(args.floor)
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="tailormed-bench-prs-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        reuse = {
            "vcf": work / "cohort.vcf.gz",
            "bcf": work / "cohort.bcf",
            "score": work / "PGS_BENCH.txt",
        }
        if args.keep and all(p.exists() for p in reuse.values()):
            data = reuse  # generated by an earlier run with --keep (same sizes assumed)
            print(f"reusing the data in {work}")
        else:
            data = generate(work, args.variants, args.samples)
            print(f"generated {args.variants:,} variants x {args.samples:,} samples in "
                  f"{time.perf_counter() - t0:.0f} s ({work})")  # fmt: skip
        if args.dask:
            cohort_scaling(data, work, args.variants, args.blocks)
            return
        cells = args.variants * args.samples
        for fmt in ("bcf", "vcf"):
            raw = run_floor(data[fmt])
            ours = run_tailormed(data[fmt], data["score"])
            theirs = run_plink2(data[fmt], data["score"], work)
            worst = max(
                abs(float(v) - theirs["sums"][k]) / max(abs(theirs["sums"][k]), 1e-9)
                for k, v in ours["sums"].items()
            )
            ratio = float(ours["cpu"]) / float(theirs["cpu"])
            print(f"\n[{fmt}] {cells:,} genotypes")
            print(f"  tailormed: {ours['wall']:.1f} s wall, {ours['cpu']:.1f} s CPU, "
                  f"{cells / float(ours['cpu']):,.0f} variants x samples / CPU-s, "
                  f"peak RSS {ours['rss_mb']:.0f} MB, matched {ours['matched']:,}")  # fmt: skip
            print(f"  plink2 --threads 1: {theirs['wall']:.1f} s wall, {theirs['cpu']:.1f} s CPU, "
                  f"{cells / float(theirs['cpu']):,.0f} variants x samples / CPU-s, "
                  f"peak RSS {theirs['rss_mb']:.0f} MB")  # fmt: skip
            print(f"  raw floor (cyvcf2 reads every record's GT, nothing else): {raw:.1f} s CPU")
            print(
                f"  ratio tailormed / plink2 (CPU): {ratio:.2f}x; tailormed / raw floor: "
                f"{float(ours['cpu']) / raw:.2f}x; raw floor / plink2: "
                f"{raw / float(theirs['cpu']):.2f}x"
            )
            print(f"  worst relative sum difference to plink2 (50 samples): {worst:.1e}")
        quarter = run_tailormed(data["bcf"], _quarter(data["score"], work))
        full = run_tailormed(data["bcf"], data["score"])
        print(f"\nmemory (bcf): peak RSS {quarter['rss_mb']:.0f} MB with a quarter of the "
              f"variants, {full['rss_mb']:.0f} MB with all")  # fmt: skip
        cohort_scaling(data, work, args.variants, args.blocks)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
