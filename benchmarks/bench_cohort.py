"""Benchmark: `tailormed cohort` on Dask (1 and 2 workers) against a raw cyvcf2 decode of
the same records, and a synthetic 100,000-sample cohort written as VCF Zarr.

    .venv/bin/python benchmarks/bench_cohort.py [--source ../shared/data] [--synthetic 100000]

Part 1, the 3,202 samples of the 1000 Genomes panels x every panel gene, --missing-to-ref,
one sample block (the default 10,000): wall time with 1 and 2 local workers (cluster start
included, and the partition phase alone), samples/s/core, peak RSS per worker, and the
ratio to a raw cyvcf2 genotype decode of the records the caller reads, timed in the same
run. The rows are checked identical for 1 and 2 workers.

Part 2, synthetic cohorts: every gene's region re-paired from the panel's phased
haplotypes (each synthetic sample takes two random panel haplotypes per gene, drawn
independently per gene; chrX genes copy one panel sample's genotypes, so male ploidy
stays right), restricted to the records the caller reads (tailormed.cohort.subset) and
written directly as VCF Zarr with zarr into a temporary folder that is deleted after.
Throughput and peak RSS per worker for a quarter and the whole cohort (linearity, flat
memory), and the projection for 10^6 genomes on 96 cores next to PharmCAT's published
~16 h on 96 CPUs for All of Us' 98,600 genomes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

TEXT = np.dtypes.StringDType()  # variable-length strings, as bio2zarr writes them
PHARMCAT_SAMPLES = 98_600
PHARMCAT_HOURS = 16.0
PHARMCAT_CPUS = 96


def _worker_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(
    inputs: list[Path], out: Path, workers: int, block: int, genes: Any = None
) -> dict[str, Any]:
    """One cohort run on a fresh LocalCluster; wall, partition phase, per-worker RSS."""
    from distributed import Client, LocalCluster

    from tailormed.calling import CallOptions
    from tailormed.cohort import CohortOptions, run_cohort

    shutil.rmtree(out, ignore_errors=True)
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )
    client = Client(cluster)
    stamps: list[tuple[str, float]] = []
    try:
        up = time.perf_counter() - start
        result = run_cohort(
            CohortOptions(
                inputs=tuple(inputs),
                out=out,
                block_size=block,
                call=CallOptions(missing_to_ref=True, genes=genes),
            ),
            client=client,
            progress=lambda m, _d, _t: stamps.append((m, time.perf_counter())),
        )
        rss = list(client.run(_worker_rss_mb).values())
    finally:
        client.close()
        cluster.close()
    end = time.perf_counter()
    wall = end - start
    first = next(t for m, t in stamps if m == "running partitions")
    merged = next(t for m, t in stamps if m == "merging the parts")
    return {
        "wall": wall,
        "driver_s": end - merged,  # merge of the parts + summary, in the driver (serial)
        "cluster_start": up,
        "partitions_s": merged - first,
        "samples": result.samples,
        "genes": len(result.genes),
        "rss": rss,
        "out": out,
    }


def part1(source: Path, tmp: Path) -> None:
    from bench_calling import raw_decode

    from tailormed.cohort.tables import rows_hash

    files = sorted((source / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    from tailormed.calling import CallOptions
    from tailormed.calling.caller import select_genes
    from tailormed.knowledge import load_kb

    kb = load_kb()
    panel_genes = {p.name.split(".")[0] for p in files}
    genes = tuple(g for g in select_genes(kb, CallOptions()) if g in panel_genes)
    raw_s, records = raw_decode(files, genes)
    print(f"raw cyvcf2 GT decode of the same {records:,} records: {raw_s:.2f} s (1 core)")
    results = {}
    for workers in (1, 2):
        r = run(files, tmp / f"panel-{workers}", workers, 10_000, genes)
        results[workers] = r
        rate = r["samples"] / r["partitions_s"] / workers
        print(
            f"cohort, {workers} worker(s): {r['wall']:.1f} s wall (cluster start "
            f"{r['cluster_start']:.1f} s), partitions {r['partitions_s']:.1f} s = "
            f"{rate:,.0f} samples/s/core; peak RSS per worker "
            + ", ".join(f"{x:,.0f} MB" for x in r["rss"])
            + "; ratio to raw decode (partitions, core-seconds) "
            + f"{r['partitions_s'] * workers / raw_s:.2f}x"
        )
    same = all(
        rows_hash([results[1]["out"] / f"{t}.parquet"], k)
        == rows_hash([results[2]["out"] / f"{t}.parquet"], k)
        for t, k in (("calls", ("sample", "gene")), ("drugs", ("sample", "drug")))
    )
    print(f"rows identical for 1 and 2 workers: {same}")


_KEPT: list[Any] = []


def synthetic(source: Path, folder: Path, n: int, seed: int = 7) -> Path:
    """A VCF Zarr store of ``n`` samples re-paired from the panel's haplotypes per gene."""
    import zarr

    from tailormed.calling import CallOptions
    from tailormed.calling.caller import panel_for, select_genes
    from tailormed.cohort.subset import read_kept
    from tailormed.knowledge import load_kb
    from tailormed.vcf.build import GRCH38_LENGTHS
    from tailormed.vcf.regions import chrom_key

    kb = load_kb()
    files = sorted((source / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    genes = select_genes(kb, CallOptions())
    if not _KEPT:
        _KEPT.append(read_kept(files, kb, genes))
    _samples, kept = _KEPT[0]
    m = len(_samples)
    # genotype codes of the kept records: (records, panel samples, 2); -2 = no 2nd allele
    codes = np.full((len(kept), m, 2), -2, dtype=np.int8)
    phased = np.zeros((len(kept), m), dtype=bool)
    for r, rec in enumerate(kept):
        for s, gt in enumerate(rec.gts):
            parts = gt.replace("|", "/").split("/")
            codes[r, s, : len(parts)] = [(-1 if a == "." else int(a)) for a in parts]
            phased[r, s] = "|" in gt or len(parts) == 1
    # which gene region each record belongs to
    regions = []
    for g in genes:
        p = panel_for(kb.gene(g))
        lo = min(v.position for v in p.variants) - 1100
        hi = max(v.position for v in p.variants) + 1100
        regions.append((chrom_key(p.chrom), lo, hi))
    group = np.full(len(kept), -1)
    for r, rec in enumerate(kept):
        for k, (c, lo, hi) in enumerate(regions):
            if chrom_key(rec.chrom) == c and lo <= rec.pos <= hi:
                group[r] = k
                break
    rng = np.random.default_rng(seed)
    out_gt = np.empty((len(kept), n, 2), dtype=np.int8)
    out_ph = np.empty((len(kept), n), dtype=bool)
    for k in sorted(set(group.tolist())):
        rows = np.flatnonzero(group == k)
        if regions[k][0] == "X" or k < 0:  # copy whole panel samples (ploidy kept)
            pick = rng.integers(0, m, n)
            out_gt[rows] = codes[rows][:, pick, :]
            out_ph[rows] = phased[rows][:, pick]
            continue
        a, b = rng.integers(0, m, n), rng.integers(0, m, n)
        ha, hb = rng.integers(0, 2, n), rng.integers(0, 2, n)
        out_gt[rows, :, 0] = codes[rows][:, a, ha]
        out_gt[rows, :, 1] = codes[rows][:, b, hb]
        out_ph[rows] = True
    contigs = list(dict.fromkeys(r.chrom for r in kept))
    store = folder / f"synthetic-{n}.vcz"
    root = zarr.open_group(str(store), mode="w")
    chunk = 10_000
    root.create_array("sample_id", data=np.array([f"SYN{i:07d}" for i in range(n)], dtype=TEXT))
    root.create_array("contig_id", data=np.array(contigs, dtype=TEXT))
    root.create_array(
        "contig_length",
        data=np.array([GRCH38_LENGTHS.get(chrom_key(c), 0) for c in contigs], dtype=np.int64),
    )
    root.create_array(
        "variant_contig", data=np.array([contigs.index(r.chrom) for r in kept], dtype=np.int16)
    )
    root.create_array("variant_position", data=np.array([r.pos for r in kept], dtype=np.int32))
    width = max(1 + r.fixed[4].count(",") + 1 for r in kept)
    alleles = np.full((len(kept), width), "", dtype=object)
    for r, rec in enumerate(kept):
        names = [rec.fixed[3], *rec.fixed[4].split(",")]
        alleles[r, : len(names)] = names
    root.create_array("variant_allele", data=alleles.astype(TEXT))
    gt = root.create_array(
        "call_genotype", shape=out_gt.shape, dtype=np.int8, chunks=(len(kept), chunk, 2)
    )
    gt[:] = out_gt
    ph = root.create_array(
        "call_genotype_phased", shape=out_ph.shape, dtype=bool, chunks=(len(kept), chunk)
    )
    ph[:] = out_ph
    root.attrs["vcf_zarr_version"] = "0.4"
    root.attrs["source"] = (
        "tailormed benchmarks/bench_cohort.py (re-paired 1000 Genomes haplotypes)"
    )
    return store


def _du_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def part2(source: Path, tmp: Path, n: int) -> None:
    start = time.perf_counter()
    store = synthetic(source, tmp, n)
    print(
        f"synthetic cohort: {n:,} samples written as VCF Zarr in "
        f"{time.perf_counter() - start:.1f} s ({_du_mb(store):.1f} MB on disk)"
    )
    quarter = synthetic(source, tmp, n // 4)
    rows = {}
    for label, path in (("quarter", quarter), ("full", store)):
        r = run([path], tmp / f"syn-{label}", 2, 10_000)
        rows[label] = r
        rate = r["samples"] / r["partitions_s"] / 2
        print(
            f"synthetic {r['samples']:,} x {r['genes']} genes, 2 workers: {r['wall']:.1f} s wall, "
            f"partitions {r['partitions_s']:.1f} s = {rate:,.0f} samples/s/core, merge + "
            f"summary {r['driver_s']:.1f} s; peak RSS per "
            "worker " + ", ".join(f"{x:,.0f} MB" for x in r["rss"])
        )
    q, f = rows["quarter"], rows["full"]
    per_sample_q = q["partitions_s"] / q["samples"]
    per_sample_f = f["partitions_s"] / f["samples"]
    print(
        f"time per sample, {q['samples']:,} vs {f['samples']:,}: {1e3 * per_sample_q:.3f} vs "
        f"{1e3 * per_sample_f:.3f} ms (ratio {per_sample_f / per_sample_q:.2f}; 1 = linear)"
    )
    core_rate = f["samples"] / f["partitions_s"] / 2
    parallel = 1e6 / (core_rate * 96)
    serial = f["driver_s"] * 1e6 / f["samples"]  # the driver's merge + summary, one process
    pharmcat_rate = PHARMCAT_SAMPLES / (PHARMCAT_HOURS * 3600 * PHARMCAT_CPUS)
    print(
        f"projection, 10^6 genomes on 96 cores at {core_rate:,.0f} samples/s/core: partitions "
        f"{parallel / 60:.1f} min + merge/summary {serial / 60:.1f} min (serial, scaled "
        f"linearly) = {(parallel + serial) / 60:.1f} min; PharmCAT ~{PHARMCAT_HOURS:.0f} h for "
        f"{PHARMCAT_SAMPLES:,} on {PHARMCAT_CPUS} CPUs = {pharmcat_rate:.4f} samples/s/core "
        f"(ratio {core_rate / pharmcat_rate:,.0f}x per core in the partitions; "
        f"{PHARMCAT_HOURS * 3600 * 1e6 / PHARMCAT_SAMPLES / (parallel + serial):,.0f}x in wall "
        "time for 10^6 genomes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--synthetic", type=int, default=100_000)
    parser.add_argument("--skip-panel", action="store_true")
    args = parser.parse_args()
    source = Path(args.source)
    tmp = Path(tempfile.mkdtemp(prefix="tailormed-bench-cohort-"))
    try:
        if not args.skip_panel:
            part1(source, tmp)
        if args.synthetic:
            part2(source, tmp, args.synthetic)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
