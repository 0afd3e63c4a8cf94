"""Germline PGx beside the tumour's therapies, and marker-restricted eligibility checks.

The germline answer must come from germline data only (the PGx stages on a germline VCF
or outside calls), never from the tumour VCF.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.pgx import germline_pgx
from tailormed.oncology.read import read_somatic
from tailormed.oncology.tumor import profile_tumour
from tailormed.pipeline import example_path
from tests.oncology.fixtures import BRAF_V600E, TP53_R273H, write_vep


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


def test_irinotecan_regimen_carries_the_germline_ugt1a1_result(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    germline = germline_pgx(example_path("example-patient.vcf"), None)
    assert germline is not None
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [BRAF_V600E]))
    report = profile_tumour(somatic, "COAD", kb, germline=germline)
    # CIViC EID1902: BRAF V600E, colorectal cancer, cetuximab + irinotecan + vemurafenib (B)
    regimen = next(t for t in report.therapies if t.drug == "cetuximab + irinotecan + vemurafenib")
    (pgx,) = regimen.pgx
    assert pgx.drug == "irinotecan" and pgx.genes == ("UGT1A1",)
    # the same answer the PGx stages give for this germline sample
    drug = next(d for d in germline.interpretation.drugs if d.drug == "irinotecan")
    assert pgx.status == drug.status
    ugt = next(p for p in germline.interpretation.phenotypes if p.gene == "UGT1A1")
    assert dict(pgx.phenotypes)["UGT1A1"] == f"{ugt.diplotype}: {ugt.phenotype}"
    capecitabine = next(
        t for t in report.therapies if t.drug == "bevacizumab + capecitabine + vemurafenib"
    )
    (dpyd,) = capecitabine.pgx
    assert dpyd.genes == ("DPYD",) and dpyd.dose and "%" in dpyd.dose  # computed dose
    assert report.pgx_version == germline.kb_version


def test_without_germline_data_pgx_is_not_tested(kb: OncologyKnowledge, tmp_path: Path) -> None:
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [BRAF_V600E]))
    report = profile_tumour(somatic, "COAD", kb)
    statuses = {p.status for t in report.therapies for p in t.pgx}
    assert statuses == {"not tested"}  # never guessed from the tumour VCF
    assert report.pgx_version is None


def _outside(tmp_path: Path, hla: str) -> Path:
    path = tmp_path / "outside.tsv"
    path.write_text(f"# gene\tdiplotype\tphenotype\tactivity score\nHLA-A\t{hla}\n")
    return path


def test_tebentafusp_is_an_eligibility_check_for_uveal_melanoma(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [TP53_R273H]))
    positive = germline_pgx(None, _outside(tmp_path, "*02:01/*03:01"))
    report = profile_tumour(somatic, "UM", kb, germline=positive)
    (check,) = report.eligibility
    assert check.drug == "tebentafusp" and check.requirement == "HLA-A A*02:01"
    assert check.result.startswith("HLA requirement met")
    assert not [t for t in report.therapies if t.drug == "tebentafusp"]  # never a recommendation
    negative = germline_pgx(None, _outside(tmp_path, "*03:01/*24:02"))
    assert (
        profile_tumour(somatic, "UM", kb, germline=negative)
        .eligibility[0]
        .result.startswith("HLA requirement not met")
    )
    untyped = profile_tumour(somatic, "UM", kb).eligibility[0]
    assert untyped.result.startswith("HLA-A not typed")
    assert not profile_tumour(somatic, "SKCM", kb, germline=positive).eligibility


def test_afamitresgene_needs_an_hla_a02_p_group_and_mage_a4(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [TP53_R273H]))
    germline = germline_pgx(None, _outside(tmp_path, "*02:06/*11:01"))
    (check,) = profile_tumour(somatic, "SYNS", kb, germline=germline).eligibility
    assert check.drug == "afamitresgene autoleucel"
    assert check.requirement == "HLA-A A*02:01 or A*02:02 or A*02:03 or A*02:06"
    assert check.result.startswith("HLA requirement met")
    assert "MAGE-A4" in check.other_requirements
    other = germline_pgx(None, _outside(tmp_path, "*02:05/*11:01"))
    (miss,) = profile_tumour(somatic, "SYNS", kb, germline=other).eligibility
    assert miss.result.startswith("HLA requirement not met")


def test_sacituzumab_label_warning_for_ugt1a1_28_homozygotes(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    from tailormed.oncology.pgx import pgx_for

    links = kb.payload["pgx_links"]
    path = tmp_path / "ugt.tsv"
    path.write_text("UGT1A1\t*28/*28\n")
    homozygous = germline_pgx(None, path)
    (result,) = pgx_for("sacituzumab govitecan", links, homozygous)
    assert result.status == "label warning" and "UGT1A1 *28/*28" in result.note
    (irinotecan,) = pgx_for("irinotecan", links, homozygous)
    assert irinotecan.status == "actionable"  # DPWG/CPIC irinotecan advice for poor metabolisers
    path.write_text("UGT1A1\t*1/*28\n")
    (other,) = pgx_for("sacituzumab govitecan", links, germline_pgx(None, path))
    assert other.status == "no guideline"


def test_a_stored_profile_takes_the_records_germline_results(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    """A tumour profile made without germline data, read later beside the germline
    interpretation the record holds, shows the same PGx as one made with it."""
    from tailormed.oncology.pgx import germline_of, with_germline

    germline = germline_pgx(example_path("example-patient.vcf"), None)
    assert germline is not None
    somatic = read_somatic(write_vep(tmp_path / "t.vcf", [BRAF_V600E]))
    fresh = profile_tumour(somatic, "COAD", kb, germline=germline)
    bare = profile_tumour(somatic, "COAD", kb)
    stored = with_germline(bare, germline_of(germline.interpretation, "record"), kb)
    assert stored.therapies == fresh.therapies
    assert stored.pgx_version == germline.kb_version
    assert {p.status for t in bare.therapies for p in t.pgx} == {"not tested"}
