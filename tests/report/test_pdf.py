"""The PDF report: WeasyPrint lays out the same HTML; text is extractable."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pypdf
import pytest

from tailormed.recommend.models import Interpretation
from tailormed.report import render_pdf
from tailormed.report.schema import Report
from tests.report.builders import GENERATED_AT, need


@pytest.fixture(scope="module")
def weasyprint_ok() -> None:
    if importlib.util.find_spec("weasyprint") is None:
        need("weasyprint", "pip install weasyprint")
    try:
        import weasyprint  # noqa: F401  (loads Pango through cffi)
    except OSError as exc:
        need("Pango for WeasyPrint", str(exc))


@pytest.fixture(scope="module")
def pdf_path(
    weasyprint_ok: None, interp: Interpretation, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    return render_pdf(interp, out, generated_at=GENERATED_AT)


def test_pdf_has_pages_and_extractable_text(pdf_path: Path, report: Report) -> None:
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    reader = pypdf.PdfReader(pdf_path)
    assert len(reader.pages) >= 1
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "*2/*2" in text  # CYP2C19 diplotype
    assert report.provenance.kb_version in text
    assert "Clinician view" in text and "Your results in plain language" in text
    assert "rs4244285" in text
    assert reader.metadata is not None
    assert reader.metadata.title == f"Pharmacogenomic report {report.sample}"


def test_pdf_pages_carry_sample_and_kb_footer(pdf_path: Path, report: Report) -> None:
    reader = pypdf.PdfReader(pdf_path)
    n = len(reader.pages)
    last = reader.pages[-1].extract_text()
    assert f"Page {n} of {n}" in last
    assert f"Sample {report.sample}" in last and report.provenance.kb_version in last


def test_pdf_written_atomically(pdf_path: Path) -> None:
    assert sorted(p.name for p in pdf_path.parent.iterdir()) == ["report.pdf"]
