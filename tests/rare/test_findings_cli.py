"""Findings from a ranking, and the ``tailormed rare`` commands as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.findings import findings_from_json, findings_to_json
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.findings import HPO_SYSTEM, to_findings
from tailormed.rare.output import TSV_COLUMNS
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket


def test_findings_per_top_candidate(rare_kb: RareKnowledge, ranker: Ranker, samples: Path) -> None:
    case = read_phenopacket(samples / "PMID_11050011_II_1.json", rare_kb.ontology)
    ranking = ranker.rank(case, top=10)
    findings = to_findings(ranking, top=3)
    assert 3 <= len(findings) <= 10
    first = findings[0]
    assert first.domain == "rare" and first.code == "rare.differential.OMIM:301310.ABCB7"
    assert first.subject == "PMID_11050011_II_1"
    assert first.knowledge == {"rare": rare_kb.version}
    assert first.sources[0].name == "HPO" and first.sources[0].version == "2025-01-16"
    hpo = [c for e in first.evidence for c in e.codes if c.system == HPO_SYSTEM]
    assert {c.code for c in hpo} == {t.term_id for t in case.observed}
    assert findings_from_json(findings_to_json(findings)) == sorted(
        findings, key=lambda f: ("critical", "high", "moderate", "low", "info").index(f.severity)
    )


def test_cli_rank_writes_tsv_and_json(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["rare", "rank", str(samples / "PMID_11050011_II_1.json"), "--out", str(out), "--top", "3"],
    )
    assert result.exit_code == 0, result.output
    lines = (out / "rankings.tsv").read_text().splitlines()
    assert lines[0] == "\t".join(TSV_COLUMNS)
    assert lines[1].split("\t")[:4] == ["PMID_11050011_II_1", "1", "ABCB7", "OMIM:301310"]
    doc = json.loads((out / "PMID_11050011_II_1.json").read_text())
    assert doc["knowledge"]["hpo_release"] == "2025-01-16"
    assert doc["candidates"][0]["matches"]


def test_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"subject": {}}')
    result = CliRunner().invoke(app, ["rare", "rank", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    text = " ".join(result.output.split())  # Rich wraps long lines
    assert "bad.json: malformed phenopacket: id: Field required" in text
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "rankings.tsv").exists()


def test_cli_term_search() -> None:
    result = CliRunner().invoke(app, ["rare", "terms", "ectopia lentis"])
    assert result.exit_code == 0 and "HP:0001083" in result.output


def test_cli_rank_exports_fhir_and_phenopacket(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "rare",
            "rank",
            str(samples / "PMID_11050011_II_1.json"),
            "--out",
            str(out),
            "--fhir",
            "--phenopacket",
        ],
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads((out / "PMID_11050011_II_1.fhir.json").read_text())
    assert bundle["resourceType"] == "Bundle" and len(bundle["entry"]) > 16
    packet = json.loads((out / "PMID_11050011_II_1.phenopacket.json").read_text())
    assert packet["interpretations"][0]["diagnosis"]["disease"]["id"] == "OMIM:301310"


def test_bundled_example_case(rare_kb: RareKnowledge) -> None:
    """The demo's published case ranks its published diagnosis first, more so with the VCF."""
    from tailormed.pipeline import example_path
    from tailormed.rare.run import rank_phenopackets

    case = example_path("example-rare-phenopacket.json")
    packet = json.loads(case.read_text())
    assert "interpretations" not in packet and "diseases" not in packet
    (pheno,) = rank_phenopackets([case], kb=rare_kb, top=5)
    (both,) = rank_phenopackets([case], vcf=example_path("example-rare.vcf"), kb=rare_kb, top=5)
    for r in (pheno, both):
        assert (r.candidates[0].disease_id, r.candidates[0].gene) == ("OMIM:301310", "ABCB7")
    gap = both.candidates[0].score - both.candidates[1].score
    assert gap > pheno.candidates[0].score - pheno.candidates[1].score


@pytest.mark.slow
def test_tailormed_run_adds_the_differential_diagnosis(tmp_path: Path) -> None:
    """``tailormed run`` with a phenopacket and an annotated VCF: the report and the FHIR
    bundle carry the rare-disease section (the genome here is the bundled rare example,
    which has no pharmacogene positions: the PGx part is all no-calls)."""
    from tailormed.pipeline import example_path

    vcf = example_path("example-rare.vcf")
    result = CliRunner().invoke(
        app,
        [
            "run",
            str(vcf),
            "--phenopacket",
            str(example_path("example-rare-phenopacket.json")),
            "--rare-vcf",
            str(vcf),
            "--out",
            str(tmp_path),
            "--no-pdf",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "II-1" / "report.json").read_text())
    (rare,) = [s for s in report["sections"] if s["domain"] == "rare"]
    first = dict(zip(rare["tables"][0]["columns"], rare["tables"][0]["rows"][0], strict=True))
    assert (first["Gene"], first["Rank"]) == ("ABCB7", 1)
    assert "hemizygous" in first["Variants"]
    bundle = json.loads((tmp_path / "II-1" / "fhir-bundle.json").read_text())
    profiles = {
        p.rsplit("/", 1)[-1]
        for e in bundle["entry"]
        for p in e["resource"].get("meta", {}).get("profile", [])
    }
    assert {"diagnostic-implication", "phenotype", "variant"} <= profiles
