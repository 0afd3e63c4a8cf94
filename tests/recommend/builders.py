"""Hand-built calls so tests read like clinical statements ("CYP2C19 *2/*2")."""

from __future__ import annotations

from collections.abc import Sequence

from tailormed.calling.models import Diplotype, GeneCall, VariantEvidence
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, PatientFactors, build_interpretation

SAMPLE = "P1"


def call(gene: str, a: str, b: str | None = None, **kw: object) -> GeneCall:
    """A VCF call of one diplotype (``b`` omitted for haploid genes)."""
    names = (a,) if b is None else (a, b)
    return GeneCall(SAMPLE, gene, (Diplotype.of(*names),), False, **kw)  # type: ignore[arg-type]


def outside(
    gene: str,
    diplotype: str | None = None,
    *,
    phenotype: str | None = None,
    activity_score: str | None = None,
) -> GeneCall:
    """An outside call (CYP2D6 with copy number, HLA typing), as ``tailormed call --outside``."""
    dips = (Diplotype.of(*diplotype.split("/")),) if diplotype else ()
    return GeneCall(
        SAMPLE,
        gene,
        dips,
        False,
        source="outside",
        phenotype=phenotype,
        activity_score=activity_score,
    )


def no_call(gene: str, why: str = "no diplotype fits") -> GeneCall:
    return GeneCall(SAMPLE, gene, (), False, warnings=(why,))


def rs12777823(call_: GeneCall, a1: str, a2: str) -> GeneCall:
    """``call_`` (CYP2C9) with the rs12777823 genotype the caller reports as extra position."""
    ev = VariantEvidence(94645745, "rs12777823", "G", f"{a1}/{a2}", (a1, a2), False, "vcf")
    return GeneCall(
        call_.sample,
        call_.gene,
        call_.diplotypes,
        call_.phased,
        genotypes=(*call_.genotypes, ev),
    )


def interpret(
    kb: KnowledgeBase,
    *calls: GeneCall,
    medications: Sequence[str] = (),
    factors: PatientFactors | None = None,
) -> Interpretation:
    return build_interpretation(
        list(calls), kb, medications=medications, factors=factors or PatientFactors()
    )
