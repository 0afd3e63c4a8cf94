"""The JSON report: schema validity, round trip, content and ordering."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import interpret_all
from tailormed.recommend.models import Interpretation
from tailormed.report import (
    REPORT_SCHEMA,
    build_report,
    load_report,
    report_json_schema,
    write_schema,
)
from tailormed.report.schema import Report
from tests.report.builders import GENERATED_AT

BUNDLED_SCHEMA = Path(__file__).parents[2] / "src/tailormed/report/report.schema.json"


def validator() -> jsonschema.Draft202012Validator:
    schema = report_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def test_report_json_validates_against_exported_schema(report: Report) -> None:
    document = json.loads(report.to_json())
    assert document["schema"] == REPORT_SCHEMA == "tailormed.report/3"
    validator().validate(document)


def test_schema_rejects_unknown_fields_and_wrong_status(report: Report) -> None:
    document = json.loads(report.to_json())
    document["drugs"][0]["status"] = "maybe"
    assert not validator().is_valid(document)
    document = json.loads(report.to_json())
    document["surprise"] = 1
    assert not validator().is_valid(document)


def test_json_round_trip(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(report.to_json(), encoding="utf-8")
    again = load_report(path)
    assert again == report
    assert again.to_json() == report.to_json()


def test_load_report_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "tailormed.report/1"}')  # the old major version is refused
    with pytest.raises(InputError, match=r"bad\.json: not a tailormed\.report/3 document"):
        load_report(bad)
    with pytest.raises(InputError, match="cannot read report"):
        load_report(tmp_path / "absent.json")


def test_bundled_schema_file_is_current(tmp_path: Path) -> None:
    """report.schema.json ships with the package; regenerate it with write_schema."""
    written = write_schema(tmp_path / "schema.json")
    assert json.loads(written.read_text()) == json.loads(BUNDLED_SCHEMA.read_text()), (
        "run: python -c 'from tailormed.report import write_schema; "
        'write_schema("src/tailormed/report/report.schema.json")\''
    )


def test_provenance_carries_kb_manifest(report: Report, kb: KnowledgeBase) -> None:
    p = report.provenance
    assert p.kb_version == kb.version
    assert p.kb_built_at == kb.manifest.built_at
    assert [s.name for s in p.kb_sources] == [s.name for s in kb.manifest.sources]
    assert all(s.version and s.date for s in p.kb_sources)
    assert report.generated_at == GENERATED_AT


def test_other_kb_version_gets_no_sources_and_says_so(interp: Interpretation) -> None:
    other = build_report(replace(interp, kb_version="1999-01-01+old"), generated_at=GENERATED_AT)
    assert other.provenance.kb_sources == []
    assert any("source list of knowledge base 1999-01-01+old" in t for t in other.limitations)


def test_drugs_actionable_first_medications_first_within_status(report: Report) -> None:
    assert [(d.drug, d.status) for d in report.drugs] == [
        ("citalopram", "actionable"),  # on the medication list
        ("clopidogrel", "actionable"),
        ("efavirenz", "actionable"),
        ("simvastatin", "no change"),
        ("warfarin", "no change"),
        ("codeine", "no result"),
        ("metformin", "no guideline"),
    ]
    assert report.summary.actionable_drugs == ["citalopram", "clopidogrel", "efavirenz"]


def test_recommendations_keep_source_strength_link_and_phenoconversion(report: Report) -> None:
    clopidogrel = report.drug("clopidogrel")
    assert clopidogrel is not None
    assert clopidogrel.sources == ["CPIC", "DPWG"]
    strong = clopidogrel.recommendations[0]
    assert (strong.source, strong.classification) == ("CPIC", "Strong")
    assert strong.guideline.url and strong.guideline.url.startswith("https://")
    assert strong.implications
    assert strong.phenoconversion_note is not None
    assert "fluoxetine" in strong.phenoconversion_note
    warfarin = report.drug("warfarin")
    assert warfarin is not None and warfarin.doses[0].missing_inputs == ["age", "height", "weight"]
    assert warfarin.doses[0].inputs == {"CYP2C9": "*1/*1", "VKORC1": "-1639 GG"}


def test_genes_carry_evidence_and_missing_data(report: Report) -> None:
    assert [g.gene for g in report.genes] == ["CYP2B6", "CYP2C19", "CYP2C9", "SLCO1B1", "VKORC1"]
    cyp2c19 = report.gene("CYP2C19")
    assert cyp2c19 is not None
    assert (cyp2c19.diplotype, cyp2c19.phenotype, cyp2c19.source) == (
        "*2/*2",
        "Poor Metabolizer",
        "VCF",
    )
    assert {v.rsid for v in cyp2c19.supporting_variants["*2"]} == {"rs4244285", "rs12769205"}
    assert cyp2c19.phenoconversion is not None and cyp2c19.phenoconversion.inhibitors == [
        "fluoxetine"
    ]
    cyp2c9 = report.gene("CYP2C9")
    assert cyp2c9 is not None and cyp2c9.activity_score == "2.0" and cyp2c9.lookup_keys == ["2.0"]
    slco = report.gene("SLCO1B1")
    assert slco is not None and slco.missing_positions == [21178615]
    assert report.summary.genes_with_missing_data == ["SLCO1B1"]
    assert {"CYP2D6", "HLA-B", "DPYD"} <= set(report.summary.genes_not_tested)


def test_limitations_upstream_first_no_duplicate_topics(report: Report) -> None:
    lims = report.limitations
    assert lims[0].startswith("CYP2D6, HLA-A, HLA-B and MT-RNR1 were not tested")
    # upstream names some genes not tested: the report names each other one, once
    about = [t for t in lims if "not tested" in t.lower()]
    for gene in report.summary.genes_not_tested:
        assert (
            sum(re.search(rf"(?<![\w-]){re.escape(gene)}(?![\w-])", t) is not None for t in about)
            == 1
        )
    assert any("structural variants" in t and "CYP2D6" in t for t in lims)
    assert any("SLCO1B1 (1)" in t for t in lims)
    assert any("not a diagnosis" in t for t in lims)
    assert any(report.provenance.kb_version in t for t in lims)


def test_sources_outside_research_and_no_call(kb: KnowledgeBase) -> None:
    calls = (
        GeneCall("S9", "CYP2D6", (Diplotype.of("*1", "*4"),), False, source="outside"),
        GeneCall("S9", "CYP2C19", (), False, warnings=("no call: 3 positions missing",)),
        GeneCall("S9", "CYP2C9", (Diplotype.of("*1", "*1"),), True, source="vcf-research"),
    )
    tpmt = GeneCall("S9", "TPMT", (Diplotype.of("*1", "*3A"),), False)
    phenotypes = tuple(interpret_all((*calls, tpmt), kb))  # TPMT known only by phenotype
    i = Interpretation("S9", kb.version, calls, phenotypes, ())
    r = build_report(i, kb)
    assert [g.source for g in r.genes] == ["outside", "VCF", "research", "VCF"]
    tpmt_result = r.gene("TPMT")
    assert tpmt_result is not None and tpmt_result.diplotype == "*1/*3A"
    assert tpmt_result.phenotype == "Intermediate Metabolizer" and tpmt_result.genotypes == []
    no_call = r.gene("CYP2C19")
    assert no_call is not None and no_call.diplotype is None
    assert no_call.phenotype == "No Result"
    assert r.summary.genes_without_result == ["CYP2C19"]
    # CYP2D6 from an outside lab: no structural-variant caveat is added
    assert not any("structural" in t for t in r.limitations)
    assert r.drugs == [] and r.summary.actionable_drugs == []
