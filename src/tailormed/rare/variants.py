"""Read a patient's variants for rare-disease ranking (VEP ``CSQ``, snpEff ``ANN``, or none).

Each called alternate allele of the chosen sample becomes a
:class:`~tailormed.rare.models.Variant` per gene it touches, with the most damaging
consequence among that gene's transcripts, the population allele frequency when annotated
(the largest of the gnomAD / MAX_AF fields present, in the annotation or INFO) and the
ClinVar significance when annotated (``CLIN_SIG`` / ``ClinVar_CLNSIG`` / INFO ``CLNSIG``).
A VCF without consequence annotation is mapped to genes with the bundled GRCh38 gene
coordinates and its consequences are ``unknown`` (the result says so).

Only GRCh38 is accepted: a header naming GRCh37/hg19 or giving GRCh37 contig lengths is
refused; a header that states no build gives a warning.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from tailormed.errors import InputError
from tailormed.knowledge.rare.loader import GeneCoords
from tailormed.rare.genotype import clinvar_adjust, consequence_score
from tailormed.rare.models import Sex, Variant, Zygosity

SNPEFF_FIELDS = (
    "Allele",
    "Annotation",
    "Annotation_Impact",
    "Gene_Name",
    "Gene_ID",
    "Feature_Type",
    "Feature_ID",
    "Transcript_BioType",
    "Rank",
    "HGVS.c",
    "HGVS.p",
)
AF_KEYS = (
    "gnomADe_AF",
    "gnomADg_AF",
    "gnomAD_AF",
    "gnomAD_exomes_AF",
    "gnomAD_genomes_AF",
    "gnomad_AF",
    "MAX_AF",
    "AF_popmax",
    "gnomAD_AF_popmax",
)
CLINVAR_KEYS = ("CLIN_SIG", "ClinVar_CLNSIG", "CLNSIG")
CHR1_GRCH38 = 248956422
CHR1_GRCH37 = 249250621
PAR_X = ((10001, 2781479), (155701383, 156030895))


@dataclass(frozen=True, slots=True)
class SampleVariants:
    """One sample's candidate variants by gene, and what the reader noticed."""

    source: str
    sample: str
    annotation: str  # "VEP CSQ", "snpEff ANN" or "none (gene coordinates)"
    by_gene: dict[str, tuple[Variant, ...]]
    warnings: tuple[str, ...] = field(default=())


def _check_build(header: str, path: Path) -> list[str]:
    text = header.lower()
    if re.search(r"grch37|hg19|b37|hs37d5|human_g1k_v37", text):
        raise InputError(
            "the VCF header names GRCh37/hg19; rare-disease ranking needs GRCh38", path=path
        )
    m = re.search(r"##contig=<id=(?:chr)?1,length=(\d+)", text)
    if m and int(m.group(1)) == CHR1_GRCH37:
        raise InputError(
            "contig chr1 has the GRCh37 length; rare-disease ranking needs GRCh38", path=path
        )
    if (m and int(m.group(1)) == CHR1_GRCH38) or re.search(r"grch38|hg38", text):
        return []
    return ["the VCF header does not state its genome build; GRCh38 is assumed"]


def _csq_fields(vcf: Any, path: Path) -> tuple[str, tuple[str, ...]] | None:
    for key in ("CSQ", "ANN"):
        try:
            info = vcf.get_header_type(key)
        except KeyError:
            continue
        desc = str(info.get("Description", ""))
        if key == "CSQ":
            m = re.search(r"Format:\s*([^\"]+)", desc)
            if not m:
                raise InputError("INFO CSQ header has no 'Format:' field list", path=path)
            return key, tuple(f.strip() for f in m.group(1).strip().strip('"').split("|"))
        return key, SNPEFF_FIELDS
    return None


def _vep_allele(ref: str, alt: str, alts: Sequence[str]) -> str:
    """VEP's allele string: the shared first base is dropped from indels (``-`` if empty)."""
    if all(len(a) == len(ref) == 1 for a in alts):
        return alt
    if all(a[:1] == ref[:1] for a in alts):
        return alt[1:] or "-"
    return alt


def _float(value: Any) -> float | None:
    if value is None or value == "" or value == ".":
        return None
    if isinstance(value, tuple | list):
        values = [v for v in (_float(x) for x in value) if v is not None]
        return max(values) if values else None
    try:
        return float(str(value).split("&")[0])
    except ValueError:
        return None


@cache
def _coord_index(coords: GeneCoords) -> dict[str, tuple[np.ndarray, np.ndarray, list[str]]]:
    out: dict[str, tuple[list[int], list[int], list[str]]] = {}
    for s, c, a, b in zip(coords.symbol, coords.chrom, coords.start, coords.end, strict=True):
        entry = out.setdefault(c, ([], [], []))
        entry[0].append(int(a))
        entry[1].append(int(b))
        entry[2].append(s)
    return {c: (np.asarray(a), np.asarray(b), s) for c, (a, b, s) in out.items()}


def genes_at(coords: GeneCoords, chrom: str, pos: int) -> list[str]:
    """Protein-coding genes whose GRCh38 interval holds ``chrom:pos``."""
    c = chrom if chrom.startswith("chr") else f"chr{chrom}"
    if c == "chrM":
        c = "chrMT"
    entry = _coord_index(coords).get(c)
    if entry is None:
        return []
    starts, ends, symbols = entry
    return [symbols[i] for i in np.flatnonzero((starts <= pos) & (ends >= pos))]


def _zygosity(copies: int, ploidy: int, chrom: str, pos: int, sex: Sex) -> Zygosity:
    c = chrom.removeprefix("chr")
    if ploidy == 1:
        return "hemizygous"
    non_par = c == "X" and not any(a <= pos <= b for a, b in PAR_X)
    if copies >= 2:
        return "hemizygous" if sex == "MALE" and (non_par or c == "Y") else "homozygous"
    return "heterozygous"


@contextlib.contextmanager
def _open(path: Path) -> Iterator[Any]:
    from cyvcf2 import VCF

    if not path.is_file():
        raise InputError("VCF file not found", path=path)
    try:
        vcf = VCF(str(path), gts012=False, lazy=True)
    except (OSError, Exception) as exc:
        raise InputError(f"cannot read VCF ({exc})", path=path) from None
    try:
        yield vcf
    finally:
        vcf.close()


def _records(vcf: Any, path: Path) -> Iterator[tuple[int, Any]]:
    """The records with their numbers; an unparsable record is an InputError naming it."""
    number = 0
    iterator = iter(vcf)
    while True:
        number += 1
        try:
            rec = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # cyvcf2 raises a bare Exception for htslib parse errors
            raise InputError(
                f"cannot parse the record after record {number - 1} ({exc})", path=path
            ) from None
        yield number, rec


def vcf_samples(path: Path) -> list[str]:
    with _open(path) as vcf:
        return list(vcf.samples)


def read_variants(
    path: Path, coords: GeneCoords, samples: dict[str, Sex]
) -> dict[str, SampleVariants]:
    """Variants of the given samples (name → sex) from one VCF file, read in one pass."""
    with _open(path) as vcf:
        warnings = _check_build(vcf.raw_header, path)
        names = list(vcf.samples)
        cols = {}
        for s in samples:
            if s not in names:
                raise InputError(f"sample {s!r} is not in the VCF (it has {names})", path=path)
            cols[s] = names.index(s)
        ann = _csq_fields(vcf, path)
        label = {"CSQ": "VEP CSQ", "ANN": "snpEff ANN"}.get(ann[0] if ann else "", "")
        if ann is None:
            label = "none (gene coordinates)"
            warnings.append(
                "the VCF has no VEP or snpEff annotation: variants were mapped to genes by "
                "coordinates and their consequences are unknown"
            )
        found: dict[str, dict[str, dict[str, Variant]]] = {s: {} for s in samples}
        for number, rec in _records(vcf, path):
            try:
                gts = rec.genotypes
            except Exception as exc:  # cyvcf2 raises bare exceptions on broken records
                raise InputError(
                    f"cannot read genotypes ({exc})", path=path, record=f"record {number}"
                ) from None
            alts = list(rec.ALT)
            if not alts:
                continue
            per_allele = _annotations(rec, ann, alts, coords)
            for s, col in cols.items():
                gt = gts[col]
                calls = [a for a in gt[:-1] if isinstance(a, int)]
                ploidy = len(calls)
                for k, alt in enumerate(alts, start=1):
                    copies = sum(1 for a in calls if a == k)
                    if copies == 0 or alt in ("*", "<NON_REF>", "<*>"):
                        continue
                    zyg = _zygosity(copies, ploidy, rec.CHROM, rec.POS, samples[s])
                    for gene, (cons, path_score, af, clin, hgvs) in per_allele.get(k, {}).items():
                        v = Variant(
                            chrom=rec.CHROM,
                            pos=rec.POS,
                            ref=rec.REF,
                            alt=alt,
                            gene=gene,
                            consequence=cons,
                            zygosity=zyg,
                            pathogenicity=path_score,
                            allele_frequency=af,
                            clinvar=clin,
                            hgvs=hgvs,
                        )
                        found[s].setdefault(gene, {})[v.label] = v
    return {
        s: SampleVariants(
            source=str(path),
            sample=s,
            annotation=label,
            by_gene={g: tuple(vs.values()) for g, vs in genes.items()},
            warnings=tuple(warnings),
        )
        for s, genes in found.items()
    }


def _annotations(
    rec: Any, ann: tuple[str, tuple[str, ...]] | None, alts: list[str], coords: GeneCoords
) -> dict[int, dict[str, tuple[str, float, float | None, str | None, str | None]]]:
    """Per ALT allele number: gene → (consequence, pathogenicity, AF, ClinVar, HGVS)."""
    info_af = max(
        (f for f in (_float(rec.INFO.get(k)) for k in AF_KEYS) if f is not None), default=None
    )
    info_clin = rec.INFO.get("CLNSIG")
    info_clin = None if info_clin is None else str(info_clin)
    out: dict[int, dict[str, tuple[str, float, float | None, str | None, str | None]]] = {}
    if ann is None:
        genes = genes_at(coords, rec.CHROM, rec.POS)
        for k in range(1, len(alts) + 1):
            out[k] = {
                g: ("unknown", clinvar_adjust(0.3, info_clin), info_af, info_clin, None)
                for g in genes
            }
        return out
    key, fields = ann
    raw = rec.INFO.get(key)
    if raw is None:
        return out
    pos = {f: i for i, f in enumerate(fields)}
    gene_key = "SYMBOL" if key == "CSQ" else "Gene_Name"
    cons_key = "Consequence" if key == "CSQ" else "Annotation"
    hgvs_key = "HGVSc" if key == "CSQ" else "HGVS.c"
    allele_of = {
        (_vep_allele(rec.REF, a, alts) if key == "CSQ" else a): k
        for k, a in enumerate(alts, start=1)
    }
    for entry in str(raw).split(","):
        parts = entry.split("|")
        if len(parts) < len(fields) and key == "CSQ":
            continue

        def get(name: str, parts: list[str] = parts) -> str:
            i = pos.get(name)
            return parts[i] if i is not None and i < len(parts) else ""

        k = allele_of.get(get("Allele"), 1 if len(alts) == 1 else 0)
        gene = get(gene_key)
        if not k or not gene:
            continue
        cons, score = consequence_score(get(cons_key).split("&"))
        af = max(
            (f for f in [info_af, *(_float(get(f)) for f in AF_KEYS if f in pos)] if f is not None),
            default=None,
        )
        clin = next((get(c) for c in CLINVAR_KEYS if get(c)), None) or info_clin
        score = clinvar_adjust(score, clin)
        hgvs = get(hgvs_key) or None
        prev = out.setdefault(k, {}).get(gene)
        if prev is None or score > prev[1]:
            out[k][gene] = (cons, score, af, clin, hgvs)
    return out
