"""CDS Hooks 2.0 ``order-select`` / ``order-sign``: draft medication orders → cards.

Pure functions over an :class:`~tailormed.recommend.Interpretation` (the service loads it
from the patient's record under consent): map each draft MedicationRequest to a
guideline drug by RxNorm code (ingredient codes, or a clinical-drug display naming the
ingredient), and return one card per actionable drug. Drugs whose results say "prescribe
as usual" and drugs without a guideline get no card (no alert fatigue); a guideline drug
whose gene was never tested gets an ``info`` card suggesting the test.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from tailormed.knowledge import KnowledgeBase
from tailormed.medications import guideline_drugs, resolve_medication
from tailormed.recommend.models import DrugReport, Interpretation, MatchedRecommendation

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SUMMARY_MAX = 140
# Recommendation wording that means "do not give this drug" (critical when Strong).
AVOID = re.compile(r"\b(avoid|not recommended|contraindicated|do not use|should not)\b", re.I)


class Coding(BaseModel):
    model_config = ConfigDict(extra="allow")
    system: str | None = None
    code: str | None = None
    display: str | None = None


class Source(BaseModel):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(BaseModel):
    type: Literal["create", "update", "delete"]
    description: str
    resourceId: str | None = None
    resource: dict[str, Any] | None = None


class Suggestion(BaseModel):
    label: str
    uuid: str
    isRecommended: bool = False
    actions: list[Action] = Field(default_factory=list)


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(BaseModel):
    uuid: str
    summary: str = Field(max_length=SUMMARY_MAX - 1)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] = Field(default_factory=list)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)


class DraftOrder(BaseModel):
    """What we need of a draft MedicationRequest."""

    resource_id: str
    codes: list[str]  # RxNorm codes
    text: str  # display / text of the medication


OVERRIDE_REASONS = [
    Coding(code="tolerated-before", display="Patient has taken this drug before without problems"),
    Coding(code="no-alternative", display="No suitable alternative"),
    Coding(code="will-monitor", display="Will monitor closely (levels, response, adverse effects)"),
]


def draft_orders(context: dict[str, Any]) -> list[DraftOrder]:
    """Draft MedicationRequests from ``context.draftOrders`` (a FHIR Bundle)."""
    bundle = context.get("draftOrders") or {}
    orders = []
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") or {}
        if res.get("resourceType") != "MedicationRequest":
            continue
        concept = res.get("medicationCodeableConcept") or {}
        codes = [
            str(c["code"])
            for c in concept.get("coding") or []
            if c.get("code") and (c.get("system") or RXNORM) == RXNORM
        ]
        text = concept.get("text") or " ".join(
            c.get("display") or "" for c in concept.get("coding") or []
        )
        orders.append(
            DraftOrder(
                resource_id=f"MedicationRequest/{res.get('id', '')}",
                codes=codes,
                text=text.strip(),
            )
        )
    return orders


def drugs_of(order: DraftOrder, kb: KnowledgeBase) -> list[str]:
    """The guideline drugs an order is for, read by the one medication resolver
    (:func:`tailormed.medications.resolve_medication`): by RxNorm ingredient code, else by
    its text (names, brands and combination products: Tylenol #3 → codeine)."""
    resolved = None
    for code in order.codes:
        resolved = resolve_medication(f"RxNorm:{code}", kb, suggest=False)
        if resolved.recognised:
            break
    if (resolved is None or not resolved.recognised) and order.text:
        resolved = resolve_medication(order.text, kb, suggest=False, anywhere=True)
    if resolved is None:
        return []
    return list(guideline_drugs(resolved, kb)[0])


def _phenotype_phrase(rec: MatchedRecommendation) -> str:
    return "; ".join(f"{g} {p}" for g, p in rec.phenotypes.items())


def _indicator(report: DrugReport, rec: MatchedRecommendation) -> Literal["warning", "critical"]:
    strong = (rec.classification or "").lower() == "strong"
    return "critical" if strong and AVOID.search(rec.text) else "warning"


def _summary(report: DrugReport, rec: MatchedRecommendation) -> str:
    first = rec.text.split("\n", 1)[0].strip().rstrip(".")
    text = f"{_phenotype_phrase(rec)}: {first}"
    if len(text) > SUMMARY_MAX - 1:
        text = text[: SUMMARY_MAX - 2].rsplit(" ", 1)[0] + "…"
    return text


def _detail(report: DrugReport, interpretation: Interpretation) -> str:
    lines = []
    for rec in report.recommendations:
        lines.append(
            f"**{rec.source}** ({rec.classification or 'no strength given'}) — "
            f"{_phenotype_phrase(rec)}"
        )
        lines.append("")
        lines.append(rec.text)
        for implication in rec.implications:
            lines.append(f"- {implication}")
        if rec.phenoconverted:
            lines.append("- Phenotype adjusted for an interacting medication (phenoconversion).")
        lines.append("")
    for dose in report.doses:
        lines.append(f"**Computed dose:** {dose.text} ({dose.source})")
    for gene in report.genes:
        call = interpretation.call(gene)
        if call is not None:
            lines.append(f"- {gene}: {call.diplotype} ({call.source})")
    lines.append("")
    lines.append(f"Knowledge base {interpretation.kb_version}.")
    return "\n".join(lines)


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "tailormed:" + ":".join(parts)))


def card_for(order: DraftOrder, report: DrugReport, interpretation: Interpretation) -> Card | None:
    """One card for one draft order, or None when the results call for no action."""
    if report.status == "no result":
        return Card(
            uuid=_uuid(interpretation.sample, report.drug, "no-result"),
            summary=f"{report.drug}: pharmacogenetic guideline exists; result not available"[
                : SUMMARY_MAX - 1
            ],
            detail=report.reason,
            indicator="info",
            source=Source(label="Tailormed (CPIC/DPWG guidelines)"),
        )
    if report.status != "actionable" or not report.recommendations:
        return None
    cpic = [r for r in report.recommendations if r.source == "CPIC" and r.actionable]
    rec = (
        cpic or [r for r in report.recommendations if r.actionable] or [report.recommendations[0]]
    )[0]
    suggestions = []
    if rec.alternate_drug or AVOID.search(rec.text):
        suggestions.append(
            Suggestion(
                label=f"Cancel the {report.drug} order and choose an alternative",
                uuid=_uuid(interpretation.sample, report.drug, "remove"),
                isRecommended=True,
                actions=[
                    Action(
                        type="delete",
                        description=f"Remove the draft {report.drug} order",
                        resourceId=order.resource_id,
                    )
                ],
            )
        )
    for dose in report.doses:
        suggestions.append(
            Suggestion(
                label=f"Adjust the dose: {dose.text}"[:120],
                uuid=_uuid(interpretation.sample, report.drug, "dose", dose.kind),
                actions=[
                    Action(
                        type="update",
                        description=f"Change the {report.drug} dose: {dose.text}",
                        resourceId=order.resource_id,
                    )
                ],
            )
        )
    links = [
        Link(label=f"{r.source}: {r.guideline_name}"[:100], url=r.guideline_url)
        for r in report.recommendations
        if r.guideline_url
    ]
    return Card(
        uuid=_uuid(interpretation.sample, report.drug, rec.recommendation_id),
        summary=_summary(report, rec),
        detail=_detail(report, interpretation),
        indicator=_indicator(report, rec),
        source=Source(label=f"{rec.source}: {rec.guideline_name}"[:120], url=rec.guideline_url),
        suggestions=suggestions,
        selectionBehavior="at-most-one" if suggestions else None,
        overrideReasons=OVERRIDE_REASONS,
        links=links,
    )


def cards(context: dict[str, Any], interpretation: Interpretation, kb: KnowledgeBase) -> list[Card]:
    """All cards for the draft orders of an ``order-select`` / ``order-sign`` context."""
    out = []
    for order in draft_orders(context):
        for name in drugs_of(order, kb):
            report = interpretation.drug(name)
            if report is None:
                continue
            card = card_for(order, report, interpretation)
            if card is not None:
                out.append(card)
    return out
