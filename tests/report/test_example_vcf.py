"""End to end on PharmCAT's example VCF: calls and phenotypes from the real stages."""

from __future__ import annotations

from pathlib import Path

from tailormed.calling import CallOptions, call_files
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import interpret_all
from tailormed.recommend.models import Interpretation
from tailormed.report import build_report, render_html
from tests.report.builders import GENERATED_AT, drug_reports


def test_example2_report(shared: Path, kb: KnowledgeBase) -> None:
    vcf = shared / "pharmcat/docs/examples/pharmcat.example2.vcf"
    calls = call_files([vcf], kb, CallOptions())
    sample = calls.samples[0]
    gene_calls = tuple(calls.for_sample(sample))
    interp = Interpretation(
        sample=sample,
        kb_version=kb.version,
        calls=gene_calls,
        phenotypes=tuple(interpret_all(gene_calls, kb)),
        drugs=drug_reports(kb),
    )
    report = build_report(interp, kb, generated_at=GENERATED_AT)
    assert [g.gene for g in report.genes] == list(calls.genes)
    cyp2c19 = report.gene("CYP2C19")
    assert cyp2c19 is not None and cyp2c19.diplotype == "*2/*2"
    assert "rs4244285" in {v.rsid for v in cyp2c19.supporting_variants["*2"]}
    # CYP2D6 is not callable from a VCF: named as not tested, with the structural caveat
    assert "CYP2D6" in report.summary.genes_not_tested
    assert any("CYP2D6 structural variants" in t for t in report.limitations)
    html = render_html(report)
    for g in report.genes:
        assert f'<th scope="row">{g.gene}</th>' in html
