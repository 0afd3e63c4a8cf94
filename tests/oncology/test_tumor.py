"""Tumour profiles: golden cases from the bundled CIViC 2024-08-01 evidence and assertions.

Oracles are the CIViC items themselves (ids, levels, diseases as CIViC records them) and
the verified FDA approvals; the fixtures are synthetic patients (tests/oncology/fixtures.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.errors import InputError
from tailormed.knowledge.oncology_kb import OncologyKnowledge
from tailormed.oncology.models import TumorReport
from tailormed.oncology.read import read_fusions, read_somatic
from tailormed.oncology.tiering import variant_tier
from tailormed.oncology.tumor import profile_tumour
from tests.oncology.fixtures import (
    BRAF_V600E,
    EX19DEL,
    KRAS_G12C,
    L858R,
    SYNONYMOUS,
    T790M,
    TP53_R273H,
    VUS,
    V,
    write_maf,
    write_snpeff,
    write_vep,
)


@pytest.fixture(scope="module")
def kb() -> OncologyKnowledge:
    return OncologyKnowledge.load()


def profile(
    kb: OncologyKnowledge, tmp: Path, variants: list[V], code: str, **kw: object
) -> TumorReport:
    path = write_vep(tmp / "tumour.vcf", variants)
    return profile_tumour(read_somatic(path), code, kb, **kw)  # type: ignore[arg-type]


def variant(report: TumorReport, short: str):  # type: ignore[no-untyped-def]
    return next(v for v in report.variants if v.call.hgvs_p_short == short)


def therapy(report: TumorReport, drug: str, response: str):  # type: ignore[no-untyped-def]
    return next(t for t in report.therapies if t.drug == drug and t.response == response)


def test_egfr_l858r_nsclc_sensitivity_reaches_luad_through_the_hierarchy(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    report = profile(kb, tmp_path, [L858R], "LUAD")
    v = variant(report, "L858R")
    assert v.call.hgvs_p == "p.Leu858Arg"
    assert v.call.hgvs_c == "c.2573T>G"
    assert v.tier == "I"
    # CIViC EID2994: EGFR L858R, Lung Non-small Cell Carcinoma, erlotinib, level A, sensitivity
    eid = next(e for e in v.evidence if e.id == "EID2994")
    assert (eid.level, eid.significance, eid.disease) == (
        "A",
        "Sensitivity/Response",
        "Lung Non-small Cell Carcinoma",
    )
    assert eid.disease_match == "parent" and eid.matched_oncotree == "NSCLC"
    assert eid.variant_match == "exact" and eid.on_label
    # Lung Adenocarcinoma evidence matches LUAD exactly (EID879: afatinib, level B)
    assert next(e for e in v.evidence if e.id == "EID879").disease_match == "exact"
    erlotinib = therapy(report, "erlotinib", "sensitive")
    assert erlotinib.tier == "I" and erlotinib.best_level == "A" and erlotinib.on_label
    # the verified FDA companion-diagnostic rows for erlotinib (cobas EGFR v2)
    assert {"FDA-CDx-23", "FDA-CDx-27"} <= set(erlotinib.regulatory)
    assert report.knowledge_version.startswith("civic-2024-08-01+")


def test_egfr_t790m_is_resistant_to_erlotinib(kb: OncologyKnowledge, tmp_path: Path) -> None:
    report = profile(kb, tmp_path, [L858R, T790M], "NSCLC")
    resistant = therapy(report, "erlotinib", "resistant")
    assert "EID238" in resistant.evidence  # CIViC: T790M, NSCLC, erlotinib, level A, resistance
    assert resistant.best_level == "A" and resistant.tier == "I"
    assert resistant.variants == ("EGFR T790M",)
    assert resistant.conflicts  # erlotinib is also listed as sensitive (L858R)
    # gene-level "EGFR Mutation" sensitivity is not attributed to T790M itself
    t790m = variant(report, "T790M")
    assert all(e.variant_match != "gene" for e in t790m.evidence)
    # osimertinib is approved for T790M (cobas EGFR v2, SSED P120019/S007)
    osimertinib = therapy(report, "osimertinib", "sensitive")
    assert "FDA-CDx-18" in osimertinib.regulatory


def test_braf_v600e_melanoma(kb: OncologyKnowledge, tmp_path: Path) -> None:
    report = profile(kb, tmp_path, [BRAF_V600E], "SKCM")
    v = variant(report, "V600E")
    assert v.tier == "I"
    aid7 = next(e for e in v.evidence if e.id == "AID7")  # Tier I - Level A, melanoma
    assert aid7.amp_tier == "I" and aid7.disease == "Melanoma" and aid7.matched_oncotree == "MEL"
    vemurafenib = therapy(report, "vemurafenib", "sensitive")
    assert vemurafenib.tier == "I" and vemurafenib.on_label
    assert "FDA-CDx-15" in vemurafenib.regulatory  # cobas 4800 BRAF V600, 2011-08-17
    # the tissue-agnostic dabrafenib + trametinib approval applies outside colorectal cancer
    combo = therapy(report, "dabrafenib + trametinib", "sensitive")
    assert any(e.startswith("FDA-agnostic") for e in combo.regulatory)


def test_an_amp_tier_i_assertion_is_reproduced_from_its_evidence(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    """AID5 (EGFR L858R, NSCLC, erlotinib: Tier I - Level A) from CIViC evidence alone."""
    aid5 = next(a for a in kb.payload["civic"]["assertions"] if a["id"] == "AID5")
    assert (aid5["tier"], aid5["level"]) == ("I", "A")
    report = profile(kb, tmp_path, [L858R], "NSCLC")
    v = variant(report, "L858R")
    civic_only = [e for e in v.evidence if e.source == "CIViC"]
    tier, level, _ = variant_tier(civic_only)
    assert (tier, level) == ("I", "A")
    supporting = {e.id for e in civic_only if e.on_label and e.amp_level in ("A", "B")}
    assert supporting & set(aid5["evidence"])


def _projection(report: TumorReport) -> tuple[object, ...]:
    return (
        tuple(
            (
                v.call.gene,
                v.call.hgvs_p,
                v.call.hgvs_p_short,
                v.call.consequence,
                round(v.call.vaf or 0, 4),
                v.tier,
                tuple(e.id for e in v.evidence),
            )
            for v in report.variants
        ),
        tuple(
            (t.drug, t.response, t.tier, t.best_level, t.on_label, t.evidence)
            for t in report.therapies
        ),
    )


def test_vep_snpeff_and_maf_give_the_same_result(kb: OncologyKnowledge, tmp_path: Path) -> None:
    variants = [L858R, T790M, EX19DEL, TP53_R273H, SYNONYMOUS, VUS]
    results = []
    for writer, name in ((write_vep, "a.vcf"), (write_snpeff, "b.vcf"), (write_maf, "c.maf")):
        somatic = read_somatic(writer(tmp_path / name, variants))
        results.append(profile_tumour(somatic, "LUAD", kb))
    formats = [r.input_format for r in results]
    assert formats == ["vep", "snpeff", "maf"]
    assert _projection(results[0]) == _projection(results[1]) == _projection(results[2])
    ex19 = variant(results[0], "E746_A750del")
    assert ex19.tier == "I"
    assert any(e.variant_match == "exon" for e in ex19.evidence)  # "Exon 19 Deletion"
    assert variant(results[0], "T141A").tier == "III"  # a VUS
    assert dict(results[0].skipped)["not protein-altering"] == 1  # the synonymous call


def test_vep_canonical_transcript_is_chosen(kb: OncologyKnowledge, tmp_path: Path) -> None:
    somatic = read_somatic(write_vep(tmp_path / "a.vcf", [L858R]))
    assert somatic.calls[0].transcript == "ENST00000275493.7"  # CANONICAL=YES, not ENST99999999
    other = read_somatic(write_vep(tmp_path / "b.vcf", [L858R]), transcripts={"ENST99999999"})
    assert other.calls[0].hgvs_p_short == "M1V"


def test_filtered_calls_are_not_reported(kb: OncologyKnowledge, tmp_path: Path) -> None:
    low = V(**{**L858R.__dict__, "filter": "LowQual"})
    report = profile(kb, tmp_path, [low, TP53_R273H], "LUAD")
    assert [v.call.gene for v in report.variants] == ["TP53"]
    assert dict(report.skipped)["FILTER not PASS"] == 1


def test_fusion_and_tissue_agnostic_ntrk(kb: OncologyKnowledge, tmp_path: Path) -> None:
    fusions = tmp_path / "fusions.txt"
    fusions.write_text("# fusions\nEML4::ALK\nETV6\tNTRK3\n")
    report = profile(kb, tmp_path, [TP53_R273H], "LUAD", fusions=read_fusions(fusions))
    alk = next(v for v in report.variants if v.call.gene == "EML4::ALK")
    assert alk.tier == "I"
    assert any(e.id == "AID3" for e in alk.evidence)  # ALK fusion, NSCLC, crizotinib
    larotrectinib = therapy(report, "larotrectinib", "sensitive")
    assert larotrectinib.tier == "I"
    assert any(r.startswith("FDA-agnostic-larotrectinib") for r in larotrectinib.regulatory)


def test_bad_fusion_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("EML4::ALK\nnot a fusion line here\n")
    with pytest.raises(InputError, match=r"f\.txt, line 2: expected a fusion"):
        read_fusions(path)


def test_braf_v600e_colorectal_excludes_the_tissue_agnostic_approval(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    report = profile(kb, tmp_path, [BRAF_V600E, KRAS_G12C], "COAD")
    assert any("excludes Colorectal Adenocarcinoma" in note for note in report.limitations)
    assert not any(r.startswith("FDA-agnostic") for t in report.therapies for r in t.regulatory)
    encorafenib = therapy(report, "encorafenib", "sensitive")
    assert "FDA-CDx-78" in encorafenib.regulatory  # FoundationOne Liquid CDx, mCRC
    # sotorasib's KRAS G12C approval is for NSCLC: off-label here, AMP level C at best
    sotorasib = [t for t in report.therapies if t.drug == "sotorasib" and t.response == "sensitive"]
    assert all(not t.regulatory for t in sotorasib)


def test_tmb_computed_and_tmb_high_gives_pembrolizumab(
    kb: OncologyKnowledge, tmp_path: Path
) -> None:
    many = [
        V(
            f"GENE{i}",
            "1",
            1000 + i,
            "A",
            "G",
            "missense_variant",
            "c.1A>G",
            "p.Met1Val",
            "1/2",
            "ENST0",
        )
        for i in range(12)
    ]
    report = profile(kb, tmp_path, many, "LUAD", panel_size_mb=1.0)
    tmb = next(b for b in report.biomarkers if b.name == "TMB")
    assert tmb.numeric == 12.0 and tmb.status == "TMB-high"
    assert "12 variants" in tmb.source
    pembro = therapy(report, "pembrolizumab", "sensitive")
    assert pembro.tier == "I" and pembro.variants == ("TMB 12.0 mut/Mb",)
    low = profile(kb, tmp_path, many[:3], "LUAD", tmb=4.0)
    assert not [t for t in low.therapies if t.drug == "pembrolizumab"]
    msi = profile(kb, tmp_path, many[:1], "UCEC", msi="msi-h")
    assert therapy(msi, "pembrolizumab", "sensitive").variants == ("MSI-H",)


def test_bad_tumour_inputs_are_clear_errors(kb: OncologyKnowledge, tmp_path: Path) -> None:
    bare = write_vep(tmp_path / "bare.vcf", [L858R], annotate=False)
    with pytest.raises(InputError, match=r"bare\.vcf, line 13: the VCF is not annotated"):
        read_somatic(bare)
    good = read_somatic(write_vep(tmp_path / "ok.vcf", [L858R]))
    with pytest.raises(InputError, match="unknown tumour type 'LUNGCA'"):
        profile_tumour(good, "LUNGCA", kb)
    with pytest.raises(InputError, match="tumour sample 'X' is not in the VCF"):
        read_somatic(tmp_path / "ok.vcf", tumor_sample="X")
    with pytest.raises(InputError, match="--msi 'sort of'"):
        profile_tumour(good, "LUAD", kb, msi="sort of")
    maf = write_maf(tmp_path / "bad.maf", [L858R])
    text = maf.read_text().replace("\t200\t140\t60\t", "\t50\t140\t60\t")
    maf.write_text(text)
    with pytest.raises(InputError, match=r"bad\.maf, line 3: t_alt_count 60 exceeds t_depth 50"):
        read_somatic(maf)


def test_tumour_sample_is_chosen_from_a_paired_vcf(tmp_path: Path) -> None:
    path = write_vep(tmp_path / "pair.vcf", [L858R])  # samples TUMOR and NORMAL
    text = path.read_text().replace("\tTUMOR\tNORMAL", "\tS1\tS2")
    path.write_text(text)
    with pytest.raises(InputError, match="name the tumour with --tumor-sample"):
        read_somatic(path)
    chosen = read_somatic(path, normal_sample="S2")
    assert chosen.sample == "S1" and chosen.calls[0].vaf == pytest.approx(60 / 200)
    assert read_somatic(path, tumor_sample="S2").calls[0].vaf == 0.0


def test_multiallelic_records_must_be_split(tmp_path: Path) -> None:
    path = write_vep(tmp_path / "multi.vcf", [L858R])
    lines = path.read_text().splitlines()
    cells = lines[-1].split("\t")
    cells[4] = "G,C"
    cells[9] = "0/1:140,60,0:200"
    cells[10] = "0/0:150,0,0:150"
    lines[-1] = "\t".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"multi\.vcf, line 14: 2 ALT alleles"):
        read_somatic(path)
