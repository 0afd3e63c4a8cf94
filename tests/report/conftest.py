"""Fixtures for report tests: a hand-built Interpretation, its Report and its HTML."""

from __future__ import annotations

import pytest

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report import build_report, render_html
from tailormed.report.schema import Report
from tests.report.builders import GENERATED_AT, INJECTED, interpretation


@pytest.fixture(scope="session")
def interp(kb: KnowledgeBase) -> Interpretation:
    """Sample with CYP2C19 *2/*2 on fluoxetine, CYP2B6 *1/*6, SLCO1B1 with a missing
    position and a warning carrying a <script> tag; CYP2D6 not tested."""
    return interpretation(kb, warning=INJECTED)


@pytest.fixture(scope="session")
def report(interp: Interpretation, kb: KnowledgeBase) -> Report:
    return build_report(interp, kb, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def html(report: Report) -> str:
    return render_html(report)
