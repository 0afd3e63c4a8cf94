"""Genotype evidence for a gene–disease pair: a likelihood ratio from the patient's variants.

A variant's *pathogenicity* (0..1) comes from its consequence class (:data:`CONSEQUENCE`), is
set to 1.0 / 0.95 by a ClinVar ``Pathogenic`` / ``Likely pathogenic`` assertion, and the
variant is dropped when ClinVar says benign, when its consequence is below
:attr:`GenotypeParams.min_pathogenicity` or when its population allele frequency is above
the limit for the mode of inheritance (0.1 % dominant, 1 % recessive).

The genotype must fit a mode of inheritance of the disease: heterozygous (or more) for
autosomal dominant, homozygous or two different candidate variants for autosomal recessive
(phase is not known, so two heterozygous variants count as a possible compound
heterozygote), hemizygous or homozygous for X-linked recessive in males and homozygous or
two hits in females; X-linked dominant, mitochondrial and unstated modes take any candidate.
The pair's genotype likelihood ratio is ``10^(G·p)`` where ``p`` is the pathogenicity of the
fitting genotype (the weaker of two hits) and ``G`` :attr:`GenotypeParams.strength`; a gene
with candidate variants that do not fit gets ``1`` (a second hit may have been missed); a
gene or disease with no candidate variant in the file gets
:attr:`GenotypeParams.no_variant_lr` (small but not zero: structural, non-coding or
uncovered causal variants are missed by a VCF). The score of a pair is its phenotype score
plus ``log10`` of this ratio, as in LIRICAL's post-test combination.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tailormed.rare.models import GenotypeEvidence, Sex, Variant

# Sequence Ontology consequence terms (VEP and snpEff use the same names) → pathogenicity.
CONSEQUENCE: dict[str, float] = {
    "transcript_ablation": 1.0,
    "splice_acceptor_variant": 1.0,
    "splice_donor_variant": 1.0,
    "stop_gained": 1.0,
    "frameshift_variant": 1.0,
    "stop_lost": 0.9,
    "start_lost": 0.9,
    "exon_loss_variant": 1.0,
    "gene_fusion": 0.9,
    "bidirectional_gene_fusion": 0.9,
    "transcript_amplification": 0.6,
    "inframe_insertion": 0.6,
    "inframe_deletion": 0.6,
    "disruptive_inframe_insertion": 0.6,
    "disruptive_inframe_deletion": 0.6,
    "conservative_inframe_insertion": 0.6,
    "conservative_inframe_deletion": 0.6,
    "missense_variant": 0.6,
    "protein_altering_variant": 0.6,
    "initiator_codon_variant": 0.6,
    "splice_donor_5th_base_variant": 0.4,
    "splice_region_variant": 0.3,
    "splice_donor_region_variant": 0.3,
    "splice_polypyrimidine_tract_variant": 0.2,
    "incomplete_terminal_codon_variant": 0.2,
    "start_retained_variant": 0.05,
    "stop_retained_variant": 0.05,
    "synonymous_variant": 0.05,
    "coding_sequence_variant": 0.3,
    "5_prime_UTR_variant": 0.05,
    "3_prime_UTR_variant": 0.05,
    "5_prime_UTR_premature_start_codon_gain_variant": 0.1,
    "non_coding_transcript_exon_variant": 0.1,
    "intron_variant": 0.02,
    "upstream_gene_variant": 0.01,
    "downstream_gene_variant": 0.01,
    "intergenic_variant": 0.0,
    "unknown": 0.3,  # mapped by coordinates only (no VEP/snpEff annotation)
}

DOMINANT = {"HP:0000006", "HP:0001423", "HP:0001427", "HP:0001442", "HP:0003745", "HP:0001428"}
RECESSIVE = {"HP:0000007"}
X_RECESSIVE = {"HP:0001419"}
X_LINKED = {"HP:0001417"}  # X-linked, dominance not stated


@dataclass(frozen=True, slots=True)
class GenotypeParams:
    """Global settings of the genotype likelihood ratio (see the module docstring)."""

    strength: float = 3.0
    no_variant_lr: float = 0.05
    min_pathogenicity: float = 0.1
    max_af_dominant: float = 0.001
    max_af_recessive: float = 0.01


def consequence_score(consequences: Sequence[str]) -> tuple[str, float]:
    """The most damaging consequence of ``&``-joined SO terms and its pathogenicity."""
    best, score = "unknown", -1.0
    for term in consequences:
        value = CONSEQUENCE.get(term, 0.1)
        if value > score:
            best, score = term, value
    return best, max(score, 0.0)


def clinvar_adjust(pathogenicity: float, clinvar: str | None) -> float:
    """ClinVar's assertion overrides the consequence class (benign → 0)."""
    if not clinvar:
        return pathogenicity
    c = clinvar.lower().replace(" ", "_")
    if "conflicting" in c:
        return pathogenicity
    if "likely_pathogenic" in c:
        return max(pathogenicity, 0.95)
    if "pathogenic" in c:
        return 1.0
    if "benign" in c:
        return 0.0
    return pathogenicity


def _modes(inheritance: Sequence[str]) -> set[str]:
    modes: set[str] = set()
    for term in inheritance:
        if term in RECESSIVE:
            modes.add("AR")
        elif term in X_RECESSIVE:
            modes.add("XR")
        elif term in X_LINKED:
            modes.add("XR")
            modes.add("XD")
        elif term == "HP:0001423":
            modes.add("XD")
        elif term in DOMINANT:
            modes.add("AD")
    return modes or {"any"}


MODE_NAMES = {
    "AD": "autosomal dominant",
    "AR": "autosomal recessive",
    "XR": "X-linked recessive",
    "XD": "X-linked dominant",
    "any": "mode of inheritance not stated",
}


def _fit(mode: str, vs: list[Variant], sex: Sex) -> tuple[float, tuple[Variant, ...]]:
    """Best fitting genotype for one mode: (pathogenicity, variants), or (-1, ())."""
    if not vs:
        return -1.0, ()
    ranked = sorted(vs, key=lambda v: -v.pathogenicity)
    two_hits = [v for v in ranked if v.zygosity in ("homozygous", "hemizygous")]
    if mode in ("AD", "XD", "any"):
        return ranked[0].pathogenicity, (ranked[0],)
    if mode == "XR" and sex == "MALE":
        return (two_hits[0].pathogenicity, (two_hits[0],)) if two_hits else (-1.0, ())
    # AR, or X-linked recessive in a female or a patient of unknown sex
    best: tuple[float, tuple[Variant, ...]] = (-1.0, ())
    if two_hits:
        best = (two_hits[0].pathogenicity, (two_hits[0],))
    if len(ranked) >= 2 and ranked[1].pathogenicity > best[0]:
        best = (ranked[1].pathogenicity, (ranked[0], ranked[1]))
    return best


def genotype_evidence(
    gene: str,
    inheritance: Sequence[str],
    variants: Sequence[Variant],
    sex: Sex,
    params: GenotypeParams,
) -> GenotypeEvidence:
    """The genotype likelihood ratio of one gene–disease pair from the gene's variants."""
    modes = _modes(inheritance)
    names = tuple(MODE_NAMES[m] for m in sorted(modes))
    if not gene:
        return GenotypeEvidence(
            math.log10(params.no_variant_lr),
            False,
            names,
            (),
            "no gene is known for this disease, so the variants cannot support it",
        )
    best: tuple[float, tuple[Variant, ...], str] = (-1.0, (), "")
    kept_any: list[Variant] = []
    for mode in sorted(modes):
        limit = params.max_af_recessive if mode in ("AR", "XR") else params.max_af_dominant
        kept = [
            v
            for v in variants
            if v.pathogenicity >= params.min_pathogenicity
            and (v.allele_frequency is None or v.allele_frequency <= limit)
        ]
        kept_any.extend(v for v in kept if v not in kept_any)
        p, vs = _fit(mode, kept, sex)
        if p > best[0]:
            best = (p, vs, mode)
    p, vs, mode = best
    if p >= 0:
        labels = ", ".join(f"{v.label} {v.consequence} ({v.zygosity})" for v in vs)
        return GenotypeEvidence(
            params.strength * p,
            True,
            names,
            vs,
            f"{labels} fit {MODE_NAMES[mode]} inheritance (pathogenicity {p:.2f})",
        )
    if kept_any:
        labels = ", ".join(f"{v.label} {v.consequence} ({v.zygosity})" for v in kept_any[:4])
        return GenotypeEvidence(
            0.0,
            False,
            names,
            tuple(kept_any),
            f"{labels} do not fit {' or '.join(names)} inheritance (neutral)",
        )
    return GenotypeEvidence(
        math.log10(params.no_variant_lr),
        False,
        names,
        (),
        f"no candidate variant in {gene}",
    )
