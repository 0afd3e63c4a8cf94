"""CDS Hooks 2.0 ``order-select`` / ``order-sign``: draft medication orders → cards.

Pure functions over an :class:`~tailormed.recommend.Interpretation` built by the same
:func:`~tailormed.recommend.build_interpretation` as the reports, from the patient's
stored results, clinical factors and medications *plus the draft orders* (so a
paroxetine on the medication list, or in the same order set, phenoconverts CYP2D6 for a
codeine order exactly as the report does). :mod:`.cds_patient` builds that input;
this module turns it into cards, one per draft order and guideline drug:

* **actionable** (a recommendation changes the drug or dose): ``warning``, or
  ``critical`` for a Strong "avoid"; the phenotype (marked when phenoconverted, with
  the medication that caused it and where it was listed), the advice sentence the report
  leads with, the full recommendations, computed doses; suggestions "cancel the order"
  and, per alternative the guideline names (read into the knowledge base by
  :mod:`tailormed.knowledge.alternatives`), "create a draft MedicationRequest for it and
  delete this order" (``selectionBehavior`` ``at-most-one``);
* **computed dose** (warfarin's IWPC + CPIC 2017 dose, or a non-standard % dose): an
  ``info`` card with the dose, or saying which clinical factors are missing;
* **no usable result** for a guideline drug: an ``info`` card "consider testing
  <genes>", worded by what the caller may know (:class:`CdsPatient`): nothing on file,
  a gene not tested or indeterminate, a gene outside the patient's consent scope, or —
  for a caller with no access (unknown patient, no consent, deleted record, all alike) —
  "no result available to you";
* prescribe as usual, or no CPIC/DPWG guideline: no card.

``order-select`` gets cards for ``context.selections`` only; ``order-sign`` for every
draft order; the other draft orders count as co-medication in both.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

from tailormed.knowledge import Guideline, KnowledgeBase, Recommendation
from tailormed.knowledge.alternatives import sentences
from tailormed.knowledge.models import Alternative
from tailormed.phenotype.models import INDETERMINATE, NO_RESULT, NOT_AVAILABLE
from tailormed.recommend.advice import key_sentence
from tailormed.recommend.models import (
    DoseCalculation,
    DrugReport,
    Interpretation,
    MatchedRecommendation,
)
from tailormed.service.cds_models import (
    OVERRIDE_REASON_SYSTEM,
    OVERRIDE_REASONS,
    RXNORM,
    SUMMARY_MAX,
    Action,
    Card,
    CdsMedication,
    CdsPatient,
    Coding,
    DraftOrder,
    Link,
    Source,
    Suggestion,
    draft_orders,
    medication_names,
)

__all__ = [
    "OVERRIDE_REASON_SYSTEM",
    "RXNORM",
    "SUMMARY_MAX",
    "Action",
    "Card",
    "CdsMedication",
    "CdsPatient",
    "Coding",
    "DraftOrder",
    "card_for",
    "cards",
    "draft_orders",
    "drugs_for_cards",
    "drugs_of",
    "medication_names",
]

# Recommendation wording that means "do not give this drug" (critical when Strong).
AVOID = re.compile(r"\b(avoid|not recommended|contraindicated|do not use|should not)\b", re.I)
# A sentence that warns against a drug it names (an alternative's caution).
CAUTION = re.compile(r"contra-?indicated|not recommended|\bavoid\b|\bdo not\b", re.I)
_STRENGTH = {"strong": 0, "moderate": 1, "optional": 2}
_UNUSABLE = {NO_RESULT, INDETERMINATE, NOT_AVAILABLE}
_FACTOR_WORDS = {"age_years": "age", "height_cm": "height", "weight_kg": "weight", "race": "race"}


# ---------------------------------------------------------------------------- cards
def cards(
    context: dict[str, Any],
    interpretation: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient | None = None,
) -> list[Card]:
    """All cards for the draft orders of an ``order-select`` / ``order-sign`` context."""
    who = patient or CdsPatient(reference=str(context.get("patientId") or ""))
    selections = context.get("selections")
    out: list[Card] = []
    for order in draft_orders(context):
        if selections is not None and order.resource_id not in selections:
            continue
        for name in drugs_of(order, kb):
            report = interpretation.drug(name)
            if report is None or report.status == "no guideline":
                continue
            card = card_for(order, report, interpretation, kb, who)
            if card is not None:
                out.append(card)
    return out


def drugs_of(order: DraftOrder, kb: KnowledgeBase) -> list[str]:
    """The knowledge base's guideline drugs one draft order is for (by RxNorm code, else
    its text: names, brands and combination products, via :func:`medication_names`)."""
    known = {d.name.lower() for d in kb.drugs}
    return [n for n in medication_names(order.text, order.codes, kb) if n.lower() in known]


def drugs_for_cards(orders: Sequence[DraftOrder], kb: KnowledgeBase) -> frozenset[str]:
    """Every drug :func:`cards` may look up for these orders: the ordered knowledge-base
    drugs and every alternative their guidelines name (the interpretation may be built
    for these only)."""
    out: set[str] = set()
    for order in orders:
        for name in drugs_of(order, kb):
            out.add(name.lower())
            out.update(_alternatives_of(kb, name.lower()))
    return frozenset(out)


@lru_cache(maxsize=1024)
def _alternatives_of(kb: KnowledgeBase, drug: str) -> frozenset[str]:
    return frozenset(
        a.drug.lower()
        for g in kb.guidelines_for(drug)
        for r in g.recommendations
        for a in r.alternatives
    )


def card_for(
    order: DraftOrder,
    report: DrugReport,
    interpretation: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient,
) -> Card | None:
    """One card for one drug of one draft order, or None when nothing calls for action."""
    if not patient.may_see(report.genes) or (
        report.status == "no result" and not report.recommendations
    ):
        return _no_result_card(report, interpretation, kb, patient)
    dose = next((d for d in report.doses if _informative(d)), None)
    if report.status == "actionable" and report.recommendations:
        return _action_card(order, report, interpretation, kb, patient, dose)
    if dose is not None:
        return _dose_card(report, interpretation, kb, patient, dose)
    if report.status == "no result":
        return _no_result_card(report, interpretation, kb, patient)
    return None


def _lead(report: DrugReport) -> MatchedRecommendation:
    """The recommendation the report leads with: CPIC first, then the strongest."""
    changes = [r for r in report.recommendations if r.actionable] or list(report.recommendations)
    return min(
        changes,
        key=lambda r: (
            0 if r.source == "CPIC" else 1,
            _STRENGTH.get((r.classification or "").lower(), 3),
        ),
    )


def _action_card(
    order: DraftOrder,
    report: DrugReport,
    interp: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient,
    dose: DoseCalculation | None,
) -> Card:
    rec = _lead(report)
    strong = (rec.classification or "").lower() == "strong"
    indicator: Literal["warning", "critical"] = (
        "critical" if strong and AVOID.search(rec.text) else "warning"
    )
    if dose is not None and dose.value is not None and dose.kind != "percent_of_standard":
        summary = _fit(f"{_phenotypes_short(rec)}: {report.drug} dose {dose.text}")
    else:
        summary = _fit(f"{_phenotypes_short(rec)}: {key_sentence(rec.text).rstrip('.;:')}")
    suggestions: list[Suggestion] = []
    if rec.alternate_drug or AVOID.search(rec.text):
        suggestions.append(
            Suggestion(
                label=f"Cancel the {report.drug} order and choose an alternative",
                uuid=str(uuid.uuid4()),
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
    suggestions.extend(_alternative_suggestions(order, report, interp, kb, patient))
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail=_detail(report, interp, kb, patient, dose),
        indicator=indicator,
        source=Source(label=f"{rec.source}: {rec.guideline_name}"[:120], url=rec.guideline_url),
        suggestions=suggestions,
        selectionBehavior="at-most-one" if suggestions else None,
        overrideReasons=OVERRIDE_REASONS,
        links=_links(report.recommendations),
    )


def _dose_card(
    report: DrugReport,
    interp: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient,
    dose: DoseCalculation,
) -> Card:
    if dose.value is not None:
        summary = _fit(f"{report.drug.capitalize()} genotype-guided dose: {dose.text}")
    else:
        needed = _needed(dose)
        summary = _fit(
            f"{report.drug.capitalize()}: genotype-guided dose needs {needed}, not on file"
        )
    guideline = _cpic_first(kb, report.drug)
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail=_detail(report, interp, kb, patient, dose),
        indicator="info",
        source=Source(
            label=dose.method[:120], url=guideline.url if guideline is not None else None
        ),
        links=_links(report.recommendations),
    )


def _no_result_card(
    report: DrugReport, interp: Interpretation, kb: KnowledgeBase, patient: CdsPatient
) -> Card:
    drug, sources = (
        report.drug,
        "/".join(sorted({g.source for g in kb.guidelines_for(report.drug)})),
    )
    genes = _join(report.genes)
    if patient.access == "none":
        summary = _fit(
            f"No pharmacogenomic result available to you: {drug} has a {sources} guideline "
            f"({genes}); consider testing"
        )
        why = (
            "Tailormed has no pharmacogenomic result for this patient that your account may "
            "read: there is no record under this patient id, or the patient has not consented "
            "to share results with you or your organisation (Tailormed does not say which). "
            "If the patient was tested, ask them to share the results with your "
            f"organisation, or send them with the request; otherwise consider {genes} testing "
            f"before prescribing {drug}."
        )
    elif not patient.may_see(report.genes):
        hidden = _join([g for g in report.genes if not patient.may_see([g])])
        summary = _fit(
            f"No {hidden} result available to you for {drug} (not tested, or not covered by "
            "the patient's consent)"
        )
        why = (
            f"The patient's consent to you does not cover {hidden}, or {hidden} was not "
            f"tested. Ask the patient to extend the consent, or consider testing before "
            f"prescribing {drug}."
        )
    else:
        missing = [g for g in report.genes if _unusable(interp, g)] or list(report.genes)
        if patient.has_results:
            summary = _fit(
                f"No usable {_join(missing)} result {patient.origin} for {drug}: consider testing"
            )
            why = report.reason
        else:
            summary = _fit(
                f"No pharmacogenomic result {patient.origin}: consider testing {_join(missing)} "
                f"before {drug}"
            )
            why = (
                f"No pharmacogenomic results are {patient.origin} for this patient. "
                f"{sources} guidelines for {drug} use {genes}: ask about testing when "
                "starting new medications."
            )
    lines = [why, ""]
    lines.extend(_medication_lines(patient))
    lines.extend(f"- {note}" for note in patient.notes)
    lines.append(f"\nKnowledge base {interp.kb_version}.")
    guideline = _cpic_first(kb, report.drug)
    return Card(
        uuid=str(uuid.uuid4()),
        summary=summary,
        detail="\n".join(lines).strip(),
        indicator="info",
        source=Source(
            label=f"{sources} guidelines for {drug}"[:120],
            url=guideline.url if guideline is not None else None,
        ),
        links=_guideline_links(kb, report.drug),
    )


# ------------------------------------------------------------------ card pieces
def _alternative_suggestions(
    order: DraftOrder,
    report: DrugReport,
    interp: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient,
) -> list[Suggestion]:
    """A "switch to X" suggestion per alternative the selected guidance names.

    The label says which guideline and population (indication) names it; a sentence of
    the selected guidance that warns against it ("Prasugrel is contraindicated in
    patients with a history of stroke or TIA") goes with it."""
    actionable = sorted(
        (r for r in report.recommendations if r.actionable), key=lambda r: r.source != "CPIC"
    )
    named: dict[str, list[tuple[MatchedRecommendation, Alternative]]] = {}
    for rec in actionable:
        known = _recommendation(kb, rec.recommendation_id)
        for alt in known.alternatives if known is not None else ():
            if alt.drug.lower() != report.drug.lower():
                named.setdefault(alt.drug.lower(), []).append((rec, alt))
    out: list[Suggestion] = []
    for pairs in named.values():
        rec, alt = pairs[0]
        where = _where(r for r, _ in pairs)
        cautions = _cautions(alt.drug, alt.sentence, actionable)
        caveat = _caveat(interp, patient, alt.drug)
        note = (
            f"Suggested by Tailormed as an alternative to {report.drug} ({where}): "
            f"{rec.source} says “{alt.sentence}”"
            + "".join(f" Caution: “{c}”" for c in cautions)
            + " Set the dose and check the indication."
        )
        resource: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "status": "draft",
            "intent": "order",
            "subject": order.subject or {"reference": f"Patient/{patient.reference}"},
            "medicationCodeableConcept": {
                "coding": (
                    [{"system": RXNORM, "code": alt.rxnorm, "display": alt.drug}]
                    if alt.rxnorm
                    else []
                ),
                "text": alt.drug,
            },
            "note": [{"text": note}],
        }
        if order.encounter:
            resource["encounter"] = order.encounter
        if order.requester:
            resource["requester"] = order.requester
        warn = " — see caution" if cautions else ""
        out.append(
            Suggestion(
                label=f"Switch {report.drug} to {alt.drug} ({where}){warn}{caveat}"[:200],
                uuid=str(uuid.uuid4()),
                actions=[
                    Action(
                        type="create",
                        description=f"Create a draft {alt.drug} order (dose to be set). "
                        + " ".join(f"Caution: {c}" for c in cautions),
                        resource=resource,
                    ),
                    Action(
                        type="delete",
                        description=f"Remove the draft {report.drug} order",
                        resourceId=order.resource_id,
                    ),
                ],
            )
        )
    return out


def _where(recs: Iterable[MatchedRecommendation]) -> str:
    """ "CPIC: CVI ACS PCI, CVI non-ACS non-PCI; DPWG" — who names it, for which population."""
    by_source: dict[str, list[str]] = {}
    for r in recs:
        pops = by_source.setdefault(r.source, [])
        if r.population and r.population not in pops:
            pops.append(r.population)
    return "; ".join(f"{src}: {', '.join(p)}" if p else src for src, p in by_source.items())


def _cautions(drug: str, named_in: str, recs: Sequence[MatchedRecommendation]) -> list[str]:
    mention = re.compile(rf"(?<![\w-]){re.escape(drug)}(?![\w-])", re.IGNORECASE)
    out: list[str] = []
    for r in recs:
        for sentence in sentences(r.text):
            warns = mention.search(sentence) and CAUTION.search(sentence)
            if warns and sentence != named_in and sentence not in out:
                out.append(sentence)
    return out


def _caveat(interp: Interpretation, patient: CdsPatient, drug: str) -> str:
    """What this patient's results say about an alternative, when it is not plain."""
    report = interp.drug(drug)
    if report is None or report.status == "no guideline":
        return ""
    if not patient.may_see(report.genes) or patient.access == "none":
        return f"; check its {_join(report.genes)} guidance"
    if report.status == "actionable":
        return f"; note: {drug} has its own pharmacogenomic advice for this patient"
    if report.status == "no result":
        return f"; no {_join(report.genes)} result to check it"
    return ""


def _detail(
    report: DrugReport,
    interp: Interpretation,
    kb: KnowledgeBase,
    patient: CdsPatient,
    dose: DoseCalculation | None,
) -> str:
    lines: list[str] = []
    for rec in sorted(report.recommendations, key=lambda r: r.source != "CPIC"):
        lines.append(
            f"**{rec.source}** ({rec.classification or 'no strength given'}) — "
            f"{_phenotypes_long(rec)}"
        )
        lines.append("")
        lines.append(re.sub(r"\n?Other Considerations\n", "\n\n*Other considerations:* ", rec.text))
        lines.extend(f"- {implication}" for implication in rec.implications)
        lines.append("")
    lines.extend(_phenoconversion_lines(report, patient))
    for d in report.doses:
        if d.value is not None:
            lines.append(f"**Computed dose:** {d.text} ({d.method}; {d.source})")
        elif d is dose or d.missing_inputs:
            lines.append(f"**Computed dose:** {d.text} Needed: {_needed(d)}.")
    for d in report.doses:
        lines.extend(f"- {note}" for note in d.notes)
    for gene in report.genes:
        call = interp.call(gene)
        if call is not None:
            lines.append(f"- {gene}: {call.diplotype} ({call.source})")
    lines.extend(_medication_lines(patient))
    lines.extend(f"- {note}" for note in patient.notes)
    lines.append("")
    lines.append(f"Knowledge base {interp.kb_version}.")
    return "\n".join(lines).strip()


def _phenoconversion_lines(report: DrugReport, patient: CdsPatient) -> list[str]:
    converted = [r for r in report.recommendations if r.phenoconverted]
    if not converted:
        return []
    causes = sorted({c for r in converted for c in _causes(r)})
    where = [
        f"{m.text} ({m.origin})"
        for m in patient.medications
        if any(n.lower() in causes for n in m.names)
    ]
    lines = [
        f"**Phenoconversion:** the phenotype above is adjusted for {_join(causes)} "
        f"(listed as: {'; '.join(where) or _join(causes)}). The genotype alone would give:"
    ]
    for r in report.genotype_recommendations:
        lines.append(f"- {r.source} — {_phenotypes_long(r)}: {key_sentence(r.text)}")
    if not report.genotype_recommendations:
        lines.append(
            "- no recommendation (no usable genotype result for "
            f"{_join(sorted({g for r in converted for g in r.genes}))}): the inhibitor "
            "sets the phenotype whatever the genotype."
        )
    lines.append("")
    return lines


def _medication_lines(patient: CdsPatient) -> list[str]:
    if not patient.medications:
        return []
    known = [f"{m.text} ({m.origin})" for m in patient.medications if m.names]
    unknown = [f"{m.text} ({m.origin})" for m in patient.medications if not m.names]
    lines = []
    if known:
        lines.append(f"- Medications checked for interactions: {'; '.join(known)}.")
    if unknown:
        lines.append(f"- Not recognised, so not checked for interactions: {'; '.join(unknown)}.")
    return lines


def _causes(rec: MatchedRecommendation) -> list[str]:
    out: list[str] = []
    for text in rec.phenotypes.values():
        _, _, by = text.partition(", phenoconverted from ")
        if " by " in by:
            out.extend(n.strip().lower() for n in by.split(" by ", 1)[1].split(","))
    return out


def _phenotypes_long(rec: MatchedRecommendation) -> str:
    return "; ".join(f"{g} {p}" for g, p in rec.phenotypes.items())


def _phenotypes_short(rec: MatchedRecommendation) -> str:
    parts = []
    for gene, text in rec.phenotypes.items():
        base, _, converted = text.partition(", phenoconverted from ")
        base = base.split(" (activity score")[0]
        if converted and " by " in converted:
            base += f" (phenoconverted by {converted.split(' by ', 1)[1]})"
        parts.append(f"{gene} {base}")
    return "; ".join(parts)


def _links(recs: Sequence[MatchedRecommendation]) -> list[Link]:
    """One link per guideline page (several recommendations share one)."""
    out: dict[str, Link] = {}
    for r in sorted(recs, key=lambda r: r.source != "CPIC"):
        if r.guideline_url and r.guideline_url not in out:
            out[r.guideline_url] = Link(
                label=f"{r.source}: {r.guideline_name}"[:100], url=r.guideline_url
            )
    return list(out.values())


def _guideline_links(kb: KnowledgeBase, drug: str) -> list[Link]:
    out: dict[str, Link] = {}
    for g in sorted(kb.guidelines_for(drug), key=lambda g: g.source != "CPIC"):
        if g.url and g.url not in out:
            out[g.url] = Link(label=f"{g.source}: {g.name}"[:100], url=g.url)
    return list(out.values())


def _cpic_first(kb: KnowledgeBase, drug: str) -> Guideline | None:
    found = sorted(kb.guidelines_for(drug), key=lambda g: g.source != "CPIC")
    return found[0] if found else None


@lru_cache(maxsize=8)
def _recommendations(kb: KnowledgeBase) -> dict[str, Recommendation]:
    return {r.id: r for g in kb.guidelines for r in g.recommendations}


def _recommendation(kb: KnowledgeBase, rec_id: str) -> Recommendation | None:
    return _recommendations(kb).get(rec_id)


def _unusable(interp: Interpretation, gene: str) -> bool:
    p = interp.phenotype(gene)
    return p is None or p.phenotype in _UNUSABLE


def _informative(dose: DoseCalculation) -> bool:
    """A dose worth a card of its own: an absolute dose, or a % other than 100."""
    if dose.kind != "percent_of_standard":
        return True
    return dose.value is None or dose.value != 100 or dose.avoid


def _needed(dose: DoseCalculation) -> str:
    return _join([_FACTOR_WORDS.get(m, m) for m in dose.missing_inputs])


def _fit(text: str) -> str:
    """``text`` within the summary limit, cut at a word (the detail has it in full)."""
    text = " ".join(text.split())
    if len(text) < SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 2].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _join(parts: Sequence[str]) -> str:
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
