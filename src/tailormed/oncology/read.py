"""Reading somatic calls at the boundary: VEP- or snpEff-annotated VCF, MAF, fusion lists.

Every problem is an :class:`~tailormed.errors.InputError` naming the file and line (or
record). One annotation per variant is kept: the transcript the user names
(``transcripts``), else VEP's MANE Select / ``CANONICAL=YES`` transcript, else (snpEff,
which has no canonical flag) the first annotation of the ALT allele, which snpEff orders
most severe first.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from tailormed.errors import InputError
from tailormed.knowledge.protein import short_protein
from tailormed.oncology.models import Fusion, SomaticCall

PROTEIN_ALTERING = frozenset(
    {
        "missense_variant",
        "stop_gained",
        "stop_lost",
        "start_lost",
        "frameshift_variant",
        "inframe_insertion",
        "inframe_deletion",
        "disruptive_inframe_insertion",
        "disruptive_inframe_deletion",
        "conservative_inframe_insertion",
        "conservative_inframe_deletion",
        "protein_altering_variant",
        "splice_acceptor_variant",
        "splice_donor_variant",
    }
)
TRUNCATING = frozenset(
    {
        "stop_gained",
        "frameshift_variant",
        "splice_acceptor_variant",
        "splice_donor_variant",
        "start_lost",
    }
)
MAF_CLASS = {
    "Missense_Mutation": "missense_variant",
    "Nonsense_Mutation": "stop_gained",
    "Frame_Shift_Del": "frameshift_variant",
    "Frame_Shift_Ins": "frameshift_variant",
    "In_Frame_Del": "inframe_deletion",
    "In_Frame_Ins": "inframe_insertion",
    "Splice_Site": "splice_donor_variant",
    "Translation_Start_Site": "start_lost",
    "Nonstop_Mutation": "stop_lost",
    "Silent": "synonymous_variant",
}
_RANK = re.compile(r"^(\d+)(?:-\d+)?/\d+$")


@dataclass(frozen=True, slots=True)
class SomaticInput:
    path: str
    format: str  # "vep" | "snpeff" | "maf"
    sample: str
    calls: tuple[SomaticCall, ...]
    records: int
    skipped: tuple[tuple[str, int], ...]


def _open_text(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix in (".gz", ".bgz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            yield from fh
    except FileNotFoundError:
        raise InputError("file does not exist", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the file ({exc})", path=path) from None


def rank(text: str) -> int | None:
    m = _RANK.match(text.strip()) if text else None
    return int(m.group(1)) if m else None


def normalise_consequence(text: str) -> str:
    return "&".join(sorted(t for t in re.split(r"[&,]", text.strip()) if t))


def is_protein_altering(consequence: str) -> bool:
    return any(c in PROTEIN_ALTERING for c in consequence.split("&"))


def is_truncating(consequence: str) -> bool:
    return any(c in TRUNCATING for c in consequence.split("&"))


def read_somatic(
    path: Path,
    *,
    tumor_sample: str | None = None,
    normal_sample: str | None = None,
    transcripts: Collection[str] = (),
) -> SomaticInput:
    """Read a VEP/snpEff-annotated VCF (``.vcf``, ``.vcf.gz``) or a MAF (``.maf``, ``.maf.gz``)."""
    name = path.name.lower()
    if name.endswith((".maf", ".maf.gz", ".maf.txt")):
        return read_maf(path, tumor_sample=tumor_sample, transcripts=transcripts)
    from tailormed.oncology.read_vcf import read_annotated_vcf

    return read_annotated_vcf(
        path, tumor_sample=tumor_sample, normal_sample=normal_sample, transcripts=transcripts
    )


def _int(text: str, path: Path, line: int, column: str) -> int | None:
    text = text.strip()
    if text in ("", ".", "NA"):
        return None
    try:
        value = int(float(text))
    except ValueError:
        raise InputError(f"{column} {text!r} is not a number", path=path, line=line) from None
    if value < 0:
        raise InputError(f"{column} {value} is negative", path=path, line=line)
    return value


MAF_REQUIRED = (
    "Hugo_Symbol",
    "Chromosome",
    "Start_Position",
    "Reference_Allele",
    "Tumor_Seq_Allele2",
    "Variant_Classification",
    "Tumor_Sample_Barcode",
)


def read_maf(
    path: Path, *, tumor_sample: str | None = None, transcripts: Collection[str] = ()
) -> SomaticInput:
    """A MAF (GDC/vcf2maf columns); ``HGVSp``/``HGVSp_Short``, ``t_alt_count``/``t_depth`` used."""
    header: list[str] | None = None
    calls: list[SomaticCall] = []
    skipped: dict[str, int] = {}
    samples: set[str] = set()
    records = 0
    for number, raw in enumerate(_open_text(path), start=1):
        line = raw.rstrip("\n\r")
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            missing = [c for c in MAF_REQUIRED if c not in header]
            if missing:
                raise InputError(
                    f"not a MAF: missing column(s) {', '.join(missing)}", path=path, line=number
                )
            continue
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} fields, the header has {len(header)}", path=path, line=number
            )
        row = dict(zip(header, cells, strict=True))
        records += 1
        sample = row["Tumor_Sample_Barcode"]
        samples.add(sample)
        if tumor_sample and sample != tumor_sample:
            continue
        transcript = row.get("Transcript_ID") or None
        if transcripts and transcript and transcript.split(".")[0] not in transcripts:
            skipped["other transcript"] = skipped.get("other transcript", 0) + 1
            continue
        consequence = row.get("Consequence") or MAF_CLASS.get(row["Variant_Classification"], "")
        consequence = normalise_consequence(consequence or "other")
        hgvs_p = row.get("HGVSp") or None
        if hgvs_p and ":" in hgvs_p:
            hgvs_p = hgvs_p.split(":", 1)[1]
        if hgvs_p and "=" in hgvs_p:
            hgvs_p = None
        short = short_protein(hgvs_p) if hgvs_p else short_protein(row.get("HGVSp_Short"))
        depth = _int(row.get("t_depth", ""), path, number, "t_depth")
        alt_reads = _int(row.get("t_alt_count", ""), path, number, "t_alt_count")
        vaf = None
        if depth and alt_reads is not None:
            if alt_reads > depth:
                raise InputError(
                    f"t_alt_count {alt_reads} exceeds t_depth {depth}", path=path, line=number
                )
            vaf = alt_reads / depth
        filt = row.get("FILTER", "PASS")
        hgvs_c = row.get("HGVSc") or None
        if hgvs_c and ":" in hgvs_c:
            hgvs_c = hgvs_c.split(":", 1)[1]
        calls.append(
            SomaticCall(
                gene=row["Hugo_Symbol"],
                hgvs_p=hgvs_p,
                hgvs_p_short=short,
                hgvs_c=hgvs_c,
                consequence=consequence,
                transcript=transcript,
                chrom=row["Chromosome"].removeprefix("chr"),
                pos=_int(row["Start_Position"], path, number, "Start_Position") or 0,
                ref=row["Reference_Allele"],
                alt=row["Tumor_Seq_Allele2"],
                vaf=vaf,
                depth=depth,
                alt_reads=alt_reads,
                exon=rank(row.get("Exon_Number", "")),
                intron=rank(row.get("INTRON", "")),
                record=f"line {number}",
                passed=filt in ("PASS", ".", ""),
            )
        )
    if header is None:
        raise InputError("empty MAF (no header line)", path=path)
    if tumor_sample and tumor_sample not in samples:
        raise InputError(
            f"tumour sample {tumor_sample!r} is not in the MAF "
            f"(found: {', '.join(sorted(samples))})",
            path=path,
        )
    if not tumor_sample and len(samples) > 1:
        raise InputError(
            f"the MAF holds {len(samples)} tumour samples; choose one with --tumor-sample",
            path=path,
        )
    sample = tumor_sample or (next(iter(samples)) if samples else "")
    return SomaticInput(str(path), "maf", sample, tuple(calls), records, tuple(skipped.items()))


def read_fusions(path: Path) -> tuple[Fusion, ...]:
    """Fusions, one per line: ``GENE5::GENE3`` or ``GENE5<TAB>GENE3`` (``#`` comments)."""
    out: list[Fusion] = []
    for number, raw in enumerate(_open_text(path), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower().startswith(("gene5", "5prime", "fusion")):
            continue  # a header line
        parts = line.split("::") if "::" in line else line.split("\t")
        parts = [p.strip() for p in parts if p.strip()]
        if len(parts) < 2 or not all(re.fullmatch(r"[A-Za-z0-9.\-]+", p) for p in parts[:2]):
            raise InputError(
                "expected a fusion as GENE5::GENE3 or GENE5<TAB>GENE3", path=path, line=number
            )
        out.append(Fusion(parts[0].upper(), parts[1].upper(), f"line {number}"))
    return tuple(out)


def clean_hgvs_p(text: str | None) -> str | None:
    """VEP's ``ENSP…:p.Leu858Arg`` (``%3D`` escaped) → ``p.Leu858Arg``; synonymous → None."""
    if not text:
        return None
    text = unquote(text)
    if ":" in text:
        text = text.split(":", 1)[1]
    if "=" in text or not text.startswith("p."):
        return None
    return text
