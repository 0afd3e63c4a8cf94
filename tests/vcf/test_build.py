"""Genome build: non-GRCh38 input is refused with a one-line error; an unstated build is
accepted with a warning in every call (issue 8, item 2).

GRCh37 coordinates used here (dbSNP b151 / PharmVar CYP2C19 GRCh37 tables, the same as in
PyPGx's variant table): rs12769205 chr10:96535124, rs4244285 chr10:96541616,
rs3758581 chr10:96602623 (GRCh38: 94775367, 94781859, 94842866).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tailormed.calling import CallOptions, call_files
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.pipeline import example_path
from tests.vcfbuild import SyntheticVcf, bgzip_and_index

GRCH37_CYP2C19_STAR2_STAR2 = [
    # (GRCh37 position, REF, ALT, GT) of a CYP2C19 *2/*2 patient, variant sites only
    (96535124, "A", "G", "1/1"),
    (96541616, "G", "A", "1/1"),
]
GRCH38_LENGTHS = {"1": 248956422, "10": 133797422, "19": 58617616}
GRCH37_LENGTHS = {"1": 249250621, "10": 135534747, "19": 59128983}


def _call(kb: KnowledgeBase, path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return call_files([path], kb, CallOptions(genes=("CYP2C19",), **kw))  # type: ignore[arg-type]


def _star1_star2(kb: KnowledgeBase, **kw: object) -> SyntheticVcf:
    return (
        SyntheticVcf(kb, ["S1"], **kw)  # type: ignore[arg-type]
        .reference("CYP2C19")
        .set("S1", "CYP2C19", "rs12769205", "A/G")
        .set("S1", "CYP2C19", "rs4244285", "G/A")
        .set("S1", "CYP2C19", "rs3758581", "G/G")
    )


def _assert_refused(err: pytest.ExceptionInfo[InputError], build: str) -> None:
    message = str(err.value)
    assert "\n" not in message
    assert build in message
    assert "GRCh38" in message and "liftover" in message.lower()
    assert "bcftools +liftover" in message or "LiftoverVcf" in message


@pytest.mark.parametrize(
    "line",
    [
        "##reference=GRCh37",
        "##reference=file:///data/ref/human_g1k_v37.fasta",
        "##reference=hg19",
        "##reference=file:///refs/hs37d5.fa.gz",
        "##reference=b37",
    ],
)
def test_reference_header_naming_grch37_is_refused(
    kb: KnowledgeBase, tmp_path: Path, line: str
) -> None:
    path = _star1_star2(kb, header=[line]).write(tmp_path / "h.vcf")
    with pytest.raises(InputError) as err:
        _call(kb, path)
    _assert_refused(err, "GRCh37")
    assert "h.vcf" in str(err.value)


def test_grch37_contig_lengths_are_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = _star1_star2(kb, chrom_prefix="", contig_lengths=GRCH37_LENGTHS).write(
        tmp_path / "b37.vcf"
    )
    with pytest.raises(InputError) as err:
        _call(kb, path)
    _assert_refused(err, "GRCh37")
    assert "135534747" in str(err.value)  # says which contig told


def test_contig_assembly_b37_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    text = _star1_star2(kb).text()
    text = text.replace("##contig=<ID=chr10>", "##contig=<ID=chr10,assembly=b37>")
    path = tmp_path / "a.vcf"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        _call(kb, path)
    _assert_refused(err, "GRCh37")


def _grch37_patient(kb: KnowledgeBase) -> SyntheticVcf:
    vcf = SyntheticVcf(kb, ["S1"])
    for pos, ref, alt, gt in GRCH37_CYP2C19_STAR2_STAR2:
        vcf.add_record("chr10", pos, ref, [alt], {"S1": gt})
    return vcf


@pytest.mark.parametrize("missing_to_ref", [False, True])
@pytest.mark.parametrize("indexed", [False, True])
def test_records_at_grch37_positions_are_refused(
    kb: KnowledgeBase, tmp_path: Path, missing_to_ref: bool, indexed: bool
) -> None:
    """No header help, no REF mismatch: the records simply sit where GRCh37 puts the
    defining variants. This used to give CYP2C19 *38/*38 for a *2/*2 patient."""
    path = _grch37_patient(kb).write(tmp_path / "p37.vcf")
    if indexed:
        path = bgzip_and_index(path, tmp_path / "p37.vcf.gz")
    with pytest.raises(InputError) as err:
        _call(kb, path, missing_to_ref=missing_to_ref)
    _assert_refused(err, "GRCh37")
    assert "rs4244285" in str(err.value)


def test_unstated_build_is_accepted_with_a_warning_in_every_call(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    vcf = _star1_star2(kb).reference("TPMT")
    cs = call_files([vcf.write(tmp_path / "n.vcf")], kb, CallOptions(genes=("CYP2C19", "TPMT")))
    for gene in ("CYP2C19", "TPMT"):
        call = cs.call("S1", gene)
        assert call.called
        assert any("genome build" in w and "GRCh38 assumed" in w for w in call.warnings), (
            call.warnings
        )
    assert cs.call("S1", "CYP2C19").diplotype == "*1/*2"


def test_grch38_contig_lengths_confirm_the_build(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = _star1_star2(kb, contig_lengths=GRCH38_LENGTHS).write(tmp_path / "b38.vcf")
    call = _call(kb, path).call("S1", "CYP2C19")
    assert call.diplotype == "*1/*2"
    assert not any("genome build" in w for w in call.warnings)


def test_bundled_example_states_grch38(kb: KnowledgeBase) -> None:
    cs = call_files([example_path("example-patient.vcf")], kb, CallOptions(genes=("CYP2C19",)))
    call = cs.call(cs.samples[0], "CYP2C19")
    assert call.diplotype == "*2/*2"
    assert not any("genome build" in w for w in call.warnings)


def test_other_build_by_contig_length_is_refused(kb: KnowledgeBase, tmp_path: Path) -> None:
    """NCBI36/hg18 chr10 is 135374737 bp long: neither GRCh37 nor GRCh38."""
    path = _star1_star2(kb, contig_lengths={"10": 135374737}).write(tmp_path / "hg18.vcf")
    with pytest.raises(InputError) as err:
        _call(kb, path)
    assert "not GRCh38" in str(err.value) and "135374737" in str(err.value)
