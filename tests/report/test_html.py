"""The HTML report: self-contained, escaped, complete, actionable drugs first."""

from __future__ import annotations

import html as htmllib
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

from tailormed.recommend.models import Interpretation, MatchedRecommendation
from tailormed.report import build_report, render_html, write_html
from tailormed.report.schema import Report
from tests.report.builders import GENERATED_AT, INJECTED


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(document: str) -> Tags:
    p = Tags()
    p.feed(document)
    p.close()
    return p


def section(document: str, element_id: str, end: str) -> str:
    start = document.index(f'id="{element_id}"')
    return document[start : document.index(end, start)]


def test_self_contained_no_scripts_no_external_assets(html: str) -> None:
    tags = parse(html).tags
    names = {t for t, _ in tags}
    assert "script" not in names and "link" not in names and "img" not in names
    assert "iframe" not in names and "object" not in names
    assert not any("src" in attrs for _, attrs in tags)
    assert "url(" not in html and "@import" not in html
    hrefs = [a.get("href") or "" for t, a in tags if t == "a"]
    assert hrefs and all(h.startswith(("#", "https://", "http://")) for h in hrefs)
    assert html.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in html


def test_injected_markup_is_escaped(html: str) -> None:
    assert INJECTED not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # and it is shown to the reader as text, exactly
    assert INJECTED in "".join(parse(html).text)


def test_unsafe_guideline_url_is_not_linked(interp: Interpretation) -> None:
    drug = interp.drugs[2]
    assert drug.drug == "clopidogrel"
    evil: MatchedRecommendation = replace(
        drug.recommendations[0], guideline_url="javascript:alert(1)", text="<b>bold</b>"
    )
    drugs = (*interp.drugs[:2], replace(drug, recommendations=(evil,)), *interp.drugs[3:])
    out = render_html(replace(interp, drugs=drugs), generated_at=GENERATED_AT)
    assert "javascript:" not in out
    assert "<b>bold</b>" not in out and "&lt;b&gt;bold&lt;/b&gt;" in out


def test_kb_version_provenance_and_limitations(html: str, report: Report) -> None:
    text = "".join(parse(html).text)
    assert report.provenance.kb_version in section(html, "kb-version", "</dd>")
    assert text.count(report.provenance.kb_version) >= 3  # header, limitations, colophon
    for source in report.provenance.kb_sources:
        assert source.name in text
    limitations = section(html, "limitations", "</ol>")
    for sentence in report.limitations:
        assert htmllib.escape(sentence) in limitations


def test_gene_table_lists_every_gene(html: str, report: Report) -> None:
    table = section(html, "gene-table", "</table>")
    for g in report.genes:
        assert f'<th scope="row">{g.gene}</th>' in table
        assert htmllib.escape(g.diplotype or "no call") in table
        assert htmllib.escape(g.phenotype or "—") in table
    assert "2.0" in table  # CYP2C9 activity score
    assert "fluoxetine" in table  # phenoconversion shown beside the phenotype


def test_actionable_drugs_come_first(html: str) -> None:
    # citalopram is on the medication list: it heads page 1; the other actionable drugs
    # follow, most severe first (clopidogrel: alternative drug; efavirenz: dose change)
    listed = section(html, "listed-actionable", "</table>")
    assert "citalopram" in listed and "clopidogrel" not in listed
    summary = section(html, "actionable-summary", "</table>")
    assert summary.index("clopidogrel") < summary.index("efavirenz")
    assert "simvastatin" not in summary and "citalopram" not in summary
    # the summary precedes the gene table, which precedes the drug cards
    assert html.index('id="listed-actionable"') < html.index('id="actionable-summary"')
    assert html.index('id="actionable-summary"') < html.index('id="gene-table"')
    cards = [a["id"] for t, a in parse(html).tags if t == "article" and a.get("id")]
    assert cards == ["drug-citalopram", "drug-clopidogrel", "drug-efavirenz"]
    first_card = section(html, "drug-citalopram", "</article>")
    assert "Alternative drug" in first_card and "on medication list" in first_card
    # "no change" drugs are rows of one table, not cards
    no_change = section(html, "no-change", "</table>")
    assert "simvastatin" in no_change and "warfarin" in no_change


def test_recommendation_details_and_evidence(html: str) -> None:
    card = section(html, "drug-clopidogrel", "</article>")
    assert "CPIC" in card and "DPWG" in card and "<strong>Strong</strong>" in card
    assert 'href="https://www.pharmgkb.org/guidelineAnnotation/PA166104948"' in card
    assert "Annotation of CPIC Guideline for clopidogrel and CYP2C19" in card
    assert "Avoid clopidogrel if possible" in card
    assert "rs4244285" in card and "A/A" in card  # supporting variant with genotype
    assert "fluoxetine" in card  # phenoconversion note
    doses = section(html, "doses", "</table>")
    assert "warfarin" in doses and "IWPC" in doses
    assert "Missing inputs: age, height, weight" in doses
    details = section(html, "dose-details", 'id="evidence"')
    assert "CPIC warfarin guideline 2017" in details and "CYP2C9 *1/*1" in details


def test_patient_view_in_plain_language(html: str) -> None:
    patient = section(html, "patient", "</section>")
    assert "Your results in plain language" in patient
    for heading in (
        "What this test looked at",
        "Your results at a glance",
        "The medicines you take",
        "What to tell a prescriber",
        "What this test cannot tell you",
    ):
        assert heading in patient
    assert "much more slowly than most people do" in patient  # CYP2C19 poor metabolizer
    assert "CYP2D6" in patient and "its own test" in patient
    assert "not a diagnosis" in patient
    assert "SLCO1B1" in patient  # missing data
    assert "Do not start, stop or change a medicine on your own" in patient


def test_variants_section_and_print_rules(html: str) -> None:
    variants = section(html, "variant-table", "</table>")
    for rsid in ("rs4244285", "rs12769205", "rs3745274", "rs2279343", "rs2306283"):
        assert rsid in variants
    assert "./." in variants  # a missing genotype is shown, not hidden
    assert "@media print" in html and "@page" in html and "break-before: page" in html


def test_render_from_interpretation_and_write(interp: Interpretation, tmp_path: Path) -> None:
    out = write_html(interp, tmp_path / "r.html", generated_at=GENERATED_AT)
    assert out.read_text(encoding="utf-8") == render_html(
        build_report(interp, generated_at=GENERATED_AT)
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
