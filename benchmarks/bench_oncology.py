"""Oncology benchmarks (synthetic inputs generated in a temporary folder).

1. A whole-exome-sized tumour VCF: 5,000 VEP-annotated variants (three transcripts each,
   the MANE one flagged) → ``run_tumor`` (read, match, tier, therapies, tumor.json and
   findings.json), then its report section and FHIR bundle. Target < 5 s. Raw floor:
   cyvcf2 reading every record and splitting its CSQ annotation (no matching).
2. A ctDNA table of 10,000 patients × 10 draws × 3 tracked variants (300,000 rows) →
   read, validated and classified on one core. Target < 30 s. Raw floor: reading the
   file and splitting every line into fields.

Run: ``.venv/bin/python benchmarks/bench_oncology.py`` (also from ``./quickstart bench``).
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.knowledge.protein import ONE_TO_THREE
from tailormed.oncology.ctdna import Rules, classify_series
from tailormed.oncology.fhir import tumor_bundle
from tailormed.oncology.read_ctdna import read_series
from tailormed.oncology.run import TumorJob, run_tumor
from tailormed.oncology.sections import tumor_section

FORMAT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|"
    "HGVSp|CANONICAL|MANE_SELECT"
)
AA = "ACDEFGHIKLMNPQRSTVWY"
CONSEQUENCES = (
    ["missense_variant"] * 55
    + ["synonymous_variant"] * 25
    + ["stop_gained"] * 5
    + ["frameshift_variant"] * 5
    + ["intron_variant"] * 8
    + ["inframe_deletion"] * 2
)
HOTSPOTS = [
    ("EGFR", "L858R"),
    ("BRAF", "V600E"),
    ("KRAS", "G12C"),
    ("PIK3CA", "H1047R"),
    ("TP53", "R273H"),
    ("IDH1", "R132H"),
    ("EGFR", "T790M"),
    ("ERBB2", "S310F"),
]


def _three(short: str) -> str:
    return "p." + "".join(ONE_TO_THREE.get(c, c) if c.isupper() else c for c in short)


def tumour_vcf(path: Path, n: int, genes: list[str], rng: random.Random) -> Path:
    lines = [
        "##fileformat=VCFv4.2",
        *(f"##contig=<ID={c}>" for c in range(1, 23)),
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        f'Ensembl VEP. Format: {FORMAT}">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\tNORMAL",
    ]
    rows = []
    for i in range(n):
        chrom = rng.randint(1, 22)
        pos = rng.randint(10_000, 200_000_000)
        if i < len(HOTSPOTS):
            gene, short = HOTSPOTS[i]
            consequence = "missense_variant"
        else:
            gene = rng.choice(genes)
            consequence = rng.choice(CONSEQUENCES)
            p = rng.randint(2, 1500)
            a, b = rng.choice(AA), rng.choice(AA)
            short = {
                "missense_variant": f"{a}{p}{b}",
                "stop_gained": f"{a}{p}*",
                "frameshift_variant": f"{a}{p}fs",
                "inframe_deletion": f"{a}{p}del",
                "synonymous_variant": f"{a}{p}=",
            }.get(consequence, "")
        hgvsp = f"ENSP0000{i:07d}.1:{_three(short).replace('=', '%3D')}" if short else ""
        exon, intron = ("", "3/9") if consequence == "intron_variant" else ("5/12", "")
        entries = []
        for t in range(3):
            canonical = "YES" if t == 1 else ""
            mane = f"NM_{i:06d}.1" if t == 1 else ""
            entries.append(
                f"G|{consequence}|MODERATE|{gene}|ENSG{i:011d}|Transcript|ENST{i:08d}{t}.1|"
                f"protein_coding|{exon}|{intron}|ENST{i:08d}{t}.1:c.{i}A>G|{hgvsp}|{canonical}|{mane}"
            )
        depth = rng.randint(60, 400)
        alt = max(3, int(depth * rng.uniform(0.03, 0.6)))
        rows.append(
            (
                chrom,
                pos,
                f"{chrom}\t{pos}\t.\tA\tG\t50\tPASS\tCSQ={','.join(entries)}\t"
                f"GT:AD:DP\t0/1:{depth - alt},{alt}:{depth}\t0/0:100,0:100",
            )
        )
    rows.sort()
    path.write_text("\n".join(lines + [r[2] for r in rows]) + "\n")
    return path


def raw_vcf_floor(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds for cyvcf2 to read every record and split its CSQ."""
    from cyvcf2 import VCF

    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    for rec in VCF(str(path)):
        for entry in str(rec.INFO.get("CSQ")).split(","):
            n += len(entry.split("|"))
        rec.format("AD")
    return time.perf_counter() - start, time.process_time() - cpu


def ctdna_table(path: Path, patients: int, draws: int, rng: random.Random) -> Path:
    header = (
        "patient\tdate\tgene\thgvs_p\tchrom\tpos\tref\talt\tvaf\talt_reads\tdepth\t"
        "assay_lod\ttherapy\ttherapy_start"
    )
    variants = [
        ("EGFR", "L858R", "7", "55191822", "T", "G"),
        ("TP53", "R273H", "17", "7673802", "C", "T"),
        ("EGFR", "T790M", "7", "55181378", "C", "T"),
    ]
    out = [header]
    first = date(2024, 1, 2)
    for p in range(patients):
        kind = p % 4
        base = rng.uniform(0.02, 0.3)
        start = (first + timedelta(days=2)).isoformat()
        for d in range(draws):
            day = (first + timedelta(days=28 * d)).isoformat()
            fold = {
                0: 0.5**d,
                1: 1.0 + 0.1 * d,
                2: max(0.0, 1 - 0.4 * d),
                3: 0.3 if d < 5 else 0.3 * 2 ** (d - 4),
            }[kind]
            for i, v in enumerate(variants):
                vaf = base * fold * (1.0 if i < 2 else (0.0 if kind != 3 or d < 6 else 0.2))
                vaf = min(vaf, 0.99)
                depth = 5000
                out.append(
                    "\t".join(
                        [
                            f"P{p:05d}",
                            day,
                            *v,
                            f"{vaf:.5f}",
                            str(round(vaf * depth)),
                            str(depth),
                            "0.001",
                            "erlotinib",
                            start,
                        ]
                    )
                )
    path.write_text("\n".join(out) + "\n")
    return path


def raw_table_floor(path: Path) -> tuple[float, float]:
    """(wall, CPU) seconds to read the file and split every line into fields."""
    start, cpu = time.perf_counter(), time.process_time()
    n = 0
    for line in path.read_text().splitlines():
        n += len(line.split("\t"))
    return time.perf_counter() - start, time.process_time() - cpu


def main() -> None:
    rng = random.Random(20261203)
    start = time.perf_counter()
    kb = OncologyKnowledge.load()
    load = time.perf_counter() - start
    with tempfile.TemporaryDirectory(prefix="oncology-bench-") as tmp:
        folder = Path(tmp)
        genes = sorted(kb.by_gene)[:400] + [f"GENE{i}" for i in range(4000)]
        vcf = tumour_vcf(folder / "tumour.vcf", 5000, genes, rng)
        floor, floor_cpu = raw_vcf_floor(vcf)
        start, cpu = time.perf_counter(), time.process_time()
        report = run_tumor(
            TumorJob(input=vcf, tumour_type="LUAD", out=folder / "out", panel_size_mb=35.0), kb
        )
        tumour, tumour_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        section = tumor_section(report)
        bundle = tumor_bundle(report)
        parts, parts_cpu = time.perf_counter() - start, time.process_time() - cpu
        tiers = {t: sum(1 for v in report.variants if v.tier == t) for t in ("I", "II", "III")}
        print(f"oncology bundle load: {load:.2f} s ({kb.version})")
        print(
            "tumour VCF: 5,000 variants x 3 transcripts; raw cyvcf2 + CSQ split "
            f"{floor:.2f} s wall, {floor_cpu:.2f} s CPU"
        )
        print(
            "tailormed tumor (read, tier, therapies, tumor.json, findings, FHIR): "
            f"{tumour:.2f} s wall, "
            f"{tumour_cpu:.2f} s CPU = {tumour_cpu / floor_cpu:.1f}x raw CPU (target < 5 s); "
            f"tiers {tiers}, {len(report.therapies)} therapy options"
        )
        print(
            f"report section + FHIR bundle ({len(section.tables)} tables, "
            f"{len(bundle['entry'])} resources, each validated): {parts:.2f} s wall, "
            f"{parts_cpu:.2f} s CPU; tumour total {tumour_cpu + parts_cpu:.2f} s CPU = "
            f"{(tumour_cpu + parts_cpu) / floor_cpu:.1f}x raw CPU (target < 5 s)"
        )
        table = ctdna_table(folder / "series.tsv", 10_000, 10, rng)
        floor, floor_cpu = raw_table_floor(table)
        start, cpu = time.perf_counter(), time.process_time()
        observations = read_series(table)
        read, read_cpu = time.perf_counter() - start, time.process_time() - cpu
        rules = Rules.of(kb.payload["ctdna_rules"])
        start, cpu = time.perf_counter(), time.process_time()
        patients = classify_series(observations, rules, kb.resistance)
        classify, classify_cpu = time.perf_counter() - start, time.process_time() - cpu
        statuses: dict[str, int] = {}
        for p in patients:
            statuses[p.status] = statuses.get(p.status, 0) + 1
        print(
            f"ctDNA table: {len(observations):,} rows (10,000 patients x 10 draws x 3 variants); "
            f"raw read + split {floor:.2f} s wall, {floor_cpu:.2f} s CPU"
        )
        total_cpu = read_cpu + classify_cpu
        print(
            f"read + validate {read:.2f} s wall ({read_cpu:.2f} s CPU), classify {classify:.2f} s "
            f"wall ({classify_cpu:.2f} s CPU); total {read + classify:.2f} s wall, "
            f"{total_cpu:.2f} s CPU = {total_cpu / floor_cpu:.1f}x raw CPU (target < 30 s)"
        )
        print(f"statuses: {dict(sorted(statuses.items()))}")


if __name__ == "__main__":
    main()
