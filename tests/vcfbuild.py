"""Build small synthetic VCFs from the knowledge base, so tests read like clinical statements.

>>> vcf = SyntheticVcf(kb, ["S1"]).reference("CYP2C19").set("S1", "CYP2C19", "rs4244285", "G|A")
>>> vcf.write(tmp_path / "x.vcf")

Genotypes are given as VCF allele strings joined by ``|`` (phased) or ``/`` (unphased),
``.`` for a missing allele, or one allele for a haploid call.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import DefiningVariant


@dataclass
class _Site:
    chrom: str
    pos: int
    ref: str
    alts: list[str]
    rsid: str | None
    genotypes: dict[str, str] = field(default_factory=dict)
    info: str = "."


class SyntheticVcf:
    def __init__(
        self,
        kb: KnowledgeBase,
        samples: list[str],
        chrom_prefix: str = "chr",
        header: list[str] | None = None,
        contig_lengths: dict[str, int] | None = None,
    ) -> None:
        self.kb = kb
        self.samples = samples
        self.prefix = chrom_prefix
        self.sites: dict[tuple[str, int, str], _Site] = {}
        # extra ``##`` lines (e.g. ``##reference=GRCh37``) and contig lengths by bare name
        self.header = list(header or [])
        self.contig_lengths = dict(contig_lengths or {})
        self.raw: list[tuple[str, int, str]] = []  # (chrom, pos, line) written as given

    def _variant(self, gene: str, rsid_or_pos: str | int) -> DefiningVariant:
        g = self.kb.gene(gene)
        for v in g.variants + g.exemptions.extra_positions:
            if v.rsid == rsid_or_pos or v.position == rsid_or_pos:
                return v
        raise KeyError(f"{gene} has no position {rsid_or_pos}")

    def _site(self, v: DefiningVariant) -> _Site:
        key = (v.chrom, v.position, v.ref)
        if key not in self.sites:
            self.sites[key] = _Site(v.chrom, v.position, v.ref, list(v.alts), v.rsid)
        return self.sites[key]

    def reference(
        self, gene: str, samples: list[str] | None = None, sep: str = "/"
    ) -> SyntheticVcf:
        """Every defining position of ``gene`` homozygous reference."""
        for v in self.kb.gene(gene).variants:
            site = self._site(v)
            for s in samples or self.samples:
                site.genotypes.setdefault(s, f"{v.ref}{sep}{v.ref}")
        return self

    def set(self, sample: str, gene: str, rsid_or_pos: str | int, genotype: str) -> SyntheticVcf:
        v = self._variant(gene, rsid_or_pos)
        site = self._site(v)
        for allele in genotype.replace("|", "/").split("/"):
            if allele not in (".", site.ref) and allele not in site.alts:
                site.alts.append(allele)
        site.genotypes[sample] = genotype
        return self

    def drop(self, gene: str, rsid_or_pos: str | int) -> SyntheticVcf:
        v = self._variant(gene, rsid_or_pos)
        self.sites.pop((v.chrom, v.position, v.ref), None)
        return self

    def add_record(
        self,
        chrom: str,
        pos: int,
        ref: str,
        alts: list[str],
        genotypes: dict[str, str],
        info: str = ".",
    ) -> SyntheticVcf:
        site = _Site(chrom, pos, ref, alts, None, dict(genotypes), info)
        self.sites[(chrom, pos, ref + ",".join(alts))] = site
        return self

    def add_raw(self, chrom: str, pos: int, line: str) -> SyntheticVcf:
        """A data line written exactly as given, sorted in at ``chrom:pos``."""
        self.raw.append((chrom, pos, line))
        return self

    def _contig(self, chrom: str) -> str:
        name = chrom.removeprefix("chr")
        length = self.contig_lengths.get(name)
        extra = f",length={length}" if length else ""
        return f"##contig=<ID={self.prefix}{name}{extra}>"

    def _gt(self, site: _Site, sample: str) -> str:
        text = site.genotypes.get(sample)
        if text is None:
            return f"0{'/'}0"
        sep = "|" if "|" in text else "/"
        alleles = [site.ref, *site.alts]
        parts = []
        for a in text.split(sep):
            parts.append("." if a == "." else str(alleles.index(a)) if not a.isdigit() else a)
        return sep.join(parts)

    def text(self) -> str:
        contigs = sorted({s.chrom for s in self.sites.values()} | {c for c, _, _ in self.raw})
        lines = [
            "##fileformat=VCFv4.2",
            *self.header,
            *[self._contig(c) for c in contigs],
            '##INFO=<ID=END,Number=1,Type=Integer,Description="End of block">',
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
            "\t".join(
                [
                    "#CHROM",
                    "POS",
                    "ID",
                    "REF",
                    "ALT",
                    "QUAL",
                    "FILTER",
                    "INFO",
                    "FORMAT",
                    *self.samples,
                ]
            ),
        ]
        order = {c: i for i, c in enumerate(contigs)}
        rows: list[tuple[int, int, str]] = [(order[c], p, line) for c, p, line in self.raw]
        for site in self.sites.values():
            rows.append(
                (
                    order[site.chrom],
                    site.pos,
                    "\t".join(
                        [
                            f"{self.prefix}{site.chrom.removeprefix('chr')}",
                            str(site.pos),
                            site.rsid or ".",
                            site.ref,
                            ",".join(site.alts) or ".",
                            ".",
                            "PASS",
                            site.info,
                            "GT",
                            *[self._gt(site, s) for s in self.samples],
                        ]
                    ),
                )
            )
        lines.extend(line for _, _, line in sorted(rows, key=lambda r: (r[0], r[1])))
        return "\n".join(lines) + "\n"

    def write(self, path: Path) -> Path:
        if path.suffix == ".gz":
            path.write_bytes(gzip.compress(self.text().encode()))
        else:
            path.write_text(self.text())
        return path


def bgzip_and_index(src: Path, dest: Path) -> Path:
    """Compress with BGZF and build a tabix index (pysam), like a production pipeline."""
    import pysam

    pysam.tabix_compress(str(src), str(dest), force=True)
    pysam.tabix_index(str(dest), preset="vcf", force=True)
    return dest


def to_bcf(src: Path, dest: Path) -> Path:
    import cyvcf2

    reader = cyvcf2.VCF(str(src))
    writer = cyvcf2.Writer(str(dest), reader, mode="wb")
    for rec in reader:
        writer.write_record(rec)
    writer.close()
    reader.close()
    return dest
