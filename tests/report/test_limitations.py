"""Limitations the report adds are never hidden by a sentence about other genes."""

from __future__ import annotations

from tailormed.knowledge import KnowledgeBase
from tailormed.report import build_report
from tests.report.builders import GENERATED_AT, interpretation


def test_a_limitation_is_only_skipped_when_upstream_names_the_same_genes(
    kb: KnowledgeBase,
) -> None:
    # upstream talks about "not tested" and "missing", but for other genes (or none)
    interp = interpretation(
        kb,
        limitations=(
            "HLA-B was not tested: it needs an outside call.",
            "Positions missing from the input were read as reference where covered.",
        ),
    )
    report = build_report(interp, kb, generated_at=GENERATED_AT)
    assert len(report.summary.genes_not_tested) > 1
    stated = [t for t in report.limitations if t.startswith("Not tested: ")]
    assert stated and all(g in stated[0] for g in report.summary.genes_not_tested)
    assert any("SLCO1B1 (1)" in t for t in report.limitations)  # its missing position
