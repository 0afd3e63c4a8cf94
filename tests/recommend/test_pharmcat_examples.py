"""PharmCAT's expected reports for its two documented examples, drug by drug.

``docs/examples/pharmcat.example{,2}.report.json`` (PharmCAT v3.1, data 2025-11-05) list,
per drug and source (CPIC, DPWG), the recommendations PharmCAT matched. The calls are fed
to Tailormed as PharmCAT's phenotyper reports them (as in the phenotype-stage oracle) and
the matched sets are compared as (text, population) pairs: HTML tags, entities and
punctuation removed, the text's first 40 letters and digits compared, since the wording
of a few recommendations was edited between the two data versions.

The knowledge base's guideline annotations are 2024-05-29, PharmCAT's are 2025-11. Every
difference is listed in ``DIFFERENCES`` and asserted, so a new one fails the test:

* ``pharmcat-only``: guidelines published after 2024-05-29, absent from the KB — CPIC
  hydralazine (NAT2) and metoprolol (CYP2D6), DPWG atazanavir (UGT1A1), rosuvastatin
  (SLCO1B1) and mavacamten (CYP2C19). CPIC warfarin: PharmCAT lists one empty annotation
  (the guideline is a dosing algorithm); Tailormed lists none and computes the dose.
* ``tailormed-only``: the 25 drugs of the CPIC G6PD guideline that only the CPIC export of
  2022-09-15 gives recommendations for (aspirin, chloroquine, sulfonamides, ...); PharmCAT
  3.x reports none of them.
* ``reworded``: same lookup key and number of recommendations, text edited since 2024:
  DPWG carbamazepine/HLA-B*15:02 ("Avoid carbamazepine" in 2025, "Choose an alternative if
  possible" in 2024) and DPWG eliglustat/CYP2D6 IM (sections reordered).

For CPIC, the lookup keys that selected each recommendation must also be PharmCAT's.
DPWG keys are not compared: PharmCAT 2025 writes DPWG keys in CPIC form (``"2.0"``), the
2024 annotations in DPWG form (``"2.0 (Normal Metabolizer)"``, allele-count maps).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, build_interpretation
from tailormed.recommend.sources import EXPORT_VERSION, drug_guidelines

pytestmark = pytest.mark.needs_shared

EXAMPLES = ("pharmcat.example", "pharmcat.example2")
SOURCES = {"CPIC": "CPIC Guideline Annotation", "DPWG": "DPWG Guideline Annotation"}
_CALL_SOURCE = {"MATCHER": "vcf", "OUTSIDE": "outside", "NONE": "vcf"}

_NEWER = {
    ("CPIC", "hydralazine"): "pharmcat-only",
    ("CPIC", "warfarin"): "pharmcat-only",
    ("DPWG", "atazanavir"): "pharmcat-only",
    ("DPWG", "rosuvastatin"): "pharmcat-only",
    ("DPWG", "mavacamten"): "pharmcat-only",
}
DIFFERENCES: dict[str, dict[tuple[str, str], str]] = {
    "pharmcat.example": {
        **_NEWER,
        ("CPIC", "metoprolol"): "pharmcat-only",
        ("DPWG", "carbamazepine"): "reworded",
        ("DPWG", "eliglustat"): "reworded",
    },
    "pharmcat.example2": dict(_NEWER),  # no CYP2D6 or HLA-B result in this example
}


def _examples(shared: Path) -> Path:
    return shared / "pharmcat" / "docs" / "examples"


def _calls(shared: Path, name: str) -> list[GeneCall]:
    doc = json.loads((_examples(shared) / f"{name}.phenotype.json").read_text())
    calls = []
    for gene, report in doc["geneReports"].items():
        dips = []
        for d in report["sourceDiplotypes"]:
            names = [a["name"] for a in (d["allele1"], d["allele2"]) if a is not None]
            if "Unknown" not in names:
                dips.append(Diplotype(tuple(names)))
        calls.append(
            GeneCall(
                "example",
                gene,
                tuple(dips),
                report["phased"],
                source=_CALL_SOURCE[report["callSource"]],
            )
        )
    return calls


def _norm(text: str | None) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
    plain = re.split(r"other considerations", plain, flags=re.IGNORECASE)[0]
    return re.sub(r"[^a-z0-9]", "", plain.lower())[:40]


def _theirs(report: dict[str, Any], source: str, drug: str) -> list[dict[str, Any]]:
    entry = report["drugs"][SOURCES[source]].get(drug) or {}
    return [a for g in entry.get("guidelines", []) for a in g["annotations"]]


def _compare(
    interp: Interpretation, report: dict[str, Any]
) -> tuple[dict[tuple[str, str], str], int]:
    found: dict[tuple[str, str], str] = {}
    agreed = 0
    for source in SOURCES:
        ours_by_drug = {
            d.drug: [r for r in d.recommendations if r.source == source] for d in interp.drugs
        }
        drugs = set(report["drugs"][SOURCES[source]]) | {d for d, r in ours_by_drug.items() if r}
        for drug in sorted(drugs):
            theirs = _theirs(report, source, drug)
            ours = ours_by_drug.get(drug, [])
            t = Counter((_norm(a["drugRecommendation"]), a.get("population")) for a in theirs)
            o = Counter((_norm(r.text), r.population) for r in ours)
            if t == o:
                agreed += 1
                if source == "CPIC":
                    for r in ours:
                        keys = [
                            a["lookupKey"]
                            for a in theirs
                            if _norm(a["drugRecommendation"]) == _norm(r.text)
                        ]
                        assert any(r.lookup_key in k for k in keys), (drug, r.lookup_key, keys)
            elif not ours:
                found[(source, drug)] = "pharmcat-only"
            elif not theirs:
                found[(source, drug)] = "tailormed-only"
            elif len(theirs) == len(ours):
                found[(source, drug)] = "reworded"
            else:
                found[(source, drug)] = "different"
    return found, agreed


@pytest.mark.parametrize("name", EXAMPLES)
def test_matched_recommendations_agree_with_pharmcat(
    kb: KnowledgeBase, shared: Path, name: str
) -> None:
    report = json.loads((_examples(shared) / f"{name}.report.json").read_text())
    interp = build_interpretation(_calls(shared, name), kb)
    found, agreed = _compare(interp, report)
    export_drugs = {
        ("CPIC", d.name)
        for d in kb.drugs
        if any(g.version == EXPORT_VERSION for g, _ in drug_guidelines(kb, d.name))
    }
    assert len(export_drugs) == 25
    assert {k for k, v in found.items() if v == "tailormed-only"} == export_drugs
    expected = DIFFERENCES[name]
    assert {k: v for k, v in found.items() if v != "tailormed-only"} == expected
    assert agreed > 100  # every other drug × source agrees, matches and empty sets alike


def test_example_statuses(kb: KnowledgeBase, shared: Path) -> None:
    """HLA-B *15:02/*57:01 (outside call) and CYP2D6 *1/*3 in example 1."""
    interp = build_interpretation(_calls(shared, "pharmcat.example"), kb)
    status = {d.drug: d.status for d in interp.drugs}
    assert status["abacavir"] == status["carbamazepine"] == "actionable"
    codeine = interp.drug("codeine")
    assert codeine is not None and codeine.status == "actionable"
    # CYP2D6 IM (activity 1.0): CPIC says label dosing, DPWG says be alert / alternative.
    assert [r.actionable for r in codeine.recommendations] == [False, True]
    assert codeine.reason == (
        "DPWG (N/A) for CYP2D6 Intermediate Metabolizer (activity score 1.0): "
        "For PAIN: Be alert to a reduced effectiveness."
    )
    assert status["clopidogrel"] == "no change"  # CYP2C19 *38/*38 normal metabolizer
    example2 = build_interpretation(_calls(shared, "pharmcat.example2"), kb)
    status2 = {d.drug: d.status for d in example2.drugs}
    assert status2["clopidogrel"] == "actionable"  # CYP2C19 *2/*2
    assert status2["codeine"] == "no result"  # CYP2D6 not called
    assert status2["abacavir"] == "no result"  # HLA-B not typed
