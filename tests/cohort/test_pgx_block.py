"""The memoised block interpretation gives the rows a full per-sample interpretation gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.calling.caller import select_genes
from tailormed.cohort.inputs import CohortInput
from tailormed.cohort.pgx import call_block, interpret_block, panels
from tailormed.cohort.tables import call_values, drug_values
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import build_interpretation


def test_block_rows_equal_full_interpretation(kb: KnowledgeBase, example_vcf: Path) -> None:
    options = CallOptions(missing_to_ref=True)
    genes = select_genes(kb, options)
    source = CohortInput.of([example_vcf])
    samples = source.samples()[:70]
    matrices = source.read(panels(kb, genes), samples, True, None)
    rows = interpret_block(samples, call_block(matrices, kb, options), kb)
    # the reference: `tailormed call`'s CallSet and one build_interpretation per sample
    callset = call_files([example_vcf], kb, CallOptions(missing_to_ref=True, samples=samples))
    want_calls, want_drugs = [], []
    for s in samples:
        interp = build_interpretation(callset.for_sample(s), kb)
        phen = {p.gene: p for p in interp.phenotypes}
        want_calls += [(s, c.gene, *call_values(c, phen[c.gene])) for c in callset.for_sample(s)]
        want_drugs += [(s, d.drug, *drug_values(d)) for d in interp.drugs]
    got_calls = [tuple(r.values()) for r in rows.calls.to_pylist()]
    got_drugs = [tuple(r.values()) for r in rows.drugs.to_pylist()]
    assert got_calls == want_calls
    assert len(got_drugs) == len(want_drugs) == 70 * len(kb.drugs)
    assert got_drugs == want_drugs
    statuses = {r[2] for r in got_drugs}
    assert {"actionable", "no change", "no result"} <= statuses  # a test that can fail


@pytest.mark.slow
def test_block_rows_equal_full_interpretation_on_the_panel(kb: KnowledgeBase, shared: Path) -> None:
    """The same on 640 samples of the full 1000 Genomes panels (every 5th)."""
    files = sorted((shared / "1kgp" / "GRCh38").glob("*.vcf.gz"))
    options = CallOptions(missing_to_ref=True)
    genes = select_genes(kb, options)
    source = CohortInput.of(files)
    samples = source.samples()[::5]
    matrices = source.read(panels(kb, genes), samples, True, None)
    rows = interpret_block(samples, call_block(matrices, kb, options), kb)
    callset = call_files(files, kb, CallOptions(missing_to_ref=True, samples=samples))
    want_drugs = []
    for s in samples:
        interp = build_interpretation(callset.for_sample(s), kb)
        want_drugs += [(s, d.drug, *drug_values(d)) for d in interp.drugs]
    assert [tuple(r.values()) for r in rows.drugs.to_pylist()] == want_drugs
