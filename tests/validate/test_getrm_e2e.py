"""The real caller on every GeT-RM sample of the 1KGP panel (slow; needs the caller)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import TailormedError
from tailormed.knowledge import KnowledgeBase
from tailormed.validate.concordance import GeneStatus
from tailormed.validate.run import load_caller, run_getrm

pytestmark = pytest.mark.slow


def test_cyp2c19_and_cyp2c9_concordance(shared: Path, kb: KnowledgeBase) -> None:
    try:
        caller = load_caller()
    except TailormedError as exc:
        pytest.skip(str(exc))
    report = run_getrm(shared, kb, caller=caller)
    summaries = {s.gene: s for s in report.summaries}
    for gene in ("CYP2C19", "CYP2C9"):
        s = summaries[gene]
        assert s.status is GeneStatus.VALIDATED
        assert s.compared >= 50, s
        assert s.percent is not None and s.percent >= 99.0, (s, report.discordances)
    assert summaries["DPYD"].status is GeneStatus.NO_PANEL
    assert summaries["CYP2C8"].status is GeneStatus.NO_DEFINITION
    assert summaries["CYP2D6"].status is GeneStatus.OUTSIDE_CALL
