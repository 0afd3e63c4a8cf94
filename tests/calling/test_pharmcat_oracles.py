"""Tailormed's star-allele caller against PharmCAT's own test expectations.

The cases come from :mod:`tests.calling.pharmcat_oracle` (read its docstring for how the
records are resolved, how VCFs are synthesized and what "all matches" means).
``test_caller_matches_pharmcat`` needs the caller; every other test here checks the
harness itself and runs without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cyvcf2
import pytest

from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.knowledge.models import DefiningVariant
from tests.conftest import SHARED

from .pharmcat_oracle import (
    CATEGORY_TEXT,
    EXPR,
    LABEL,
    SAMPLE,
    TEXT_CONSTANTS,
    Build,
    Expectation,
    MatcherOptions,
    Oracle,
    Unresolvable,
    compare,
    evaluate,
    has_diplotype_expectation,
    load_oracle,
    normalize,
    parse_builds,
    parse_label,
    record_id,
)

pytestmark = pytest.mark.needs_shared

# test_id -> why Tailormed's caller knowingly differs from PharmCAT there. Each entry
# turns that case into a strict xfail (it must keep failing, so a fix is noticed). Filled
# by the caller's author, with a justified reason; keys must be existing case ids.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _case_ids() -> list[str]:
    if SHARED is None:
        return []
    return [c.test_id for c in load_oracle(SHARED, load_kb()).cases]


CASE_IDS = _case_ids()


def _params(ids: list[str], *, known: bool) -> list[object]:
    if not ids:  # no shared data: one placeholder, skipped (or failed in CI) by `shared`
        return [pytest.param(None, id="no-shared-data")]
    out = []
    for test_id in ids:
        marks = []
        if known and test_id in KNOWN_DIFFERENCES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_DIFFERENCES[test_id]))
        out.append(pytest.param(test_id, id=test_id, marks=marks))
    return out


@pytest.fixture(scope="module")
def oracle(shared: Path, kb: KnowledgeBase) -> Oracle:
    return load_oracle(shared, kb)


# ------------------------------------------------------------------------ the caller


@pytest.mark.parametrize("test_id", _params(CASE_IDS, known=True))
def test_caller_matches_pharmcat(
    test_id: str, oracle: Oracle, kb: KnowledgeBase, tmp_path: Path
) -> None:
    case = oracle.case(test_id)
    # imported here so the harness's own tests run while the caller is being written
    from tailormed.calling import call_files
    from tailormed.calling.models import CallOptions

    vcf = case.write(tmp_path)
    callsets = {}
    problems = []
    for expectation in case.expectations:
        # PharmCAT's matcher flags for this assertion map onto Tailormed's options
        opts = expectation.options
        key = (not opts.top_candidate_only, opts.find_combinations)
        if key not in callsets:
            options = CallOptions(genes=case.genes, all_matches=key[0], combinations=key[1])
            callsets[key] = call_files([vcf], kb, options)
        gc = callsets[key].call(case.sample, expectation.gene)
        why = compare(expectation, [d.alleles for d in gc.diplotypes])
        if why:
            problems.append(
                f"  {why}\n    phased={gc.phased} missing={list(gc.missing_positions)} "
                f"uncertain={list(gc.uncertain_alleles)} warnings={list(gc.warnings)}"
            )
    source = case.vcf_file or "VCF built from the record's TestVcfBuilder steps"
    assert not problems, f"{case.test_id} ({source}):\n" + "\n".join(problems)


def test_known_differences_name_existing_cases(oracle: Oracle) -> None:
    stale = sorted(set(KNOWN_DIFFERENCES) - set(oracle.by_id))
    assert not stale, f"KNOWN_DIFFERENCES names no case: {stale}"
    blank = sorted(k for k, reason in KNOWN_DIFFERENCES.items() if not reason.strip())
    assert not blank, f"KNOWN_DIFFERENCES without a reason: {blank}"


# ---------------------------------------------------------------- nothing is lost


def test_every_record_is_accounted_for(oracle: Oracle) -> None:
    with_diplotypes = {record_id(r) for r in oracle.records if has_diplotype_expectation(r)}
    resolved = {c.record_id for c in oracle.cases}
    unresolved = [u.test_id for u in oracle.unresolved]
    out_of_scope = [u.test_id for u in oracle.out_of_scope]

    assert len(resolved) + len(unresolved) == len(with_diplotypes)
    assert len(set(unresolved)) == len(unresolved)
    assert resolved.isdisjoint(unresolved)
    assert resolved | set(unresolved) == with_diplotypes
    # and the rest carry no diplotype-level expectation at all
    assert set(out_of_scope).isdisjoint(with_diplotypes)
    assert len(out_of_scope) + len(with_diplotypes) == len(oracle.records)
    assert len({c.test_id for c in oracle.cases}) == len(oracle.cases)


def test_every_set_aside_record_says_why(oracle: Oracle) -> None:
    known = set(CATEGORY_TEXT)
    for u in oracle.unresolved:
        assert u.detail.strip(), u
        assert set(u.category.split("+")) <= known, u
    for u in oracle.out_of_scope:
        assert u.category in {"report-level-only", "nothing-mined"} and u.detail.strip(), u
    for case in oracle.cases:
        for what, category, detail in case.skipped:
            assert what and category in known and detail.strip(), (case.test_id, what)


def test_every_case_expects_something(oracle: Oracle, kb: KnowledgeBase) -> None:
    for case in oracle.cases:
        assert case.expectations, case.test_id
        assert set(case.genes) == {e.gene for e in case.expectations}, case.test_id
        for e in case.expectations:
            assert e.gene in kb.genes, case.test_id
            assert len(e.ordered) == len(e.raw), case.test_id
            assert all(1 <= len(d) <= 2 for d in e.ordered), case.test_id


# ------------------------------------------------------------ the synthesized VCFs


def _variant_for(kb: KnowledgeBase, gene: str, key: str, *, extra: bool) -> DefiningVariant:
    definition = kb.gene(gene)
    variants = definition.exemptions.extra_positions if extra else definition.variants
    for v in variants:
        if key in (v.rsid, f"{v.chrom}:{v.position}", f"@{v.position}"):
            return v
    raise AssertionError(f"{gene} {key} is not a position of the gene")


def _positions_wanted(build: Build, kb: KnowledgeBase) -> set[tuple[str, int]]:
    """Every position of the build's genes (definition and extra), minus the missing ones."""
    missing = {
        (e.gene, _variant_for(kb, e.gene, e.key, extra=e.extra).position, e.extra)
        for e in build.edits
        if e.alleles is None and not e.reference and e.raw_gt is None and e.gene in build.genes
    }
    out = set()
    for gene in build.genes:
        definition = kb.gene(gene)
        for extra, variants in (
            (False, definition.variants),
            (True, definition.exemptions.extra_positions),
        ):
            out |= {
                (v.chrom, v.position) for v in variants if (gene, v.position, extra) not in missing
            }
    return out


def _called_bases(record: cyvcf2.Variant) -> tuple[list[str | None], bool]:
    alleles = [record.REF, *record.ALT]
    *indices, phased = record.genotypes[0]
    return [None if i < 0 else alleles[i] for i in indices], bool(phased)


def _records(path: Path) -> Iterator[cyvcf2.Variant]:
    yield from cyvcf2.VCF(str(path))


def _builder_case_ids() -> list[str]:
    if SHARED is None:
        return []
    return [c.test_id for c in load_oracle(SHARED, load_kb()).cases if c.build is not None]


def _file_case_ids() -> list[str]:
    if SHARED is None:
        return []
    return [c.test_id for c in load_oracle(SHARED, load_kb()).cases if c.vcf_file is not None]


@pytest.mark.parametrize("test_id", _params(_builder_case_ids(), known=False))
def test_built_vcf_is_what_the_builder_asked_for(
    test_id: str, oracle: Oracle, kb: KnowledgeBase, tmp_path: Path
) -> None:
    case = oracle.case(test_id)
    build = case.build
    assert build is not None
    path = case.write(tmp_path)
    reader = cyvcf2.VCF(str(path))
    assert reader.samples == [SAMPLE] == [case.sample]
    header = reader.raw_header
    assert header.startswith("##fileformat=VCFv4.2\n")
    assert "##FORMAT=<ID=GT," in header
    chroms = {kb.gene(g).chrom for g in build.genes}
    for chrom in chroms:
        assert f"##contig=<ID={chrom}," in header, chrom

    records = list(_records(path))
    order = [(r.CHROM, r.POS) for r in records]
    assert len(set(order)) == len(order), "duplicate positions"
    for chrom in chroms:
        positions = [pos for c, pos in order if c == chrom]
        assert positions == sorted(positions), f"{chrom} records are not sorted"
    assert set(order) == _positions_wanted(build, kb)

    by_position = {(r.CHROM, r.POS): r for r in records}
    edited: set[tuple[str, int]] = set()
    for edit in build.edits:
        if edit.gene not in build.genes:
            continue
        v = _variant_for(kb, edit.gene, edit.key, extra=edit.extra)
        at = (v.chrom, v.position)
        edited.add(at)
        if edit.alleles is None and not edit.reference and edit.raw_gt is None:
            assert at not in by_position, f"missing {edit.key} must be absent"
            continue
        record = by_position[at]
        bases, phased = _called_bases(record)
        if edit.raw_gt is not None:
            assert str(record).split("\t")[9].split(":")[0] == edit.raw_gt
            continue
        if edit.reference:
            assert bases == [v.ref, v.ref], edit.key
            continue
        assert edit.alleles is not None
        wanted = [None if a == "." else v.cpic_to_vcf.get(a, a) for a in edit.alleles]
        assert bases == wanted, f"{edit.key}: asked {edit.alleles}, VCF has {bases}"
        if len(wanted) == 2:
            want_phased = build.phased if edit.phased is None else edit.phased
            assert phased == want_phased, f"{edit.key}: phasing"
        if edit.phase_set is not None:
            assert int(record.format("PS")[0][0]) == edit.phase_set

    # everything the builder did not mention is homozygous reference
    for at, record in by_position.items():
        if at in edited:
            continue
        bases, phased = _called_bases(record)
        copies = 1 if record.CHROM == "chrX" and build.chrx_copies == 1 else 2
        assert bases == [record.REF] * copies, at
        if copies == 2:
            assert phased == build.phased, at


@pytest.mark.parametrize("test_id", _params(_file_case_ids(), known=False))
def test_resource_vcf_is_readable(test_id: str, oracle: Oracle, kb: KnowledgeBase) -> None:
    case = oracle.case(test_id)
    assert case.vcf_file is not None and case.vcf_file.is_file()
    assert case.vcf_text == case.vcf_file.read_text(encoding="utf-8")
    reader = cyvcf2.VCF(str(case.vcf_file))
    assert case.sample == reader.samples[0]
    positions = {(r.CHROM, r.POS) for r in reader}
    for gene in case.genes:
        defined = {(v.chrom, v.position) for v in kb.gene(gene).variants}
        assert positions & defined, f"{case.vcf_file.name} has no {gene} position"


# ----------------------------------------------------------- harness building blocks


def test_text_constants_resolve_as_in_pharmcat() -> None:
    assert TEXT_CONSTANTS["TextConstants.HOMOZYGOUS_REFERENCE"] == "Reference/Reference"
    expr = 'TextConstants.REFERENCE + TextConstants.GENOTYPE_DELIMITER + "c.520C>T"'
    assert evaluate(expr, {}, "t") == "Reference/c.520C>T"
    both = "TextConstants.REFERENCE + TextConstants.GENOTYPE_DELIMITER + TextConstants.REFERENCE"
    assert evaluate(both, {}, "t") == "Reference/Reference"
    assert evaluate("expectedCalls.get(1)", {"expectedCalls": ["a", "b"]}, "t") == "b"
    assert evaluate("new ArrayList<>()", {}, "t") == []
    with pytest.raises(Unresolvable) as err:
        evaluate("expectedCallsToRecommendedDiplotypes(x)", {}, "t")
    assert err.value.category == EXPR


def _expectation(*labels: str, top: bool) -> Expectation:
    ordered = tuple(normalize(lb.split("/")) for lb in labels)
    return Expectation("CYP2C19", "assertDiplotypePairs", ordered, MatcherOptions(top), labels)


def test_compare_top_candidates_is_an_exact_set_match() -> None:
    e = _expectation("*1/*4", "*1/*17", top=True)
    assert compare(e, [("*4", "*1"), ("*1", "*17")]) is None  # order-free
    assert compare(e, [("*1", "*4")]) is not None
    assert compare(e, [("*1", "*4"), ("*1", "*17"), ("*4", "*17")]) is not None
    assert compare(_expectation(top=True), []) is None  # expected no call
    assert compare(_expectation(top=True), [("*1", "*1")]) is not None


def test_compare_all_matches_wants_every_match() -> None:
    e = _expectation("*1/*80+*28", "*28/*80", top=False)  # every match, best first
    assert compare(e, [("*1", "*80+*28"), ("*28", "*80")]) is None
    assert compare(e, [("*1", "*80+*28")]) is not None  # a match is missing
    assert compare(e, [("*28", "*80")]) is not None
    assert compare(e, [("*1", "*80+*28"), ("*1", "*1")]) is not None  # not a PharmCAT match
    assert compare(e, []) is not None
    single = _expectation("*1/*80", top=False)
    assert not single.all_matches and compare(single, [("*1", "*80"), ("*1", "*1")])


def test_report_labels_are_not_diplotypes(kb: KnowledgeBase) -> None:
    ryr1, g6pd = kb.gene("RYR1"), kb.gene("G6PD")
    got = parse_label("Reference/c.152C>A", ryr1, haploid=False)
    assert got == normalize(["c.152C>A", "Reference"])
    homozygous = parse_label("c.97A>G/c.97A>G (homozygous)", ryr1, haploid=False)
    assert homozygous == ("c.97A>G", "c.97A>G")
    for label in ("c.520C>T (heterozygous)", "c.97A>G", "c.97A>G/[c.97A>G + c.152C>A]"):
        with pytest.raises(Unresolvable) as err:
            parse_label(label, ryr1, haploid=False)
        assert err.value.category == LABEL
    assert parse_label("Chatham", g6pd, haploid=True) == ("Chatham",)
    with pytest.raises(Unresolvable):
        parse_label("Reference/Reference", kb.gene("CFTR"), haploid=False)


def test_builds_split_where_a_position_is_edited_again() -> None:
    def var(rsid: str, *alleles: object) -> dict[str, object]:
        return {"op": "variation", "args": ["CYP2C19", rsid, *alleles]}

    steps = [
        {"op": "phased", "args": []},
        var("rs1", "C", "T"),
        var("rs2", "G", "A"),
        var("rs1", "C", "T"),
        var("rs2", True, "G", "A"),
        {"op": "phased", "args": []},
        var("rs1", "C", "T"),
        {"op": "missing", "args": ["CYP2C19", "rs3"]},
    ]
    first, second, third = parse_builds(steps)
    assert first.phased and not second.phased and third.phased
    assert [e.phased for e in second.edits] == [None, True]
    assert third.edits[1].alleles is None  # missing
    assert first.genes == second.genes == third.genes == ("CYP2C19",)
    # a trailing phased() belongs to the one build (NamedAlleleMatcherTest.testWobbleScoring)
    (only,) = parse_builds([var("rs1", "C", "G"), {"op": "phased", "args": []}])
    assert only.phased


def test_missing_positions_are_absent_not_no_calls(oracle: Oracle, kb: KnowledgeBase) -> None:
    # s2s2: missing("CYP2C19", "rs3758581"); PharmCAT writes "# missing: rs3758581"
    case = oracle.case("NamedAlleleMatcherCyp2c19Test.s2s2")
    v = _variant_for(kb, "CYP2C19", "rs3758581", extra=False)
    body = [line.split("\t") for line in case.vcf_text.splitlines() if line[:1] != "#"]
    assert all(int(cols[1]) != v.position for cols in body)
    assert not any("./." in cols[9] for cols in body)
