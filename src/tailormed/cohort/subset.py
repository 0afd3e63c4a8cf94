"""Cut a cohort VCF down to what the caller reads: chosen samples, and only the records at
defining positions plus the two records per gene that set the span the input covers.

Calls made from the cut file equal those from the full panel (the span decides which
absent positions ``--missing-to-ref`` may read as reference, so it is kept exactly). The
header states GRCh38 (contig lengths). Used for the bundled cohort example, the tests
and the synthetic benchmark cohort; ``scripts/make_cohort_example.py`` regenerates the
example.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.calling.caller import panel_for
from tailormed.knowledge import KnowledgeBase
from tailormed.vcf.build import GRCH38_LENGTHS
from tailormed.vcf.gene import GeneReader
from tailormed.vcf.normalize import canonical
from tailormed.vcf.regions import chrom_key


@dataclass(frozen=True, slots=True)
class Kept:
    """One kept record: its text fields before FORMAT, and every sample's GT text."""

    chrom: str
    pos: int
    fixed: tuple[str, ...]  # CHROM POS ID REF ALT
    gts: tuple[str, ...]  # in the file's sample order


def _chrom_order(chrom: str) -> tuple[int, str]:
    key = chrom_key(chrom)
    return (int(key), "") if key.isdigit() else (100, key)


def read_kept(
    paths: Sequence[Path], kb: KnowledgeBase, genes: Sequence[str]
) -> tuple[list[str], list[Kept]]:
    """The samples and the records the caller reads (deduplicated, in genome order)."""
    import cyvcf2

    kept: dict[tuple[str, int, str, str], Kept] = {}
    samples: list[str] = []
    for path in paths:
        vcf = cyvcf2.VCF(str(path), lazy=True, threads=1)
        samples = samples or list(vcf.samples)
        if list(vcf.samples) != samples:
            raise ValueError(f"{path}: other samples than the first file")
        names = set(vcf.seqnames)
        for gene in genes:
            reader = GeneReader(panel_for(kb.gene(gene)), 0)
            chrom = reader.panel.chrom
            if chrom not in names:
                chrom = chrom.removeprefix("chr")
                if chrom not in names:
                    continue
            noted: list[tuple[int, int, object]] = []
            _query(vcf, chrom, reader, reader.lo, reader.hi, False, noted, kept)
            if reader.span.empty or (reader.span.lo or 0) > reader.first:
                _query(vcf, chrom, reader, reader.cov_lo, reader.lo - 1, True, noted, kept)
            if reader.span.empty or (reader.span.hi or 0) < reader.last:
                _query(vcf, chrom, reader, reader.hi + 1, reader.cov_hi, True, noted, kept)
            if noted:
                _keep(kept, min(noted, key=lambda n: (n[0], -n[1]))[2])
                _keep(kept, max(noted, key=lambda n: (n[1], -n[0]))[2])
        vcf.close()
    ordered = sorted(kept.values(), key=lambda k: (_chrom_order(k.chrom), k.pos, k.fixed))
    return samples, ordered


def _query(
    vcf: Any,
    chrom: str,
    reader: GeneReader,
    lo: int,
    hi: int,
    first: bool,
    noted: list[tuple[int, int, object]],
    kept: dict[tuple[str, int, str, str], Kept],
) -> None:
    """Read a region as the VCF reader does; keep the records at defining positions."""
    for rec in vcf(f"{chrom}:{max(lo, 1)}-{hi}"):
        noted.append((rec.POS, int(rec.end), rec))
        reader.span.add(rec.POS, int(rec.end))
        if first:
            return
        touches = rec.POS in reader.by_pos or any(
            canonical(rec.POS, rec.REF, a) in reader.by_key for a in rec.ALT
        )
        if touches:
            _keep(kept, rec)


def _keep(kept: dict[tuple[str, int, str, str], Kept], rec: object) -> None:
    line = str(rec).rstrip("\n").split("\t")
    key = (line[0], int(line[1]), line[3], line[4])
    if key not in kept:
        gts = tuple(cell.split(":", 1)[0] for cell in line[9:])
        kept[key] = Kept(line[0], int(line[1]), tuple(line[:5]), gts)


def write_vcf(
    path: Path, samples: Sequence[str], columns: Sequence[int], records: Sequence[Kept]
) -> Path:
    """Write a bgzipped, tabix-indexed VCF (GT only) of ``columns`` of the samples;
    returns the ``.vcf.gz`` path (``path`` names the uncompressed text, removed after)."""
    import pysam

    contigs = list(dict.fromkeys(r.chrom for r in records))
    with Path(path).open("w", encoding="utf-8") as fh:
        fh.write("##fileformat=VCFv4.2\n")
        for c in contigs:
            length = GRCH38_LENGTHS.get(chrom_key(c))
            fh.write(f"##contig=<ID={c}" + (f",length={length}" if length else "") + ">\n")
        fh.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
        fh.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t")
        fh.write("\t".join(samples[i] for i in columns) + "\n")
        for r in records:
            gts = "\t".join(r.gts[i] for i in columns)
            fh.write("\t".join(r.fixed) + f"\t.\tPASS\t.\tGT\t{gts}\n")
    out = pysam.tabix_index(str(path), preset="vcf", force=True)
    return Path(out)
