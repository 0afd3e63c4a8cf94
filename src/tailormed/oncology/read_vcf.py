"""Somatic VCF annotated by Ensembl VEP (``INFO/CSQ``) or snpEff (``INFO/ANN``).

The annotation's field order is read from the header (VEP: ``Format: Allele|Consequence|…``;
snpEff: ``Functional annotations: 'Allele | Annotation | …'``), never assumed.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

from tailormed.errors import InputError
from tailormed.knowledge.protein import short_protein
from tailormed.oncology.models import SomaticCall
from tailormed.oncology.read import SomaticInput, clean_hgvs_p, normalise_consequence, rank

VEP_FIELDS = ("Allele", "Consequence", "SYMBOL", "Feature", "HGVSp", "HGVSc", "EXON", "INTRON")
SNPEFF_FIELDS = ("Allele", "Annotation", "Gene_Name", "Feature_ID", "HGVS.p", "HGVS.c", "Rank")


def _annotation_fields(raw_header: str, path: Path, header_lines: int) -> tuple[str, list[str]]:
    for line in raw_header.splitlines():
        if line.startswith("##INFO=<ID=CSQ,"):
            m = re.search(r"Format: ([^\"]+)", line)
            if not m:
                break
            fields = [f.strip() for f in m.group(1).split("|")]
            missing = [f for f in VEP_FIELDS if f not in fields]
            if missing:
                raise InputError(
                    f"VEP CSQ lacks field(s) {', '.join(missing)} (run VEP with --symbol --hgvs)",
                    path=path,
                    line=header_lines,
                )
            return "vep", fields
    for line in raw_header.splitlines():
        if line.startswith("##INFO=<ID=ANN,"):
            m = re.search(r"Functional annotations: ?'([^']+)'", line)
            if not m:
                break
            fields = [f.strip().replace(" / ", "/") for f in m.group(1).split("|")]
            fields = [
                {"Annotation_Impact": "Impact", "Gene_ID": "Gene_ID"}.get(f, f) for f in fields
            ]
            missing = [f for f in SNPEFF_FIELDS if f not in fields]
            if missing:
                raise InputError(
                    f"snpEff ANN lacks field(s) {', '.join(missing)}", path=path, line=header_lines
                )
            return "snpeff", fields
    raise InputError(
        "the VCF is not annotated: no VEP CSQ or snpEff ANN field in its header "
        "(annotate it with VEP --hgvs --symbol --canonical or snpEff first)",
        path=path,
        line=header_lines,
    )


def _choose_sample(
    samples: list[str], tumor: str | None, normal: str | None, path: Path
) -> int | None:
    if not samples:
        return None
    if tumor:
        if tumor not in samples:
            raise InputError(
                f"tumour sample {tumor!r} is not in the VCF (samples: {', '.join(samples)})",
                path=path,
            )
        return samples.index(tumor)
    others = [s for s in samples if s != normal]
    if normal and normal not in samples:
        raise InputError(
            f"normal sample {normal!r} is not in the VCF (samples: {', '.join(samples)})", path=path
        )
    if len(others) == 1:
        return samples.index(others[0])
    upper = [s for s in others if s.upper() in ("TUMOR", "TUMOUR")]
    if len(upper) == 1:
        return samples.index(upper[0])
    raise InputError(
        f"the VCF holds samples {', '.join(samples)}: name the tumour with --tumor-sample",
        path=path,
    )


def _pick(
    entries: list[dict[str, str]], alt: str, kind: str, transcripts: Collection[str]
) -> dict[str, str] | None:
    mine = [e for e in entries if e.get("Allele") in (alt, "-") or len(entries) == 1]
    mine = mine or entries
    if transcripts:
        for e in mine:
            feature = (e.get("Feature") or e.get("Feature_ID") or "").split(".")[0]
            if feature in transcripts:
                return e
        return None
    if kind == "vep":
        for flag in ("MANE_SELECT", "MANE"):
            for e in mine:
                if e.get(flag):
                    return e
        for e in mine:
            if e.get("CANONICAL") == "YES":
                return e
        coding = [e for e in mine if e.get("SYMBOL")]
        return coding[0] if coding else None
    coding = [e for e in mine if e.get("Gene_Name")]
    return coding[0] if coding else None


def read_annotated_vcf(
    path: Path,
    *,
    tumor_sample: str | None = None,
    normal_sample: str | None = None,
    transcripts: Collection[str] = (),
) -> SomaticInput:
    from cyvcf2 import VCF

    if not path.is_file():
        raise InputError("file does not exist", path=path)
    try:
        vcf = VCF(str(path), lazy=True)
    except (OSError, ValueError) as exc:
        raise InputError(f"not a readable VCF ({exc})", path=path) from None
    raw_header: str = vcf.raw_header
    header_lines = raw_header.count("\n")
    kind, fields = _annotation_fields(raw_header, path, header_lines)
    tag = "CSQ" if kind == "vep" else "ANN"
    samples = list(vcf.samples)
    index = _choose_sample(samples, tumor_sample, normal_sample, path)
    wanted = {t.split(".")[0] for t in transcripts}
    has_af = "AF" in {h["ID"] for h in vcf.header_iter() if h["HeaderType"] == "FORMAT"}
    calls: list[SomaticCall] = []
    skipped: dict[str, int] = {}
    records = 0
    for records, rec in enumerate(vcf, start=1):
        line = header_lines + records
        alts = rec.ALT
        if not alts:
            skipped["no ALT allele"] = skipped.get("no ALT allele", 0) + 1
            continue
        if len(alts) > 1:
            raise InputError(
                f"{len(alts)} ALT alleles: split multi-allelic records first (bcftools norm -m-)",
                path=path,
                line=line,
            )
        alt = alts[0]
        value = rec.INFO.get(tag)
        if not value:
            skipped["no annotation"] = skipped.get("no annotation", 0) + 1
            continue
        entries = []
        for chunk in str(value).split(","):
            cells = chunk.split("|")
            if len(cells) != len(fields):
                raise InputError(
                    f"{tag} entry has {len(cells)} fields, the header declares {len(fields)}",
                    path=path,
                    line=line,
                )
            entries.append(dict(zip(fields, cells, strict=True)))
        if kind == "snpeff":
            vep_alt = alt
        else:
            vep_alt = alt[1:] if len(alt) > 1 and alt[0] == rec.REF[0] else alt
            vep_alt = vep_alt or "-"
        entry = _pick(entries, vep_alt, kind, wanted)
        if entry is None:
            skipped["no annotation of the chosen transcript"] = (
                skipped.get("no annotation of the chosen transcript", 0) + 1
            )
            continue
        vaf, depth, alt_reads = _allele_fraction(rec, index, has_af, path, line)
        if kind == "vep":
            gene = entry["SYMBOL"]
            consequence = normalise_consequence(entry["Consequence"])
            hgvs_p = clean_hgvs_p(entry["HGVSp"])
            hgvs_c = unquote_c(entry["HGVSc"])
            exon, intron = rank(entry["EXON"]), rank(entry["INTRON"])
            transcript = entry["Feature"] or None
            canonical = bool(entry.get("CANONICAL") == "YES" or entry.get("MANE_SELECT"))
        else:
            gene = entry["Gene_Name"]
            consequence = normalise_consequence(entry["Annotation"])
            hgvs_p = clean_hgvs_p(entry["HGVS.p"])
            hgvs_c = entry["HGVS.c"] or None
            r = rank(entry["Rank"])
            in_intron = "intron" in consequence or "splice" in consequence
            exon, intron = (None, r) if in_intron else (r, None)
            transcript = entry["Feature_ID"] or None
            canonical = bool(wanted)
        calls.append(
            SomaticCall(
                gene=gene,
                hgvs_p=hgvs_p,
                hgvs_p_short=short_protein(hgvs_p),
                hgvs_c=hgvs_c,
                consequence=consequence,
                transcript=transcript,
                chrom=str(rec.CHROM).removeprefix("chr"),
                pos=int(rec.POS),
                ref=rec.REF,
                alt=alt,
                vaf=vaf,
                depth=depth,
                alt_reads=alt_reads,
                exon=exon,
                intron=intron,
                record=f"line {line}",
                canonical=canonical,
                passed=rec.FILTER is None,
            )
        )
    sample = samples[index] if index is not None else path.name
    return SomaticInput(str(path), kind, sample, tuple(calls), records, tuple(skipped.items()))


def unquote_c(text: str) -> str | None:
    if not text:
        return None
    return text.split(":", 1)[1] if ":" in text else text


def _allele_fraction(
    rec: object, index: int | None, has_af: bool, path: Path, line: int
) -> tuple[float | None, int | None, int | None]:
    """VAF from FORMAT/AF, else FORMAT/AD; depth from FORMAT/DP or the AD sum."""
    if index is None:
        return None, None, None
    vaf: float | None = None
    depth: int | None = None
    alt_reads: int | None = None
    ad = rec.format("AD")  # type: ignore[attr-defined]
    if ad is not None:
        counts = [int(x) for x in ad[index] if int(x) >= 0]
        if len(counts) >= 2:
            alt_reads = counts[1]
            depth = sum(counts)
            vaf = alt_reads / depth if depth else None
    dp = rec.format("DP")  # type: ignore[attr-defined]
    if dp is not None and int(dp[index][0]) >= 0:
        depth = int(dp[index][0])
    if has_af:
        af = rec.format("AF")  # type: ignore[attr-defined]
        if af is not None:
            value = float(af[index][0])
            if value == value:  # not NaN (missing)
                vaf = value
    if vaf is not None and not 0.0 <= vaf <= 1.0:
        raise InputError(f"allele fraction {vaf} is outside 0-1", path=path, line=line)
    return vaf, depth, alt_reads
