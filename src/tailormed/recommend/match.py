"""Selecting a guideline's recommendations with the patient's lookup keys.

A recommendation's ``lookup_key`` maps each gene it needs to one value. It matches when,
for *every* gene in it, the patient has that value among the gene's keys:

* the keys of a gene are :meth:`GenePhenotype.lookup_keys_for` the guideline's source
  (DPWG uses its own key where the DPWG map differs, e.g. DPYD ``"1.0 (Intermediate
  Metabolizer)"``); HLA genes have several keys (one per allele a guideline keys on) and
  any of them may match;
* a DPWG key that is an allele-count map (``{"*1": 1, "*3": 1}``, CYP2C9 and UGT1A1) is
  compared with :attr:`GenePhenotype.allele_counts`. When such a diplotype-specific
  recommendation matches, the same guideline's phenotype-level recommendations for that
  gene are dropped: DPWG writes them for the other diplotypes of the phenotype ("If the
  activity of the reduced-activity alleles is comparable to *2 or *3 ...");
* a gene without a result (not tested, or no call) has the key ``"No Result"``, which
  matches only where the guideline has such a key (CPIC's multi-gene guidelines do);
* an allele-presence key (``"*15:02 positive"``) needs the patient's typing to decide that
  allele: when it has neither ``"*15:02 positive"`` nor ``"*15:02 negative"`` (a one-field
  or single-allele typing), the gene is unknown *for this guideline* even though other
  HLA-B alleles were decided.

:func:`evaluate` also says which of the guideline's genes were unknown (not tested, not
called, indeterminate), which is what turns an unmatched guideline into "no result".

>>> from tailormed.knowledge import load_kb
>>> from tailormed.phenotype.models import GenePhenotype
>>> kb = load_kb()
>>> pm = GenePhenotype("CYP2C19", "S1", "*2/*2", (), "Poor Metabolizer", None,
...                    ("Poor Metabolizer",))
>>> from tailormed.recommend.sources import drug_guidelines
>>> (g, recs), _ = drug_guidelines(kb, "clopidogrel")
>>> out = evaluate(g, recs, {"CYP2C19": pm})
>>> len(out.matches), out.unknown
(3, ())
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from tailormed.knowledge.models import Guideline, LookupValue, Recommendation
from tailormed.phenotype.models import INDETERMINATE, NO_RESULT, NOT_AVAILABLE, GenePhenotype
from tailormed.recommend.sources import guideline_genes

UNKNOWN_KEYS = frozenset({NO_RESULT, INDETERMINATE, NOT_AVAILABLE})
_PRESENCE = re.compile(r"^(\S+) (positive|negative)$")


@dataclass(frozen=True, slots=True)
class UnknownGene:
    """A gene a guideline needs whose result cannot select a recommendation."""

    gene: str
    why: str  # "not tested" | "not called" | "indeterminate"
    detail: str | None = None

    @property
    def sentence(self) -> str:
        text = f"{self.gene} {'was ' if self.why != 'indeterminate' else 'is '}{self.why}"
        return f"{text} ({self.detail})" if self.detail else text


@dataclass(frozen=True, slots=True)
class Match:
    """One selected recommendation and the key text per gene that selected it."""

    recommendation: Recommendation
    keys: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class GuidelineOutcome:
    guideline: Guideline
    genes: tuple[str, ...]
    matches: tuple[Match, ...]
    unknown: tuple[UnknownGene, ...]


def unknown_gene(gene: str, phenotype: GenePhenotype | None) -> UnknownGene | None:
    """Why ``gene``'s result cannot select a recommendation, or ``None`` if it can."""
    if phenotype is None:
        return UnknownGene(gene, "not tested")
    keys = set(phenotype.lookup_keys)
    if phenotype.phenotype == NO_RESULT or keys == {NO_RESULT}:
        return UnknownGene(gene, "not called", phenotype.reason)
    if phenotype.phenotype in (INDETERMINATE, NOT_AVAILABLE) or keys <= UNKNOWN_KEYS:
        return UnknownGene(gene, "indeterminate", phenotype.reason)
    return None


def patient_keys(phenotype: GenePhenotype | None, source: str) -> tuple[str, ...]:
    if phenotype is None:
        return (NO_RESULT,)
    return phenotype.lookup_keys_for(source)


def counts_text(counts: Mapping[str, float | int]) -> str:
    """``{"*1": 1, "*3": 1}`` → ``"*1/*3"`` (an allele-count key as a diplotype)."""
    return "/".join(a for a, n in sorted(counts.items()) for _ in range(int(n)))


def _gene_match(
    value: LookupValue, phenotype: GenePhenotype | None, source: str
) -> tuple[str, bool] | None:
    """The key text if the patient's result for the gene has ``value``; flag map keys."""
    if isinstance(value, Mapping):
        if phenotype is None or not phenotype.alleles:
            return None
        want = {a: int(n) for a, n in value.items()}
        return (counts_text(want), True) if phenotype.allele_counts == want else None
    return (value, False) if value in patient_keys(phenotype, source) else None


def evaluate(
    guideline: Guideline,
    recs: tuple[Recommendation, ...],
    phenotypes: Mapping[str, GenePhenotype],
) -> GuidelineOutcome:
    """The recommendations of ``guideline`` (for one drug) that the patient's keys select."""
    genes = guideline_genes(guideline, recs)
    found: list[tuple[Match, frozenset[str]]] = []
    for rec in recs:
        keys: dict[str, str] = {}
        by_counts: set[str] = set()
        for gene, value in rec.lookup_key.items():
            hit = _gene_match(value, phenotypes.get(gene), guideline.source)
            if hit is None:
                break
            keys[gene] = hit[0]
            if hit[1]:
                by_counts.add(gene)
        else:
            found.append((Match(rec, keys), frozenset(by_counts)))
    specific = {gene for _, genes_by_count in found for gene in genes_by_count}
    matches = tuple(
        m
        for m, by_counts in found
        if not any(g in specific and g not in by_counts for g in m.recommendation.lookup_key)
    )
    unknown = tuple(u for g in genes if (u := _unknown_for(g, recs, phenotypes.get(g))) is not None)
    return GuidelineOutcome(guideline, genes, matches, unknown)


def _unknown_for(
    gene: str, recs: tuple[Recommendation, ...], phenotype: GenePhenotype | None
) -> UnknownGene | None:
    found = unknown_gene(gene, phenotype)
    if found is not None or phenotype is None:
        return found
    have = set(phenotype.lookup_keys)
    alleles = {
        m.group(1)
        for r in recs
        if isinstance(v := r.lookup_key.get(gene), str) and (m := _PRESENCE.match(v))
    }
    open_ = sorted(a for a in alleles if not {f"{a} positive", f"{a} negative"} & have)
    if not open_:
        return None
    detail = f"{', '.join(open_)} not determined" + (
        f": {phenotype.reason}" if phenotype.reason else ""
    )
    return UnknownGene(gene, "indeterminate", detail)
