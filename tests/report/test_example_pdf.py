"""The bundled example patient's PDF: short enough to read, complete, page 1 first.

The example patient (``src/tailormed/examples``) takes clopidogrel, simvastatin,
paroxetine, warfarin and codeine, is HLA-B*15:02/*57:01 and CYP2D6 *1/*4 (a poor
metabolizer while on paroxetine). Every drug, every actionable recommendation's text, every
"no change" reason and every computed dose must be in the PDF in full (checked against the
structured report, not against a stored copy of our output), in at most 12 pages, with
warfarin's computed dose on page 1 and a patient view that never calls warfarin "as usual"
and tells this patient they carry HLA-B*57:01 and *15:02.
"""

from __future__ import annotations

import importlib.util
import re

import pypdf
import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.calling.output import merge_outside
from tailormed.calling.outside import read_outside_calls
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline import example_path, read_factors
from tailormed.recommend import build_interpretation
from tailormed.recommend.review import read_medication_list
from tailormed.report import build_report, render_pdf
from tailormed.report.layout import split_text
from tailormed.report.schema import Report
from tests.report.builders import GENERATED_AT, need

MAX_PAGES = 12
_FOOTER = re.compile(r"^.*(knowledge base \S+\s*Page \d+ of \d+|Page \d+ of \d+).*$", re.M)


@pytest.fixture(scope="module")
def example(kb: KnowledgeBase) -> Report:
    outside = example_path("example-outside.tsv")
    calls = call_files([example_path("example-patient.vcf")], kb, CallOptions())
    calls = merge_outside(calls, read_outside_calls(outside, kb), outside)
    (sample,) = calls.samples
    interp = build_interpretation(
        calls.for_sample(sample),
        kb,
        medications=read_medication_list(example_path("example-meds.txt")),
        factors=read_factors(example_path("example-factors.json")),
    )
    return build_report(interp, kb, generated_at=GENERATED_AT)


@pytest.fixture(scope="module")
def pages(example: Report, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    if importlib.util.find_spec("weasyprint") is None:
        need("weasyprint", "pip install weasyprint")
    path = render_pdf(example, tmp_path_factory.mktemp("example") / "report.pdf")
    reader = pypdf.PdfReader(path)
    # the running footer is drawn on every page; drop it so a text broken across pages
    # reads on
    return [_FOOTER.sub("", p.extract_text()) for p in reader.pages]


def _squeeze(text: str) -> str:
    """Text without any whitespace: line breaks fall anywhere in a laid-out page."""
    return re.sub(r"\s+", "", text)


def test_example_pdf_is_at_most_12_pages(pages: list[str]) -> None:
    assert len(pages) <= MAX_PAGES


def test_every_drug_and_every_advice_text_in_full(pages: list[str], example: Report) -> None:
    text = _squeeze("\n".join(pages)).lower()
    missing = []
    for d in example.drugs:
        if _squeeze(d.drug).lower() not in text:
            missing.append(("drug", d.drug))
        if d.status == "actionable":
            for rec in d.recommendations:
                for part in split_text(rec.text):
                    if part and _squeeze(part).lower() not in text:
                        missing.append((d.drug, part[:60]))
        elif d.status == "no result":  # the genes that left it unanswered are named
            if not all(_squeeze(g).lower() in text for g in d.genes):
                missing.append((d.drug, "genes"))
        elif _squeeze(d.reason).lower() not in text:
            missing.append((d.drug, d.reason[:60]))
        for dose in d.doses:
            if _squeeze(dose.text).lower() not in text:
                missing.append((d.drug, dose.text[:60]))
    assert not missing


def test_page_one_answers_in_order(pages: list[str], example: Report) -> None:
    first = pages[0]
    headings = [
        "On the medication list",
        "Other actionable drugs",
        "Computed doses",
        "Phenoconversion",
        "Not tested",
    ]
    positions = [first.find(h) for h in headings]
    assert -1 not in positions and positions == sorted(positions)
    warfarin = example.drug("warfarin")
    assert warfarin is not None and warfarin.doses
    assert _squeeze(warfarin.doses[0].text) in _squeeze(first)
    assert "paroxetine" in first[positions[3] :]  # the phenoconversion names its cause
    for gene in example.summary.genes_not_tested:
        assert gene in first[positions[4] :]


def test_patient_view_matches_the_clinician_view(pages: list[str]) -> None:
    text = "\n".join(pages)
    patient = " ".join(text[text.index("Your results in plain language") :].split())
    carried = re.search(r"You carry ((HLA-B\*\d+:\d+(, | and )?)+)", patient)
    assert carried is not None
    assert "HLA-B*57:01" in carried.group(1) and "HLA-B*15:02" in carried.group(1)
    assert "do not carry the tested gene type" not in patient
    assert not re.search(r"Warfarin: [^.]*as usual", patient)
    usual = patient[patient.index("can be prescribed as usual") :]
    assert "warfarin" not in usual[: usual.index(".")]
