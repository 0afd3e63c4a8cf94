"""Result types of the calling stage: one :class:`GeneCall` per sample and gene.

These are the stable contract that interpretation, reports and the ``calls.tsv`` /
``<sample>.json`` files are built from. ``GeneCall.to_json`` / ``from_json`` round-trip.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = "tailormed.calls/1"


FIRST_NAMES = frozenset({"Any", "All", "Reference"})
LAST_NAMES = frozenset({"Other", "Unknown"})
PARTIAL = re.compile(r"^g\.\d+[?=]?[ACGT>\d]*\??$")


def _natural(name: str) -> tuple[tuple[int, int, str], ...]:
    """Runs of digits compare as numbers, other runs as text; a number sorts first."""
    return tuple(
        (0, int(run), "") if run.isdigit() else (1, 0, run) for run in re.findall(r"\d+|\D+", name)
    )


def allele_sort_key(name: str) -> tuple[Any, ...]:
    """PharmCAT's order for haplotype names (pgkb-common HaplotypeNameComparator).

    "Reference" (and "Any"/"All") first, "Other"/"Unknown" last; otherwise natural order
    (numbers as numbers); a combination ``[a + b]`` after plain names, fewer components
    first, partials (``g.…``) after named components.

    >>> sorted(["*17", "*1", "*4", "*10"], key=allele_sort_key)
    ['*1', '*4', '*10', '*17']
    >>> sorted(["c.2846A>T", "c.498G>A", "Reference", "c.85T>C (*9A)"], key=allele_sort_key)
    ['Reference', 'c.85T>C (*9A)', 'c.498G>A', 'c.2846A>T']
    """
    if name in FIRST_NAMES:
        return (0, ())
    if name in LAST_NAMES:
        return (3, ())
    if name.startswith("[") and name.endswith("]"):
        parts = [p.strip() for p in name[1:-1].split(" + ")]
        return (2, len(parts), tuple((1 if PARTIAL.match(p) else 0, _natural(p)) for p in parts))
    return (1, _natural(name))


@dataclass(frozen=True, slots=True)
class Diplotype:
    """Two allele names (one for haploid calls), in display order."""

    alleles: tuple[str, ...]
    score: int = 0

    @staticmethod
    def of(*names: str, score: int = 0) -> Diplotype:
        return Diplotype(tuple(sorted(names, key=allele_sort_key)), score)

    @property
    def text(self) -> str:
        return "/".join(self.alleles)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class VariantEvidence:
    """The sample's genotype at one defining position, as read from the input."""

    position: int
    rsid: str | None
    ref: str
    genotype: str  # e.g. "G|A", "G/A", "A" (haploid), "./." (missing)
    call: tuple[str | None, ...]  # VCF alleles per haplotype; None = missing
    phased: bool
    source: str  # a vcf.models.PositionSource: "vcf", "missing-to-ref", "absent", ...


@dataclass(frozen=True, slots=True)
class GeneCall:
    """A sample's call for one gene.

    ``diplotypes`` holds every top-scoring diplotype (ties are never resolved silently);
    the first is the one shown, the rest are ``alternatives``. An empty tuple is a
    no-call, explained in ``warnings``. ``uncertain_alleles`` are alleles that could
    not be excluded because a position they define is missing. ``evidence`` maps each
    called allele to the variants that support it.
    """

    sample: str
    gene: str
    diplotypes: tuple[Diplotype, ...]
    phased: bool
    missing_positions: tuple[int, ...] = ()
    uncertain_alleles: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    evidence: dict[str, tuple[VariantEvidence, ...]] = field(default_factory=dict)
    genotypes: tuple[VariantEvidence, ...] = ()
    # Lowest-function genes (DPYD, RYR1): the haplotypes found in unphased data, and the
    # diplotype used for interpretation (two lowest-function alleles).
    haplotypes: tuple[str, ...] = ()
    function_diplotype: Diplotype | None = None
    source: str = "vcf"  # "vcf", "outside", "vcf-research"
    phenotype: str | None = None  # only outside calls may carry these
    activity_score: str | None = None
    kb_version: str = ""

    @property
    def called(self) -> bool:
        return bool(self.diplotypes)

    @property
    def diplotype(self) -> str:
        return self.diplotypes[0].text if self.diplotypes else "no call"

    @property
    def alternatives(self) -> tuple[str, ...]:
        return tuple(d.text for d in self.diplotypes[1:])

    def to_json(self) -> dict[str, Any]:
        return {
            "gene": self.gene,
            "source": self.source,
            "diplotype": self.diplotype if self.called else None,
            "diplotypes": [{"alleles": list(d.alleles), "score": d.score} for d in self.diplotypes],
            "alternatives": list(self.alternatives),
            "phased": self.phased,
            "missing_positions": list(self.missing_positions),
            "uncertain_alleles": list(self.uncertain_alleles),
            "warnings": list(self.warnings),
            "phenotype": self.phenotype,
            "activity_score": self.activity_score,
            "supporting_variants": {
                allele: [_evidence_json(e) for e in ev] for allele, ev in self.evidence.items()
            },
            "genotypes": [_evidence_json(e) for e in self.genotypes],
            "haplotypes": list(self.haplotypes),
            "function_diplotype": (
                list(self.function_diplotype.alleles) if self.function_diplotype else None
            ),
            "kb_version": self.kb_version,
        }

    @staticmethod
    def from_json(sample: str, d: dict[str, Any]) -> GeneCall:
        return GeneCall(
            sample=sample,
            gene=d["gene"],
            diplotypes=tuple(
                Diplotype(tuple(x["alleles"]), int(x.get("score", 0))) for x in d["diplotypes"]
            ),
            phased=bool(d["phased"]),
            missing_positions=tuple(d.get("missing_positions", ())),
            uncertain_alleles=tuple(d.get("uncertain_alleles", ())),
            warnings=tuple(d.get("warnings", ())),
            evidence={
                allele: tuple(_evidence_from(e) for e in ev)
                for allele, ev in (d.get("supporting_variants") or {}).items()
            },
            genotypes=tuple(_evidence_from(e) for e in d.get("genotypes", ())),
            haplotypes=tuple(d.get("haplotypes", ())),
            function_diplotype=(
                Diplotype(tuple(d["function_diplotype"])) if d.get("function_diplotype") else None
            ),
            source=d.get("source", "vcf"),
            phenotype=d.get("phenotype"),
            activity_score=d.get("activity_score"),
            kb_version=d.get("kb_version", ""),
        )


def _evidence_json(e: VariantEvidence) -> dict[str, Any]:
    return {
        "position": e.position,
        "rsid": e.rsid,
        "ref": e.ref,
        "genotype": e.genotype,
        "call": list(e.call),
        "phased": e.phased,
        "source": e.source,
    }


def _evidence_from(d: dict[str, Any]) -> VariantEvidence:
    return VariantEvidence(
        position=int(d["position"]),
        rsid=d.get("rsid"),
        ref=d["ref"],
        genotype=d["genotype"],
        call=tuple(d["call"]),
        phased=bool(d["phased"]),
        source=d["source"],
    )


@dataclass(frozen=True, slots=True)
class CallOptions:
    """What to call and how. One frozen object instead of long argument lists."""

    genes: tuple[str, ...] | None = None  # None: every VCF-callable gene in the KB
    samples: tuple[str, ...] | None = None  # None: every sample in the input
    missing_to_ref: bool = False
    # with missing_to_ref: a BED of the regions the input covers (absent = reference
    # only inside them); None: the span of the input's records per gene
    covered_regions: Path | None = None
    research_cyp2d6: bool = False
    # PharmCAT's "all matches": every fitting diplotype, not only the top-scoring ties
    all_matches: bool = False
    # name haplotypes no single allele explains as combinations/partials ([*2 + *17])
    combinations: bool = False
    # worker processes for gene groups (indexed inputs only)
    jobs: int = 1


@dataclass(frozen=True, slots=True)
class CallSet:
    """All calls of one run: samples in input order, genes in KB order."""

    samples: tuple[str, ...]
    genes: tuple[str, ...]
    calls: dict[tuple[str, str], GeneCall]
    kb_version: str
    inputs: tuple[str, ...] = ()
    options: CallOptions = field(default_factory=CallOptions)

    def call(self, sample: str, gene: str) -> GeneCall:
        return self.calls[(sample, gene)]

    def for_sample(self, sample: str) -> list[GeneCall]:
        return [self.calls[(sample, g)] for g in self.genes if (sample, g) in self.calls]
