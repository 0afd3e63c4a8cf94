"""The cardio bundle compiler: checks its sources, corrects only the known PCE typos, says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tailormed.errors import KnowledgeError
from tailormed.knowledge.cardio import CardioKnowledge, compile_bundle


@pytest.fixture
def tree(shared: Path, tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(shared / "cardio", root / "cardio")
    for path in (root / "cardio").rglob("*"):
        path.chmod(0o644 if path.is_file() else 0o755)
    return root


def test_compiles_the_shared_sources(tree: Path) -> None:
    bundle = compile_bundle(tree)
    counts = bundle.counts
    assert counts["ldlr_plp_matchable"] + counts["ldlr_copy_number"] == 1966
    assert counts["ldlr_copy_number"] == 92 and counts["prevent_models"] == 10
    pcsk9 = {v["hgvs"] for v in bundle.payload["fh_variants"]["PCSK9"]}
    assert any("Asp374Tyr" in h for h in pcsk9) and any("Ser127Arg" in h for h in pcsk9)
    assert not any("Arg46Leu" in h for h in pcsk9)  # loss of function: never FH
    assert any("86.61 checked" in n for n in bundle.notes)
    names = {s["name"] for s in bundle.sources}
    assert names == {"prevent", "pce", "ldlr-clinvar", "pcsk9-clinvar-ukb", "cardio-curated"}


def test_known_pce_typos_are_corrected_and_noted(tree: Path) -> None:
    pce = tree / "cardio" / "risk_equations" / "pce_2013_coefficients.tsv"
    text = pce.read_text().replace("86.61", "86.16").replace("1.957", "1.857")
    pce.write_text(text)
    bundle = compile_bundle(tree)
    assert bundle.payload["pce"]["african_american_female"]["mean_coefficient_x_value"] == 86.61
    assert bundle.payload["pce"]["white_female"]["ln_untreated_sbp"] == 1.957
    assert sum("known typo" in n for n in bundle.notes) == 2


def test_an_unknown_pce_value_is_not_silently_accepted(tree: Path) -> None:
    pce = tree / "cardio" / "risk_equations" / "pce_2013_coefficients.tsv"
    pce.write_text(pce.read_text().replace("86.61", "80.00"))
    with pytest.raises(KnowledgeError, match=r"neither the published 86\.61"):
        compile_bundle(tree)


def test_prevent_terms_must_match_the_model(tree: Path) -> None:
    path = tree / "cardio" / "risk_equations" / "prevent_uacr_10yr_coefficients.csv"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.startswith('"ln-ACR')) + "\n")
    with pytest.raises(KnowledgeError, match="missing \\['ln_uacr'\\]"):
        compile_bundle(tree)
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(KnowledgeError, match="appears twice"):
        compile_bundle(tree)


def test_the_built_bundle_loads() -> None:
    kn = CardioKnowledge.load()
    assert kn.version.startswith("cardio-")
    assert kn.prevent("base", 10, "female", "total_cvd")["constant"] == pytest.approx(-3.307728)
    assert kn.section("guideline_2026")["categories"][0] == {"name": "low", "below": 3.0}
    assert any(v.gene == "APOB" and v.pos == 21006288 for v in kn.fh_variants)
