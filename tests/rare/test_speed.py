"""Interactive speed and memory of rare-disease ranking (slow: run by ./quickstart bench)."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from tailormed.rare.devset import phenopacket_from_row, read_dev_rows
from tailormed.rare.read import case_from_phenopacket, parse_phenopacket


@pytest.mark.slow
def test_load_and_rank_budget(shared: Path) -> None:
    """Knowledge load + model < 2 s CPU; ranking < 50 ms CPU per case; memory < 1 GB."""
    c0 = time.process_time()
    from tailormed.knowledge.rare.loader import _load
    from tailormed.rare.rank import Ranker

    _load.cache_clear()
    from tailormed.knowledge.bundles import load_bundle

    load_bundle.cache_clear()
    from tailormed.knowledge.rare import RareKnowledge

    kb = RareKnowledge.load()
    ranker = Ranker(kb, db="OMIM")
    load_cpu = time.process_time() - c0
    rows = list(read_dev_rows(shared / "rare_disease" / "phenopackets_dev.tsv.gz"))[:500]
    cases = [
        case_from_phenopacket(parse_phenopacket(phenopacket_from_row(r), "dev"), kb.ontology)
        for r in rows
    ]
    c0 = time.process_time()
    for case in cases:
        ranker.rank(case, top=50)
    per_case = (time.process_time() - c0) / len(cases)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert load_cpu < 2.0
    assert per_case < 0.050
    assert rss_mb < 1024
