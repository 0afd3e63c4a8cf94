"""Typed views of the medication knowledge in the bundle: names, inhibitors, dose tables.

Built once per :class:`~tailormed.knowledge.KnowledgeBase` (its properties
``drug_names``, ``inhibitors`` and ``dose_tables``), from data ``tailormed kb build``
compiled and validated (:mod:`.names_build`, :mod:`.curated`). No module-level state:
every index here lives on the object the knowledge base owns.

>>> from tailormed.knowledge import load_kb
>>> names = load_kb().drug_names
>>> names.entry("plavix").ingredients
('clopidogrel',)
>>> names.by_rxnorm("32968")
('clopidogrel',)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any


# ------------------------------------------------------------------------------- names
@dataclass(frozen=True, slots=True)
class Ingredient:
    """An active ingredient (a PharmGKB drug, or a guideline drug the table lacks)."""

    name: str
    pharmgkb_id: str | None
    rxnorm: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NameEntry:
    """What one name stands for: its ingredients, or (``ambiguous``) several readings."""

    name: str
    ingredients: tuple[str, ...]
    kind: str  # "curated", "generic", "mixture", "synonym" or "trade"
    source: str
    ambiguous: tuple[tuple[str, ...], ...] = ()


def trigrams(text: str) -> frozenset[str]:
    """Character trigrams of ``text`` padded with spaces (``"ab"`` → ``{"  a", " ab", "ab "}``)."""
    padded = f"  {text} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


class DrugNames:
    """The name index: normalised name → :class:`NameEntry`; RxNorm code → ingredients."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw_names: Mapping[str, Mapping[str, Any]] = raw["names"]
        self._ingredients = {
            name: Ingredient(name, e["pharmgkb_id"], tuple(e["rxnorm"]))
            for name, e in raw["ingredients"].items()
        }
        by_code: dict[str, list[str]] = {}
        for ing in self._ingredients.values():
            for code in ing.rxnorm:
                by_code.setdefault(code, []).append(ing.name)
        self._rxnorm = {k: tuple(sorted(v)) for k, v in by_code.items()}
        self._combination_codes = {
            k: tuple(v) for k, v in (raw.get("combination_codes") or {}).items()
        }
        self.max_words = max((n.count(" ") + 1 for n in self._raw_names), default=1)
        self._grams: dict[str, tuple[str, ...]] | None = None

    def __len__(self) -> int:
        return len(self._raw_names)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw_names)

    def entry(self, name: str) -> NameEntry | None:
        """The entry of a normalised name (lower case, single spaces), or None."""
        e = self._raw_names.get(name)
        if e is None:
            return None
        return NameEntry(
            name=name,
            ingredients=tuple(e["i"]),
            kind=e["k"],
            source=e.get("s", ""),
            ambiguous=tuple(tuple(a) for a in e.get("a", ())),
        )

    def ingredient(self, name: str) -> Ingredient | None:
        return self._ingredients.get(name)

    @property
    def ingredients(self) -> Mapping[str, Ingredient]:
        return MappingProxyType(self._ingredients)

    def by_rxnorm(self, code: str) -> tuple[str, ...]:
        """Ingredients whose RxNorm ingredient code is ``code`` (several = ambiguous)."""
        return self._rxnorm.get(code, ())

    def combination_code(self, code: str) -> tuple[str, ...]:
        """The ingredients of a combination's own RxNorm code (empty if not one)."""
        return self._combination_codes.get(code, ())

    def sharing_trigrams(self, text: str, at_least: int = 1) -> set[str]:
        """Names sharing ``at_least`` trigrams with ``text`` (candidates for a typo)."""
        if self._grams is None:
            grams: dict[str, list[str]] = {}
            for name in self._raw_names:
                for g in trigrams(name):
                    grams.setdefault(g, []).append(name)
            self._grams = {g: tuple(v) for g, v in grams.items()}
        counts: dict[str, int] = {}
        for g in trigrams(text):
            for name in self._grams.get(g, ()):
                counts[name] = counts.get(name, 0) + 1
        return {name for name, n in counts.items() if n >= at_least}


# -------------------------------------------------------------------------- inhibitors
STRENGTH_RANK: Mapping[str, int] = MappingProxyType({"weak": 1, "moderate": 2, "strong": 3})


@dataclass(frozen=True, slots=True)
class Inhibitor:
    """One drug's inhibition of one gene's enzyme, with its sources."""

    drug: str
    rxnorm: str | None
    synonyms: tuple[str, ...]
    gene: str
    strength: str
    sources: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class ScoreThreshold:
    """Scores up to ``upper`` (inclusive or not) are ``phenotype``; ``None`` = no bound."""

    phenotype: str
    upper: Decimal | None
    upper_inclusive: bool = True


@dataclass(frozen=True, slots=True)
class ScoreRule:
    """Multiply the activity score by a factor per strength; re-bin it per source."""

    factors: Mapping[str, Decimal]
    bins: Mapping[str, tuple[ScoreThreshold, ...]]
    source: str


@dataclass(frozen=True, slots=True)
class StepRule:
    """Strong → one phenotype; moderate → the next phenotype down, per source."""

    strong: str
    moderate_step: Mapping[str, Mapping[str, str]]
    source: str


@dataclass(frozen=True, slots=True)
class InhibitorTable:
    """The phenoconversion inhibitor list (a draft awaiting pharmacist review)."""

    compiled: str
    review_status: str
    sources: Mapping[str, str]
    rules: Mapping[str, ScoreRule | StepRule]
    inhibitors: tuple[Inhibitor, ...]

    @property
    def status(self) -> str:
        """The review status's first words ("draft")."""
        return self.review_status.split(":")[0]

    def of(self, ingredient: str, gene: str | None = None) -> tuple[Inhibitor, ...]:
        """The entries for ``ingredient`` (one gene, or all)."""
        return tuple(i for i in self.inhibitors if i.drug == ingredient and gene in (None, i.gene))


def inhibitor_table(raw: Mapping[str, Any]) -> InhibitorTable:
    """The table from its compiled form (validated by the build)."""
    rules: dict[str, ScoreRule | StepRule] = {}
    for gene, r in raw["rules"].items():
        if r["method"] == "activity_score":
            rules[gene] = ScoreRule(
                factors=MappingProxyType({k: Decimal(v) for k, v in r["factors"].items()}),
                bins=MappingProxyType(
                    {
                        src: tuple(
                            ScoreThreshold(
                                b["phenotype"],
                                None if b["upper"] is None else Decimal(b["upper"]),
                                bool(b.get("upper_inclusive", True)),
                            )
                            for b in bins
                        )
                        for src, bins in r["bins"].items()
                    }
                ),
                source=r["source"],
            )
        else:
            rules[gene] = StepRule(
                strong=r["strong"],
                moderate_step=MappingProxyType(
                    {k: MappingProxyType(dict(v)) for k, v in r["moderate_step"].items()}
                ),
                source=r["source"],
            )
    return InhibitorTable(
        compiled=raw["compiled"],
        review_status=raw["review_status"],
        sources=MappingProxyType({k: v["citation"] for k, v in raw["sources"].items()}),
        rules=MappingProxyType(rules),
        inhibitors=tuple(
            Inhibitor(
                drug=e["drug"].lower(),
                rxnorm=e.get("rxnorm"),
                synonyms=tuple(e.get("synonyms", ())),
                gene=e["gene"],
                strength=e["strength"],
                sources=tuple(e["sources"]),
                note=e.get("note"),
            )
            for e in raw["inhibitors"]
        ),
    )


# ------------------------------------------------------------------------- dose tables
@dataclass(frozen=True, slots=True)
class IwpcTerm:
    """One term of the IWPC equation: ``coefficient × value`` on the sqrt(mg/week) scale."""

    name: str
    coefficient: float
    unit: str


@dataclass(frozen=True, slots=True)
class WarfarinAdjustment:
    """A CPIC 2017 percentage change of the algorithm dose: ``low``..``high`` percent."""

    name: str
    applies_to: str
    low: float
    high: float


@dataclass(frozen=True, slots=True)
class PercentDose:
    """A % of the standard (normal) starting dose, with the guideline words it comes from.

    ``value`` is the dose to use (upper bound of ``value_range`` when there is one);
    ``avoid`` means the guideline first says not to use the drug.
    """

    value: float | None
    text: str
    quote: str
    value_range: tuple[float, float] | None = None
    avoid: bool = False
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DoseTables:
    """The numbers behind computed doses, each table with its citation."""

    compiled: str
    review_status: str
    iwpc_source: str
    iwpc_terms: tuple[IwpcTerm, ...]
    cpic_warfarin_source: str
    cpic_warfarin_adjustments: tuple[WarfarinAdjustment, ...]
    cpic_african_cyp2c9: frozenset[str]
    rs12777823_position: int
    enzyme_inducers: frozenset[str]
    amiodarone: frozenset[str]
    fluoropyrimidine_source: str
    fluoropyrimidine: Mapping[str, PercentDose]
    tegafur_source: str
    tegafur: Mapping[str, PercentDose]
    thiopurine_source: str
    thiopurine: Mapping[tuple[str, str, str], PercentDose] = field(default_factory=dict)

    def iwpc(self, name: str) -> float:
        """The IWPC coefficient called ``name``."""
        return next(t.coefficient for t in self.iwpc_terms if t.name == name)

    def warfarin_adjustment(self, name: str) -> WarfarinAdjustment:
        return next(a for a in self.cpic_warfarin_adjustments if a.name == name)


def _percent(d: Mapping[str, Any]) -> PercentDose:
    vr = d.get("value_range")
    return PercentDose(
        value=d["value"],
        text=d["text"],
        quote=d["quote"],
        value_range=(float(vr[0]), float(vr[1])) if vr else None,
        avoid=bool(d.get("avoid", False)),
        notes=tuple(d.get("notes", ())),
    )


def dose_tables(raw: Mapping[str, Any]) -> DoseTables:
    """The tables from their compiled form (validated by the build)."""
    cite = {k: v["citation"] for k, v in raw["sources"].items()}
    w = raw["warfarin"]
    return DoseTables(
        compiled=raw["compiled"],
        review_status=raw["review_status"],
        iwpc_source=cite[w["iwpc_source"]],
        iwpc_terms=tuple(IwpcTerm(t["name"], t["coefficient"], t["unit"]) for t in w["iwpc_terms"]),
        cpic_warfarin_source=cite[w["cpic_source"]],
        cpic_warfarin_adjustments=tuple(
            WarfarinAdjustment(a["name"], a["applies_to"], a["low"], a["high"])
            for a in w["cpic_adjustments"]
        ),
        cpic_african_cyp2c9=frozenset(w["cpic_african_cyp2c9_alleles"]),
        rs12777823_position=int(w["rs12777823_position"]),
        enzyme_inducers=frozenset(w["enzyme_inducers"]),
        amiodarone=frozenset(w["amiodarone"]),
        fluoropyrimidine_source=cite[raw["fluoropyrimidine"]["source"]],
        fluoropyrimidine=MappingProxyType(
            {k: _percent(v) for k, v in raw["fluoropyrimidine"]["by_activity_score"].items()}
        ),
        tegafur_source=cite[raw["tegafur"]["source"]],
        tegafur=MappingProxyType(
            {k: _percent(v) for k, v in raw["tegafur"]["by_activity_score"].items()}
        ),
        thiopurine_source=cite[raw["thiopurine"]["source"]],
        thiopurine=MappingProxyType(
            {(r["drug"], r["tpmt"], r["nudt15"]): _percent(r) for r in raw["thiopurine"]["rows"]}
        ),
    )
