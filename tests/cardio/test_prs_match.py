"""Allele matching, case by case (pgsc_calc's rules): direct, flipped, palindromic, multiallelic."""

from __future__ import annotations

from tailormed.cardio.prs.match import Record, match_variant

SNV = (Record("A", ("G",)),)


def test_effect_allele_is_alt_or_ref() -> None:
    alt = match_variant("G", ("A",), SNV)
    ref = match_variant("A", ("G",), SNV)
    assert (alt.status, alt.records, alt.allele, alt.flipped) == ("matched", (0,), 1, False)
    assert (ref.status, ref.allele) == ("matched", 0)


def test_strand_flip() -> None:
    m = match_variant("C", ("T",), SNV)  # reverse strand of G/A
    assert m.status == "matched" and m.flipped and m.allele == 1
    m = match_variant("T", ("C",), SNV)  # reverse strand of A/G
    assert m.flipped and m.allele == 0


def test_palindromic_is_ambiguous_unless_kept() -> None:
    at = (Record("A", ("T",)),)
    assert match_variant("A", ("T",), at).status == "ambiguous"
    assert match_variant("T", ("A",), at).status == "ambiguous"
    kept = match_variant("A", ("T",), at, keep_ambiguous=True)
    assert kept.status == "matched" and kept.palindromic and not kept.flipped and kept.allele == 0
    # without an other allele, a complementary record pair is still ambiguous
    assert match_variant("C", (), (Record("C", ("G",)),)).status == "ambiguous"


def test_other_allele_must_fit() -> None:
    assert match_variant("G", ("T",), SNV).status == "allele_mismatch"
    assert match_variant("T", ("G",), SNV).status == "allele_mismatch"  # flip gives A/C
    assert match_variant("G", (), SNV).status == "matched"  # no other allele given
    # several possible other alleles (hm_inferOtherAllele "C/A"): one must fit
    assert match_variant("G", ("C", "A"), SNV).status == "matched"


def test_multiallelic_record_and_split_records() -> None:
    multi = (Record("G", ("A", "C")),)
    m = match_variant("C", ("A",), multi)
    assert m.allele == 2 and m.multiallelic
    split = (Record("C", ("G",)), Record("C", ("T",)))
    alt = match_variant("T", ("C",), split)
    assert alt.records == (1,) and alt.allele == 1 and alt.multiallelic
    ref = match_variant("C", ("T",), split)
    assert ref.records == (0, 1) and ref.allele == 0  # REF counted over both SNV records
    with_indel = (Record("C", ("T",)), Record("CAT", ("C",)))
    assert match_variant("C", ("T",), with_indel).records == (0,)
    dele = match_variant("C", ("CAT",), with_indel)
    assert dele.records == (1,) and dele.allele == 1


def test_indels_are_not_flipped() -> None:
    assert match_variant("GTA", ("G",), (Record("CAT", ("C",)),)).status == "allele_mismatch"
