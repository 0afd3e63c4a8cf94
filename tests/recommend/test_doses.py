"""Fluoropyrimidine and thiopurine doses: the tables against the guideline texts in the KB."""

from __future__ import annotations

import pytest

from tailormed.knowledge import KnowledgeBase, load_kb

from .builders import call, interpret

_TABLES = load_kb().dose_tables
FLUOROPYRIMIDINE = _TABLES.fluoropyrimidine
TEGAFUR = _TABLES.tegafur
THIOPURINE = _TABLES.thiopurine


def _text(kb: KnowledgeBase, drug: str, source: str, lookup: dict[str, str]) -> str:
    recs = kb.recommendations(drug=drug, source=source, lookup=lookup)
    assert recs, (drug, lookup)
    return " ".join(r.text for r in recs).lower()


@pytest.mark.parametrize("score", sorted(FLUOROPYRIMIDINE))
def test_fluoropyrimidine_rows_quote_the_cpic_text(kb: KnowledgeBase, score: str) -> None:
    for drug in ("fluorouracil", "capecitabine"):
        text = _text(kb, drug, "CPIC", {"DPYD": score})
        assert FLUOROPYRIMIDINE[score].quote.lower() in text, (drug, score)


@pytest.mark.parametrize("score", sorted(TEGAFUR))
def test_tegafur_rows_quote_the_dpwg_text(kb: KnowledgeBase, score: str) -> None:
    texts = [
        r.text.lower()
        for r in kb.recommendations(drug="tegafur", source="DPWG")
        if str(r.lookup_key["DPYD"]).startswith(score)
    ]
    assert texts and all(TEGAFUR[score].quote.lower() in t for t in texts), score


def test_thiopurine_rows_quote_the_cpic_text(kb: KnowledgeBase) -> None:
    """Every TPMT × NUDT15 phenotype pair: the row the rule picks quotes CPIC's text."""
    phenotypes = [
        "Normal Metabolizer",
        "Intermediate Metabolizer",
        "Possible Intermediate Metabolizer",
        "Poor Metabolizer",
    ]
    checked = 0
    for drug in ("azathioprine", "mercaptopurine", "thioguanine"):
        for t in phenotypes:
            for n in phenotypes:
                if t == "Poor Metabolizer":
                    key = (drug, "poor", "*")
                elif n == "Poor Metabolizer":
                    key = (drug, "*", "poor")
                elif t == n == "Normal Metabolizer":
                    key = (drug, "normal", "normal")
                else:
                    key = (drug, "decreased", "decreased")
                lookup = {"TPMT": t, "NUDT15": n}
                assert THIOPURINE[key].quote.lower() in _text(kb, drug, "CPIC", lookup), lookup
                checked += 1
    assert checked == 48


def test_dpyd_scores(kb: KnowledgeBase) -> None:
    cases = {
        ("Reference", "Reference"): (100.0, False),
        ("Reference", "c.2846A>T"): (50.0, False),  # activity 1.5
        ("c.1905+1G>A (*2A)", "c.1905+1G>A (*2A)"): (None, True),  # activity 0
    }
    for (a, b), (value, avoid) in cases.items():
        interp = interpret(kb, call("DPYD", a, b))
        report = interp.drug("capecitabine")
        assert report is not None
        (dose,) = report.doses
        assert (dose.value, dose.avoid) == (value, avoid), (a, b)
        assert "Amstutz" in dose.source


def test_dpyd_missing_gives_no_value(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("TPMT", "*1", "*1"))
    report = interp.drug("fluorouracil")
    assert report is not None
    (dose,) = report.doses
    assert dose.value is None and dose.missing_inputs == ("DPYD activity score",)
    assert "DPYD was not tested" in dose.text


def test_thiopurines_tpmt_intermediate_nudt15_normal(kb: KnowledgeBase) -> None:
    """CPIC 2018: TPMT IM, NUDT15 NM → start at 30–80 % (azathioprine, mercaptopurine),
    50–80 % (thioguanine) of the normal starting dose."""
    interp = interpret(kb, call("TPMT", "*1", "*3A"), call("NUDT15", "*1", "*1"))
    expected = {"azathioprine": (30.0, 80.0), "mercaptopurine": (30.0, 80.0)}
    expected["thioguanine"] = (50.0, 80.0)
    for drug, rng in expected.items():
        report = interp.drug(drug)
        assert report is not None and report.status == "actionable"
        (dose,) = report.doses
        assert dose.value_range == rng and dose.value == rng[1], drug
        cpic = [r for r in report.recommendations if r.source == "CPIC"]
        assert cpic[0].lookup_key == {
            "NUDT15": "Normal Metabolizer",
            "TPMT": "Intermediate Metabolizer",
        }
        assert f"{rng[0]:.0f}%" in cpic[0].text


def test_thiopurines_combined_and_poor(kb: KnowledgeBase) -> None:
    both = interpret(kb, call("TPMT", "*1", "*3A"), call("NUDT15", "*1", "*3"))
    (dose,) = both.drug("mercaptopurine").doses  # type: ignore[union-attr]
    assert dose.value_range == (30.0, 80.0)
    assert any("both not normal" in n for n in dose.notes)
    tpmt_pm = interpret(kb, call("TPMT", "*3A", "*3A"), call("NUDT15", "*1", "*1"))
    (dose,) = tpmt_pm.drug("azathioprine").doses  # type: ignore[union-attr]
    assert dose.value == 10.0 and "thrice weekly" in dose.text
    assert any("alternative non-thiopurine" in n for n in dose.notes)
    nudt15_pm = interpret(kb, call("TPMT", "*1", "*1"), call("NUDT15", "*3", "*3"))
    (dose,) = nudt15_pm.drug("thioguanine").doses  # type: ignore[union-attr]
    assert dose.value == 25.0


def test_thiopurine_untested_gene(kb: KnowledgeBase) -> None:
    interp = interpret(kb, call("TPMT", "*1", "*1"))
    (dose,) = interp.drug("azathioprine").doses  # type: ignore[union-attr]
    assert dose.value is None and dose.missing_inputs == ("NUDT15 phenotype",)
