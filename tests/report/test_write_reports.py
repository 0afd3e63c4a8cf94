"""write_reports: stable names, all-or-nothing writes; the package's doctests run too."""

from __future__ import annotations

import doctest
import importlib
import json
from pathlib import Path

import pytest

from tailormed.errors import TailormedError
from tailormed.recommend.models import Interpretation
from tailormed.report import REPORT_FILES, load_report, write_reports
from tests.report.builders import GENERATED_AT, need


def test_writes_json_html_pdf_with_stable_names(interp: Interpretation, tmp_path: Path) -> None:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        need("weasyprint", str(exc))
    paths = write_reports(interp, tmp_path / "S1", generated_at=GENERATED_AT)
    assert {k: p.name for k, p in paths.items()} == {
        "json": "report.json",
        "html": "report.html",
        "pdf": "report.pdf",
    }
    assert sorted(p.name for p in (tmp_path / "S1").iterdir()) == sorted(REPORT_FILES.values())
    report = load_report(paths["json"])
    assert report.sample == interp.sample and report.generated_at == GENERATED_AT
    assert paths["pdf"].read_bytes().startswith(b"%PDF-")
    assert report.provenance.kb_version in paths["html"].read_text(encoding="utf-8")


def test_failure_leaves_previous_reports_untouched(
    interp: Interpretation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "S1"
    write_reports(interp, out, generated_at=GENERATED_AT, pdf=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["report.html", "report.json"]

    def broken(*args: object, **kwargs: object) -> bytes:
        raise TailormedError("PDF reports need WeasyPrint")

    monkeypatch.setattr("tailormed.report.pdf_bytes", broken)
    with pytest.raises(TailormedError, match="WeasyPrint"):
        write_reports(interp, out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temp files, no change
    assert json.loads(before["report.json"])["generated_at"] == "2026-03-01T09:30:00Z"


@pytest.mark.parametrize(
    "module",
    ["build", "cohort", "html", "layout", "limitations", "plain", "schema", "terms"],
)
def test_doctests(module: str) -> None:
    mod = importlib.import_module(f"tailormed.report.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
