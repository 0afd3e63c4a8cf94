"""Typed, immutable views of the compiled knowledge base.

Everything here is a frozen dataclass built once by :mod:`tailormed.knowledge.store`
from the bundled JSON. Coordinates are GRCh38, 1-based, as in the VCF specification.
Alleles are VCF alleles (``ref`` / ``alts``); a named allele may use an IUPAC
wobble code (e.g. ``R`` = A or G) at an SNV position.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

IUPAC: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "A": frozenset("A"),
        "C": frozenset("C"),
        "G": frozenset("G"),
        "T": frozenset("T"),
        "R": frozenset("AG"),
        "Y": frozenset("CT"),
        "S": frozenset("GC"),
        "W": frozenset("AT"),
        "K": frozenset("GT"),
        "M": frozenset("AC"),
        "B": frozenset("CGT"),
        "D": frozenset("AGT"),
        "H": frozenset("ACT"),
        "V": frozenset("ACG"),
        "N": frozenset("ACGT"),
    }
)


def expand_allele(allele: str, vcf_alleles: tuple[str, ...]) -> frozenset[str]:
    """The VCF alleles a definition allele stands for.

    A literal VCF allele stands for itself; a one-letter IUPAC code at a position whose
    alleles are single bases stands for every listed base it covers.

    >>> sorted(expand_allele("R", ("G", "A")))
    ['A', 'G']
    >>> sorted(expand_allele("CAT", ("CAT", "C")))
    ['CAT']
    """
    if allele in vcf_alleles:
        return frozenset({allele})
    if len(allele) == 1 and allele in IUPAC:
        return frozenset(a for a in vcf_alleles if a in IUPAC[allele] and len(a) == 1)
    return frozenset()


@dataclass(frozen=True, slots=True)
class DefiningVariant:
    """One position that named alleles of a gene are defined on."""

    chrom: str
    position: int
    rsid: str | None
    ref: str
    alts: tuple[str, ...]
    hgvs: str | None
    cpic_alleles: tuple[str, ...]
    cpic_to_vcf: Mapping[str, str]

    @property
    def alleles(self) -> tuple[str, ...]:
        """``(ref, *alts)``: index 0 is the reference, as in a VCF record."""
        return (self.ref, *self.alts)

    @property
    def is_snv(self) -> bool:
        return all(len(a) == 1 for a in self.alleles)

    @property
    def label(self) -> str:
        return self.rsid or f"{self.chrom}:{self.position}"


@dataclass(frozen=True, slots=True)
class NamedAllele:
    """A star allele (or named haplotype) with its definition and function.

    ``alleles[i]`` lines up with the gene's ``variants[i]``; ``None`` means the allele
    does not define that position. Values are VCF alleles or IUPAC codes.
    """

    name: str
    id: str | None
    alleles: tuple[str | None, ...]
    reference: bool
    structural_variant: bool
    function: str | None = None
    activity_value: str | None = None

    @property
    def defined_indices(self) -> tuple[int, ...]:
        return tuple(i for i, a in enumerate(self.alleles) if a is not None)

    @property
    def score(self) -> int:
        """Number of positions the allele defines (PharmCAT's match score)."""
        return len(self.defined_indices)


@dataclass(frozen=True, slots=True)
class UnphasedPriority:
    """When an unphased genotype fits each diplotype in ``candidates`` equally, call ``pick``."""

    candidates: tuple[str, ...]
    pick: str


@dataclass(frozen=True, slots=True)
class GeneExemptions:
    """Per-gene matcher overrides from PharmCAT's ``exemptions.json``."""

    ignored_alleles: frozenset[str] = frozenset()
    ignored_positions: frozenset[int] = frozenset()
    extra_positions: tuple[DefiningVariant, ...] = ()
    required_positions: frozenset[int] = frozenset()
    unphased_priorities: tuple[UnphasedPriority, ...] = ()
    amp1_alleles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class GeneDefinition:
    """All that is needed to call a gene's star alleles from a VCF."""

    symbol: str
    chrom: str
    genome_build: str
    version: str
    variants: tuple[DefiningVariant, ...]
    named_alleles: tuple[NamedAllele, ...]
    exemptions: GeneExemptions = field(default_factory=GeneExemptions)
    suballeles: Mapping[str, str] = field(default_factory=dict)  # sub-allele -> core name

    def reported_name(self, allele: str) -> str:
        """The name a call reports: sub-alleles under their core name (``*45.001`` → ``*45``)."""
        return self.suballeles.get(allele, allele)

    @property
    def reference_allele(self) -> NamedAllele:
        for allele in self.named_alleles:
            if allele.reference:
                return allele
        raise LookupError(f"{self.symbol} has no reference allele")  # pragma: no cover

    def allele(self, name: str) -> NamedAllele:
        for allele in self.named_alleles:
            if allele.name == name:
                return allele
        raise KeyError(f"{self.symbol} has no allele named {name!r}")

    def variant_at(self, position: int) -> DefiningVariant:
        for variant in self.variants:
            if variant.position == position:
                return variant
        raise KeyError(f"{self.symbol} defines no allele at position {position}")

    def defining_variants(self, allele: NamedAllele) -> list[tuple[DefiningVariant, str]]:
        """The (variant, allele) pairs where ``allele`` differs from the reference allele."""
        ref = self.reference_allele
        return [
            (self.variants[i], a)
            for i, a in enumerate(allele.alleles)
            if a is not None and a != ref.alleles[i]
        ]


@dataclass(frozen=True, slots=True)
class DiplotypePhenotype:
    """One row of a gene's diplotype → phenotype table."""

    diplotype: str
    phenotype: str
    activity_score: str | None
    lookup_key: str


@dataclass(frozen=True, slots=True)
class AlleleFunction:
    name: str
    function: str | None
    activity_value: str | None
    lookup_key: str | None


@dataclass(frozen=True, slots=True)
class GenePhenotypes:
    """A gene's allele functions and diplotype → phenotype map (CPIC or DPWG)."""

    gene: str
    source: str
    version: str
    alleles: Mapping[str, AlleleFunction]
    diplotypes: Mapping[frozenset[tuple[str, int]], DiplotypePhenotype]

    @staticmethod
    def key_of(allele_names: list[str] | tuple[str, ...]) -> frozenset[tuple[str, int]]:
        counts: dict[str, int] = {}
        for name in allele_names:
            counts[name] = counts.get(name, 0) + 1
        return frozenset(counts.items())

    def lookup(self, *allele_names: str) -> DiplotypePhenotype | None:
        """Phenotype of a diplotype given as its alleles, order-free.

        ``lookup("*1", "*2")``; haploid genes (G6PD males, MT-RNR1) take one allele.
        Returns ``None`` when the table has no such diplotype.
        """
        return self.diplotypes.get(self.key_of(allele_names))

    @property
    def lookup_keys(self) -> frozenset[str]:
        return frozenset(d.lookup_key for d in self.diplotypes.values())


LookupValue = str | Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Citation:
    pmid: str | None
    title: str
    year: int | None
    journal: str | None


@dataclass(frozen=True, slots=True)
class Alternative:
    """A drug a recommendation names as an alternative (:mod:`.alternatives`)."""

    drug: str
    rxnorm: str | None
    sentence: str  # the sentence of the recommendation that names it


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One guideline recommendation, selected by an exact gene → lookup-key match.

    ``lookup_key`` maps each gene to its key: a phenotype (``"Poor Metabolizer"``), an
    activity score (``"1.5"``), an HLA status (``"*57:01 positive"``) or, in a few DPWG
    entries, an allele-count map (``{"*1": 1, "*2": 1}``).
    """

    id: str
    source: str
    guideline_id: str
    drugs: tuple[str, ...]
    lookup_key: Mapping[str, LookupValue]
    population: str | None
    classification: str | None
    text_html: str
    text: str
    implications: tuple[str, ...]
    dosing_information: bool
    alternate_drug: bool
    other_guidance: bool
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True, slots=True)
class Guideline:
    id: str
    name: str
    source: str
    version: str | None
    url: str | None
    drugs: tuple[str, ...]
    genes: tuple[str, ...]
    citations: tuple[Citation, ...]
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True, slots=True)
class Drug:
    """A drug that at least one guideline covers, with its identifiers where known."""

    name: str
    pharmgkb_id: str | None
    rxnorm: str | None
    guidelines: tuple[str, ...]
    genes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Provenance of one compiled source."""

    name: str
    description: str
    path: str
    version: str
    commit: str | None
    date: str
    licence: str
    sha256: str
    files: int
    citation: str | None = None
    review_status: str | None = None  # curated tables: e.g. "draft: ... pharmacist review"


@dataclass(frozen=True, slots=True)
class Manifest:
    kb_version: str
    schema: int
    built_at: str
    sources: tuple[SourceInfo, ...]
    counts: Mapping[str, int]
    notes: tuple[str, ...] = ()
