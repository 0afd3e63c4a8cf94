"""`tailormed review` on real 1000 Genomes panels: indeterminate genes are summarised.

HG00096 called from the 1000 Genomes CYP2C9 and CYP2C19 panels misses most
allele-defining positions, so both genes are indeterminate with dozens of alleles that
could not be excluded. The terminal must say so in a few lines (counts, and the calls
JSON holding the lists), never list the alleles or the thousands of possible results.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app

runner = CliRunner()
SAMPLE = "HG00096"


@pytest.fixture(scope="module")
def calls_dir(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("review") / "calls"
    panels = [str(shared / "1kgp/GRCh38" / f"{g}.vcf.gz") for g in ("CYP2C9", "CYP2C19")]
    result = runner.invoke(
        app,
        ["call", *panels, "--samples", SAMPLE, "--genes", "CYP2C9,CYP2C19", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    return out


def test_indeterminate_genes_are_summarised_with_a_pointer(calls_dir: Path, tmp_path: Path) -> None:
    meds = tmp_path / "meds.txt"
    meds.write_text("clopidogrel\nwarfarin\n", encoding="utf-8")
    args = ["review", "--calls", str(calls_dir), "--meds", str(meds)]
    wide = runner.invoke(app, args, env={"COLUMNS": "400"})
    assert wide.exit_code == 0, wide.output
    out = wide.output
    calls = json.loads((calls_dir / f"{SAMPLE}.json").read_text(encoding="utf-8"))
    genes = calls["genes"]
    for gene in ("CYP2C9", "CYP2C19"):
        g = genes[gene]
        assert len(g["uncertain_alleles"]) > 10, "the oracle needs a flooding case"
        assert f"{gene} indeterminate" in out
        assert f"{len(g['missing_positions'])} positions missing" in out
        assert f"{len(g['uncertain_alleles'])} alleles could not be excluded" in out
        listed = ", ".join(g["uncertain_alleles"][:3])
        assert listed not in out  # the alleles themselves stay in the JSON
    assert str(calls_dir / f"{SAMPLE}.json") in out
    assert "more)" not in out and "→" not in out
    # on an ordinary terminal the two medications take a screenful, not pages
    narrow = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert narrow.exit_code == 0, narrow.output
    assert len(narrow.output.splitlines()) <= 40
