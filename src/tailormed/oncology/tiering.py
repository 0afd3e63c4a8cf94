"""AMP/ASCO/CAP 2017 tiers from the matched knowledge.

Mapping of CIViC evidence levels to AMP levels: A (validated) → A, B (clinical) → B,
C (case study) → C, D (preclinical) → D, E (inferential) → D. FDA approvals (verified
companion-diagnostic rows, tissue-agnostic approvals) are level A in the approved tumour
types and level C elsewhere (AMP: "FDA-approved therapy for a different tumour type").

Tier of a variant (per tumour type, Li et al. 2017):

- **I**: level A or B evidence for the patient's tumour type (the OncoTree code or an
  ancestor of it; pan-cancer evidence counts), or a CIViC assertion of Tier I for it;
- **II**: level A/B evidence in another tumour type, or level C/D evidence; also every
  match through gene-level "Mutation" evidence, however strong, because the variant
  itself was never assessed;
- **III**: a protein-altering variant with no supporting evidence (unknown significance).

Only evidence that *supports* its statement counts; "does not support" items are listed
but never raise a tier. Tier IV (benign) is not assigned: population frequencies are not
part of this bundle, so non-protein-altering calls are simply not reported (counted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.matching import STRENGTH, Hit
from tailormed.oncology.models import DiseaseMatch, EvidenceItem, Tier, VariantMatch

AMP_OF_CIVIC = {"A": "A", "B": "B", "C": "C", "D": "D", "E": "D"}
TIER_RANK: dict[str, int] = {"I": 1, "II": 2, "III": 3}
LEVEL_RANK: dict[str, int] = {"A": 1, "B": 2, "C": 3, "D": 4}


def disease_match(kb: OncologyKnowledge, tumour: str, key: str) -> tuple[DiseaseMatch, str | None]:
    found = kb.disease_levels(tumour).get(key)
    if found is None:
        return "other", None
    node, how = found
    return how, node  # type: ignore[return-value]


def civic_item(
    kb: OncologyKnowledge,
    tumour: str,
    item: Mapping[str, Any],
    how: VariantMatch,
    profile: str,
) -> EvidenceItem:
    match, node = disease_match(kb, tumour, item["disease_key"])
    return EvidenceItem(
        source="CIViC",
        id=item["id"],
        level=item["level"],
        amp_level=AMP_OF_CIVIC[item["level"]],
        evidence_type=item["type"],
        direction=item["direction"],
        significance=item["significance"],
        disease=item["disease"],
        disease_match=match,
        matched_oncotree=node,
        variant_match=how,
        therapies=tuple(item["therapies"]),
        on_label=match != "other",
        citation=item["citation"],
        profile=profile,
    )


def assertion_item(
    kb: OncologyKnowledge,
    tumour: str,
    item: Mapping[str, Any],
    how: VariantMatch,
    profile: str,
) -> EvidenceItem:
    match, node = disease_match(kb, tumour, item["disease_key"])
    tier: Tier = "I" if item["tier"] == "I" else "II" if item["tier"] == "II" else "III"
    return EvidenceItem(
        source="CIViC assertion",
        id=item["id"],
        level=f"Tier {item['tier']}" + (f" - Level {item['level']}" if item["level"] else ""),
        amp_level=item["level"] or "",
        evidence_type=item["type"],
        direction=item["direction"],
        significance=item["significance"],
        disease=item["disease"],
        disease_match=match,
        matched_oncotree=node,
        variant_match=how,
        therapies=tuple(item["therapies"]),
        on_label=match != "other",
        citation=f"CIViC assertion {item['id']} (evidence {', '.join(item['evidence'])})"
        + (f"; NCCN {item['nccn']}" if item["nccn"] else ""),
        profile=profile,
        amp_tier=tier,
    )


def weakest(hits: Sequence[Hit]) -> VariantMatch:
    """The least specific way an (AND) profile was matched."""
    return max((h.how for h in hits), key=lambda how: STRENGTH[how])


def item_tier(item: EvidenceItem) -> tuple[Tier, str]:
    """The tier one evidence item supports, and why."""
    if item.direction != "Supports":
        return "III", "does not support"
    if item.amp_tier is not None:
        if item.on_label:
            return item.amp_tier, f"{item.id}: {item.level} for {item.disease}"
        return "II", f"{item.id}: {item.level} in another tumour type ({item.disease})"
    strong = item.amp_level in ("A", "B")
    if item.variant_match == "gene":
        return "II", f"{item.id}: gene-level evidence (any {item.profile or 'mutation'})"
    if strong and item.on_label:
        where = "pan-cancer" if item.disease_match == "pan-cancer" else item.disease
        return "I", f"{item.id}: level {item.amp_level} in {where}"
    if strong:
        return "II", f"{item.id}: level {item.amp_level} in another tumour type ({item.disease})"
    return "II", f"{item.id}: level {item.amp_level}"


def variant_tier(items: Sequence[EvidenceItem]) -> tuple[Tier, str | None, str]:
    """(tier, best AMP level behind it, basis) over every item matched to one variant."""
    best: tuple[Tier, str | None, str] = (
        "III",
        None,
        "no supporting evidence in the knowledge base",
    )
    for item in items:
        tier, why = item_tier(item)
        if tier == "III":
            continue
        level = item.amp_level or None
        if not item.on_label and level in ("A", "B"):
            level = "C"  # AMP: approved / strong evidence in another tumour type
        candidate = (tier, level, why)
        if (TIER_RANK[tier], LEVEL_RANK.get(level or "D", 5)) < (
            TIER_RANK[best[0]],
            LEVEL_RANK.get(best[1] or "D", 5),
        ):
            best = candidate
    return best
