"""Helpers for the FHIR tests: KB-built recommendations and bundle navigation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import DrugReport, Interpretation, MatchedRecommendation, Status

EXAMPLE2 = Path("pharmcat/docs/examples/pharmcat.example2.vcf")
LIMITATION = "CYP2D6 is not called from VCF: copy number and hybrids cannot be seen."


def matched(
    kb: KnowledgeBase,
    drug: str,
    source: str,
    lookup: dict[str, str],
    *,
    actionable: bool,
    phenotypes: dict[str, str] | None = None,
) -> MatchedRecommendation:
    """The KB's first ``source`` recommendation for ``drug`` keyed exactly on ``lookup``."""
    recs = kb.recommendations(drug=drug, source=source, lookup=lookup)
    assert recs, f"KB has no {source} {drug} recommendation for {lookup}"
    rec = recs[0]
    guideline = kb.guideline(rec.guideline_id)
    return MatchedRecommendation(
        drug=drug,
        source=rec.source,
        recommendation_id=rec.id,
        guideline_id=rec.guideline_id,
        guideline_name=guideline.name,
        guideline_url=guideline.url,
        genes=tuple(lookup),
        lookup_key=dict(lookup),
        phenotypes=dict(phenotypes or lookup),
        classification=rec.classification,
        population=rec.population,
        text=rec.text,
        implications=rec.implications,
        actionable=actionable,
        alternate_drug=rec.alternate_drug,
        dosing_information=rec.dosing_information,
    )


def drug_report(kb: KnowledgeBase, recs: list[MatchedRecommendation], status: Status) -> DrugReport:
    drug = kb.drug(recs[0].drug)
    return DrugReport(
        drug=drug.name,
        rxnorm=drug.rxnorm,
        genes=drug.genes,
        status=status,
        reason="test fixture",
        recommendations=tuple(recs),
    )


def phenotype_of(interp: Interpretation, gene: str) -> str:
    p = interp.phenotype(gene)
    assert p is not None
    return p.phenotype


# ------------------------------------------------------------------ bundle helpers
def resources(bundle: dict[str, Any], kind: str | None = None) -> list[dict[str, Any]]:
    out = [e["resource"] for e in bundle["entry"]]
    return [r for r in out if kind is None or r["resourceType"] == kind]


def by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["fullUrl"]: e["resource"] for e in bundle["entry"]}


def has_code(concept: dict[str, Any], system: str, code: str) -> bool:
    return any(
        c.get("system") == system and c.get("code") == code for c in concept.get("coding", [])
    )


def component(obs: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [c for c in obs.get("component", []) if has_code(c["code"], system, code)]
