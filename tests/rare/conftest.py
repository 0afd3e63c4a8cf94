"""Fixtures for the rare-disease tests: the bundled knowledge, rankers, VCF writers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.rank import Ranker


@pytest.fixture(scope="session")
def rare_kb() -> RareKnowledge:
    return RareKnowledge.load()


@pytest.fixture(scope="session")
def ranker(rare_kb: RareKnowledge) -> Ranker:
    return Ranker(rare_kb)


@pytest.fixture(scope="session")
def samples(shared: Path) -> Path:
    return shared / "rare_disease" / "phenopackets_sample"


def write_vcf(
    path: Path,
    records: Sequence[tuple[str, int, str, str, str, str]],
    *,
    info_header: str = "",
    samples: Sequence[str] = ("S1",),
    reference: str = "##reference=GRCh38",
) -> Path:
    """A small VCF: records are (chrom, pos, ref, alt, INFO, GT per sample joined by tab)."""
    lines = ["##fileformat=VCFv4.2"]
    if reference:
        lines.append(reference)
    lines += [f"##contig=<ID=chr{c}>" for c in [*map(str, range(1, 23)), "X", "Y"]]
    if info_header:
        lines.append(info_header)
    lines.append('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">')
    lines.append(
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]
        )
    )
    for chrom, pos, ref, alt, info, gts in records:
        lines.append(
            "\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", info or ".", "GT", gts])
        )
    path.write_text("\n".join(lines) + "\n")
    return path


VEP_HEADER = (
    '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
    'Format: Allele|Consequence|IMPACT|SYMBOL|Gene|HGVSc|gnomADe_AF|CLIN_SIG">'
)
SNPEFF_HEADER = (
    "##INFO=<ID=ANN,Number=.,Type=String,Description=\"Functional annotations: 'Allele | "
    "Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | "
    "Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / "
    "CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO'\">"
)
