"""Result types of the phenotype stage: one :class:`GenePhenotype` per sample and gene.

Frozen dataclasses; ``GenePhenotype.to_json`` / ``from_json`` round-trip so the stage
output can be written, read back and handed to the recommendation stage.

Vocabulary shared with the knowledge base and the guidelines:

* ``NO_RESULT`` ("No Result"): no genotype for the gene. CPIC recommendations and
  PharmCAT use this exact key for an uncalled gene.
* ``INDETERMINATE`` ("Indeterminate"): a genotype exists but no single phenotype follows
  from it. ``reason`` says why. The lookup key is the gene table's own key for
  indeterminate rows (``"Indeterminate"``, or ``"n/a"`` for activity-score genes).
* ``NOT_AVAILABLE`` ("n/a"): the knowledge base defines no phenotype for the gene.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCHEMA = "tailormed.phenotypes/1"

NO_RESULT = "No Result"
INDETERMINATE = "Indeterminate"
NOT_AVAILABLE = "n/a"


@dataclass(frozen=True, slots=True)
class AlleleInterpretation:
    """One allele of the called diplotype with the function the phenotype map gives it.

    ``function`` and ``activity_value`` are ``None`` when the map has no entry for the
    allele; ``activity_value`` is the map's string (``"0.5"``, ``"n/a"``, ``"≥3.0"``).
    """

    name: str
    function: str | None = None
    activity_value: str | None = None


@dataclass(frozen=True, slots=True)
class DiplotypeOutcome:
    """What one candidate diplotype maps to in a phenotype table.

    ``problem`` explains an ``Indeterminate`` outcome that did not come from the table
    itself (allele without function, diplotype missing from the table).
    """

    diplotype: str
    phenotype: str
    activity_score: str | None
    lookup_key: str
    problem: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What must agree between candidates for a call to stay determinate."""
        return (self.phenotype, self.lookup_key)

    @property
    def summary(self) -> str:
        return f"{self.diplotype} → {self.phenotype} ({self.lookup_key})"


@dataclass(frozen=True, slots=True)
class InhibitorExposure:
    """A current medication that inhibits the gene's enzyme."""

    drug: str
    rxnorm: str | None
    strength: str  # "strong" | "moderate" | "weak"
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Phenoconversion:
    """How co-medication changed a genotype-predicted phenotype.

    The ``genotype_*`` fields keep the genotype-only result; the enclosing
    :class:`GenePhenotype` holds the adjusted one. ``adjusted`` is ``False`` when
    inhibitors were found but no adjustment applies (weak inhibitors, or a moderate
    inhibitor on a result without an activity score or phenotype step).
    """

    strength: str
    inhibitors: tuple[InhibitorExposure, ...]
    method: str
    adjusted: bool
    genotype_phenotype: str
    genotype_activity_score: str | None
    genotype_lookup_keys: tuple[str, ...]
    genotype_dpwg_phenotype: str | None = None
    genotype_dpwg_lookup_key: str | None = None

    @property
    def caused_by(self) -> tuple[str, ...]:
        """The drugs whose strength was applied."""
        return tuple(i.drug for i in self.inhibitors if i.strength == self.strength)


@dataclass(frozen=True, slots=True)
class GenePhenotype:
    """A sample's phenotype for one gene, with what a recommendation lookup needs.

    ``lookup_keys`` are matched against guideline lookup keys exactly. There is one
    key for most genes; HLA genes have one per allele a guideline keys on
    (``"*57:01 positive"``), an outside phenotype without activity score for an
    activity-score gene has one per score of that phenotype, and a phenoconverted score
    off the 0.25 grid has the grid scores either side. ``dpwg_phenotype`` /
    ``dpwg_lookup_key`` are set only where the DPWG map lists the diplotype and answers
    differently from CPIC (e.g. DPYD ``"1.5 (Intermediate Metabolizer)"``); otherwise
    DPWG advice uses the CPIC values (:meth:`lookup_keys_for`). ``alternatives`` lists
    the tied diplotypes, and the uncertain-allele possibilities that would change the
    answer, with their outcomes.
    """

    gene: str
    sample: str
    diplotype: str
    alleles: tuple[AlleleInterpretation, ...]
    phenotype: str
    activity_score: str | None
    lookup_keys: tuple[str, ...]
    dpwg_phenotype: str | None = None
    dpwg_lookup_key: str | None = None
    reason: str | None = None
    notes: tuple[str, ...] = ()
    alternatives: tuple[DiplotypeOutcome, ...] = ()
    call_source: str = "vcf"
    phenotype_source: str = ""
    kb_version: str = ""
    phenoconversion: Phenoconversion | None = None
    # HLA: (guideline allele, "positive" | "negative" | "undetermined") per allele a
    # guideline keys on, in the phenotype's order. Empty for every other gene.
    allele_presence: tuple[tuple[str, str], ...] = ()

    @property
    def lookup_key(self) -> str | None:
        """The single lookup key, or ``None`` when there are several (HLA)."""
        return self.lookup_keys[0] if len(self.lookup_keys) == 1 else None

    @property
    def is_indeterminate(self) -> bool:
        return self.phenotype == INDETERMINATE

    @property
    def allele_counts(self) -> dict[str, int]:
        """Allele → copies of the shown diplotype (DPWG keys some advice on these)."""
        counts: dict[str, int] = {}
        for a in self.alleles:
            counts[a.name] = counts.get(a.name, 0) + 1
        return counts

    def lookup_keys_for(self, source: str) -> tuple[str, ...]:
        """The keys to match a ``"CPIC"`` or ``"DPWG"`` recommendation with."""
        if source.upper() == "DPWG" and self.dpwg_lookup_key is not None:
            return (self.dpwg_lookup_key,)
        return self.lookup_keys

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        pc = self.phenoconversion
        return {
            "schema": SCHEMA,
            "gene": self.gene,
            "sample": self.sample,
            "diplotype": self.diplotype,
            "alleles": [[a.name, a.function, a.activity_value] for a in self.alleles],
            "phenotype": self.phenotype,
            "activity_score": self.activity_score,
            "lookup_keys": list(self.lookup_keys),
            "dpwg_phenotype": self.dpwg_phenotype,
            "dpwg_lookup_key": self.dpwg_lookup_key,
            "reason": self.reason,
            "notes": list(self.notes),
            "alternatives": [
                [o.diplotype, o.phenotype, o.activity_score, o.lookup_key, o.problem]
                for o in self.alternatives
            ],
            "call_source": self.call_source,
            "phenotype_source": self.phenotype_source,
            "kb_version": self.kb_version,
            "phenoconversion": None if pc is None else _phenoconversion_json(pc),
            "allele_presence": [list(p) for p in self.allele_presence],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> GenePhenotype:
        pc = d.get("phenoconversion")
        return GenePhenotype(
            gene=d["gene"],
            sample=d["sample"],
            diplotype=d["diplotype"],
            alleles=tuple(AlleleInterpretation(*a) for a in d["alleles"]),
            phenotype=d["phenotype"],
            activity_score=d.get("activity_score"),
            lookup_keys=tuple(d["lookup_keys"]),
            dpwg_phenotype=d.get("dpwg_phenotype"),
            dpwg_lookup_key=d.get("dpwg_lookup_key"),
            reason=d.get("reason"),
            notes=tuple(d.get("notes", ())),
            alternatives=tuple(DiplotypeOutcome(*o) for o in d.get("alternatives", ())),
            call_source=d.get("call_source", "vcf"),
            phenotype_source=d.get("phenotype_source", ""),
            kb_version=d.get("kb_version", ""),
            phenoconversion=None if pc is None else _phenoconversion_from(pc),
            allele_presence=tuple((str(a), str(s)) for a, s in d.get("allele_presence") or ()),
        )


def _phenoconversion_json(pc: Phenoconversion) -> dict[str, Any]:
    return {
        "strength": pc.strength,
        "inhibitors": [[i.drug, i.rxnorm, i.strength, list(i.sources)] for i in pc.inhibitors],
        "method": pc.method,
        "adjusted": pc.adjusted,
        "genotype_phenotype": pc.genotype_phenotype,
        "genotype_activity_score": pc.genotype_activity_score,
        "genotype_lookup_keys": list(pc.genotype_lookup_keys),
        "genotype_dpwg_phenotype": pc.genotype_dpwg_phenotype,
        "genotype_dpwg_lookup_key": pc.genotype_dpwg_lookup_key,
    }


def _phenoconversion_from(d: dict[str, Any]) -> Phenoconversion:
    return Phenoconversion(
        strength=d["strength"],
        inhibitors=tuple(
            InhibitorExposure(drug, rxnorm, strength, tuple(sources))
            for drug, rxnorm, strength, sources in d["inhibitors"]
        ),
        method=d["method"],
        adjusted=bool(d["adjusted"]),
        genotype_phenotype=d["genotype_phenotype"],
        genotype_activity_score=d.get("genotype_activity_score"),
        genotype_lookup_keys=tuple(d["genotype_lookup_keys"]),
        genotype_dpwg_phenotype=d.get("genotype_dpwg_phenotype"),
        genotype_dpwg_lookup_key=d.get("genotype_dpwg_lookup_key"),
    )
