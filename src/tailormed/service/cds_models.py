"""CDS Hooks 2.0 types and inputs: cards (pydantic, the response), draft orders, and what
the caller may know about the patient (:class:`CdsPatient`).

:func:`medication_names` is the one place the CDS service resolves medications (order
codings and texts, medication-list entries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tailormed.knowledge import KnowledgeBase
from tailormed.medications import guideline_drugs, resolve_medication

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SUMMARY_MAX = 140  # the spec's "<140 characters"
# Tailormed's code system for the reasons a clinician may give when overriding a card.
OVERRIDE_REASON_SYSTEM = "https://tailormed.org/fhir/CodeSystem/cds-override-reason"


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
    suggestions: list[Suggestion] | None = None  # None: not sent (no empty arrays)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None

    @model_validator(mode="after")
    def _spec_rules(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("suggestions need selectionBehavior")
        for name in ("suggestions", "overrideReasons", "links"):
            if getattr(self, name) == []:
                setattr(self, name, None)
        return self


OVERRIDE_REASONS = [
    Coding(
        system=OVERRIDE_REASON_SYSTEM,
        code="tolerated-before",
        display="Patient has taken this drug before without problems",
    ),
    Coding(system=OVERRIDE_REASON_SYSTEM, code="no-alternative", display="No suitable alternative"),
    Coding(
        system=OVERRIDE_REASON_SYSTEM,
        code="will-monitor",
        display="Will monitor closely (levels, response, adverse effects)",
    ),
    Coding(
        system=OVERRIDE_REASON_SYSTEM,
        code="indication-not-covered",
        display="The guideline's indication does not apply to this patient",
    ),
]


@dataclass(frozen=True, slots=True)
class DraftOrder:
    """What we need of a draft MedicationRequest."""

    resource_id: str  # "MedicationRequest/<id>"
    codes: tuple[str, ...]  # RxNorm codes
    text: str  # display / text of the medication
    subject: dict[str, Any] | None = None
    encounter: dict[str, Any] | None = None
    requester: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CdsMedication:
    """A medication the interpretation took into account, and where it was listed."""

    text: str  # as written
    names: tuple[str, ...]  # generic names it resolved to (empty: not recognised)
    origin: str  # "the record's medication list", "the draft orders", ...


@dataclass(frozen=True, slots=True)
class CdsPatient:
    """What the caller may know about the patient's results (it words the cards).

    ``access``: ``"full"`` (results the caller may see, or none on file), ``"partial"``
    (a consent limited to some genes: ``visible_genes``), ``"none"`` (no record the
    caller may read — unknown id, no consent or a deleted record, told apart nowhere).
    ``origin`` says where results come from ("on file", "in the prefetched genotypes").
    ``notes`` are sentences about inputs that were not available (shown on every card).
    """

    reference: str  # context.patientId
    access: Literal["full", "partial", "none"] = "full"
    has_results: bool = True
    origin: str = "on file"
    visible_genes: frozenset[str] | None = None
    medications: tuple[CdsMedication, ...] = ()
    notes: tuple[str, ...] = ()

    def may_see(self, genes: Sequence[str]) -> bool:
        return self.visible_genes is None or all(g in self.visible_genes for g in genes)


# ---------------------------------------------------------------------- medications
def medication_names(text: str, codes: Sequence[str], kb: KnowledgeBase) -> tuple[str, ...]:
    """The generic names (knowledge-base drugs, then inhibitors) one medication names.

    The one place the CDS service resolves medications (order codings, order text,
    medication-list entries), through the one medication resolver
    (:func:`tailormed.medications.resolve_medication`): an RxNorm code first, then the
    text, where a name may stand after other words (an EHR's RxNorm display, "12 HR
    Oxycodone ..."), brands and combination products included (Tylenol #3 → codeine).
    """
    resolved = None
    for code in codes:
        found = resolve_medication(f"RxNorm:{code}", kb, suggest=False)
        if found.recognised:
            resolved = found
            break
    if resolved is None and text.strip():
        found = resolve_medication(text, kb, suggest=False, anywhere=True)
        if found.recognised:
            resolved = found
    if resolved is None:
        return ()
    drugs, others = guideline_drugs(resolved, kb)
    inhibitors = [i for i in others if kb.inhibitors.of(i)]
    return tuple(dict.fromkeys([*drugs, *inhibitors]))


def order_ingredients(text: str, codes: Sequence[str], kb: KnowledgeBase) -> tuple[str, ...]:
    """Every ingredient one medication names (lower-case generic names), guideline drug or
    not: what the clinical domains' CDS providers match (a targeted cancer drug has no
    pharmacogenomic guideline but may meet a resistance variant). Same resolver as
    :func:`medication_names`: an RxNorm code first, then the text."""
    for code in codes:
        found = resolve_medication(f"RxNorm:{code}", kb, suggest=False)
        if found.recognised:
            return tuple(i.lower() for i in found.ingredients)
    if text.strip():
        found = resolve_medication(text, kb, suggest=False, anywhere=True)
        if found.recognised:
            return tuple(i.lower() for i in found.ingredients)
    return ()


def draft_orders(context: dict[str, Any]) -> list[DraftOrder]:
    """Draft MedicationRequests from ``context.draftOrders`` (a FHIR Bundle)."""
    bundle = context.get("draftOrders") or {}
    orders = []
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") or {}
        if res.get("resourceType") != "MedicationRequest":
            continue
        text, codes = medication_of(res)
        orders.append(
            DraftOrder(
                resource_id=f"MedicationRequest/{res.get('id', '')}",
                codes=codes,
                text=text,
                subject=_reference(res.get("subject")),
                encounter=_reference(res.get("encounter")),
                requester=_reference(res.get("requester")),
            )
        )
    return orders


def medication_of(resource: dict[str, Any]) -> tuple[str, tuple[str, ...]]:
    """``(text, RxNorm codes)`` of a MedicationRequest / MedicationStatement: its
    ``medicationCodeableConcept``, or the code of a contained Medication it references."""
    concept = resource.get("medicationCodeableConcept")
    ref = (resource.get("medicationReference") or {}).get("reference")
    if not isinstance(concept, dict) and isinstance(ref, str) and ref.startswith("#"):
        for contained in resource.get("contained") or []:
            if isinstance(contained, dict) and contained.get("id") == ref[1:]:
                concept = contained.get("code")
    if not isinstance(concept, dict):
        return "", ()
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    codes = tuple(
        str(c["code"]) for c in codings if c.get("code") and (c.get("system") or RXNORM) == RXNORM
    )
    text = concept.get("text") or " ".join(str(c.get("display") or "") for c in codings)
    return str(text).strip(), codes


def _reference(value: Any) -> dict[str, Any] | None:
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        return {"reference": value["reference"]}
    return None
