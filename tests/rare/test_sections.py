"""The differential-diagnosis report section, phenotype-only and with variants."""

from __future__ import annotations

import json
from pathlib import Path

from tailormed.findings import section_from_json, section_to_json
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.rank import Ranker
from tailormed.rare.read import read_phenopacket
from tailormed.rare.run import rank_phenopackets
from tailormed.rare.sections import DIFFERENTIAL_COLUMNS, section

from .conftest import VEP_HEADER, write_vcf

# PMID_11050011_II_1: published diagnosis OMIM:301310 (ABCB7), hemizygous
# chrX:75070433 C>T (NM_001271696.3:c.1297G>A) in a male
CASE = "PMID_11050011_II_1.json"


def test_phenotype_only_section(rare_kb: RareKnowledge, ranker: Ranker, samples: Path) -> None:
    case = read_phenopacket(samples / CASE, rare_kb.ontology)
    ranking = ranker.rank(case, top=20)
    s = section(ranking, top=5, subject="patient-7")
    assert (s.domain, s.title, s.subject) == ("rare", "Differential diagnosis", "patient-7")
    assert s.findings and all(f.subject == "patient-7" for f in s.findings)
    assert dict(s.knowledge) == {"rare": rare_kb.version, "hpo": "2025-01-16"}
    dd, terms = s.tables
    assert dd.columns == DIFFERENTIAL_COLUMNS and dd.audience == "clinician"
    first = dict(zip(dd.columns, dd.rows[0], strict=True))
    assert first["Rank"] == 1 and first["Gene"] == "ABCB7"
    assert first["Disease"] == "Anemia, sideroblastic, and spinocerebellar ataxia (OMIM:301310)"
    assert first["Score"] == round(ranking.candidates[0].score, 2)
    # the explained terms carry their labels and the count out of all observed terms
    explained = str(first["Observed terms explained"])
    assert explained.startswith(f"{len(ranking.candidates[0].matched_terms)} of 16: ")
    assert "Sideroblastic anemia (HP:0001924" in explained
    assert first["Variants"] == "not tested (phenotype only)"
    assert all(isinstance(r[0], int | float) and r[0] <= 5 for r in dd.rows)
    assert [r[0] for r in terms.rows] == ["observed"] * 16
    assert any("HPO release 2025-01-16" in x for x in s.limitations)
    assert any(x.startswith("Phenotype only") for x in s.limitations)
    assert section_from_json(json.loads(json.dumps(section_to_json(s)))) == s


def test_excluded_and_ignored_terms_are_shown(rare_kb: RareKnowledge, tmp_path: Path) -> None:
    packet = {
        "id": "c1",
        "subject": {"id": "s1", "sex": "FEMALE"},
        "phenotypicFeatures": [
            {"type": {"id": "HP:0001166"}},  # Arachnodactyly
            {"type": {"id": "HP:0001083"}},  # Ectopia lentis
            {"type": {"id": "HP:0002616"}, "excluded": True},  # Aortic root aneurysm
            {"type": {"id": "HP:9999999"}},  # newer than the release
        ],
    }
    path = tmp_path / "c1.json"
    path.write_text(json.dumps(packet))
    (ranking,) = rank_phenopackets([path], kb=rare_kb, top=10)
    s = section(ranking)
    statuses = {(r[0], r[1]) for r in s.tables[1].rows}
    assert ("excluded", "HP:0002616") in statuses and ("ignored", "HP:9999999") in statuses
    assert any("HP:9999999" in x and "newer" in x for x in s.limitations)
    # phenotype.hpoa: Loeys-Dietz syndrome 4 (OMIM:614816) has aortic root aneurysm in 23/25
    against = {str(r[1]): str(r[5]) for r in s.tables[0].rows}
    lds4 = against["Loeys-Dietz syndrome 4 (OMIM:614816)"]
    assert lds4 == "Aortic root aneurysm (HP:0002616) excluded, frequency in the disease 23/25"
    # Marfan syndrome has it in 45/58, below the model's 0.8 threshold for absent features
    assert against["Marfan syndrome (OMIM:154700)"] == ""


def test_variant_mode_lists_the_variants(
    rare_kb: RareKnowledge, samples: Path, tmp_path: Path
) -> None:
    csq = "CSQ=T|missense_variant|MODERATE|ABCB7|ENSG1|c.1297G>A||"
    vcf = write_vcf(
        tmp_path / "p.vcf", [("chrX", 75070433, "C", "T", csq, "1")], info_header=VEP_HEADER
    )
    (ranking,) = rank_phenopackets([samples / CASE], vcf=vcf, kb=rare_kb, top=5)
    s = section(ranking)
    first = dict(zip(s.tables[0].columns, s.tables[0].rows[0], strict=True))
    assert first["Gene"] == "ABCB7"
    assert "chrX:75070433:C:T missense_variant hemizygous c.1297G>A" in str(first["Variants"])
    assert "(fits X-linked recessive" in str(first["Variants"])
    assert any(x.startswith("Variant mode: variants from") for x in s.limitations)


def test_sections_for_phenopackets(rare_kb: RareKnowledge, samples: Path) -> None:
    from tailormed.rare.run import sections_for

    (s,) = sections_for([samples / CASE], subject="Sample_2", kb=rare_kb)
    assert s.subject == "Sample_2" and s.tables[0].rows[0][2] == "ABCB7"
