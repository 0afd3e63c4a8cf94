"""Oncology report sections: the tables a tumour board reads, from golden CIViC cases.

Oracles: the bundled CIViC 2024-08-01 items (EGFR L858R NSCLC sensitivity, assertion
AID5 Tier I level A for Lung Non-small Cell Carcinoma; EGFR T790M resistance to
erlotinib, EID238 level A), the PGx stages' own answer for the example germline sample,
and the synthetic ctDNA series of tests/oncology/series.py.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tailormed.findings import Section, section_from_json, section_to_json
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.ctdna import Rules, classify_series
from tailormed.oncology.models import PatientCtdna, TumorReport
from tailormed.oncology.pgx import germline_pgx
from tailormed.oncology.read import read_somatic
from tailormed.oncology.read_ctdna import read_series
from tailormed.oncology.sections import ctdna_section, sections, tumor_section
from tailormed.oncology.tumor import profile_tumour
from tailormed.pipeline import example_path
from tests.oncology.fixtures import L858R, T790M, TP53_R273H, V, write_vep
from tests.oncology.series import write_series

# a PIK3CA missense change CIViC has no evidence item of its own for: it matches the
# gene-level "PIK3CA Mutation" profile (EID7185: sulindac, celecoxib, aspirin in HNSC, B)
PIK3CA_D347G = V(
    "PIK3CA",
    "17",
    179199120,
    "A",
    "G",
    "missense_variant",
    "c.1040A>G",
    "p.Asp347Gly",
    "5/21",
    "ENST00000263967.4",
)


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


def _table(section: Section, title: str) -> list[dict[str, object]]:
    table = next(t for t in section.tables if t.title == title)
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def _report(kb: OncologyKnowledge, tmp: Path, variants: list[V], code: str) -> TumorReport:
    somatic = read_somatic(write_vep(tmp / "t.vcf", variants))
    return profile_tumour(somatic, code, kb)


def test_luad_l858r_section_tables(kb: OncologyKnowledge, tmp_path: Path) -> None:
    report = _report(kb, tmp_path, [L858R, TP53_R273H], "LUAD")
    section = tumor_section(report)
    assert section.domain == "oncology" and section.subject == "TUMOR"
    assert section.knowledge["civic"] == "2024-08-01"
    variants = {r["protein (short)"]: r for r in _table(section, "Somatic variants")}
    egfr = variants["L858R"]
    assert egfr["protein"] == "p.Leu858Arg" and egfr["cDNA"] == "c.2573T>G"
    assert egfr["consequence"] == "missense_variant"
    assert egfr["VAF"] == "30.0%" and egfr["depth"] == 200  # 60 of 200 reads
    assert egfr["tier"] == "I" and egfr["AMP level"] == "A"
    # AID5 is for Lung Non-small Cell Carcinoma: LUAD matches it at its parent NSCLC
    assert egfr["evidence match"] == "exact variant; parent type NSCLC"
    therapies = {(r["drug"], r["response"]): r for r in _table(section, "Therapy options")}
    erlotinib = therapies[("erlotinib", "sensitive")]
    assert erlotinib["tier"] == "I" and erlotinib["best level"] == "A"
    assert str(erlotinib["label"]).startswith("on-label")
    assert erlotinib["germline PGx"] == "no PGx link"
    biomarkers = _table(section, "Immunotherapy biomarkers")
    assert {b["biomarker"] for b in biomarkers} == {"TMB", "MSI"}
    assert not [t for t in section.tables if t.title == "Cell-therapy eligibility checks"]
    assert section_from_json(section_to_json(section)) == section
    codes = {f.code for f in section.findings}
    assert "oncology.therapy.erlotinib.sensitive" in codes


def test_t790m_resistance_is_in_the_therapy_table(kb: OncologyKnowledge, tmp_path: Path) -> None:
    section = tumor_section(_report(kb, tmp_path, [L858R, T790M], "LUAD"))
    therapies = {(r["drug"], r["response"]): r for r in _table(section, "Therapy options")}
    resistant = therapies[("erlotinib", "resistant")]
    assert "EGFR T790M" in str(resistant["variants"])
    assert "EID238" in str(resistant["evidence"])  # T790M erlotinib resistance, level A


def test_germline_pgx_beside_a_derived_pgx_drug(kb: OncologyKnowledge, tmp_path: Path) -> None:
    """Celecoxib has no curated oncology link, but the PGx knowledge base covers it
    (CPIC NSAIDs, CYP2C9): its germline result is shown beside the option."""
    germline = germline_pgx(example_path("example-patient.vcf"), None)
    assert germline is not None
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [PIK3CA_D347G]))
    report = profile_tumour(somatic, "HNSC", kb, germline=germline)
    celecoxib = next(t for t in report.therapies if t.drug == "celecoxib")
    assert "EID7185" in celecoxib.evidence
    (pgx,) = celecoxib.pgx
    drug = next(d for d in germline.interpretation.drugs if d.drug == "celecoxib")
    assert pgx.genes == tuple(drug.genes) == ("CYP2C9",) and pgx.status == drug.status
    cyp = next(p for p in germline.interpretation.phenotypes if p.gene == "CYP2C9")
    rows = {r["drug"]: r for r in _table(tumor_section(report), "Therapy options")}
    assert f"CYP2C9 {cyp.diplotype}: {cyp.phenotype}" in str(rows["celecoxib"]["germline PGx"])
    # without germline data: "not tested", never a guess
    bare = profile_tumour(somatic, "HNSC", kb)
    (untested,) = next(t for t in bare.therapies if t.drug == "celecoxib").pgx
    assert untested.status == "not tested"


def test_eligibility_table_says_it_is_not_a_recommendation(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    outside = tmp_path / "hla.tsv"
    outside.write_text("HLA-A\t*02:01/*03:01\n")
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [TP53_R273H]))
    report = profile_tumour(somatic, "UM", kb, germline=germline_pgx(None, outside))
    section = tumor_section(report)
    table = next(t for t in section.tables if t.title == "Cell-therapy eligibility checks")
    assert table.caption and "not recommendations" in table.caption
    (row,) = _table(section, "Cell-therapy eligibility checks")
    assert row["therapy"] == "tebentafusp" and row["patient HLA-A"] == "*02:01 / *03:01"
    assert str(row["result"]).startswith("HLA requirement met")
    therapies = {r["drug"] for r in _table(section, "Therapy options")}
    assert "tebentafusp" not in therapies


def _patient(kb: OncologyKnowledge, tmp: Path, name: str) -> PatientCtdna:
    rules = Rules.of(kb.payload["ctdna_rules"])
    (p,) = classify_series(read_series(write_series(tmp / "s.tsv", [name])), rules, kb.resistance)
    return p


def test_ctdna_section_table_and_chart(kb: OncologyKnowledge, tmp_path: Path) -> None:
    patient = _patient(kb, tmp_path, "P-T790M")
    section = ctdna_section(patient, kb.version)
    assert section.title == "ctDNA monitoring: molecular progression resistance"
    draws = _table(section, "ctDNA draws")
    assert draws[0]["date"] == "2024-01-03" and draws[0]["baseline"] == "baseline"
    last = draws[-1]
    assert last["tested"] == 2 and last["detected"] == 2
    assert last["mean VAF %"] == pytest.approx((9.0 + 4.0) / 2)
    assert last["mean is an upper bound"] == "no"
    first = draws[0]
    # T790M tested, not detected: counted at its LoD (0.1 %), so the mean is a bound
    assert first["mean VAF %"] == pytest.approx((15.0 + 0.1) / 2)
    assert first["mean is an upper bound"] == "yes"
    rows = {(m["date"], m["variant"]): m for m in _table(section, "ctDNA measurements")}
    assert rows[("2024-06-03", "EGFR T790M")]["VAF %"] == pytest.approx(4.0)
    before = rows[("2024-01-03", "EGFR T790M")]
    assert before["result"] == "not detected" and before["VAF %"] is None
    assert before["LoD %"] == pytest.approx(0.1)
    events = _table(section, "ctDNA events")
    emergence = next(e for e in events if e["event"] == "resistance-emergence")
    assert "EID238" in str(emergence["resistance evidence"])
    (figure,) = section.figures
    root = ET.fromstring(figure.svg)
    circles = [c for c in root.iter() if c.tag.endswith("circle")]
    assert sum(1 for c in circles if c.get("fill") == "white") >= 3  # T790M n.d. three times
    texts = "".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "EGFR T790M" in texts and "erlotinib start" in texts and "%" in texts
    assert "2024-06-03: EGFR L858R 9.00%, EGFR T790M 4.00%" in figure.alt
    (finding,) = section.findings
    assert finding.severity == "high"
    assert finding.patient_summary == (
        "Across your 4 blood tests, a tumour DNA change known to make your current treatment "
        "work less well was found in your blood. Your care team will explain what this means "
        "for your treatment."
    )
    assert section_from_json(section_to_json(section)) == section


def test_sections_lists_tumour_then_ctdna(kb: OncologyKnowledge, tmp_path: Path) -> None:
    report = _report(kb, tmp_path, [L858R], "LUAD")
    patient = _patient(kb, tmp_path, "P-RESPONSE")
    out = sections(report, [patient], kb.version)
    assert [s.title.split(":")[0] for s in out] == ["Tumour profile", "ctDNA monitoring"]
    assert sections(None, [], kb.version) == []


def test_sections_from_stored_documents(kb: OncologyKnowledge, tmp_path: Path) -> None:
    from tailormed.oncology.documents import TumorDocument, series_document
    from tailormed.oncology.output import tumor_model
    from tailormed.oncology.sections import document_sections

    report = _report(kb, tmp_path, [L858R, TP53_R273H], "LUAD")
    tumor = TumorDocument.model_validate(tumor_model(report).model_dump(mode="json"))
    ctdna = series_document(example_path("example-ctdna.tsv"))
    out = document_sections(tumor, ctdna, "patient-1", kb)
    assert out[0] == tumor_section(report)  # a stored profile renders like a fresh one
    assert out[1].subject == "patient-1"
    assert out[1].title == "ctDNA monitoring: molecular progression resistance"
    outside = tmp_path / "hla.tsv"
    outside.write_text("CYP2D6\t*4/*4\n")
    germline = germline_pgx(None, outside)
    assert germline is not None
    (again,) = document_sections(tumor, None, "patient-1", kb, germline)
    assert again.knowledge["pgx"] == germline.kb_version
