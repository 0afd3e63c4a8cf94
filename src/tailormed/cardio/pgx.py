"""The CPIC statin recommendations for a patient, from the PGx stages (never re-typed).

Calls SLCO1B1, ABCG2 and CYP2C9 from the genotype files (outside calls, when given, take
precedence as in ``tailormed run``) and builds the recommendation stage's interpretation, so
each statin's report carries the CPIC 2022 recommendation selected for the genotype.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tailormed.calling import CallOptions, call_files
from tailormed.calling.output import merge_outside
from tailormed.calling.outside import read_outside_calls
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import build_interpretation
from tailormed.recommend.models import DrugReport

STATIN_GENES = ("SLCO1B1", "ABCG2", "CYP2C9")
STATINS = (
    "atorvastatin",
    "rosuvastatin",
    "simvastatin",
    "pravastatin",
    "pitavastatin",
    "fluvastatin",
    "lovastatin",
)


def statin_reports(
    inputs: Sequence[Path],
    kb: KnowledgeBase,
    *,
    outside: Path | None = None,
    samples: Sequence[str] | None = None,
) -> dict[str, dict[str, DrugReport]]:
    """``{sample: {statin: DrugReport}}`` from the genotype files."""
    options = CallOptions(genes=STATIN_GENES, samples=tuple(samples) if samples else None)
    callset = call_files(list(inputs), kb, options)
    if outside is not None:
        callset = merge_outside(callset, read_outside_calls(outside, kb), outside)
    out: dict[str, dict[str, DrugReport]] = {}
    for sample in callset.samples:
        interp = build_interpretation(callset.for_sample(sample), kb)
        out[sample] = {d: r for d in STATINS if (r := interp.drug(d)) is not None}
    return out
