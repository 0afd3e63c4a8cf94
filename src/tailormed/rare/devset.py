"""The development set (phenopacket-store rows) as phenopackets, and synthetic VCFs.

:func:`phenopacket_from_row` turns one row of ``phenopackets_dev.tsv.gz`` into a Phenopacket
v2 JSON object holding only what a clinician would enter: the case id, observed and excluded
HPO terms; sex is ``UNKNOWN_SEX`` (the table has none). The row's disease, gene, variants
and publications are never put into the phenopacket: they are the answer.

:func:`synthetic_vcf` writes a VEP-annotated GRCh38 VCF holding a case's causal variant(s)
in the published zygosity, spiked into a *synthetic* background of annotated variants in
other genes, for the variant-mode benchmark. The causal variants' consequences are inferred
from their HGVS ``c.`` notation only (splice, frameshift/in-frame from the allele lengths,
UTR, start codon; any other substitution is called ``missense_variant``, so a nonsense
variant is under-rated, never over-rated); they carry no ClinVar or frequency annotation.
"""

from __future__ import annotations

import csv
import gzip
import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.knowledge.rare.loader import GeneCoords

CSQ_FORMAT = "Allele|Consequence|IMPACT|SYMBOL|HGVSc|gnomADe_AF|CLIN_SIG"
IMPACT = {
    "frameshift_variant": "HIGH",
    "stop_gained": "HIGH",
    "splice_donor_variant": "HIGH",
    "splice_acceptor_variant": "HIGH",
    "start_lost": "HIGH",
    "missense_variant": "MODERATE",
    "inframe_deletion": "MODERATE",
    "inframe_insertion": "MODERATE",
    "splice_region_variant": "LOW",
    "synonymous_variant": "LOW",
    "5_prime_UTR_variant": "MODIFIER",
    "3_prime_UTR_variant": "MODIFIER",
    "intron_variant": "MODIFIER",
    "non_coding_transcript_exon_variant": "MODIFIER",
}


def read_dev_rows(path: Path) -> Iterator[dict[str, str]]:
    """Rows of ``phenopackets_dev.tsv.gz`` as dicts (header names as keys)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t")


def _terms(field: str) -> list[str]:
    return [t for t in field.split(";") if t]


def phenopacket_from_row(row: Mapping[str, str]) -> dict[str, Any]:
    """A Phenopacket v2 object with the row's observed and excluded terms only."""
    features: list[dict[str, Any]] = [{"type": {"id": t}} for t in _terms(row["hpo_present"])]
    features += [{"type": {"id": t}, "excluded": True} for t in _terms(row["hpo_excluded"])]
    return {
        "id": row["case_id"],
        "subject": {"id": row["case_id"], "sex": "UNKNOWN_SEX"},
        "phenotypicFeatures": features,
        "metaData": {"phenopacketSchemaVersion": "2.0"},
    }


@dataclass(frozen=True, slots=True)
class CausalVariant:
    chrom: str
    pos: int
    ref: str
    alt: str
    hgvs: str
    genotype: str  # "0/1", "1/1" or "1"


def consequence_from_hgvs(hgvs: str, ref: str, alt: str) -> str:
    """A conservative consequence class from HGVS ``c.``/``n.`` notation and the alleles."""
    change = hgvs.split(":", 1)[-1]
    if change.startswith("n."):
        return "non_coding_transcript_exon_variant"
    if re.match(r"c\.-", change):
        return "5_prime_UTR_variant"
    if change.startswith("c.*"):
        return "3_prime_UTR_variant"
    m = re.search(r"\d+([+-])(\d+)", change)
    if m:
        offset = int(m.group(2))
        if offset <= 2:
            return "splice_donor_variant" if m.group(1) == "+" else "splice_acceptor_variant"
        return "splice_region_variant" if offset <= 8 else "intron_variant"
    if len(ref) != len(alt):
        diff = abs(len(ref) - len(alt))
        if diff % 3:
            return "frameshift_variant"
        return "inframe_deletion" if len(ref) > len(alt) else "inframe_insertion"
    if re.match(r"c\.[123][ACGT]>", change):
        return "start_lost"
    return "missense_variant"


def causal_variants(row: Mapping[str, str]) -> list[CausalVariant] | None:
    """The row's causal variants with genotypes, or None when any is not a VCF record."""
    genomic = row["variant_genomic"].split("|")
    states = row["allelic_state"].split("|")
    hgvs = row["variant_hgvs_c"].split("|")
    if not row["variant_genomic"] or any(not g.startswith("hg38:") for g in genomic):
        return None
    out: list[CausalVariant] = []
    for i, g in enumerate(genomic):
        _, chrom, pos, ref, alt = g.split(":")
        state = states[i] if i < len(states) else states[-1]
        gt = {"homozygous": "1/1", "hemizygous": "1"}.get(state, "0/1")
        out.append(CausalVariant(chrom, int(pos), ref, alt, hgvs[i] if i < len(hgvs) else "", gt))
    return out


BACKGROUND = (
    # (how many, consequence, genotype, gnomAD AF or None, ClinVar)
    (120, "missense_variant", "0/1", 0.0004, ""),
    (25, "frameshift_variant", "0/1", 0.0002, ""),
    (20, "stop_gained", "0/1", None, ""),
    (10, "missense_variant", "1/1", 0.003, ""),
    (5, "splice_donor_variant", "0/1", None, "Pathogenic"),
    (150, "synonymous_variant", "0/1", 0.2, ""),
    (150, "missense_variant", "0/1", 0.15, "Benign"),
    (150, "intron_variant", "1/1", 0.4, ""),
)


def synthetic_vcf(
    path: Path,
    causal: Sequence[CausalVariant],
    gene: str,
    coords: GeneCoords,
    seed: int,
    sample: str = "SAMPLE",
) -> None:
    """Write a VEP-annotated VCF: the causal variants plus a seeded synthetic background."""
    rng = random.Random(seed)
    genes = [
        i
        for i, s in enumerate(coords.symbol)
        if s != gene and coords.chrom[i] not in ("chrX", "chrY", "chrMT")
    ]
    records: list[tuple[str, int, str, str, str, str]] = []
    for v in causal:
        cons = consequence_from_hgvs(v.hgvs, v.ref, v.alt)
        records.append((v.chrom, v.pos, v.ref, v.alt, v.genotype, _csq(v, cons, gene)))
    for count, cons, gt, af, clin in BACKGROUND:
        for _ in range(count):
            i = rng.choice(genes)
            pos = rng.randint(int(coords.start[i]), int(coords.end[i]))
            ref, alt = rng.sample("ACGT", 2)
            if cons == "frameshift_variant":
                alt = ref + rng.choice("ACGT")
            fields = [
                alt if len(alt) == 1 else alt[1:],
                cons,
                IMPACT.get(cons, "MODERATE"),
                coords.symbol[i],
                "",
                "" if af is None else f"{af:g}",
                clin,
            ]
            records.append((coords.chrom[i], pos, ref, alt, gt, "|".join(fields)))
    order = {f"chr{c}": k for k, c in enumerate([*map(str, range(1, 23)), "X", "Y", "MT"])}
    records.sort(key=lambda r: (order.get(r[0], 99), r[1]))
    lines = [
        "##fileformat=VCFv4.2",
        "##reference=GRCh38",
        "##source=tailormed synthetic benchmark VCF (synthetic background, not a real patient)",
        *(f"##contig=<ID={c}>" for c in order),
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        f'Ensembl VEP. Format: {CSQ_FORMAT}">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(
            ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
        ),
    ]
    for chrom, pos, ref, alt, gt, csq in records:
        lines.append(
            "\t".join([chrom, str(pos), ".", ref, alt, "50", "PASS", f"CSQ={csq}", "GT", gt])
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _csq(v: CausalVariant, cons: str, gene: str) -> str:
    allele = v.alt
    if len(v.ref) != len(v.alt) and v.ref[:1] == v.alt[:1]:
        allele = v.alt[1:] or "-"
    hgvs = "".join(_ESCAPE.get(ch, ch) for ch in v.hgvs)
    return "|".join([allele, cons, IMPACT.get(cons, "MODERATE"), gene, hgvs, "", ""])


# characters VCF INFO values cannot hold, percent-encoded as VEP does
_ESCAPE = {";": "%3B", ",": "%2C", "=": "%3D", " ": "%20", "|": "%7C"}
