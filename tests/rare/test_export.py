"""Phenopacket export (checked with the GA4GH schema's own bindings) and record bodies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.json_format import Parse
from phenopackets import GenomicInterpretation, Interpretation, Phenopacket, Sex
from pydantic import ValidationError
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.documents import BODY_MODELS, PhenotypeBody, RankingBody, TermEntry
from tailormed.rare.output import ranking_to_json
from tailormed.rare.phenopacket import to_phenopacket
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket
from tailormed.rare.run import rank_phenopackets
from tailormed.rare.sections import section

from .conftest import VEP_HEADER, write_vcf

CASE = "PMID_11050011_II_1.json"  # OMIM:301310, ABCB7 (NCBI Gene 22), hemizygous male


def _schema_valid(packet: dict[str, object]) -> Phenopacket:
    """Parse with the official protobuf bindings: unknown fields or bad enums fail."""
    return Parse(json.dumps(packet), Phenopacket())


def test_export_round_trips_and_is_schema_valid(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path, tmp_path: Path
) -> None:
    case = read_phenopacket(samples / CASE, rare_kb.ontology)
    ranking = ranker.rank(case, top=10)
    when = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    packet = to_phenopacket(case, ranking, top=3, created=when)
    pb = _schema_valid(packet)
    assert pb.subject.id == "II-1" and Sex.Name(pb.subject.sex) == "MALE"
    assert pb.meta_data.created.ToDatetime(tzinfo=UTC) == when
    assert {r.id: r.version for r in pb.meta_data.resources}["hp"] == "2025-01-16"
    first = pb.interpretations[0]
    assert Interpretation.ProgressStatus.Name(first.progress_status) == "IN_PROGRESS"
    assert first.diagnosis.disease.id == "OMIM:301310"
    gi = first.diagnosis.genomic_interpretations[0]
    status = GenomicInterpretation.InterpretationStatus.Name(gi.interpretation_status)
    assert status == "CANDIDATE"
    assert (gi.gene.value_id, gi.gene.symbol) == ("NCBIGene:22", "ABCB7")
    assert "rank 1 " in first.summary and "not a diagnosis" in first.summary
    ranks = {c.disease_id: c.rank for c in ranking.candidates}
    assert all(ranks[i.diagnosis.disease.id] <= 3 for i in pb.interpretations)
    # round trip: the reader gives back the same case
    path = tmp_path / "out.json"
    path.write_text(json.dumps(packet))
    again = read_phenopacket(path, rare_kb.ontology)
    assert [t.term_id for t in again.observed] == [t.term_id for t in case.observed]
    assert (again.case_id, again.subject_id, again.sex) == (case.case_id, "II-1", "MALE")


def test_variant_mode_export_has_variant_interpretations(
    rare_kb: RareKnowledge, samples: Path, tmp_path: Path
) -> None:
    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|NM_001271696.3:c.1297G>A||"
    vcf = write_vcf(
        tmp_path / "p.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    (ranking,) = rank_phenopackets([samples / CASE], vcf=vcf, kb=rare_kb, top=5)
    pb = _schema_valid(to_phenopacket(ranking.case, ranking, top=1))
    (interp,) = pb.interpretations
    vi = interp.diagnosis.genomic_interpretations[0].variant_interpretation
    vd = vi.variation_descriptor
    assert (vd.vcf_record.chrom, vd.vcf_record.pos, vd.vcf_record.ref, vd.vcf_record.alt) == (
        "chrX",
        75070433,
        "C",
        "T",
    )
    # GENO:0000134 hemizygous, as phenopacket-store records this case
    assert (vd.allelic_state.id, vd.allelic_state.label) == ("GENO:0000134", "hemizygous")
    assert vd.expressions[0].value == "NM_001271696.3:c.1297G>A"


def test_newer_ids_are_kept_and_onsets_exported(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    packet = {
        "id": "c2",
        "subject": {"id": "s2", "sex": "FEMALE"},
        "phenotypicFeatures": [
            {
                "type": {"id": "HP:0001250"},
                "onset": {"ontologyClass": {"id": "HP:0003593", "label": "Infantile onset"}},
            },
            {"type": {"id": "HP:0001263"}, "onset": {"age": {"iso8601duration": "P2Y"}}},
            {"type": {"id": "HP:0004715"}},  # alt id of HP:0000003
            {"type": {"id": "HP:9999999"}, "excluded": True},  # newer than the release
        ],
    }
    src = tmp_path / "c2.json"
    src.write_text(json.dumps(packet))
    case = read_phenopacket(src, rare_kb.ontology)
    out = to_phenopacket(case, None, kb=rare_kb)
    _schema_valid(out)
    feats = {f["type"]["id"]: f for f in out["phenotypicFeatures"]}
    assert feats["HP:0001250"]["onset"]["ontologyClass"]["id"] == "HP:0003593"
    assert feats["HP:0001263"]["onset"] == {"age": {"iso8601duration": "P2Y"}}
    assert "HP:0000003" in feats and "HP:0004715" not in feats  # mapped to the current id
    assert feats["HP:9999999"]["excluded"] is True  # kept as given: a later release knows it
    assert "interpretations" not in out


def test_cli_export_phenopacket(samples: Path, tmp_path: Path) -> None:
    out = tmp_path / "case.phenopacket.json"
    result = CliRunner().invoke(
        app, ["rare", "export-phenopacket", str(samples / CASE), "--out", str(out), "--top", "1"]
    )
    assert result.exit_code == 0, result.output
    pb = _schema_valid(json.loads(out.read_text()))
    assert [i.diagnosis.disease.id for i in pb.interpretations] == ["OMIM:301310"]


# ------------------------------------------------------------------ record bodies


def test_phenotype_body_ranks_like_the_phenopacket(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path
) -> None:
    case = read_phenopacket(samples / CASE, rare_kb.ontology)
    body = PhenotypeBody.from_case(case, hpo_release=rare_kb.hpo_release)
    assert body.sex == "MALE" and len(body.observed) == 16
    back = PhenotypeBody.model_validate_json(body.model_dump_json())
    again = back.to_case(rare_kb.ontology, case.case_id, case.subject_id)
    a, b = ranker.rank(case, top=5), ranker.rank(again, top=5)
    assert [(c.disease_id, c.gene, c.score) for c in a.candidates] == [
        (c.disease_id, c.gene, c.score) for c in b.candidates
    ]
    assert BODY_MODELS["rare.phenotype"] is PhenotypeBody


def test_phenotype_body_rejects_bad_entries() -> None:
    with pytest.raises(ValidationError, match="pattern"):
        PhenotypeBody(observed=[TermEntry(id="HP:123")])
    with pytest.raises(ValidationError, match="both as observed and as excluded"):
        PhenotypeBody(observed=[TermEntry(id="HP:0001250")], excluded=[TermEntry(id="HP:0001250")])
    with pytest.raises(ValidationError, match="given twice"):
        PhenotypeBody(observed=[TermEntry(id="HP:0001250"), TermEntry(id="HP:0001250")])
    with pytest.raises(ValidationError):
        PhenotypeBody.model_validate({"observed": [], "sex": "M"})
    with pytest.raises(ValidationError):
        PhenotypeBody.model_validate({"observed": [], "notes": "free text"})
    with pytest.raises(ValidationError):
        TermEntry(id="HP:0001250", onset="two years")


def test_ranking_body_round_trip(rare_kb: RareKnowledge, samples: Path, tmp_path: Path) -> None:
    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|c.1297G>A||"
    vcf = write_vcf(
        tmp_path / "p.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    (ranking,) = rank_phenopackets([samples / CASE], vcf=vcf, kb=rare_kb, top=5)
    body = RankingBody.of(ranking)
    stored = json.loads(json.dumps(body.to_json()))
    assert stored == json.loads(json.dumps(ranking_to_json(ranking)))
    rebuilt = RankingBody.model_validate(stored).to_ranking()
    assert section(rebuilt) == section(ranking)
    stored["schema"] = "tailormed.rare.ranking/0"
    with pytest.raises(ValidationError):
        RankingBody.model_validate(stored)


def test_rank_entry_notes_an_older_release(rare_kb: RareKnowledge) -> None:
    from tailormed.rare.run import rank_entry

    body = PhenotypeBody(
        observed=[TermEntry(id="HP:0001166"), TermEntry(id="HP:0001083")],
        sex="FEMALE",
        hpo_release="2024-04-26",
    )
    ranking = rank_entry(body, "patient-1", kb=rare_kb, top=5)
    assert ranking.case.case_id == "patient-1" and ranking.case.sex == "FEMALE"
    assert ranking.warnings[0] == (
        "the terms were picked in HPO release 2024-04-26 and ranked with release 2025-01-16"
    )
    same = rank_entry(body.model_copy(update={"hpo_release": "2025-01-16"}), "p", kb=rare_kb)
    assert not any("picked in" in w for w in same.warnings)


def test_bodies_survive_the_service_round_trip(
    rare_kb: RareKnowledge, ranker: Ranker, samples: Path
) -> None:
    """The service stores ``model_dump(mode="json", exclude_none=True)`` and validates it
    again on read: both bodies must come back equal."""
    case = read_phenopacket(samples / CASE, rare_kb.ontology)
    ranking = ranker.rank(case, top=5)
    for body in (RankingBody.of(ranking), PhenotypeBody.from_case(case)):
        stored = json.loads(json.dumps(body.model_dump(mode="json", exclude_none=True)))
        assert "schema_" not in stored
        assert type(body).model_validate(stored) == body


def test_section_provider_uses_the_stored_ranking_only_when_current(rare_kb: RareKnowledge) -> None:
    from dataclasses import dataclass

    from tailormed.rare.documents import sections_from_documents
    from tailormed.rare.run import rank_entry

    @dataclass
    class Inputs:
        subject: str

    body = PhenotypeBody(
        observed=[TermEntry(id="HP:0001166"), TermEntry(id="HP:9999999")],
        excluded=[TermEntry(id="HP:0002616")],
        sex="FEMALE",
    )
    ranking = rank_entry(body, "p1", kb=rare_kb, top=5)
    stored = RankingBody.of(ranking).to_json()
    docs = {"rare.phenotype": body.model_dump(mode="json"), "rare.ranking": stored}
    assert sections_from_documents({}, Inputs("p1")) == []
    (s,) = sections_from_documents(docs, Inputs("p1"))
    assert s.subject == "p1" and len(s.tables[0].rows) <= 6  # the stored top 5 (+ ties)
    # the entry changed after the ranking was stored: ranked again, from the entry
    changed = body.model_copy(update={"observed": [TermEntry(id="HP:0001083")]})
    docs["rare.phenotype"] = changed.model_dump(mode="json")
    (s2,) = sections_from_documents(docs, Inputs("p1"))
    assert [r[1] for r in s2.tables[1].rows if r[0] == "observed"] == ["HP:0001083"]
    # a stored ranking alone is shown as stored
    (s3,) = sections_from_documents({"rare.ranking": stored}, Inputs("p1"))
    assert s3 == s
