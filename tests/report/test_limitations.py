"""Limitations the report adds are never hidden by a sentence about other genes."""

from __future__ import annotations

import re

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
    about = [t for t in report.limitations if "not tested" in t.lower()]
    for gene in report.summary.genes_not_tested:  # each named once, none lost
        named = [t for t in about if re.search(rf"(?<![\w-]){re.escape(gene)}(?![\w-])", t)]
        assert len(named) == 1, gene
    assert any("SLCO1B1 (1)" in t for t in report.limitations)  # its missing position
