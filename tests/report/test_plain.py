"""The patient view says what the structured results say (HLA per allele, each phenotype).

The expected answers are clinical statements: a patient typed HLA-B*15:02/*57:01 carries
two alleles that CPIC and DPWG key serious-reaction advice on (abacavir hypersensitivity,
carbamazepine SJS/TEN), so the plain-language view must tell them so, in "at a glance"
and in what to tell a prescriber; a patient typed *44:02/*07:02 carries none of them; a
one-field typing (*57) cannot rule *57:01 out. A drug with a computed individual dose
(warfarin, IWPC) is never "prescribed as usual".
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import PatientFactors
from tailormed.report import build_report, plain, render_html
from tailormed.report.schema import Report
from tailormed.report.terms import term_meaning
from tests.recommend.builders import call, interpret, outside
from tests.report.builders import GENERATED_AT

FACTORS = PatientFactors(age_years=64, height_cm=172, weight_kg=80, race="White")


def _report(kb: KnowledgeBase, hla: str, *, meds: tuple[str, ...] = ()) -> Report:
    interp = interpret(
        kb,
        call("CYP2C19", "*1", "*1"),
        call("CYP2C9", "*1", "*1"),
        call("VKORC1", "rs9923231 reference (C)", "rs9923231 reference (C)"),
        outside("HLA-B", hla),
        medications=meds,
        factors=FACTORS,
    )
    return build_report(interp, kb, generated_at=GENERATED_AT)


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    no_tags = re.sub(r"<[^>]+>", " ", fragment)
    return " ".join(htmllib.unescape(no_tags).split())


def _patient(document: str) -> str:
    start = document.index('id="patient"')
    return _text(document[start : document.index("</section>", start)])


def _between(text: str, start: str, end: str) -> str:
    i = text.index(start)
    return text[i : text.index(end, i)]


@pytest.fixture(scope="module")
def carrier(kb: KnowledgeBase) -> Report:
    return _report(kb, "*15:02/*57:01", meds=("warfarin",))


@pytest.fixture(scope="module")
def non_carrier(kb: KnowledgeBase) -> Report:
    return _report(kb, "*44:02/*07:02")


def test_hla_presence_is_structured_per_allele(carrier: Report, non_carrier: Report) -> None:
    hla = carrier.gene("HLA-B")
    assert hla is not None
    status = {p.allele: p.status for p in hla.allele_presence}
    assert status["*57:01"] == "positive" and status["*15:02"] == "positive"
    assert status["*58:01"] == "negative"
    neg = non_carrier.gene("HLA-B")
    assert neg is not None and neg.allele_presence
    assert {p.status for p in neg.allele_presence} == {"negative"}


def test_carrier_is_told_they_carry_the_risk_alleles(carrier: Report) -> None:
    patient = _patient(render_html(carrier))
    glance = _between(patient, "Your results at a glance", "The medicines you take")
    assert "HLA-B*57:01" in glance and "HLA-B*15:02" in glance
    assert "You carry" in glance
    # CPIC keys abacavir on *57:01 and carbamazepine on *15:02: both are named
    assert "abacavir" in glance and "carbamazepine" in glance
    assert "do not carry the tested gene type" not in patient
    assert not re.search(r"do not carry[^.]*\*57:01", patient)
    assert not re.search(r"do not carry[^.]*\*15:02", patient)
    tell = _between(patient, "What to tell a prescriber", "What this test cannot tell you")
    assert "HLA-B*57:01 positive" in tell and "HLA-B*15:02 positive" in tell


def test_non_carrier_is_told_they_do_not_carry_them(non_carrier: Report) -> None:
    patient = _patient(render_html(non_carrier))
    glance = _between(patient, "Your results at a glance", "The medicines you take")
    assert "You do not carry" in glance and "HLA-B*57:01" in glance
    assert "You carry" not in glance
    tell = _between(patient, "What to tell a prescriber", "What this test cannot tell you")
    assert "HLA-B*57:01 negative" in tell and "HLA-B*15:02 negative" in tell


def test_one_field_typing_cannot_rule_an_allele_out(kb: KnowledgeBase) -> None:
    report = _report(kb, "*57/*44:02")
    meaning = plain.gene_meaning(report.gene("HLA-B"))  # type: ignore[arg-type]
    assert meaning.undetermined
    assert "could not show whether you carry HLA-B*57:01" in meaning.meaning
    assert "You carry" not in meaning.meaning


def test_phenotype_terms_are_read_whole_never_by_their_ending() -> None:
    # a string ending in "negative" is not a negative HLA result, and is not understood
    assert term_meaning("HLA-B", "*57:01 positive; *58:01 negative") is None
    quoted = plain.phenotype_meaning("HLA-B", "*57:01 positive; *58:01 negative")
    assert quoted.startswith("Your HLA-B result is “*57:01 positive; *58:01 negative”")
    assert term_meaning("CYP2C19", "Likely Ultrarapid Metabolizer") is None


def test_every_phenotype_term_of_the_knowledge_base_has_plain_words(kb: KnowledgeBase) -> None:
    unknown = []
    for gene in kb.phenotype_genes:
        if gene in ("HLA-A", "HLA-B"):
            continue
        terms = {d.phenotype for d in kb.phenotypes(gene).diplotypes.values()}
        for term in terms:
            if plain.is_undetermined_phenotype(term):
                continue
            if term_meaning(gene, term) is None:
                unknown.append((gene, term))
    assert not unknown


def test_typical_results_per_gene() -> None:
    # NAT2's reference diplotype (*4/*4) is a rapid acetylator: the usual result
    assert term_meaning("NAT2", "Rapid Metabolizer").notable is False  # type: ignore[union-attr]
    # CYP2C19 *1/*17 (rapid) differs from the usual *1/*1
    assert term_meaning("CYP2C19", "Rapid Metabolizer").notable is True  # type: ignore[union-attr]


def test_computed_warfarin_dose_is_never_as_usual(carrier: Report) -> None:
    warfarin = carrier.drug("warfarin")
    assert warfarin is not None and warfarin.on_medication_list
    assert warfarin.doses and warfarin.doses[0].value is not None  # IWPC dose computed
    view = plain.plain_view(carrier)
    assert "warfarin" not in view.as_usual
    (taken,) = [d for d in view.taken if d.drug == "warfarin"]
    assert "as usual" not in taken.meaning and "dose" in taken.meaning
    patient = _patient(render_html(carrier))
    assert not re.search(r"[Ww]arfarin: [^.]*as usual", patient)
    usual = _between(patient, "can be prescribed as usual", ".")
    assert "warfarin" not in usual


def test_phenoconverted_result_names_its_cause(kb: KnowledgeBase) -> None:
    interp = interpret(kb, outside("CYP2D6", "*1/*4"), medications=("paroxetine",))
    report = build_report(interp, kb, generated_at=GENERATED_AT)
    view = plain.plain_view(report)
    (cyp2d6,) = [g for g in view.glance if g.gene == "CYP2D6"]
    assert cyp2d6.cause is not None and "paroxetine" in cyp2d6.cause
    assert "paroxetine" in " ".join(view.tell)


def test_service_patient_page_uses_the_same_structured_view(carrier: Report) -> None:
    from tailormed.service.ui.common import _environment
    from tailormed.service.ui.reports import plain_context

    page = _environment().get_template("_plain.html.j2").render(**plain_context(carrier))
    text = _text(page)
    glance = _between(text, "Your results at a glance", "Medicines")
    assert "HLA-B*57:01" in glance and "HLA-B*15:02" in glance and "You carry" in glance
    assert "do not carry the tested gene type" not in text
    tell = _between(text, "What to tell a prescriber", "All your gene results")
    assert "HLA-B*57:01 positive" in tell
    usual = _between(text, "Medicines that can be prescribed as usual", "Medicines this test")
    assert "warfarin" not in usual
