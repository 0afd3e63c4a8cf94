"""The clinician view can be scanned: page 1 answers what needs doing, in a fixed order.

A patient with CYP2C19 *2/*2, CYP2B6 *1/*6, CYP2D6 *1/*4 on paroxetine (a strong CYP2D6
inhibitor: phenoconverted to a poor metabolizer), HLA-B *57:01 and warfarin with the
clinical factors the IWPC algorithm needs. The guidelines say: citalopram and clopidogrel
(CPIC, Strong) call for an alternative drug; efavirenz (CPIC, Moderate) for a dose
change; paroxetine (CPIC, Optional) for a lower starting dose. Those on the medication
list come first, most severe first; abacavir (*57:01, CPIC Strong: not recommended) is
among the other actionable drugs; warfarin's IWPC dose is a computed dose.
"""

from __future__ import annotations

import html as htmllib
import re

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import PatientFactors
from tailormed.report import build_report, render_html
from tailormed.report.layout import split_text
from tailormed.report.schema import Report
from tests.recommend.builders import call, interpret, outside
from tests.report.builders import GENERATED_AT

MEDS = ("efavirenz", "paroxetine", "clopidogrel", "warfarin", "citalopram", "simvastatin")
FACTORS = PatientFactors(age_years=64, height_cm=172, weight_kg=80, race="White")


@pytest.fixture(scope="module")
def report(kb: KnowledgeBase) -> Report:
    interp = interpret(
        kb,
        call("CYP2C19", "*2", "*2"),
        call("CYP2B6", "*1", "*6"),
        call("CYP2C9", "*1", "*1"),
        call("SLCO1B1", "*1", "*1"),
        call("VKORC1", "rs9923231 reference (C)", "rs9923231 reference (C)"),
        outside("CYP2D6", "*1/*4", activity_score="1.0"),
        outside("HLA-B", "*57:01/*44:02"),
        medications=MEDS,
        factors=FACTORS,
    )
    return build_report(interp, kb, generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def page(report: Report) -> str:
    return render_html(report)


def _text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _section(document: str, element_id: str, end: str) -> str:
    start = document.index(f'id="{element_id}"')
    return document[start : document.index(end, start)]


def test_page_one_sections_come_in_the_clinical_order(page: str) -> None:
    ids = ["listed-actionable", "actionable-summary", "doses", "phenoconversion", "gaps"]
    positions = [page.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)
    assert positions[-1] < page.index('id="gene-table"')


def test_listed_drugs_needing_action_most_severe_first(page: str) -> None:
    listed = _text(_section(page, "listed-actionable", "</table>"))
    order = [listed.index(d) for d in ("citalopram", "clopidogrel", "efavirenz", "paroxetine")]
    assert order == sorted(order)
    assert "simvastatin" not in listed and "warfarin" not in listed  # no action asked
    other = _text(_section(page, "actionable-summary", "</table>"))
    assert "abacavir" in other and "clopidogrel" not in other  # listed drugs not repeated


def test_actionable_drugs_in_json_most_severe_first(report: Report) -> None:
    actionable = [d for d in report.drugs if d.status == "actionable"]
    listed = [d.drug for d in actionable if d.on_medication_list]
    assert listed == ["citalopram", "clopidogrel", "efavirenz", "paroxetine"]
    assert actionable[: len(listed)] == [d for d in actionable if d.on_medication_list]
    clopidogrel = report.drug("clopidogrel")
    assert clopidogrel is not None and clopidogrel.actions == ["alternative drug"]


def test_advice_on_page_one_is_never_cut(page: str, report: Report) -> None:
    listed = _text(_section(page, "listed-actionable", "</table>"))
    for name in ("citalopram", "clopidogrel", "efavirenz", "paroxetine"):
        drug = report.drug(name)
        assert drug is not None
        first = next(r for r in drug.recommendations if r.actionable)
        assert " ".join(split_text(first.text)[0].split()) in listed
    assert "..." not in listed and "…" not in listed


def test_doses_phenoconversion_and_gaps(page: str, report: Report) -> None:
    warfarin = report.drug("warfarin")
    assert warfarin is not None and warfarin.status == "no change"
    doses = _text(_section(page, "doses", "</table>"))
    assert " ".join(warfarin.doses[0].text.split()) in doses
    pc = _text(_section(page, "phenoconversion", "</ul>"))
    assert "CYP2D6" in pc and "paroxetine" in pc and "Intermediate Metabolizer" in pc
    gaps = _text(_section(page, "gaps", "</ul>"))
    for gene in report.summary.genes_not_tested:
        assert gene in gaps


def test_phenoconverted_phenotypes_are_marked_where_advice_uses_them(page: str) -> None:
    # Paroxetine's own advice was selected from the genotype (CPIC does not apply a drug's
    # inhibition to itself): its row names the genotype's phenotype, unmarked.
    listed = _text(_section(page, "listed-actionable", "</table>"))
    row = listed[listed.index("paroxetine") :]
    assert re.search(r"CYP2D6 Intermediate Metabolizer Consider a lower starting dose", row)
    assert "†" not in row
    # Codeine's advice uses the phenoconverted phenotype: marked with its cause.
    others = _text(_section(page, "actionable-summary", "</table>"))
    assert re.search(r"CYP2D6 Poor Metabolizer ?† ?\(paroxetine\)", others)
    assert "codeine" in others
    genes = _text(_section(page, "gene-table", "</table>"))
    assert re.search(r"Poor Metabolizer ?†", genes)


def test_no_change_drugs_share_one_compact_table(page: str, report: Report) -> None:
    cards = re.findall(r'<article class="drug-card[^"]*" id="([^"]+)"', page)
    actionable = {d.drug for d in report.drugs if d.status == "actionable"}
    no_change = [d for d in report.drugs if d.status == "no change"]
    assert no_change and len(cards) <= len(actionable)
    table = _text(_section(page, "no-change", "</table>"))
    for d in no_change:
        assert d.drug in table and " ".join(d.reason.split()) in table
