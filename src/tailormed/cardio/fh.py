"""Familial hypercholesterolaemia: monogenic variants from a VCF and the Dutch Lipid Clinic score.

Variants that count (from the ``cardio`` bundle): ClinVar pathogenic / likely pathogenic
LDLR variants, the curated APOB FH variants, and PCSK9 *gain-of-function* variants only
(loss-of-function PCSK9 variants lower LDL-C and are never counted). Records are read over
each gene's span and compared allele by allele with a representation-independent key (the
shared bases of REF and ALT trimmed, leading bases first, as VCF anchors them), so anchored
and anchor-less spellings of the same small indel agree. Copy-number variants of LDLR (a
large share of FH) cannot be seen in a VCF: every result says so.

The Dutch Lipid Clinic Network score (Nordestgaard 2013, Table 1) adds the highest item of
each group: family history, clinical history, physical examination, LDL-C (mmol/L; mg/dL
converted with 0.02586) and the DNA finding. Items not given are listed: the score is then a
lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tailormed.cardio.prs.genotypes import GenotypeFiles
from tailormed.factors import PatientFactors
from tailormed.knowledge.cardio import CardioKnowledge, FhVariant

PAD = 200  # bases read beyond the first and last listed variant of a gene


def variant_key(pos: int, ref: str, alt: str) -> tuple[int, str, str]:
    """``(start, deleted, inserted)``: shared leading bases trimmed first, then trailing ones.

    >>> variant_key(11089393, "GACCCCA", "G") == variant_key(11089394, "ACCCCA", "")
    True
    """
    ref, alt = ref.upper(), alt.upper()
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    return pos, ref, alt


def _bundle_key(v: FhVariant) -> tuple[str, tuple[int, str, str]]:
    if v.ref == "":  # ClinVar insertion without anchor: after position ``pos``
        return v.chrom, (v.pos + 1, "", v.alt.upper())
    if v.alt == "":  # deletion without anchor: ``pos`` is the first deleted base
        return v.chrom, (v.pos, v.ref.upper(), "")
    return v.chrom, variant_key(v.pos, v.ref, v.alt)


@dataclass(frozen=True, slots=True)
class FhVariantHit:
    """A listed FH variant carried by the sample (or a no-call where one is listed)."""

    gene: str
    chrom: str
    pos: int
    ref: str
    alt: str
    hgvs: str
    classification: str
    clinvar: str
    copies: int  # 1 heterozygous, 2 homozygous; 0 with ``no_call``
    no_call: bool = False

    @property
    def label(self) -> str:
        return f"{self.gene} {self.hgvs} (ClinVar {self.clinvar}, {self.classification})"


@dataclass(frozen=True, slots=True)
class DlcnScore:
    points: int
    category: str  # definite | probable | possible | unlikely
    items: tuple[tuple[str, str, int], ...]  # (group, item, points) counted
    ldl_mmol_l: float | None
    not_given: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FhResult:
    sample: str
    hits: tuple[FhVariantHit, ...]
    dlcn: DlcnScore
    limitations: tuple[str, ...]
    advice: tuple[str, ...]
    knowledge_version: str

    @property
    def carriers(self) -> tuple[FhVariantHit, ...]:
        return tuple(h for h in self.hits if not h.no_call)

    @property
    def monogenic(self) -> bool:
        return bool(self.carriers)


def dlcn_score(
    f: PatientFactors, dna_variant: bool, kn: CardioKnowledge | None = None
) -> DlcnScore:
    """The Dutch Lipid Clinic Network score from the factors and the DNA finding."""
    kn = kn or CardioKnowledge.load()
    table = kn.section("dlcn")
    items: list[tuple[str, str, int]] = []
    not_given: list[str] = []
    notes: list[str] = []
    for group in ("family_history", "clinical_history", "physical_examination"):
        best: tuple[str, int] | None = None
        for name, points in table[group].items():
            value = getattr(f, name)
            if value is None:
                not_given.append(name)
            elif value and (best is None or points > best[1]):
                best = (name, int(points))
        if best:
            items.append((group, best[0], best[1]))
    ldl = None
    if f.ldl_cholesterol_mg_dl is None:
        not_given.append("ldl_cholesterol_mg_dl")
    else:
        ldl = f.ldl_cholesterol_mg_dl * float(table["mg_dl_to_mmol_l"])
        for threshold, points in table["ldl_mmol_l"]:
            if ldl >= threshold:
                items.append(
                    ("ldl_cholesterol", f"LDL-C {ldl:.2f} mmol/L (>= {threshold})", points)
                )
                break
        if f.on_statin:
            notes.append(
                "the score uses untreated LDL-C; the value given was measured on a statin, "
                "so the LDL-C item may be scored too low"
            )
    if dna_variant:
        items.append(("dna", "causal variant in LDLR, APOB or PCSK9", int(table["dna"])))
    total = sum(p for _, _, p in items)
    category = next(name for low, name in table["categories"] if total >= low)
    if not_given:
        notes.append(
            f"not given: {', '.join(not_given)} — the score counts only the items given "
            "and may be higher"
        )
    return DlcnScore(total, category, tuple(items), ldl, tuple(not_given), tuple(notes))


def _spans(variants: Sequence[FhVariant]) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for v in variants:
        lo, hi = spans.get(v.chrom, (v.pos, v.pos))
        spans[v.chrom] = (min(lo, v.pos), max(hi, v.pos))
    return {c: (max(1, lo - PAD), hi + PAD) for c, (lo, hi) in spans.items()}


def find_fh_variants(
    inputs: Sequence[Path],
    samples: Sequence[str] | None = None,
    kn: CardioKnowledge | None = None,
) -> dict[str, tuple[FhVariantHit, ...]]:
    """Listed FH variants carried by each sample (and no-calls at listed alleles)."""
    kn = kn or CardioKnowledge.load()
    files = GenotypeFiles(inputs, samples)
    listed: dict[tuple[str, tuple[int, str, str]], FhVariant] = {}
    for v in kn.fh_variants:
        listed.setdefault(_bundle_key(v), v)
    hits: dict[str, list[FhVariantHit]] = {s: [] for s in files.samples}
    for group in files.spans(_spans(kn.fh_variants)):
        for i, rec in enumerate(group.raw):
            for j, alt in enumerate(rec.ALT, start=1):
                known = listed.get((group.chrom, variant_key(group.pos, rec.REF, alt)))
                if known is None:
                    continue
                a0, a1 = group.alleles(i)
                copies = (a0 == j).astype(np.int8) + (a1 == j)
                missing = (a0 == -1) | (a1 == -1)
                for k in np.flatnonzero((copies > 0) | missing):
                    hits[files.samples[k]].append(_hit(known, int(copies[k]), bool(missing[k])))
    return {s: tuple(h) for s, h in hits.items()}


def records_in_fh_regions(inputs: Sequence[Path], kn: CardioKnowledge | None = None) -> int:
    """How many records of ``inputs`` lie in the regions of the listed FH variants (0: the
    input, e.g. a targeted pharmacogenomic panel, cannot show any of them)."""
    kn = kn or CardioKnowledge.load()
    files = GenotypeFiles(inputs)
    return sum(len(group.raw) for group in files.spans(_spans(kn.fh_variants)))


def _hit(v: FhVariant, copies: int, missing: bool) -> FhVariantHit:
    return FhVariantHit(
        gene=v.gene,
        chrom=v.chrom,
        pos=v.pos,
        ref=v.ref,
        alt=v.alt,
        hgvs=v.hgvs,
        classification=v.classification,
        clinvar=v.clinvar,
        copies=copies,
        no_call=missing and copies == 0,
    )


def assess_fh(
    sample: str,
    hits: Sequence[FhVariantHit],
    f: PatientFactors,
    kn: CardioKnowledge | None = None,
) -> FhResult:
    """FH result for one sample: variants, DLCN score, limitations, cascade advice."""
    kn = kn or CardioKnowledge.load()
    carriers = [h for h in hits if not h.no_call]
    dlcn = dlcn_score(f, bool(carriers), kn)
    limitations = [
        "LDLR copy-number variants (deletions and duplications of exons, "
        f"{kn.ldlr_copy_number_entries} of the ClinVar pathogenic/likely pathogenic LDLR entries) "
        "cannot be detected from a VCF; a negative result does not exclude them",
        "only the listed variants are recognised: ClinVar pathogenic/likely pathogenic LDLR "
        "variants, APOB p.Arg3527Gln, and PCSK9 gain-of-function variants; other or novel "
        "variants in these genes are not assessed",
        "a listed position absent from the input is not read as reference (a variant-only "
        "VCF cannot show it): absence of a finding is not evidence of absence",
    ]
    for h in hits:
        if h.no_call:
            limitations.append(f"no call at {h.label}: it could not be assessed")
    advice = list(_advice(carriers, dlcn))
    return FhResult(sample, tuple(hits), dlcn, tuple(limitations), tuple(advice), kn.version)


def _advice(carriers: Sequence[FhVariantHit], dlcn: DlcnScore) -> list[str]:
    if carriers:
        names = "; ".join(h.label for h in carriers)
        out = [
            f"Monogenic familial hypercholesterolaemia: {names}. Confirm in an accredited "
            "laboratory if this result is from research-grade sequencing.",
            "Offer cascade testing for this variant to first-degree relatives (parents, "
            "siblings and children): each has a 50 % chance of carrying it (autosomal "
            "dominant); relatives who carry it need lipid-lowering treatment from diagnosis.",
        ]
        if sum(h.copies for h in carriers) >= 2:
            out.append(
                "Two FH alleles (homozygous or compound heterozygous FH possible): refer to "
                "a specialist lipid clinic urgently."
            )
        return out
    if dlcn.category in ("definite", "probable"):
        return [
            f"Dutch Lipid Clinic score {dlcn.points} ({dlcn.category} FH) without a listed "
            "variant: offer diagnostic genetic testing of LDLR (including copy number), APOB "
            "and PCSK9, and lipid screening of first-degree relatives."
        ]
    return []


def dlcn_as_values(score: DlcnScore) -> Mapping[str, float | int | str | None]:
    return {
        "dlcn_points": score.points,
        "dlcn_category": score.category,
        "ldl_mmol_l": None if score.ldl_mmol_l is None else round(score.ldl_mmol_l, 3),
    }
