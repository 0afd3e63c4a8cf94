"""Every path that reads a medication goes through the one resolver.

Report (``report.json`` entries and "on medication list"), ``tailormed review``,
phenoconversion, dose calculators, the record's review endpoint and CDS Hooks orders
must read a line the same way. The proof: a knowledge base whose name index holds two
invented brand names, and every path recognising them.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import typer
from typer.testing import CliRunner

from tailormed.calling.models import SCHEMA as CALLS_SCHEMA
from tailormed.calling.models import Diplotype, GeneCall
from tailormed.cli.review import review_cmd
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.store import bundled_path, read_bundle
from tailormed.medications import record_line
from tailormed.recommend import PatientFactors, build_interpretation, review_medications
from tailormed.report import build_report, render_html
from tailormed.report.schema import REPORT_SCHEMA
from tailormed.service.cds import DraftOrder, drugs_of

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "src/tailormed/report/report.schema.json"


def _call(gene: str, a: str, b: str) -> GeneCall:
    return GeneCall("P1", gene, (Diplotype.of(a, b),), False)


def _cyp2d6_normal() -> GeneCall:
    return GeneCall("P1", "CYP2D6", (Diplotype.of("*1", "*1"),), False, source="outside")


@pytest.fixture(scope="module")
def fake_kb() -> KnowledgeBase:
    """The bundled KB plus two invented brands: Zyxgrel (clopidogrel), Zyxparox (paroxetine)."""
    raw = read_bundle(bundled_path())
    names = raw["drug_names"]["names"]
    names["zyxgrel"] = {"i": ["clopidogrel"], "k": "curated", "s": "test"}
    names["zyxparox"] = {"i": ["paroxetine"], "k": "curated", "s": "test"}
    names["zyxdarone"] = {"i": ["amiodarone"], "k": "curated", "s": "test"}
    return KnowledgeBase(raw, "test bundle")


# ------------------------------------------------------------------------- report
def test_report_json_lists_every_line_with_its_resolution(
    kb: KnowledgeBase,
) -> None:
    meds = ["clopidogrel 75 mg daily", "Zocor 40 mg", "Tylenol #3", "clopidogrl 75 mg"]
    interp = build_interpretation(
        [_call("CYP2C19", "*2", "*2"), _cyp2d6_normal()], kb, medications=meds
    )
    doc = json.loads(build_report(interp, kb).to_json())
    jsonschema.validate(doc, json.loads(SCHEMA_FILE.read_text()))
    assert doc["schema"] == REPORT_SCHEMA == "tailormed.report/3"
    entries = {e["line"]: e for e in doc["medications"]}
    assert list(entries) == meds
    assert entries["clopidogrel 75 mg daily"]["ingredients"] == ["clopidogrel"]
    assert entries["clopidogrel 75 mg daily"]["rxnorm"] == ["32968"]
    assert entries["Zocor 40 mg"]["ingredients"] == ["simvastatin"]
    assert set(entries["Tylenol #3"]["ingredients"]) == {"acetaminophen", "codeine"}
    typo = entries["clopidogrl 75 mg"]
    assert (typo["status"], typo["ingredients"], typo["suggestions"][0]) == (
        "not recognised",
        [],
        "clopidogrel",
    )
    assert all(e["status"] == "recognised" for line, e in entries.items() if line != typo["line"])
    # Dose text, brand and combination all put the drug on the list (before: only "warfarin").
    on_list = {d["drug"] for d in doc["drugs"] if d["on_medication_list"]}
    assert {"clopidogrel", "simvastatin", "codeine"} <= on_list
    assert any("clopidogrl 75 mg" in x and "not recognised" in x for x in doc["limitations"])


def test_report_html_shows_unrecognised_lines_to_the_clinician(kb: KnowledgeBase) -> None:
    interp = build_interpretation(
        [_call("CYP2C19", "*1", "*1")], kb, medications=["clopidogrl 75 mg", "Plavix"]
    )
    html = render_html(build_report(interp, kb))
    box = html.split('id="unrecognised-medications"', 1)[1].split("</div>", 1)[0]
    assert "clopidogrl 75 mg" in box and "did you mean clopidogrel" in box
    assert "Plavix" not in box


# ------------------------------------------------------------------------- review
def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(review_cmd)
    return app


def test_review_names_unrecognised_lines(tmp_path: Path) -> None:
    call = _call("CYP2C19", "*2", "*2")
    doc = {"schema": CALLS_SCHEMA, "sample": "P1", "genes": {"CYP2C19": call.to_json()}}
    (tmp_path / "P1.json").write_text(json.dumps(doc))
    meds = tmp_path / "meds.txt"
    meds.write_text("# list\nPlavix 75 mg\nclopidogrl 75 mg\n", encoding="utf-8")
    args = ["--calls", str(tmp_path / "P1.json"), "--meds", str(meds)]
    out = CliRunner().invoke(_app(), args, env={"COLUMNS": "300"})
    assert out.exit_code == 0, out.output
    assert "1 medication line(s) not recognised: clopidogrl 75 mg" in out.output
    assert "did you mean clopidogrel?" in out.output
    out = CliRunner().invoke(_app(), [*args, "--json"])
    reviews = json.loads(out.output)["samples"][0]["reviews"]
    assert [(r["drug"], r["status"]) for r in reviews] == [
        ("clopidogrel", "actionable"),
        (None, "not recognised"),
    ]
    assert reviews[1]["suggestions"][0] == "clopidogrel"
    assert "no guideline" not in reviews[1]["note"].lower()


def test_review_of_a_combination_reviews_each_ingredient(kb: KnowledgeBase) -> None:
    interp = build_interpretation([_cyp2d6_normal()], kb, medications=["Tylenol #3"])
    reviews = review_medications(interp, ["Tylenol #3"], kb)
    assert {r.drug for r in reviews} == {"acetaminophen", "codeine"}
    assert all(r.medication == "Tylenol #3" for r in reviews)


# ---------------------------------------------------------------- phenoconversion
def test_paxil_with_dose_text_phenoconverts_cyp2d6(kb: KnowledgeBase) -> None:
    interp = build_interpretation([_cyp2d6_normal()], kb, medications=["Paxil 20 mg daily"])
    cyp2d6 = interp.phenotype("CYP2D6")
    assert cyp2d6 is not None and cyp2d6.phenotype == "Poor Metabolizer"
    assert cyp2d6.phenoconversion is not None
    assert cyp2d6.phenoconversion.caused_by == ("paroxetine",)
    codeine = interp.drug("codeine")
    assert codeine is not None and codeine.status == "actionable"
    assert all(r.phenoconverted for r in codeine.recommendations)
    assert any("inhibitor list compiled" in x and "draft" in x for x in interp.limitations)


# ------------------------------------------------------------------ the one path
def _order(text: str, code: str | None = None) -> DraftOrder:
    return DraftOrder(resource_id="MedicationRequest/1", codes=[code] if code else [], text=text)


def test_every_path_reads_the_knowledge_base_names(fake_kb: KnowledgeBase) -> None:
    kb = fake_kb
    meds = ["Zyxgrel 75 mg", "Zyxparox 20 mg", "Zyxdarone 200 mg"]
    interp = build_interpretation(
        [_call("CYP2C19", "*2", "*2"), _cyp2d6_normal(), _call("CYP2C9", "*1", "*1")],
        kb,
        medications=meds,
        factors=PatientFactors(age_years=60, height_cm=170, weight_kg=70, race="White"),
    )
    # report
    report = build_report(interp, kb)
    assert [m.ingredients for m in report.medications] == [
        ["clopidogrel"],
        ["paroxetine"],
        ["amiodarone"],
    ]
    clop = report.drug("clopidogrel")
    assert clop is not None and clop.on_medication_list
    # review
    reviews = review_medications(interp, meds, kb)
    assert [r.drug for r in reviews] == ["clopidogrel", "paroxetine", "amiodarone"]
    # phenoconversion
    cyp2d6 = interp.phenotype("CYP2D6")
    assert cyp2d6 is not None and cyp2d6.phenotype == "Poor Metabolizer"
    # dose calculators (amiodarone is an IWPC term)
    warfarin = interp.drug("warfarin")
    assert warfarin is not None and warfarin.doses[0].inputs["amiodarone"] == "yes"
    # CDS Hooks order text and the record's review endpoint
    assert drugs_of(_order("Zyxgrel 75 MG Oral Tablet"), kb) == ["clopidogrel"]
    assert record_line("Zyxgrel", "32968", kb) == "Zyxgrel"
    assert record_line("Unknownium", "32968", kb) == "RxNorm:32968"


def test_cds_reads_orders_like_the_report(kb: KnowledgeBase) -> None:
    assert drugs_of(_order("Plavix 75 MG Oral Tablet"), kb) == ["clopidogrel"]
    assert drugs_of(_order("Tylenol #3"), kb) == ["codeine"]
    assert drugs_of(_order("12 HR Hydrocodone Bitartrate 10 MG Extended Release"), kb) == [
        "hydrocodone"
    ]
    # A guideline drug that is itself a combination is named by a brand holding both.
    assert drugs_of(_order("Bactrim DS"), kb) == ["sulfamethoxazole / trimethoprim"]
    assert drugs_of(_order("", "32968"), kb) == ["clopidogrel"]
    assert drugs_of(_order("clopidogrl"), kb) == []


def test_combination_guideline_drug_is_on_the_list_and_reviewed(kb: KnowledgeBase) -> None:
    interp = build_interpretation([_call("CYP2C19", "*1", "*1")], kb, medications=["Bactrim DS"])
    report = build_report(interp, kb)
    smx = report.drug("sulfamethoxazole / trimethoprim")
    assert smx is not None and smx.on_medication_list
    (review,) = review_medications(interp, ["Bactrim DS"], kb)
    assert review.drug == "sulfamethoxazole / trimethoprim"
