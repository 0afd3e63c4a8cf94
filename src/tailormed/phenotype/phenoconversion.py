"""Phenoconversion: co-medication that inhibits CYP2D6 or CYP2C19 shifts the phenotype.

Owns the inhibitor list (``data/inhibitors.json``: drugs, RxNorm codes, strengths, each
with its sources; the list's own sources, date and review status) and the adjustment:

* CYP2D6 (activity score, Cicali et al. 2021): score × 0 with a strong inhibitor,
  × 0.5 with a moderate one, then the CPIC (and DPWG) score thresholds. A score off the
  guideline grid of 0.25 (e.g. 1.25 × 0.5 = 0.625) keeps its exact value, and its
  lookup keys are the grid scores either side that fall in the same phenotype.
* CYP2C19 (phenotype step, a Tailormed convention): strong → Poor Metabolizer; moderate →
  one step down (Normal → Intermediate, Likely Intermediate → Likely Poor, ...).
* Weak inhibitors are listed but not applied. With several inhibitors the strongest
  counts; they do not compound. A strong inhibitor gives the poor-metabolizer
  equivalent whatever the genotype result (even Indeterminate or No Result), since the
  adjusted score is 0 regardless; a moderate one needs a determinate starting point.

When advising on a drug that is itself an inhibitor (paroxetine, a CYP2D6 substrate),
leave it out of ``medications``: its own guideline already accounts for it.

>>> from tailormed.phenotype.models import GenePhenotype
>>> nm = GenePhenotype("CYP2D6", "S1", "*1/*1", (), "Normal Metabolizer", "2.0", ("2.0",))
>>> pm = phenoconvert(nm, ["Paroxetine 20 mg"])
>>> pm.phenotype, pm.lookup_keys, pm.phenoconversion.caused_by
('Poor Metabolizer', ('0.0',), ('paroxetine',))
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.phenotype.activity import (
    Score,
    ScoreBin,
    format_score,
    grid_neighbours,
    parse_score,
    phenotype_for,
)
from tailormed.phenotype.models import (
    INDETERMINATE,
    NOT_AVAILABLE,
    GenePhenotype,
    InhibitorExposure,
    Phenoconversion,
)

_RANK = {"weak": 1, "moderate": 2, "strong": 3}


@dataclass(frozen=True, slots=True)
class Inhibitor:
    drug: str
    rxnorm: str | None
    synonyms: tuple[str, ...]
    gene: str
    strength: str
    sources: tuple[str, ...]
    note: str | None = None

    def matches(self, name: str, code: str | None) -> bool:
        if code is not None:
            return self.rxnorm == code
        return any(name == n or name.startswith(n + " ") for n in self._names())

    def _names(self) -> tuple[str, ...]:
        return tuple(n.lower() for n in (self.drug, *self.synonyms))


@dataclass(frozen=True, slots=True)
class ScoreRule:
    """Multiply the activity score by a factor per strength; re-bin it per source."""

    factors: Mapping[str, Decimal]
    bins: Mapping[str, tuple[ScoreBin, ...]]
    source: str


@dataclass(frozen=True, slots=True)
class StepRule:
    """Strong → one phenotype; moderate → the next phenotype down, per source."""

    strong: str
    moderate_step: Mapping[str, Mapping[str, str]]
    source: str


@dataclass(frozen=True, slots=True)
class InhibitorList:
    compiled: str
    review_status: str
    sources: Mapping[str, str]
    rules: Mapping[str, ScoreRule | StepRule]
    inhibitors: tuple[Inhibitor, ...]

    def exposures(self, gene: str, medications: Iterable[str]) -> tuple[InhibitorExposure, ...]:
        """The gene's inhibitors among ``medications`` (names, brand names or RxNorm codes)."""
        found: dict[str, InhibitorExposure] = {}
        for med in medications:
            name = " ".join(med.strip().lower().split())
            code = name.split(":", 1)[1].strip() if name.startswith("rxnorm:") else None
            if code is None and name.isdigit():
                code = name
            for inh in self.inhibitors:
                if inh.gene == gene and inh.matches(name, code):
                    found[inh.drug] = InhibitorExposure(
                        inh.drug, inh.rxnorm, inh.strength, inh.sources
                    )
        return tuple(found.values())


def phenoconvert(
    phenotype: GenePhenotype,
    medications: Iterable[str],
    *,
    inhibitors: InhibitorList | None = None,
) -> GenePhenotype:
    """``phenotype`` adjusted for inhibitors among ``medications`` (unchanged if none)."""
    table = inhibitors or load_inhibitors()
    rule = table.rules.get(phenotype.gene)
    found = table.exposures(phenotype.gene, medications) if rule is not None else ()
    if rule is None or not found:
        return phenotype
    strength = max(found, key=lambda e: _RANK[e.strength]).strength
    record = Phenoconversion(
        strength=strength,
        inhibitors=found,
        method=f"weak {phenotype.gene} inhibitors are not applied ({rule.source})",
        adjusted=False,
        genotype_phenotype=phenotype.phenotype,
        genotype_activity_score=phenotype.activity_score,
        genotype_lookup_keys=phenotype.lookup_keys,
        genotype_dpwg_phenotype=phenotype.dpwg_phenotype,
        genotype_dpwg_lookup_key=phenotype.dpwg_lookup_key,
    )
    if strength == "weak":
        return replace(phenotype, phenoconversion=record)
    if isinstance(rule, ScoreRule):
        change = _by_score(phenotype, rule, strength)
    else:
        change = _by_step(phenotype, rule, strength)
    drugs = ", ".join(e.drug for e in found if e.strength == strength)
    if change is None:
        method = (
            f"{strength} {phenotype.gene} inhibitor ({drugs}) cannot adjust "
            f"{phenotype.phenotype} ({rule.source})"
        )
        return replace(phenotype, phenoconversion=replace(record, method=method))
    method, fields = change
    notes = [f"phenoconverted by {drugs} ({strength} {phenotype.gene} inhibitor)"]
    if phenotype.reason:
        notes.append(f"genotype result {phenotype.phenotype}: {phenotype.reason}")
    reason = None
    if fields["phenotype"] == INDETERMINATE:
        reason = f"{method}: no single phenotype"
    return replace(
        phenotype,
        reason=reason,
        notes=(*phenotype.notes, *notes),
        phenoconversion=replace(record, method=method, adjusted=True),
        **fields,
    )


def _by_score(
    result: GenePhenotype, rule: ScoreRule, strength: str
) -> tuple[str, dict[str, Any]] | None:
    factor = rule.factors[strength]
    start = parse_score(result.activity_score)
    if factor == 0:
        cpic_score = Score(Decimal(0))
        dpwg_score = cpic_score
    elif start is None:
        return None
    else:
        cpic_score = start.times(factor)
        dpwg_start = parse_score(result.dpwg_lookup_key) if result.dpwg_lookup_key else start
        dpwg_score = (dpwg_start or start).times(factor)
    phenotype, keys = _binned(cpic_score, rule.bins["CPIC"])
    fields: dict[str, Any] = {
        "phenotype": phenotype,
        "activity_score": format_score(cpic_score),
        "lookup_keys": keys,
        "dpwg_phenotype": None,
        "dpwg_lookup_key": None,
    }
    if "DPWG" in rule.bins:
        dpwg_phenotype, dpwg_keys = _binned(dpwg_score, rule.bins["DPWG"])
        if (dpwg_phenotype, dpwg_keys) != (phenotype, keys):
            fields["dpwg_phenotype"] = dpwg_phenotype
            fields["dpwg_lookup_key"] = dpwg_keys[0]
    was = result.activity_score or NOT_AVAILABLE
    method = (
        f"{result.gene} activity score {was} × {factor} ({strength} inhibitor) = "
        f"{format_score(cpic_score)} → {phenotype} ({rule.source})"
    )
    return method, fields


def _binned(score: Score, bins: tuple[ScoreBin, ...]) -> tuple[str, tuple[str, ...]]:
    phenotype = phenotype_for(score, bins)
    if phenotype is None:
        return INDETERMINATE, (NOT_AVAILABLE,)
    if score.at_least:
        return phenotype, (format_score(score),)
    keys = tuple(
        format_score(Score(v))
        for v in grid_neighbours(score.value)
        if phenotype_for(Score(v), bins) == phenotype
    )
    return phenotype, keys


def _by_step(
    result: GenePhenotype, rule: StepRule, strength: str
) -> tuple[str, dict[str, Any]] | None:
    if strength == "strong":
        new, dpwg_new = rule.strong, rule.strong
    else:
        step = rule.moderate_step.get("CPIC", {})
        if result.phenotype not in step:
            return None
        new = step[result.phenotype]
        dpwg_from = result.dpwg_phenotype or result.phenotype
        dpwg_new = rule.moderate_step.get("DPWG", {}).get(dpwg_from, new)
    fields: dict[str, Any] = {
        "phenotype": new,
        "lookup_keys": (new,),
        "dpwg_phenotype": dpwg_new if dpwg_new != new else None,
        "dpwg_lookup_key": dpwg_new if dpwg_new != new else None,
    }
    how = "poor-metabolizer equivalent" if strength == "strong" else "one step down"
    method = (
        f"{strength} {result.gene} inhibitor: {result.phenotype} → {new} ({how}; {rule.source})"
    )
    return method, fields


# ----------------------------------------------------------------------- loading
def bundled_inhibitors_path() -> Path:
    return Path(str(resources.files("tailormed.phenotype") / "data" / "inhibitors.json"))


@lru_cache(maxsize=4)
def load_inhibitors(path: str | None = None) -> InhibitorList:
    """The bundled inhibitor list (loaded once), or the one at ``path``."""
    source = Path(path) if path else bundled_inhibitors_path()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        return _parse(raw)
    except FileNotFoundError:
        raise KnowledgeError("inhibitor list is missing", path=source) from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"inhibitor list is malformed ({exc!r})", path=source) from None


def _parse(raw: Mapping[str, Any]) -> InhibitorList:
    sources = {k: v["citation"] for k, v in raw["sources"].items()}
    rules: dict[str, ScoreRule | StepRule] = {}
    for gene, r in raw["rules"].items():
        if r["source"] not in sources:
            raise ValueError(f"{gene} rule cites unknown source {r['source']!r}")
        if r["method"] == "activity_score":
            rules[gene] = ScoreRule(
                factors=MappingProxyType({k: Decimal(v) for k, v in r["factors"].items()}),
                bins=MappingProxyType(
                    {src: tuple(_bin(b) for b in bins) for src, bins in r["bins"].items()}
                ),
                source=r["source"],
            )
        elif r["method"] == "phenotype_step":
            rules[gene] = StepRule(
                strong=r["strong"],
                moderate_step=MappingProxyType(
                    {k: MappingProxyType(dict(v)) for k, v in r["moderate_step"].items()}
                ),
                source=r["source"],
            )
        else:
            raise ValueError(f"{gene}: unknown method {r['method']!r}")
    inhibitors = []
    for e in raw["inhibitors"]:
        if e["strength"] not in _RANK or not set(e["sources"]) <= set(sources):
            raise ValueError(f"bad strength or source in entry {e['drug']!r}")
        inhibitors.append(
            Inhibitor(
                drug=e["drug"].lower(),
                rxnorm=e.get("rxnorm"),
                synonyms=tuple(e.get("synonyms", ())),
                gene=e["gene"],
                strength=e["strength"],
                sources=tuple(e["sources"]),
                note=e.get("note"),
            )
        )
    return InhibitorList(
        compiled=raw["compiled"],
        review_status=raw["review_status"],
        sources=MappingProxyType(sources),
        rules=MappingProxyType(rules),
        inhibitors=tuple(inhibitors),
    )


def _bin(b: Mapping[str, Any]) -> ScoreBin:
    upper = b["upper"]
    return ScoreBin(
        phenotype=b["phenotype"],
        upper=None if upper is None else Decimal(upper),
        upper_inclusive=bool(b.get("upper_inclusive", True)),
    )
