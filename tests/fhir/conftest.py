"""Fixtures: one real sample (PharmCAT example 2) through calling and phenotyping, plus
drug reports built from the knowledge base's own CPIC recommendations.

The recommendation stage is being written in parallel, so the drug reports are
assembled here from ``kb.recommendations`` (the clopidogrel / CYP2C19 Poor Metabolizer
advice and two others); the test that uses ``build_interpretation`` skips until it exists.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, GeneCall, call_files
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import interpret_all
from tailormed.recommend.models import Interpretation
from tests.fhir.helpers import EXAMPLE2, LIMITATION, drug_report, matched, phenotype_of


@pytest.fixture(scope="session")
def example2_calls(kb: KnowledgeBase, shared: Path) -> list[GeneCall]:
    callset = call_files([shared / EXAMPLE2], kb, CallOptions())
    (sample,) = callset.samples
    return callset.for_sample(sample)


@pytest.fixture(scope="session")
def interpretation(kb: KnowledgeBase, example2_calls: list[GeneCall]) -> Interpretation:
    calls = tuple(example2_calls)
    phenotypes = tuple(interpret_all(calls, kb))
    base = Interpretation(calls[0].sample, kb.version, calls, phenotypes, ())
    # the hand-built advice must fit the real sample (PharmCAT: CYP2C19 *2/*2 PM, CYP2B6 *1/*6 IM)
    assert phenotype_of(base, "CYP2C19") == "Poor Metabolizer"
    assert phenotype_of(base, "CYP2B6") == "Intermediate Metabolizer"
    clopidogrel = matched(
        kb, "clopidogrel", "CPIC", {"CYP2C19": "Poor Metabolizer"}, actionable=True
    )
    efavirenz = matched(
        kb, "efavirenz", "CPIC", {"CYP2B6": "Intermediate Metabolizer"}, actionable=True
    )
    celecoxib = matched(
        kb,
        "celecoxib",
        "CPIC",
        {"CYP2C9": "2.0"},
        actionable=False,
        phenotypes={"CYP2C9": "Normal Metabolizer"},
    )
    drugs = (
        drug_report(kb, [clopidogrel], "actionable"),
        drug_report(kb, [efavirenz], "actionable"),
        drug_report(kb, [celecoxib], "no change"),
    )
    return Interpretation(
        base.sample, kb.version, calls, phenotypes, drugs, limitations=(LIMITATION,)
    )
