"""ctDNA monitoring on SYNTHETIC series (tests/oncology/series.py), one per status.

Oracles are the published definitions: Goldberg 2018 (> 50 % fall in mean mutant allele
fraction from baseline, confirmed by the next draw), clearance below the assay LoD, and
resistance of EGFR T790M to erlotinib as CIViC records it (EID238).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.charts import vaf_chart
from tailormed.oncology.ctdna import Rules, classify_series
from tailormed.oncology.models import PatientCtdna
from tailormed.oncology.read_ctdna import read_series
from tests.oncology.fixtures import L858R, T790M, TP53_R273H, write_vep
from tests.oncology.series import HEADER, write_series


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


def classify(kb: OncologyKnowledge, path: Path, **kw: object) -> dict[str, PatientCtdna]:
    rules = Rules.of(kb.payload["ctdna_rules"], kw.get("overrides"))  # type: ignore[arg-type]
    therapies = kw.get("therapies", ())
    out = classify_series(read_series(path), rules, kb.resistance, therapies)  # type: ignore[arg-type]
    return {p.patient: p for p in out}


def test_each_synthetic_series_gets_its_status(kb: OncologyKnowledge, tmp_path: Path) -> None:
    result = classify(kb, write_series(tmp_path / "s.tsv"))
    assert result["P-RESPONSE"].status == "molecular-response"
    assert result["P-UNCONFIRMED"].status == "response-not-confirmed"
    assert result["P-CLEARANCE"].status == "clearance"
    assert result["P-T790M"].status == "molecular-progression-resistance"


def test_response_needs_the_confirming_draw(kb: OncologyKnowledge, tmp_path: Path) -> None:
    p = classify(kb, write_series(tmp_path / "s.tsv", ["P-RESPONSE"]))["P-RESPONSE"]
    assert p.baseline == "2024-01-10"  # the last draw before osimertinib started (01-12)
    (event,) = p.events
    assert event.kind == "molecular-response" and event.date == "2024-03-06"
    assert "Goldberg" in event.citation
    assert p.draws[1].fold_from_baseline == pytest.approx((0.06 + 0.03) / (0.20 + 0.10))
    # without the third draw the 70 % fall is only pending confirmation
    path = tmp_path / "two.tsv"
    lines = write_series(tmp_path / "r.tsv", ["P-RESPONSE"]).read_text().splitlines()
    path.write_text("\n".join(lines[:5]) + "\n")
    assert classify(kb, path)["P-RESPONSE"].status == "response-pending-confirmation"


def test_threshold_is_configurable(kb: OncologyKnowledge, tmp_path: Path) -> None:
    path = write_series(tmp_path / "s.tsv", ["P-UNCONFIRMED"])
    # with a 20 % threshold both later draws (60 % and 25 % below baseline) count
    result = classify(kb, path, overrides={"min_fall_fraction": 0.2})
    assert result["P-UNCONFIRMED"].status == "molecular-response"


def test_below_lod_is_not_detected_and_not_zero(kb: OncologyKnowledge, tmp_path: Path) -> None:
    p = classify(kb, write_series(tmp_path / "s.tsv", ["P-CLEARANCE"]))["P-CLEARANCE"]
    last = p.draws[-1]
    assert last.detected == 0 and last.tested == 2
    state = next(s for s in last.states if s.variant == "EGFR L858R")
    assert state.detected is False and state.vaf is None and state.lod == 0.001
    assert last.mean_vaf == pytest.approx(0.001)  # both at their LoD: an upper bound, not 0
    assert [e.kind for e in p.events][-1] == "clearance"


def test_t790m_emergence_under_erlotinib_is_resistance(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    p = classify(kb, write_series(tmp_path / "s.tsv", ["P-T790M"]))["P-T790M"]
    kinds = [e.kind for e in p.events]
    assert kinds == ["molecular-response", "rise-from-nadir", "resistance-emergence"]
    emergence = p.events[-1]
    assert emergence.variant == "EGFR T790M" and emergence.date == "2024-06-03"
    assert any(s.startswith("EID238: erlotinib") for s in emergence.resistance_sources)


def test_t790m_under_osimertinib_is_a_new_variant_not_resistance(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    text = (
        write_series(tmp_path / "s.tsv", ["P-T790M"])
        .read_text()
        .replace("erlotinib", "osimertinib")
    )
    path = tmp_path / "o.tsv"
    path.write_text(text)
    p = classify(kb, path)["P-T790M"]
    assert "resistance-emergence" not in [e.kind for e in p.events]
    assert p.status == "molecular-progression"  # still a rise from nadir


def test_therapy_option_overrides_the_columns(kb: OncologyKnowledge, tmp_path: Path) -> None:
    path = write_series(tmp_path / "s.tsv", ["P-T790M"])
    p = classify(kb, path, therapies=[("gefitinib", "2024-01-05")])["P-T790M"]
    assert p.draws[-1].therapy == "gefitinib"
    assert any(s.startswith("EID") for s in p.events[-1].resistance_sources)  # T790M vs gefitinib


def test_bad_series_are_clear_errors(tmp_path: Path) -> None:
    good = write_series(tmp_path / "s.tsv", ["P-RESPONSE"]).read_text().splitlines()
    cases = {  # name: (line index, replacement, message)
        "vaf": (1, good[1].replace("\t0.2\t", "\t1.2\t"), r"line 2: vaf 1.2 is above 1"),
        "order": (3, good[3].replace("2024-02-07", "2023-12-01"), r"line 4: dates out of order"),
        "date": (1, good[1].replace("2024-01-10", "2024-13-10"), r"line 2: date '2024-13-10'"),
    }
    for name, (index, bad, message) in cases.items():
        assert bad != good[index]
        lines = list(good)
        lines[index] = bad
        path = tmp_path / f"{name}.tsv"
        path.write_text("\n".join(lines) + "\n")
        with pytest.raises(InputError, match=rf"{name}\.tsv, {message}"):
            read_series(path)
    missing = tmp_path / "cols.tsv"
    missing.write_text("patient\tdate\tgene\n")
    with pytest.raises(InputError, match=r"cols\.tsv, line 1: missing column"):
        read_series(missing)


def test_manifest_of_annotated_vcfs(kb: OncologyKnowledge, tmp_path: Path) -> None:
    from dataclasses import replace

    write_vep(tmp_path / "d1.vcf", [L858R, TP53_R273H])
    write_vep(tmp_path / "d2.vcf", [replace(L858R, alt_reads=10), replace(TP53_R273H, alt_reads=5)])
    write_vep(tmp_path / "d3.vcf", [replace(L858R, alt_reads=4), replace(T790M, alt_reads=30)])
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text(
        "patient\tdate\tvcf\tassay_lod\ttherapy\ttherapy_start\n"
        "M1\t2024-01-02\td1.vcf\t0.002\terlotinib\t2024-01-03\n"
        "M1\t2024-02-02\td2.vcf\t0.002\terlotinib\t2024-01-03\n"
        "M1\t2024-03-02\td3.vcf\t0.002\terlotinib\t2024-01-03\n"
    )
    p = classify(kb, manifest)["M1"]
    last = p.draws[-1]
    tp53 = next(s for s in last.states if s.variant == "TP53 R273H")
    assert tp53.detected is False  # absent from the draw's VCF: tested, not detected
    assert any(e.kind == "resistance-emergence" and e.variant == "EGFR T790M" for e in p.events)


def test_chart_is_well_formed_svg(kb: OncologyKnowledge, tmp_path: Path) -> None:
    p = classify(kb, write_series(tmp_path / "s.tsv", ["P-T790M"]))["P-T790M"]
    root = ET.fromstring(vaf_chart(p))
    assert root.tag.endswith("svg")
    texts = "".join(t.text or "" for t in root.iter() if t.tag.endswith("text"))
    assert "EGFR T790M" in texts and "erlotinib" in texts
    circles = [c for c in root.iter() if c.tag.endswith("circle")]
    assert sum(1 for c in circles if c.get("fill") == "white") >= 3  # T790M not detected x3


def test_header_only_series_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "h.tsv"
    path.write_text(HEADER + "\n")
    with pytest.raises(InputError, match="no observations"):
        read_series(path)
