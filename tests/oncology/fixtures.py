"""Writers of small annotated tumour inputs for the oncology tests (synthetic patients).

The same variants are written as a VEP-annotated VCF (CSQ), a snpEff-annotated VCF (ANN)
and a MAF, each in that tool's own layout, so that the three readers can be compared.
Coordinates are GRCh38 positions of the named changes on the MANE transcripts
(EGFR ENST00000275493.7, BRAF ENST00000646891.2, TP53 ENST00000269305.9, KRAS
ENST00000311936.8); they are not used for matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class V:
    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    consequence: str
    hgvs_c: str
    hgvs_p: str  # p.Leu858Arg ("" for none)
    exon: str  # "21/28" ("" for intronic)
    transcript: str
    alt_reads: int = 60
    depth: int = 200
    filter: str = "PASS"


EGFR_TX = "ENST00000275493.7"
L858R = V(
    "EGFR",
    "7",
    55191822,
    "T",
    "G",
    "missense_variant",
    "c.2573T>G",
    "p.Leu858Arg",
    "21/28",
    EGFR_TX,
)
T790M = V(
    "EGFR",
    "7",
    55181378,
    "C",
    "T",
    "missense_variant",
    "c.2369C>T",
    "p.Thr790Met",
    "20/28",
    EGFR_TX,
    alt_reads=20,
)
EX19DEL = V(
    "EGFR",
    "7",
    55174771,
    "AGGAATTAAGAGAAGCA",
    "A",
    "inframe_deletion",
    "c.2235_2249del",
    "p.Glu746_Ala750del",
    "19/28",
    EGFR_TX,
)
BRAF_V600E = V(
    "BRAF",
    "7",
    140753336,
    "A",
    "T",
    "missense_variant",
    "c.1799T>A",
    "p.Val600Glu",
    "15/18",
    "ENST00000646891.2",
    alt_reads=80,
)
TP53_R273H = V(
    "TP53",
    "17",
    7673802,
    "C",
    "T",
    "missense_variant",
    "c.818G>A",
    "p.Arg273His",
    "8/11",
    "ENST00000269305.9",
    alt_reads=90,
)
KRAS_G12C = V(
    "KRAS",
    "12",
    25245351,
    "C",
    "A",
    "missense_variant",
    "c.34G>T",
    "p.Gly12Cys",
    "2/6",
    "ENST00000311936.8",
)
SYNONYMOUS = V(
    "EGFR",
    "7",
    55181370,
    "C",
    "T",
    "synonymous_variant",
    "c.2361G>A",
    "p.Gln787=",
    "20/28",
    EGFR_TX,
)
VUS = V(
    "OR4F5",
    "1",
    69511,
    "A",
    "G",
    "missense_variant",
    "c.421A>G",
    "p.Thr141Ala",
    "1/1",
    "ENST00000641515.2",
)

VEP_FORMAT = (
    "Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|"
    "HGVSp|CANONICAL|MANE_SELECT"
)
SNPEFF_FORMAT = (
    "Allele | Annotation | Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | "
    "Feature_ID | Transcript_BioType | Rank | HGVS.c | HGVS.p | cDNA.pos / cDNA.length | "
    "CDS.pos / CDS.length | AA.pos / AA.length | Distance | ERRORS / WARNINGS / INFO"
)


def _header(info: str) -> list[str]:
    return [
        "##fileformat=VCFv4.2",
        "##reference=GRCh38",
        "##contig=<ID=1>",
        "##contig=<ID=7>",
        "##contig=<ID=12>",
        "##contig=<ID=17>",
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality">',
        info,
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tTUMOR\tNORMAL",
    ]


def _vep_alt(v: V) -> str:
    return v.alt[1:] if len(v.alt) < len(v.ref) and v.alt == v.ref[0] else v.alt


def _samples(v: V) -> str:
    return f"0/1:{v.depth - v.alt_reads},{v.alt_reads}:{v.depth}\t0/0:150,0:150"


def write_vep(path: Path, variants: list[V], *, annotate: bool = True) -> Path:
    info = (
        '##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from '
        f'Ensembl VEP. Format: {VEP_FORMAT}">'
        if annotate
        else '##INFO=<ID=DP,Number=1,Type=Integer,Description="Depth">'
    )
    lines = _header(info)
    for v in variants:
        allele = "-" if _vep_alt(v) == "" else _vep_alt(v)
        if len(v.alt) < len(v.ref):
            allele = "-"
        ensp = "ENSP00000275493.2" if v.gene == "EGFR" else "ENSP00000000001.1"
        hgvsp = f"{ensp}:{v.hgvs_p.replace('=', '%3D')}" if v.hgvs_p else ""
        exon, intron = (v.exon, "") if v.exon else ("", "1/1")
        other = (
            f"{allele}|{v.consequence}|MODIFIER|{v.gene}|ENSG0|Transcript|ENST99999999.1|"
            f"protein_coding|{exon}|{intron}|ENST99999999.1:c.1A>G|ENSP9:p.Met1Val||"
        )
        mane = (
            f"{allele}|{v.consequence}|MODERATE|{v.gene}|ENSG0|Transcript|{v.transcript}|"
            f"protein_coding|{exon}|{intron}|{v.transcript}:{v.hgvs_c}|{hgvsp}|YES|NM_0.1"
        )
        info_field = f"CSQ={other},{mane}" if annotate else "DP=200"
        lines.append(
            f"{v.chrom}\t{v.pos}\t.\t{v.ref}\t{v.alt}\t60\t{v.filter}\t{info_field}\t"
            f"GT:AD:DP\t{_samples(v)}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def write_snpeff(path: Path, variants: list[V]) -> Path:
    info = (
        '##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: '
        f"'{SNPEFF_FORMAT}' \">"
    )
    lines = _header(info)
    for v in variants:
        ann = (
            f"{v.alt}|{v.consequence}|MODERATE|{v.gene}|ENSG0|transcript|{v.transcript}|"
            f"protein_coding|{v.exon}|{v.hgvs_c}|{v.hgvs_p}|||||"
        )
        lines.append(
            f"{v.chrom}\t{v.pos}\t.\t{v.ref}\t{v.alt}\t60\t{v.filter}\tANN={ann}\t"
            f"GT:AD:DP\t{_samples(v)}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


MAF_CLASS = {
    "missense_variant": "Missense_Mutation",
    "inframe_deletion": "In_Frame_Del",
    "synonymous_variant": "Silent",
}


def write_maf(path: Path, variants: list[V], sample: str = "TUMOR") -> Path:
    cols = [
        "Hugo_Symbol",
        "Chromosome",
        "Start_Position",
        "Reference_Allele",
        "Tumor_Seq_Allele2",
        "Variant_Classification",
        "Tumor_Sample_Barcode",
        "HGVSc",
        "HGVSp",
        "HGVSp_Short",
        "Transcript_ID",
        "Exon_Number",
        "t_depth",
        "t_ref_count",
        "t_alt_count",
        "Consequence",
        "FILTER",
    ]
    lines = ["#version 2.4", "\t".join(cols)]
    for v in variants:
        ref, alt, pos = v.ref, v.alt, v.pos
        if len(alt) < len(ref):  # MAF drops the VCF anchor base
            ref, alt, pos = ref[1:], "-", pos + 1
        lines.append(
            "\t".join(
                [
                    v.gene,
                    v.chrom,
                    str(pos),
                    ref,
                    alt,
                    MAF_CLASS[v.consequence],
                    sample,
                    v.hgvs_c,
                    v.hgvs_p,
                    "",
                    v.transcript.split(".")[0],
                    v.exon,
                    str(v.depth),
                    str(v.depth - v.alt_reads),
                    str(v.alt_reads),
                    v.consequence,
                    v.filter,
                ]
            )
        )
    path.write_text("\n".join(lines) + "\n")
    return path
