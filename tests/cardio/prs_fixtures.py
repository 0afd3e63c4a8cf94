"""A small synthetic genotype file and scoring file whose scores are worked out by hand."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=248956422>\n"
    "##contig=<ID=X,length=156040895>\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tF1\tM1\tF2\n"
)
RECORDS = [
    ("1", 100, "A", "G", ("0/1", "1/1", "./.")),
    ("1", 200, "C", "T", ("0|0", "0/1", "1/1")),
    ("1", 300, "A", "T", ("0/1", "1/1", "0/0")),
    ("1", 400, "G", "A,C", ("1/2", "2/2", "0/1")),
    ("1", 500, "C", "A", ("0|1", "0/0", "1|1")),
    ("1", 500, "C", "T", ("1|0", "0/0", "0|0")),
    ("1", 600, "CAT", "C", ("0/1", "0/0", "1/1")),
    ("1", 700, "G", "A", ("0/.", "0/1", "1/1")),
    ("X", 1000, "A", "G", ("0/1", "1", "1/1")),
    ("X", 2000, "C", "T", ("0/0", ".", "0/1")),
]

SCORE_HEAD = (
    "###PGS CATALOG SCORING FILE - synthetic test\n"
    "#format_version=2.0\n##POLYGENIC SCORE (PGS) INFORMATION\n#pgs_id=PGS_SYN\n"
    "#genome_build=GRCh38\n"
    "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n"
)
# (chrom, pos, effect, other, weight): what each row tests
SCORE_ROWS = [
    ("1", 100, "G", "A", 1.0),  # effect = ALT
    ("1", 200, "G", "A", 2.0),  # reverse strand of C/T: flipped, effect = REF
    ("1", 300, "A", "T", 5.0),  # palindromic: excluded by default
    ("1", 400, "C", "A", 0.5),  # second ALT of a multiallelic record
    ("1", 500, "C", "T", 3.0),  # REF of a site split over two records
    ("1", 500, "A", "C", 10.0),  # ALT of the first split record
    ("X", 1000, "G", "A", 1.0),  # haploid in M1
    ("X", 2000, "T", "C", 1.0),  # missing in M1
    ("1", 600, "C", "CAT", 1.0),  # deletion
    ("1", 700, "A", "G", 1.0),  # half-missing call in F1
    ("1", 800, "A", "G", 100.0),  # position absent
    ("1", 100, "T", "G", 100.0),  # alleles do not fit
]

# By hand (one allele per haploid call), in sample order F1, M1, F2:
EXPECTED_SUMS = (17.5, 13.0, 27.0)
EXPECTED_ALLELES = (16, 15, 16)  # 9 matched variants, minus missing, haploid X in M1 = 1
EXPECTED_MISSING = (1, 1, 1)
# plink2's convention (haploid counted twice): M1 gains 1 (X:1000) and one allele
EXPECTED_SUMS_DOUBLE = (17.5, 14.0, 27.0)
EXPECTED_ALLELES_DOUBLE = (16, 16, 16)
# palindromic 1:300 kept: effect A, weight 5: F1 1 copy, M1 0, F2 2 copies
EXPECTED_SUMS_KEEP = (22.5, 13.0, 37.0)


def write_vcf(path: Path) -> Path:
    lines = [HEADER]
    for chrom, pos, ref, alt, gts in RECORDS:
        lines.append(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\tGT\t" + "\t".join(gts) + "\n")
    path.write_text("".join(lines))
    return path


def write_score(path: Path) -> Path:
    rows = "".join(f"{c}\t{p}\t{e}\t{o}\t{w}\n" for c, p, e, o, w in SCORE_ROWS)
    path.write_text(SCORE_HEAD + rows)
    return path
