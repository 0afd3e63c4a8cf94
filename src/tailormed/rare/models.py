"""Typed results of the rare-disease stage (frozen dataclasses).

A :class:`Case` is a phenopacket reduced to what ranking reads (its own interpretations and
diseases are never read); a :class:`Ranking` is the ordered list of candidate gene–disease
pairs with their explanations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Sex = Literal["MALE", "FEMALE", "OTHER_SEX", "UNKNOWN_SEX"]
MatchKind = Literal["exact", "annotation more specific", "annotation more general", "related"]
Zygosity = Literal["heterozygous", "homozygous", "hemizygous"]


@dataclass(frozen=True, slots=True)
class Term:
    """An HPO term as used for a case: the id given, the id in this release and its label.

    ``note`` says how ``given`` was mapped (alt id, obsolete replacement), empty if current;
    ``onset`` the feature's onset as given (``"HP:0003593 Infantile onset"`` or an ISO 8601
    age such as ``"P2Y"``), if any.
    """

    given: str
    term_id: str
    label: str
    index: int
    note: str = ""
    onset: str | None = None


@dataclass(frozen=True, slots=True)
class IgnoredTerm:
    """An id given in the case that could not be used, and why."""

    given: str
    reason: str
    excluded: bool


@dataclass(frozen=True, slots=True)
class Case:
    """One patient: observed and excluded HPO terms, sex, onset (from the phenopacket)."""

    case_id: str
    subject_id: str
    sex: Sex
    observed: tuple[Term, ...]
    excluded: tuple[Term, ...]
    ignored: tuple[IgnoredTerm, ...] = ()
    onset: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class TermMatch:
    """How one observed term matched a disease: the annotation and the relation."""

    observed: str
    annotation: str
    annotation_label: str
    kind: MatchKind
    frequency: str
    log10_lr: float


@dataclass(frozen=True, slots=True)
class ExcludedEvidence:
    """An excluded term the disease is annotated with (counting against it)."""

    excluded: str
    annotation: str
    frequency: str
    log10_lr: float


@dataclass(frozen=True, slots=True)
class Variant:
    """One called allele of the patient in a gene, with its annotation."""

    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    consequence: str
    zygosity: Zygosity
    pathogenicity: float
    allele_frequency: float | None = None
    clinvar: str | None = None
    hgvs: str | None = None

    @property
    def label(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}:{self.alt}"


@dataclass(frozen=True, slots=True)
class GenotypeEvidence:
    """What the patient's variants add to one gene–disease pair.

    ``log10_lr``: the genotype likelihood ratio (added to the phenotype score);
    ``compatible``: the genotype fits a mode of inheritance of the disease;
    ``variants``: the variants behind it; ``summary``: one sentence.
    """

    log10_lr: float
    compatible: bool
    modes: tuple[str, ...]
    variants: tuple[Variant, ...]
    summary: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """One row of a ranking: a gene–disease pair (gene empty when the disease has none).

    ``inheritance``: the disease's modes of inheritance as ``"<HPO id> <label>"``."""

    rank: float
    gene: str
    disease_id: str
    disease_name: str
    score: float
    phenotype_score: float
    matched_terms: tuple[str, ...]
    matches: tuple[TermMatch, ...] = ()
    excluded_against: tuple[ExcludedEvidence, ...] = ()
    genotype: GenotypeEvidence | None = None
    inheritance: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Ranking:
    """The ranked candidates of one case, with the knowledge and method used."""

    case: Case
    candidates: tuple[Candidate, ...]
    method: str
    knowledge_version: str
    hpo_release: str
    disease_set: str
    warnings: tuple[str, ...] = ()
    variant_source: str | None = None
    limitations: tuple[str, ...] = field(default=())
