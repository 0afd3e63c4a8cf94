"""PGS Catalog scoring files: v2 header, harmonised or author columns, GRCh38 only, clear errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tailormed.cardio.prs.scorefile import read_header, read_scoring_file
from tailormed.errors import InputError

HEAD = "#format_version=2.0\n#pgs_id=PGS9\n#genome_build=GRCh38\n"
COLS = "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n"


def _file(tmp_path: Path, text: str, name: str = "PGS9.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_catalog_v2_header_is_parsed_and_grch37_refused(shared: Path) -> None:
    path = shared / "cardio" / "pgs" / "PGS001229_22_GRCh37_catalog_format.txt"
    header, columns = read_header(path)
    assert header["format_version"] == "2.0"
    assert header["pgs_id"] == "PGS001229" and header["pgs_name"] == "GBE_INI50"
    assert header["trait_reported"] == "Standing height"
    assert header["genome_build"] == "GRCh37"
    assert header["citation"].startswith("Tanigawa Y")
    assert columns[:6] == [
        "rsID",
        "chr_name",
        "chr_position",
        "effect_allele",
        "other_allele",
        "effect_weight",
    ]
    with pytest.raises(InputError, match=r"on GRCh37 \(#genome_build=GRCh37\)") as err:
        read_scoring_file(path)
    assert str(path) in str(err.value)


def test_harmonised_file_uses_hm_columns_and_hmpos_build(shared: Path) -> None:
    sf = read_scoring_file(shared / "cardio" / "pgs" / "PGS000001_hmPOS_GRCh38.txt.gz")
    assert sf.harmonised and sf.build == "GRCh38" and sf.pgs_id == "PGS000001"
    assert sf.header["genome_build"] == "NR"  # author build not reported, harmonised to 38
    first = sf.variants[0]
    assert (first.chrom, first.pos, first.effect_allele, first.other_alleles) == (
        "11",
        69516650,
        "T",
        ("C",),
    )
    assert first.rsid == "rs78540526" and len(sf) == 77


def test_file_without_other_allele(shared: Path) -> None:
    sf = read_scoring_file(shared / "cardio" / "pgs" / "PGS000010_hmPOS_GRCh38.txt")
    assert len(sf) == 27 and all(v.other_alleles == () for v in sf.variants)
    assert sf.variants[0].pos == 55030366


def test_gzip_and_plain_read_the_same(tmp_path: Path) -> None:
    text = HEAD + COLS + "1\t100\tA\tG\t0.5\n2\t200\tc\tt\t-1e-3\n"
    plain = read_scoring_file(_file(tmp_path, text))
    gz = tmp_path / "PGS9.txt.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    assert read_scoring_file(gz).variants == plain.variants
    assert plain.variants[1].effect_allele == "C" and plain.variants[1].weight == -0.001


def test_harmonised_rows_without_position_are_unmapped(tmp_path: Path) -> None:
    text = (
        "#pgs_id=PGS8\n#genome_build=NR\n#HmPOS_build=GRCh38\n"
        "rsID\teffect_allele\tother_allele\teffect_weight\thm_chr\thm_pos\thm_inferOtherAllele\n"
        "rs1\tA\t\t0.1\t1\t100\tG/T\n"
        "rs2\tC\tT\t0.2\t\t\t\n"
    )
    sf = read_scoring_file(_file(tmp_path, text))
    assert sf.variants[0].other_alleles == ("G", "T")
    assert sf.variants[1].chrom is None and sf.variants[1].pos is None


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (HEAD + COLS + "1\t100\tA\tG\tx\n", "effect_weight 'x' is not a number", 5),
        (HEAD + COLS + "1\t100\tA\tG\t0.1\n1\t100\tA\tC\t0.2\n", "appears twice", 6),
        (HEAD + COLS + "1\tabc\tA\tG\t0.1\n", "chr_position 'abc' is not a position", 5),
        (HEAD + COLS + "Z\t100\tA\tG\t0.1\n", "chr_name 'Z' is not a chromosome", 5),
        (HEAD + COLS + "1\t100\tN\tG\t0.1\n", "effect_allele 'N' is not a DNA allele", 5),
        (HEAD + COLS + "1\t100\tA\tG\t0.1\tx\n", "6 fields, the header has 5", 5),
        (
            HEAD + COLS.replace("\n", "\tis_interaction\n") + "1\t100\tA\tG\t0.1\tTrue\n",
            "is_interaction terms are not supported",
            5,
        ),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, text: str, message: str, line: int) -> None:
    path = _file(tmp_path, text)
    with pytest.raises(InputError, match=message) as err:
        read_scoring_file(path)
    assert err.value.line == line and err.value.path == str(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("#pgs_id=P\n#genome_build=NR\n" + COLS + "1\t1\tA\tG\t1\n", "build is not reported"),
        ("#pgs_id=P\n" + COLS + "1\t1\tA\tG\t1\n", "build is not reported"),
        ("#pgs_id=P\n#genome_build=hg19\n" + COLS + "1\t1\tA\tG\t1\n", "on hg19"),
        (
            "#pgs_id=P\n#genome_build=GRCh38\nrsID\teffect_allele\teffect_weight\nrs1\tA\t1\n",
            "no positions",
        ),
        (
            "#genome_build=GRCh38\nrsID\thm_chr\thm_pos\teffect_allele\teffect_weight\n",
            "no #HmPOS_build",
        ),
        ("#pgs_id=P\n#genome_build=GRCh38\n", "no column header"),
        (HEAD + COLS, "no variants"),
        (HEAD + "chr_name\tchr_position\teffect_allele\n1\t1\tA\n", "'effect_weight'"),
    ],
)
def test_unusable_files(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_scoring_file(_file(tmp_path, text))


def test_missing_file_and_dominant_recessive(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_scoring_file(tmp_path / "none.txt")
    text = HEAD + COLS.replace("\n", "\tis_dominant\tis_recessive\n")
    text += "1\t1\tA\tG\t1\tTrue\tFalse\n1\t2\tA\tG\t1\tFalse\tTrue\n1\t3\tA\tG\t1\t\t\n"
    sf = read_scoring_file(_file(tmp_path, text))
    assert [v.effect_type for v in sf.variants] == ["dominant", "recessive", "additive"]


def test_stated_variant_count_mismatch_is_noted(tmp_path: Path) -> None:
    text = HEAD + "#variants_number=3\n" + COLS + "1\t100\tA\tG\t0.5\n"
    sf = read_scoring_file(_file(tmp_path, text))
    assert any("says 3 variants" in n for n in sf.notes)
