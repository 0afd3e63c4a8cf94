"""The resistance check behind the order-select card, and the ctDNA / tumour documents.

Oracles: CIViC 2024-08-01 resistance evidence (EGFR T790M → erlotinib EID238 level A,
gefitinib EID239 level B; EGFR C797S → osimertinib EID964 level B) and, for osimertinib
with T790M, CIViC's sensitivity evidence (no resistance item exists, so no card).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.cds import resistance_findings
from tailormed.oncology.documents import (
    CtdnaSeriesDocument,
    TumorDocument,
    classify_document,
    series_document,
)
from tailormed.oncology.output import tumor_model
from tailormed.oncology.read import read_somatic
from tailormed.oncology.tumor import profile_tumour
from tailormed.pipeline import example_path
from tests.oncology.fixtures import L858R, T790M, write_vep
from tests.oncology.series import write_series


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


def _row(date: str, protein: str, vaf: float, pos: int = 55181378) -> dict[str, object]:
    return {
        "date": date,
        "gene": "EGFR",
        "hgvs_p": protein,
        "chrom": "7",
        "pos": pos,
        "ref": "C",
        "alt": "T",
        "vaf": vaf,
        "assay_lod": 0.001,
    }


def _series(*rows: dict[str, object]) -> CtdnaSeriesDocument:
    return CtdnaSeriesDocument.model_validate({"rows": list(rows)})


def test_erlotinib_meets_t790m_in_the_latest_draw(kb: OncologyKnowledge, tmp_path: Path) -> None:
    doc = series_document(write_series(tmp_path / "s.tsv", ["P-T790M"]))
    (finding,) = resistance_findings(["Erlotinib"], None, doc, kb, subject="P-T790M")
    assert finding.severity == "high" and finding.code == "oncology.resistance.erlotinib"
    assert finding.subject == "P-T790M"
    assert "EGFR T790M in the latest ctDNA draw (2024-06-03, VAF 4.00%)" in finding.summary
    ids = {s.id for s in finding.sources}
    assert "EID238" in ids
    eid238 = next(s for s in finding.sources if s.id == "EID238")
    assert eid238.url == "https://civicdb.org/links/evidence_items/238"
    assert eid238.citation and eid238.citation.endswith("level A")
    assert finding.recommendations


def test_osimertinib_is_not_warned_for_t790m_but_for_c797s(kb: OncologyKnowledge) -> None:
    t790m = _series(_row("2024-01-03", "p.Thr790Met", 0.0), _row("2024-06-03", "T790M", 0.04))
    assert resistance_findings(["osimertinib"], None, t790m, kb) == []
    c797s = _series(
        _row("2024-06-03", "T790M", 0.04), _row("2024-06-03", "p.Cys797Ser", 0.02, 55181401)
    )
    (finding,) = resistance_findings(["osimertinib"], None, c797s, kb)
    assert "EGFR C797S" in finding.summary and "EID964" in {s.id for s in finding.sources}


def test_only_the_latest_draw_counts(kb: OncologyKnowledge) -> None:
    cleared = _series(_row("2024-01-03", "T790M", 0.05), _row("2024-06-03", "T790M", 0.0005))
    assert resistance_findings(["erlotinib"], None, cleared, kb) == []  # below LoD now
    assert resistance_findings([], None, cleared, kb) == []


def test_tumour_profile_resistance_and_combination_regimens(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [L858R, T790M]))
    tumor = TumorDocument.model_validate(
        tumor_model(profile_tumour(somatic, "LUAD", kb)).model_dump()
    )
    found = {
        f.values["drug"]: f
        for f in resistance_findings(["gefitinib + placebo", "osimertinib"], tumor, None, kb)
    }
    assert set(found) == {"gefitinib"}
    assert "the tumour profile (TUMOR, LUAD, VAF 10%)" in found["gefitinib"].summary
    assert "gefitinib + multikinase inhibitor aee788" in found["gefitinib"].summary


def test_document_rules_match_the_tsv_reader(kb: OncologyKnowledge, tmp_path: Path) -> None:
    doc = series_document(example_path("example-ctdna.tsv"))
    assert classify_document(doc, "Sample_2", kb).status == "molecular-progression-resistance"
    data = doc.model_dump()
    CtdnaSeriesDocument.model_validate(data)
    bad: list[tuple[dict[str, object], str]] = [
        ({"vaf": 4.0}, "less than or equal to 1"),  # a percentage, not a fraction
        ({"date": "2024-02-30"}, "calendar date"),
        ({"alt_reads": 10, "depth": 5}, "exceeds depth"),
    ]
    for change, message in bad:
        rows = [dict(r) for r in data["rows"]]
        rows[0] |= change
        with pytest.raises(ValidationError, match=message):
            CtdnaSeriesDocument.model_validate({**data, "rows": rows})
    rows = [dict(r) for r in data["rows"]]
    with pytest.raises(ValidationError, match="date order"):
        CtdnaSeriesDocument.model_validate({**data, "rows": rows[::-1]})
    with pytest.raises(ValidationError, match="appears twice"):
        CtdnaSeriesDocument.model_validate({**data, "rows": [rows[0], rows[0]]})
    with pytest.raises(ValidationError):
        CtdnaSeriesDocument.model_validate({**data, "extra": 1})


def test_documents_read_back_as_the_record_stores_them(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    """The record keeps a body as JSON without its null fields: it must read back equal."""
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [L858R, T790M]))
    tumor = TumorDocument.model_validate(
        tumor_model(profile_tumour(somatic, "LUAD", kb)).model_dump()
    )
    stored = tumor.model_dump(mode="json", exclude_none=True)
    assert "amp_tier" not in stored["variants"][0]["evidence"][0]  # a null field, dropped
    assert TumorDocument.model_validate(stored) == tumor
    series = series_document(example_path("example-ctdna.tsv"))
    again = CtdnaSeriesDocument.model_validate(series.model_dump(mode="json", exclude_none=True))
    assert again == series
