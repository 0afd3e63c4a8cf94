"""Benchmark: star-allele calling of every gene for all 3,202 samples of the bundled
1000 Genomes panels, against a raw genotype decode of the same records with the same
VCF library (cyvcf2).

    .venv/bin/python benchmarks/bench_calling.py [--source ../shared/data] [--jobs 2]

Prints wall time, samples/second/core, peak RSS, the ratio to the raw decode, and peak
RSS for growing gene counts (memory must not grow with the number of genes).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _panel_files(source: Path) -> list[Path]:
    folder = source / "1kgp" / "GRCh38"
    files = sorted(folder.glob("*.vcf.gz"))
    if not files:
        sys.exit(f"no 1000 Genomes VCFs under {folder}")
    return files


def raw_decode(files: list[Path], genes: tuple[str, ...]) -> tuple[float, int]:
    """Decode GT of every record in the regions the caller reads, and nothing else."""
    import cyvcf2

    from tailormed.calling.caller import panel_for
    from tailormed.knowledge import load_kb
    from tailormed.vcf.gene import PAD

    kb = load_kb()
    panels = [panel_for(kb.gene(g)) for g in genes]
    start = time.perf_counter()
    records = 0
    for path in files:
        vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
        names = set(vcf.seqnames)
        for panel in panels:
            chrom = panel.chrom if panel.chrom in names else panel.chrom.removeprefix("chr")
            if chrom not in names:
                continue
            lo = min(v.position for v in panel.variants) - PAD
            hi = max(v.position + len(v.ref) for v in panel.variants) + PAD
            for rec in vcf(f"{chrom}:{max(lo, 1)}-{hi}"):
                rec.genotype.array()
                records += 1
        vcf.close()
    return time.perf_counter() - start, records


def run_calls(files: list[Path], genes: tuple[str, ...], jobs: int) -> tuple[float, int]:
    from tailormed.calling import CallOptions, call_files
    from tailormed.knowledge import load_kb

    kb = load_kb()
    start = time.perf_counter()
    callset = call_files(files, kb, CallOptions(genes=genes, missing_to_ref=True, jobs=jobs))
    elapsed = time.perf_counter() - start
    return elapsed, len(callset.samples)


def _child(args: argparse.Namespace) -> None:
    files = _panel_files(Path(args.source))
    genes = tuple(args.child.split(","))
    elapsed, _ = run_calls(files, genes, 1)
    print(json.dumps({"genes": len(genes), "seconds": elapsed, "rss_mb": _peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return

    from tailormed.knowledge import load_kb

    kb = load_kb()
    files = _panel_files(Path(args.source))
    panel_genes = {p.name.split(".")[0] for p in files}
    genes = tuple(g for g in kb.vcf_callable_genes if g in panel_genes)
    print(f"1000 Genomes panels: {len(files)} files; {len(genes)} genes: {', '.join(genes)}")

    raw_s, records = raw_decode(files, genes)
    print(f"raw cyvcf2 GT decode of the same {records:,} records: {raw_s:.2f} s (1 core)")

    one_s, samples = run_calls(files, genes, 1)
    print(
        f"tailormed call, 1 core : {one_s:.2f} s = {samples / one_s:,.0f} samples/s/core; "
        f"ratio to raw decode {one_s / raw_s:.2f}x"
    )
    par_s, _ = run_calls(files, genes, args.jobs)
    print(
        f"tailormed call, {args.jobs} cores: {par_s:.2f} s = "
        f"{samples / par_s / args.jobs:,.0f} samples/s/core ({samples / par_s:,.0f} samples/s)"
    )
    print(f"peak RSS (this process): {_peak_rss_mb():,.0f} MB")

    print("peak RSS by number of genes (fresh process each):")
    for n in (1, len(genes) // 2, len(genes)):
        out = subprocess.run(
            [sys.executable, __file__, "--source", args.source, "--child", ",".join(genes[:n])],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        row = json.loads(out.strip().splitlines()[-1])
        print(
            f"  {row['genes']:>2} genes: {row['seconds']:6.2f} s, peak RSS {row['rss_mb']:,.0f} MB"
        )


if __name__ == "__main__":
    main()
