"""CDS Hooks cards from draft orders and a patient's interpretation (pure logic)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import DrugReport, Interpretation, MatchedRecommendation
from tailormed.service.cds import (
    OVERRIDE_REASON_SYSTEM,
    RXNORM,
    SUMMARY_MAX,
    Card,
    cards,
    draft_orders,
    medication_names,
)


def _order(rid: str, code: str | None, display: str) -> dict[str, Any]:
    coding = [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "display": display}]
    if code:
        coding[0]["code"] = code
    return {
        "resource": {
            "resourceType": "MedicationRequest",
            "id": rid,
            "status": "draft",
            "intent": "order",
            "subject": {"reference": "Patient/p1"},
            "medicationCodeableConcept": {"coding": coding, "text": display},
        }
    }


def _context(*entries: dict[str, Any]) -> dict[str, Any]:
    return {
        "userId": "Practitioner/dr1",
        "patientId": "p1",
        "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": list(entries)},
    }


def _rec(
    drug: str, gene: str, phenotype: str, text: str, strength: str, **kw: Any
) -> MatchedRecommendation:
    return MatchedRecommendation(
        drug=drug,
        source="CPIC",
        recommendation_id=f"R-{drug}",
        guideline_id="G1",
        guideline_name=f"Annotation of CPIC Guideline for {drug} and {gene}",
        guideline_url="https://www.pharmgkb.org/guidelineAnnotation/G1",
        genes=(gene,),
        lookup_key={gene: phenotype},
        phenotypes={gene: phenotype},
        classification=strength,
        population="general",
        text=text,
        implications=(f"{gene}: altered exposure",),
        actionable=True,
        **kw,
    )


def _interpretation() -> Interpretation:
    calls = (
        GeneCall("p1", "CYP2C19", (Diplotype.of("*2", "*2"),), False),
        GeneCall("p1", "CYP2D6", (Diplotype.of("*1", "*1xN"),), False, source="outside"),
    )
    drugs = (
        DrugReport(
            "clopidogrel",
            "32968",
            ("CYP2C19",),
            "actionable",
            "CYP2C19 poor metabolizer",
            (
                _rec(
                    "clopidogrel",
                    "CYP2C19",
                    "Poor Metabolizer",
                    "Avoid clopidogrel if possible. Use prasugrel or ticagrelor at standard dose.",
                    "Strong",
                    alternate_drug=True,
                ),
            ),
        ),
        DrugReport(
            "codeine",
            "2670",
            ("CYP2D6",),
            "actionable",
            "CYP2D6 ultrarapid metabolizer",
            (
                _rec(
                    "codeine",
                    "CYP2D6",
                    "Ultrarapid Metabolizer",
                    "Avoid codeine use because of potential for serious toxicity.",
                    "Strong",
                    alternate_drug=True,
                ),
            ),
        ),
        DrugReport("simvastatin", "36567", ("SLCO1B1",), "no change", "normal function"),
    )
    return Interpretation("p1", "kb-test", calls, (), drugs)


def test_clopidogrel_poor_metabolizer_warning_with_alternative(kb: KnowledgeBase) -> None:
    out = cards(_context(_order("103", "32968", "clopidogrel")), _interpretation(), kb)
    assert len(out) == 1
    card = out[0]
    assert card.indicator in ("warning", "critical")
    assert len(card.summary) < SUMMARY_MAX
    assert "Poor Metabolizer" in card.summary
    assert card.source.url and "pharmgkb" in card.source.url
    assert card.suggestions and card.suggestions[0].actions[0].type == "delete"
    assert card.suggestions[0].actions[0].resourceId == "MedicationRequest/103"
    assert "prasugrel" in (card.detail or "")
    assert card.selectionBehavior == "at-most-one"
    Card.model_validate(card.model_dump())


def test_codeine_ultrarapid_is_critical(kb: KnowledgeBase) -> None:
    # a clinical-drug (SCD) code the KB does not know: matched by the ingredient name
    order = _order("7", "993781", "acetaminophen 300 MG / codeine phosphate 30 MG Oral Tablet")
    (card,) = cards(_context(order), _interpretation(), kb)
    assert card.indicator == "critical"


def test_no_card_for_no_guideline_or_no_change(kb: KnowledgeBase) -> None:
    context = _context(
        _order("1", "161", "acetaminophen"), _order("2", "36567", "simvastatin 40 MG")
    )
    assert cards(context, _interpretation(), kb) == []


def test_draft_orders_ignore_other_resources() -> None:
    context = _context({"resource": {"resourceType": "ServiceRequest", "id": "x"}})
    assert draft_orders(context) == []


def test_links_are_deduplicated_and_override_reasons_coded(kb: KnowledgeBase) -> None:
    interp = _interpretation()
    clopidogrel = interp.drugs[0]
    second = _rec(
        "clopidogrel",
        "CYP2C19",
        "Poor Metabolizer",
        "Avoid clopidogrel if possible. Consider an alternative P2Y12 inhibitor.",
        "Moderate",
        alternate_drug=True,
    )  # another population of the same guideline: the same guideline page
    drugs = (replace(clopidogrel, recommendations=(*clopidogrel.recommendations, second)),)
    (card,) = cards(
        _context(_order("103", "32968", "clopidogrel")), replace(interp, drugs=drugs), kb
    )
    assert [link.url for link in card.links or []] == [
        "https://www.pharmgkb.org/guidelineAnnotation/G1"
    ]
    assert card.overrideReasons
    assert all(r.system == OVERRIDE_REASON_SYSTEM and r.display for r in card.overrideReasons)


@pytest.mark.parametrize(
    ("text", "codes", "expected"),
    [
        ("clopidogrel 75 MG Oral Tablet", ("32968",), ("clopidogrel",)),
        ("acetaminophen 300 MG / codeine phosphate 30 MG Oral Tablet", ("993781",), ("codeine",)),
        ("Paxil 20 mg daily", (), ("paroxetine",)),
        ("Tylenol with Codeine", (), ("codeine",)),
        ("unobtainium 5 mg", (), ()),
    ],
)
def test_medication_names(
    kb: KnowledgeBase, text: str, codes: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert medication_names(text, codes, kb) == expected


def test_order_select_cards_only_for_selections(kb: KnowledgeBase) -> None:
    context = _context(_order("1", "32968", "clopidogrel"), _order("2", "2670", "codeine"))
    context["selections"] = ["MedicationRequest/2"]
    (card,) = cards(context, _interpretation(), kb)
    assert "Ultrarapid" in card.summary


def test_draft_order_with_a_contained_medication() -> None:
    resource = {
        "resourceType": "MedicationRequest",
        "id": "9",
        "contained": [
            {
                "resourceType": "Medication",
                "id": "med",
                "code": {"coding": [{"system": RXNORM, "code": "2670", "display": "codeine"}]},
            }
        ],
        "medicationReference": {"reference": "#med"},
        "subject": {"reference": "Patient/p1"},
    }
    (order,) = draft_orders(_context({"resource": resource}))
    assert (order.resource_id, order.codes, order.text) == (
        "MedicationRequest/9",
        ("2670",),
        "codeine",
    )


def test_interpretation_for_the_ordered_drugs_equals_the_full_one(kb: KnowledgeBase) -> None:
    # the CDS builds only the ordered drugs' reports (and their alternatives'): each must
    # be the report the full interpretation (the report's) holds
    from tailormed.calling import CallOptions, call_files
    from tailormed.pipeline import example_path, read_factors
    from tailormed.recommend import build_interpretation

    callset = call_files([example_path("example-patient.vcf")], kb, CallOptions())
    calls = [
        *callset.for_sample(callset.samples[0]),
        GeneCall("x", "CYP2D6", (Diplotype.of("*1", "*1"),), False, source="outside"),
    ]
    meds = ("paroxetine", "codeine", "amiodarone")
    factors = read_factors(example_path("example-factors.json"))
    full = build_interpretation(calls, kb, medications=meds, factors=factors)
    some = ("codeine", "clopidogrel", "warfarin", "prasugrel", "citalopram")
    part = build_interpretation(calls, kb, medications=meds, factors=factors, drugs=some)
    assert [d.drug for d in part.drugs] == ["citalopram", "clopidogrel", "codeine", "warfarin"]
    for report in part.drugs:
        assert report == full.drug(report.drug)
    assert part.phenotypes == full.phenotypes and part.limitations == full.limitations


def test_phenoconversion_without_a_genotype_says_so(kb: KnowledgeBase) -> None:
    # CYP2D6 never tested, paroxetine (strong inhibitor) on the list: poor-metabolizer-like
    # whatever the genotype, so CPIC "avoid codeine"; the card must not claim the genotype
    # alone gives the same advice
    from tailormed.recommend import build_interpretation
    from tailormed.service.cds import CdsMedication, CdsPatient

    interp = build_interpretation([], kb, medications=("codeine", "paroxetine"))
    paxil = CdsMedication("Paxil 20 mg", ("paroxetine",), "the record's medication list")
    patient = CdsPatient("p1", has_results=False, medications=(paxil,))
    (card,) = cards(_context(_order("1", "2670", "codeine 30 mg")), interp, kb, patient)
    assert card.indicator == "critical"
    assert "phenoconverted by paroxetine" in card.summary
    assert "no usable genotype result for CYP2D6" in (card.detail or "")
    assert "the same recommendation" not in (card.detail or "")
