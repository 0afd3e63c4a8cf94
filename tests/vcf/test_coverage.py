"""Coverage: a gene is called only from data that cover it, judged per position.

Clinical statements under test (issue 8, item 1):

* a gene with no record in its region is "not covered": a no-call that says so, never
  ``Reference/Reference`` (DPYD and RYR1 use the lowest-function rule, which used to turn
  a gene with every position missing into Reference/Reference);
* ``--missing-to-ref`` makes an absent position reference only where the input covers it:
  inside a BED (``--covered-regions``), inside gVCF reference blocks, or - without a BED -
  inside the span of records the input holds for the gene's region; a defining position
  outside that span stays missing, with a warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.calling import CallOptions, call_files
from tailormed.cli.main import app
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tests.conftest import SHARED
from tests.vcfbuild import SyntheticVcf, bgzip_and_index

runner = CliRunner()
PANELS = SHARED / "1kgp" / "GRCh38" if SHARED else Path("/nonexistent")


def _cyp2c19_variants_only(kb: KnowledgeBase) -> SyntheticVcf:
    """A variant-only file of a CYP2C19 *1/*2 patient: only the non-reference records."""
    return (
        SyntheticVcf(kb, ["S1"])
        .set("S1", "CYP2C19", "rs12769205", "A/G")
        .set("S1", "CYP2C19", "rs4244285", "G/A")
        .set("S1", "CYP2C19", "rs3758581", "G/G")
    )


def _covered(kb: KnowledgeBase, path: Path, genes: tuple[str, ...], **kw: object):  # type: ignore[no-untyped-def]
    return call_files([path], kb, CallOptions(genes=genes, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("missing_to_ref", [False, True])
def test_gene_without_records_is_not_covered(
    kb: KnowledgeBase, tmp_path: Path, missing_to_ref: bool
) -> None:
    path = _cyp2c19_variants_only(kb).write(tmp_path / "v.vcf")
    cs = _covered(kb, path, ("CYP2C19", "DPYD", "RYR1", "TPMT"), missing_to_ref=missing_to_ref)
    for gene in ("DPYD", "RYR1", "TPMT"):
        call = cs.call("S1", gene)
        assert not call.called, f"{gene}: {call.diplotype}"
        assert call.function_diplotype is None
        assert any("not covered" in w for w in call.warnings), call.warnings
    cyp2c19 = cs.call("S1", "CYP2C19")
    assert cyp2c19.called and cyp2c19.missing_positions


def test_lowest_function_gene_with_every_position_no_call(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """DPYD present in the file but ``./.`` everywhere: no data, so no call (not Reference)."""
    vcf = SyntheticVcf(kb, ["S1", "S2"]).reference("DPYD")
    for v in kb.gene("DPYD").variants:
        vcf.set("S1", "DPYD", v.position, "./.")
    cs = _covered(kb, vcf.write(tmp_path / "d.vcf"), ("DPYD",))
    s1 = cs.call("S1", "DPYD")
    assert not s1.called and s1.function_diplotype is None
    assert any("no genotype at any" in w for w in s1.warnings), s1.warnings
    assert cs.call("S2", "DPYD").diplotype == "Reference/Reference"


def test_missing_to_ref_fills_only_inside_the_span_of_records(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    """Records cover CYP2C19 from its first defining position to rs4244285 only."""
    gene = kb.gene("CYP2C19")
    first = gene.variants[0]
    vcf = (
        SyntheticVcf(kb, ["S1"])
        .set("S1", "CYP2C19", first.rsid or first.position, f"{first.ref}/{first.ref}")
        .set("S1", "CYP2C19", "rs12769205", "A/G")
        .set("S1", "CYP2C19", "rs4244285", "G/A")
    )
    call = _covered(kb, vcf.write(tmp_path / "p.vcf"), ("CYP2C19",), missing_to_ref=True).call(
        "S1", "CYP2C19"
    )
    beyond = [v.position for v in gene.variants if v.position > 94781859]
    assert beyond and set(beyond) <= set(call.missing_positions)
    assert any("outside the region the input covers" in w for w in call.warnings), call.warnings
    inside = [v.position for v in gene.variants if first.position < v.position < 94781859]
    assert not set(inside) & set(call.missing_positions)


def _bed(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    path.write_text("".join(f"{c}\t{s}\t{e}\n" for c, s, e in rows))
    return path


def test_bed_makes_a_region_covered(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = _cyp2c19_variants_only(kb).write(tmp_path / "v.vcf")
    dpyd = kb.gene("DPYD").variants
    lo, hi = min(v.position for v in dpyd), max(v.position for v in dpyd)
    c19 = kb.gene("CYP2C19").variants
    bed = _bed(
        tmp_path / "panel.bed",
        [("chr1", lo - 1, hi), ("chr10", c19[0].position - 1, c19[-1].position)],
    )
    cs = _covered(kb, vcf, ("CYP2C19", "DPYD", "TPMT"), missing_to_ref=True, covered_regions=bed)
    assert cs.call("S1", "DPYD").diplotype == "Reference/Reference"
    assert cs.call("S1", "CYP2C19").diplotype == "*1/*2"
    tpmt = cs.call("S1", "TPMT")
    assert not tpmt.called and any("not covered" in w for w in tpmt.warnings)


def test_bed_covering_part_of_a_gene(kb: KnowledgeBase, tmp_path: Path) -> None:
    vcf = _cyp2c19_variants_only(kb).write(tmp_path / "v.vcf")
    c19 = kb.gene("CYP2C19").variants
    bed = _bed(tmp_path / "half.bed", [("10", c19[0].position - 1, 94781900)])  # no chr prefix
    call = _covered(kb, vcf, ("CYP2C19",), missing_to_ref=True, covered_regions=bed).call(
        "S1", "CYP2C19"
    )
    # beyond the BED and without a record of their own (rs3758581 at 94842866 has one)
    outside = {v.position for v in c19 if v.position > 94781900} - {94842866}
    assert outside and outside <= set(call.missing_positions)
    assert any("outside the region the input covers" in w for w in call.warnings)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("chr1\tx\t10\n", "line 1"),
        ("chr1\t10\n", "line 1"),
        ("track name=x\nchr1\t20\t10\n", "line 2"),
    ],
)
def test_bad_bed_is_an_error(kb: KnowledgeBase, tmp_path: Path, text: str, problem: str) -> None:
    vcf = _cyp2c19_variants_only(kb).write(tmp_path / "v.vcf")
    bed = tmp_path / "bad.bed"
    bed.write_text(text)
    with pytest.raises(InputError, match=rf"bad\.bed, {problem}"):
        _covered(kb, vcf, ("CYP2C19",), missing_to_ref=True, covered_regions=bed)


def test_gvcf_gaps_stay_missing_with_missing_to_ref(kb: KnowledgeBase, tmp_path: Path) -> None:
    """In a gVCF only the reference blocks (and records) say anything: a gap is missing."""
    c19 = kb.gene("CYP2C19").variants
    gap = 94781859  # rs4244285 falls between the two blocks
    vcf = (
        SyntheticVcf(kb, ["S1"])
        .add_record(
            "chr10", c19[0].position - 10, "N", ["<NON_REF>"], {"S1": "0/0"}, info=f"END={gap - 1}"
        )
        .add_record(
            "chr10", gap + 1, "N", ["<NON_REF>"], {"S1": "0/0"}, info=f"END={c19[-1].position + 5}"
        )
    )
    call = _covered(kb, vcf.write(tmp_path / "g.vcf"), ("CYP2C19",), missing_to_ref=True).call(
        "S1", "CYP2C19"
    )
    assert gap in call.missing_positions
    assert len(call.missing_positions) == 1


def test_long_gvcf_block_starting_far_before_the_gene(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A reference block that starts 50 kb before the gene still covers it (streamed input)."""
    c19 = kb.gene("CYP2C19").variants
    vcf = SyntheticVcf(kb, ["S1"]).add_record(
        "chr10",
        c19[0].position - 50_000,
        "N",
        ["<NON_REF>"],
        {"S1": "0/0"},
        info=f"END={c19[-1].position + 5}",
    )
    call = _covered(kb, vcf.write(tmp_path / "g.vcf"), ("CYP2C19",)).call("S1", "CYP2C19")
    assert call.diplotype == "*38/*38" and not call.missing_positions


@pytest.mark.parametrize("indexed", [False, True])
def test_records_just_beyond_the_read_window_count_for_the_span(
    kb: KnowledgeBase, tmp_path: Path, indexed: bool
) -> None:
    """A record 500 bp after the last defining position shows the input reached past it."""
    c19 = kb.gene("CYP2C19").variants
    last = c19[-1].position
    vcf = _cyp2c19_variants_only(kb)
    vcf.add_record("chr10", c19[0].position - 500, "A", ["G"], {"S1": "0/1"})
    vcf.add_record("chr10", last + 500, "A", ["G"], {"S1": "0/1"})
    path = vcf.write(tmp_path / "w.vcf")
    if indexed:
        path = bgzip_and_index(path, tmp_path / "w.vcf.gz")
    call = _covered(kb, path, ("CYP2C19",), missing_to_ref=True).call("S1", "CYP2C19")
    assert call.diplotype == "*1/*2"
    assert not call.missing_positions


# ------------------------------------------------------------------ the bundled 1KGP panels


@pytest.mark.needs_shared
def test_cli_call_on_a_one_gene_panel(tmp_path: Path) -> None:
    """The issue's reproduction: DPYD and RYR1 were Reference/Reference with 83/83 and
    313/313 positions missing."""
    if SHARED is None:
        pytest.skip("../shared/data not available")
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        ["call", str(PANELS / "CYP2C19.vcf.gz"), "--samples", "HG00096", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    rows = {
        r.split("\t")[1]: r.split("\t") for r in (out / "calls.tsv").read_text().splitlines()[1:]
    }
    for gene in ("DPYD", "RYR1"):
        assert rows[gene][2] == "no call", rows[gene][:3]
        assert "not covered" in rows[gene][6]
    assert rows["CYP2C19"][2] != "no call"


@pytest.mark.needs_shared
def test_cli_missing_to_ref_calls_only_the_covered_gene(tmp_path: Path) -> None:
    if SHARED is None:
        pytest.skip("../shared/data not available")
    out = tmp_path / "o"
    result = runner.invoke(
        app,
        [
            "call",
            str(PANELS / "CYP2C19.vcf.gz"),
            "--samples",
            "HG00096",
            "--missing-to-ref",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "HG00096.json").read_text())["genes"]
    called = sorted(g for g, c in doc.items() if c["diplotype"] is not None)
    assert called == ["CYP2C19"], called
    assert "not covered" in " ".join(doc["DPYD"]["warnings"])


@pytest.mark.needs_shared
def test_ifnl3_panel_ends_before_its_defining_position(kb: KnowledgeBase) -> None:
    """The bundled IFNL3 panel ends at 39247978; rs12979860 (39248147) lies beyond it."""
    if SHARED is None:
        pytest.skip("../shared/data not available")
    cs = call_files(
        [PANELS / "IFNL3.vcf.gz"],
        kb,
        CallOptions(genes=("IFNL3",), samples=("HG00096",), missing_to_ref=True),
    )
    call = cs.call("HG00096", "IFNL3")
    assert not call.called
    assert call.missing_positions == (39248147,)
    assert any("outside the region the input covers" in w for w in call.warnings)


@pytest.mark.needs_shared
def test_review_does_not_give_a_full_dose_for_an_uncovered_dpyd(tmp_path: Path) -> None:
    if SHARED is None:
        pytest.skip("../shared/data not available")
    out = tmp_path / "calls"
    result = runner.invoke(
        app,
        [
            "call",
            str(PANELS / "CYP2C19.vcf.gz"),
            "--samples",
            "HG00096",
            "--missing-to-ref",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    meds = tmp_path / "meds.txt"
    meds.write_text("capecitabine\n")
    review = runner.invoke(app, ["review", "--calls", str(out), "--meds", str(meds), "--json"])
    assert review.exit_code == 0, review.output
    doc = json.loads(review.stdout)
    (entry,) = doc["samples"][0]["reviews"]
    assert entry["status"] == "no result", entry
    assert "100" not in json.dumps(entry.get("doses", []))
