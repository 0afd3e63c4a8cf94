"""FH: the bundled ClinVar LDLR variants found from a VCF, APOB/PCSK9 rules, DLCN boundaries."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from tailormed.cardio.fh import assess_fh, dlcn_score, find_fh_variants
from tailormed.factors import PatientFactors

HEADER = (
    "##fileformat=VCFv4.2\n"
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tCARRIER\tNONE\tNOCALL\n"
)
GT = "0/1\t0/0\t./."


def _ldlr_rows(shared: Path) -> list[dict[str, str]]:
    with (shared / "cardio" / "fh" / "ldlr_clinvar_20260301.tsv").open() as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _vcf_line(chrom: str, pos: int, ref: str, alt: str) -> tuple[str, int, str]:
    """A VCF record for a ClinVar entry; anchor-less indels get an anchor base (arbitrary
    here: the reference genome is not at hand, and the match does not depend on it)."""
    if ref == "":
        return chrom, pos, f"{chrom}\t{pos}\t.\tG\tG{alt}\t.\t.\t.\tGT\t{GT}\n"
    if alt == "":
        return chrom, pos - 1, f"{chrom}\t{pos - 1}\t.\tG{ref}\tG\t.\t.\t.\tGT\t{GT}\n"
    return chrom, pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t.\tGT\t{GT}\n"


def _write(path: Path, lines: list[tuple[str, int, str]]) -> Path:
    order = {"1": 1, "2": 2, "19": 19}
    body = sorted(lines, key=lambda t: (order[t[0]], t[1]))
    seen: set[tuple[str, int]] = set()
    kept = []
    for chrom, pos, text in body:  # one record per position keeps the VCF simple
        if (chrom, pos) not in seen:
            seen.add((chrom, pos))
            kept.append(text)
    path.write_text(HEADER + "".join(kept))
    return path


def test_golden_ldlr_variants_are_found(shared: Path, tmp_path: Path) -> None:
    rows = _ldlr_rows(shared)
    plp = [r for r in rows if r["is_plp"] == "1" and r["ref"] != "."]
    benign = [r for r in rows if r["is_plp"] == "0" and r["ref"] not in (".", "")][:50]
    # one VCF "layer" per entry sharing a position, so every entry is written once
    layers: list[list[tuple[str, int, str]]] = []
    vcvs: list[list[str]] = []
    depth: dict[int, int] = {}
    for r in plp + benign:
        line = _vcf_line("19", int(r["pos_grch38"]), r["ref"], r["alt"])
        k = depth[line[1]] = depth.get(line[1], -1) + 1
        if k == len(layers):
            layers.append([])
            vcvs.append([])
        layers[k].append(line)
        vcvs[k].append(r["clinvar_vcv"])
    found: set[str] = set()
    for k, lines in enumerate(layers):
        hits = find_fh_variants([_write(tmp_path / f"ldlr{k}.vcf", lines)])
        found |= {h.clinvar for h in hits["CARRIER"]}
        assert hits["NONE"] == ()
        assert hits["NOCALL"] and all(h.no_call for h in hits["NOCALL"])
    # every P/LP entry with alleles is recognised; no benign one is
    assert {r["clinvar_vcv"] for r in plp} <= found
    assert len(plp) == 1874
    assert not found & {r["clinvar_vcv"] for r in benign}
    # the anchor-less ClinVar spellings are among them
    for vcv in ("VCV000375770", "VCV000440541", "VCV000440531", "VCV000250941"):
        assert vcv in found, vcv


def test_apob_and_pcsk9_gain_of_function_only(tmp_path: Path) -> None:
    lines = [
        ("2", 21006288, f"2\t21006288\t.\tC\tT\t.\t.\t.\tGT\t{GT}\n"),  # APOB p.Arg3527Gln
        ("1", 55057454, f"1\t55057454\t.\tG\tT\t.\t.\t.\tGT\t{GT}\n"),  # PCSK9 p.Asp374Tyr
        ("1", 55044016, f"1\t55044016\t.\tT\tA\t.\t.\t.\tGT\t{GT}\n"),  # PCSK9 p.Ser127Arg
        ("1", 55039974, f"1\t55039974\t.\tG\tT\t.\t.\t.\tGT\t{GT}\n"),  # PCSK9 p.Arg46Leu (LoF)
    ]
    hits = find_fh_variants([_write(tmp_path / "x.vcf", lines)])["CARRIER"]
    names = sorted(h.hgvs for h in hits)
    assert any("Arg3527Gln" in n for n in names)
    assert any("Asp374Tyr" in n for n in names) and any("Ser127Arg" in n for n in names)
    assert not any("Arg46Leu" in n for n in names)
    assert {h.gene for h in hits} == {"APOB", "PCSK9"}


def _ldl(mmol: float) -> PatientFactors:
    return PatientFactors(ldl_cholesterol_mg_dl=mmol / 0.02586)


@pytest.mark.parametrize(
    ("mmol", "points"),
    [
        (3.99, 0),
        (4.0, 1),
        (4.99, 1),
        (5.0, 3),
        (6.49, 3),
        (6.5, 5),
        (8.45, 5),
        (8.5, 8),
        (12.0, 8),
    ],
)
def test_dlcn_ldl_boundaries(mmol: float, points: int) -> None:
    score = dlcn_score(_ldl(mmol), dna_variant=False)
    assert score.points == points
    assert score.ldl_mmol_l == pytest.approx(mmol)


def test_dlcn_groups_take_the_highest_item_and_categories() -> None:
    f = PatientFactors(
        ldl_cholesterol_mg_dl=260,  # 6.72 mmol/L: 5
        tendon_xanthoma=True,  # 6 (beats arcus 4)
        corneal_arcus_before_45=True,
        family_premature_chd=True,  # 1
        family_tendon_xanthoma_or_arcus=True,  # 2 (highest family item)
        premature_chd=False,
    )
    score = dlcn_score(f, dna_variant=True)  # DNA 8
    assert score.points == 5 + 6 + 2 + 8 and score.category == "definite"
    assert dlcn_score(PatientFactors(ldl_cholesterol_mg_dl=170), False).category == "unlikely"
    assert dlcn_score(PatientFactors(ldl_cholesterol_mg_dl=200), False).category == "possible"
    probable = dlcn_score(
        PatientFactors(ldl_cholesterol_mg_dl=200, premature_chd=True, family_premature_chd=True),
        False,
    )
    assert probable.points == 6 and probable.category == "probable"
    assert dlcn_score(_ldl(5.0), dna_variant=True).points == 11  # > 8: definite
    assert dlcn_score(PatientFactors(), dna_variant=True).category == "probable"  # DNA alone: 8


def test_not_given_items_and_statin_note() -> None:
    score = dlcn_score(PatientFactors(ldl_cholesterol_mg_dl=200, on_statin=True), False)
    assert "tendon_xanthoma" in score.not_given
    assert any("untreated LDL-C" in n for n in score.notes)
    assert any("may be higher" in n for n in score.notes)


def test_result_always_states_the_copy_number_limitation(tmp_path: Path) -> None:
    f = PatientFactors(ldl_cholesterol_mg_dl=250)
    negative = assess_fh("S", (), f)
    assert any("copy-number" in lim and "cannot be detected" in lim for lim in negative.limitations)
    assert not negative.monogenic and negative.advice == ()
    lines = [("2", 21006288, f"2\t21006288\t.\tC\tT\t.\t.\t.\tGT\t{GT}\n")]
    hits = find_fh_variants([_write(tmp_path / "a.vcf", lines)])["CARRIER"]
    positive = assess_fh("CARRIER", hits, dataclasses.replace(f))
    assert positive.monogenic and positive.dlcn.points == 3 + 8
    assert any("first-degree relatives" in a and "50 %" in a for a in positive.advice)
    assert any("copy-number" in lim for lim in positive.limitations)
