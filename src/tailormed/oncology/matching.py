"""Matching somatic calls and fusions to CIViC variants, molecular profiles and FDA selectors.

A CIViC variant is matched by gene and protein change, never by GRCh37 position:

- ``exact``: the call's short protein change equals the variant's (``L858R``);
- ``codon``: a codon variant (``V600``, ``G12/G13``) and a substitution of that residue;
- ``exon``: ``Exon 19 Deletion`` / ``Exon 20 Insertion`` / ``Exon N Mutation`` by the
  transcript's exon number and consequence; ``Exon 14 Skipping`` by a splice-site or
  in-frame change in exon 14 or the introns either side;
- ``truncating``: ``Loss-of-function`` / ``Truncating Mutation`` and a stop-gain,
  frameshift, essential splice or start-loss call;
- ``gene``: ``Mutation`` and any protein-altering call (weakest: see tiering);
- ``fusion``: ``Fusion`` of the gene, or ``EML4::ALK``, against the fusion list.

A molecular profile holds when its variant does (``single``), any of its variants does
(``OR``), or all of them do (``AND``), in this tumour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.knowledge.protein import missense_parts
from tailormed.oncology.models import Fusion, SomaticCall, VariantMatch
from tailormed.oncology.read import is_protein_altering, is_truncating

DELETION = ("inframe_deletion", "disruptive_inframe_deletion", "conservative_inframe_deletion")
INSERTION = ("inframe_insertion", "disruptive_inframe_insertion", "conservative_inframe_insertion")
SPLICE = ("splice_acceptor_variant", "splice_donor_variant", "splice_region_variant")
STRENGTH: dict[str, int] = {
    "exact": 0,
    "fusion": 0,
    "biomarker": 0,
    "codon": 1,
    "exon": 1,
    "truncating": 2,
    "gene": 3,
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One of the tumour's alterations matched to something in the knowledge."""

    label: str  # the call's or fusion's label
    how: VariantMatch
    call: SomaticCall | None = None
    fusion: Fusion | None = None


def _has(consequence: str, terms: Sequence[str]) -> bool:
    return any(t in consequence.split("&") for t in terms)


def match_variant(variant: Mapping[str, Any], call: SomaticCall) -> VariantMatch | None:
    """How (if at all) one CIViC variant matches one somatic call of the same gene."""
    kind = variant["kind"]
    short = call.hgvs_p_short
    if kind == "exact":
        return "exact" if short and short == variant["short"] else None
    if kind == "codon":
        parts = missense_parts(short) if short else None
        if parts is None:
            return None
        ref, pos, _ = parts
        return "codon" if [ref, pos] in variant["codons"] else None
    if kind == "exon":
        change = variant["change"]
        exon = int(variant["exon"])
        if change == "skipping":
            near = call.exon == exon or call.intron in (exon - 1, exon)
            return "exon" if near and _has(call.consequence, (*SPLICE, *DELETION)) else None
        if call.exon != exon:
            return None
        if change == "deletion":
            return "exon" if _has(call.consequence, DELETION) else None
        if change == "insertion":
            return "exon" if _has(call.consequence, INSERTION) else None
        return "exon" if is_protein_altering(call.consequence) else None
    if kind == "truncating":
        return "truncating" if is_truncating(call.consequence) else None
    if kind == "any":
        return "gene" if is_protein_altering(call.consequence) else None
    return None


def match_fusion(variant: Mapping[str, Any], gene: str, fusion: Fusion) -> bool:
    if variant["kind"] != "fusion":
        return False
    partners = variant["partners"]
    if partners:
        return bool([fusion.gene5, fusion.gene3] == list(partners))
    return gene in (fusion.gene5, fusion.gene3)


def civic_hits(
    kb: OncologyKnowledge, calls: Sequence[SomaticCall], fusions: Sequence[Fusion]
) -> dict[str, list[Hit]]:
    """CIViC variant id → the tumour's alterations that match it."""
    hits: dict[str, list[Hit]] = {}
    for call in calls:
        for vid in kb.by_gene.get(call.gene, ()):
            how = match_variant(kb.variants[vid], call)
            if how:
                hits.setdefault(vid, []).append(Hit(call.label, how, call=call))
    for fusion in fusions:
        for gene in {fusion.gene5, fusion.gene3}:
            for vid in kb.by_gene.get(gene, ()):
                if match_fusion(kb.variants[vid], gene, fusion):
                    hits.setdefault(vid, []).append(Hit(fusion.label, "fusion", fusion=fusion))
    return hits


def profile_hits(kb: OncologyKnowledge, hits: Mapping[str, list[Hit]]) -> dict[str, list[Hit]]:
    """Molecular profile id → the alterations that satisfy it (every component for AND)."""
    out: dict[str, list[Hit]] = {}
    candidates = sorted({mp for vid in hits for mp in kb.profiles_of.get(vid, ())}, key=int)
    for mpid in candidates:
        profile = kb.profiles[mpid]
        ids = profile["variants"]
        if profile["logic"] == "all" and not all(v in hits for v in ids):
            continue
        found = [h for v in ids for h in hits.get(v, ())]
        if found:
            out[mpid] = found
    return out


def selector_hits(
    selectors: Sequence[str],
    calls: Sequence[SomaticCall],
    fusions: Sequence[Fusion],
    *,
    msi: str | None,
    tmb: float | None,
) -> list[Hit]:
    """Alterations matching any of an FDA row's biomarker selectors."""
    found: list[Hit] = []
    for selector in selectors:
        if selector == "MSI-H" and msi == "MSI-H":
            found.append(Hit("MSI-H", "biomarker"))
        elif selector == "dMMR" and msi == "dMMR":
            found.append(Hit("dMMR", "biomarker"))
        elif selector.startswith("TMB>="):
            limit = float(selector[5:])
            if tmb is not None and tmb >= limit:
                found.append(Hit(f"TMB {tmb:.1f} mut/Mb", "biomarker"))
        elif ":" in selector and not selector.startswith("HER2:"):
            gene, kind, *rest = selector.split(":")
            if kind == "fusion":
                found.extend(
                    Hit(f.label, "fusion", fusion=f) for f in fusions if gene in (f.gene5, f.gene3)
                )
                continue
            variant = _selector_variant(kind, rest)
            for call in calls:
                if call.gene == gene:
                    how = match_variant(variant, call)
                    if how:
                        found.append(Hit(call.label, how, call=call))
    unique: dict[str, Hit] = {}
    for h in found:
        unique.setdefault(h.label, h)
    return list(unique.values())


def _selector_variant(kind: str, rest: list[str]) -> dict[str, Any]:
    if kind == "exact":
        return {"kind": "exact", "short": rest[0]}
    if kind == "codon":
        return {"kind": "codon", "codons": [[rest[0][0], int(rest[0][1:])]]}
    return {"kind": "exon", "exon": int(rest[0]), "change": rest[1]}
