"""Tailormed's star-allele caller against PharmCAT's own test expectations.

The cases come from :mod:`tests.calling.pharmcat_oracle` (read its docstring for how the
records are resolved, how VCFs are synthesized and what "all matches" means).
``test_caller_matches_pharmcat`` needs the caller; every other test here checks the
harness itself and runs without it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import cyvcf2
import pytest

from tailormed.knowledge import KnowledgeBase, load_kb
from tailormed.knowledge.models import DefiningVariant
from tests.conftest import SHARED

from .pharmcat_oracle import (
    ASSERTION_SOURCES,
    CATEGORY_TEXT,
    EXPR,
    HAPB3_ALLELE,
    HAPB3_INTRONIC_ALLELE,
    HAPLOTYPES,
    JAVA_CALLS,
    LABEL,
    LOWEST_FUNCTION_GENES,
    RECOMMENDATION,
    RECOMMENDED,
    SAMPLE,
    TABLE_DRIVEN,
    TARGETS,
    TEXT_CONSTANTS,
    Build,
    Check,
    Expectation,
    MatcherOptions,
    Oracle,
    Unresolvable,
    compare,
    compare_call,
    evaluate,
    hapb3_names,
    has_diplotype_expectation,
    is_haplotype_list,
    load_oracle,
    normalize,
    parse_builds,
    parse_haplotype_list,
    parse_label,
    read_expectation,
    record_id,
    standard_checks,
)

pytestmark = pytest.mark.needs_shared

# Why Tailormed's caller knowingly differs from PharmCAT on a case. A key is a case id
# (the whole case becomes a strict xfail) or "<case id>::<GENE> <target>" (only that
# gene's expectations of that target, see TARGETS, are expected to fail; the case's other
# expectations must still pass, and the test fails once the known ones pass: strict). Each
# reason says what PharmCAT does and what the caller would need. Keys must name existing
# cases (and, when scoped, an existing gene/target of the case).
#
# Causes, each a gap in src/tailormed/calling (facts: PharmCAT 5431bf11
# reporter/caller/LowestFunctionGeneCaller, util/HaplotypeNameComparator; pgkb-common 0.7.3
# HaplotypeNameComparator / NaturalStringComparator; and the expected values themselves).
# The DPYD HapB3 rule (DpydHapB3Matcher) is implemented in src/tailormed/calling/hapb3.py:
# every DpydTest HapB3 case and hapb3.tsv run now matches PharmCAT.
RYR1_MALIGNANT_ORDER = (
    "RYR1 recommendation diplotype: PharmCAT's Ryr1ActivityComparator ranks functions "
    "containing 'Malignant' first, then names by HaplotypeNameComparator (natural order: "
    "c.97 < c.152 < c.418 < c.14918); the caller's malignant_first falls back to text order "
    "(c.14918 < c.152 < c.418 < c.97), and the KB's RYR1 functions (phenotype fallback "
    "2023-12-19) give c.97A>G, c.152C>A, c.418G>A and c.14918C>T no function at all"
)

# DpydTest.hapB3 (hapb3.tsv) runs: table row numbers per cause (see the table's columns in
# pharmcat_oracle.HAPB3_TABLE). A run listed under several causes gets every reason.
# None left: every run matches PharmCAT.
_HAPB3_CAUSES: tuple[tuple[str, str, tuple[int, ...]], ...] = ()


def _hapb3_known() -> dict[str, str]:
    reasons: dict[str, list[str]] = {}
    for reason, run, rows in _HAPB3_CAUSES:
        for row in rows:
            reasons.setdefault(f"DpydTest.hapB3#row_{row:03d}-{run}", []).append(reason)
    return {k: "; AND ".join(v) for k, v in reasons.items()}


KNOWN_DIFFERENCES: dict[str, str] = {
    # [c.97A>G, c.152C>A, c.418G>A, c.14918C>T]: PharmCAT c.97A>G/c.14918C>T (so c.14918C>T
    # is 'Malignant' in PharmCAT's current RYR1 data; name order alone gives c.97A>G/c.152C>A),
    # caller c.14918C>T/c.152C>A
    "Ryr1Test.cacna1sMissing_ryr1Het4::RYR1 recommended": (
        f"{RYR1_MALIGNANT_ORDER}; the caller now uses the natural name order, which is not "
        "enough here: the KB also needs current RYR1 function data (c.14918C>T must rank "
        "before c.152C>A)"
    ),
    **_hapb3_known(),
}


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
        if known and test_id in KNOWN_DIFFERENCES:  # the whole case
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
    known = _scoped_known(test_id)  # "GENE target" -> reason
    known_failing: set[str] = set()
    for expectation in case.expectations:
        # PharmCAT's matcher flags for this assertion map onto Tailormed's options
        opts = expectation.options
        key = (not opts.top_candidate_only, opts.find_combinations)
        if key not in callsets:
            options = CallOptions(genes=case.genes, all_matches=key[0], combinations=key[1])
            callsets[key] = call_files([vcf], kb, options)
        gc = callsets[key].call(case.sample, expectation.gene)
        why = compare_call(expectation, gc)
        scope = f"{expectation.gene} {expectation.target}"
        if scope in known:
            if why:
                known_failing.add(scope)
            continue
        if why:
            function = gc.function_diplotype.text if gc.function_diplotype else None
            problems.append(
                f"  {why}\n    phased={gc.phased} missing={list(gc.missing_positions)} "
                f"uncertain={list(gc.uncertain_alleles)} haplotypes={list(gc.haplotypes)} "
                f"function_diplotype={function} warnings={list(gc.warnings)}"
            )
    source = case.vcf_file or "VCF built from the record's TestVcfBuilder steps"
    assert not problems, f"{case.test_id} ({source}):\n" + "\n".join(problems)
    if known:
        fixed = sorted(set(known) - known_failing)
        assert not fixed, f"{test_id}: {fixed} now match PharmCAT; drop them from KNOWN_DIFFERENCES"
        pytest.xfail("; ".join(f"{scope}: {known[scope]}" for scope in sorted(known)))


def _scoped_known(test_id: str) -> dict[str, str]:
    prefix = f"{test_id}::"
    return {k[len(prefix) :]: r for k, r in KNOWN_DIFFERENCES.items() if k.startswith(prefix)}


def test_known_differences_name_existing_cases(oracle: Oracle) -> None:
    stale = []
    for key in KNOWN_DIFFERENCES:
        test_id, _, scope = key.partition("::")
        case = oracle.by_id.get(test_id)
        scopes = {f"{e.gene} {e.target}" for e in case.expectations} if case else set()
        if case is None or (scope and scope not in scopes):
            stale.append(key)
        elif scope and test_id in KNOWN_DIFFERENCES:
            stale.append(f"{key} (the whole case is listed too)")
    assert not stale, f"KNOWN_DIFFERENCES names no case (or no such gene/target): {stale}"
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
            assert e.target in TARGETS, case.test_id
            assert all(1 <= len(d) <= 2 for d in e.ordered), case.test_id
            if e.target == RECOMMENDED:  # one diplotype, written as 1 or 2 haplotype names
                assert len(e.ordered) == 1 and len(e.ordered[0]) == len(e.raw), case.test_id
            else:
                assert len(e.ordered) == len(e.raw), case.test_id
            if e.target == HAPLOTYPES:  # only unphased lowest-function genes list haplotypes
                assert e.gene in LOWEST_FUNCTION_GENES and e.ordered, case.test_id


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


def test_labels_map_to_allele_names(kb: KnowledgeBase) -> None:
    ryr1, g6pd, cftr = kb.gene("RYR1"), kb.gene("G6PD"), kb.gene("CFTR")
    got = parse_label("Reference/c.152C>A", ryr1, haploid=False)
    assert got == normalize(["c.152C>A", "Reference"])
    homozygous = parse_label("c.97A>G/c.97A>G (homozygous)", ryr1, haploid=False)
    assert homozygous == ("c.97A>G", "c.97A>G")
    combination = parse_label("c.97A>G/[c.97A>G + c.152C>A]", ryr1, haploid=False)
    assert combination == normalize(["c.97A>G", "[c.97A>G + c.152C>A]"])
    partial = parse_label("*1/g.18143724C>T", kb.gene("TPMT"), haploid=False)
    assert partial == ("*1", "g.18143724C>T")
    assert parse_label("Chatham", g6pd, haploid=True) == ("Chatham",)
    # CPIC-style report labels (Diplotype.buildLabel), only when reading labels
    het = parse_label("c.152C>A (heterozygous)", ryr1, haploid=False, cpic_style=True)
    assert het == normalize(["Reference", "c.152C>A"])
    ref = cftr.reference_allele.name
    assert ref == "ivacaftor non-responsive CFTR sequence"
    both = parse_label("Reference/Reference", cftr, haploid=False, cpic_style=True)
    assert both == (ref, ref)
    d1270n = parse_label("D1270N (heterozygous)", cftr, haploid=False, cpic_style=True)
    assert d1270n == normalize([ref, "D1270N"])
    combo_het = parse_label(
        "[c.97A>G + c.152C>A] (heterozygous)", ryr1, haploid=False, cpic_style=True
    )
    assert combo_het == normalize(["Reference", "[c.97A>G + c.152C>A]"])
    for label, gene, cpic in (
        ("c.152C>A (heterozygous)", ryr1, False),  # a label read as names
        ("Reference/Reference", cftr, False),  # CFTR's reference is not named Reference
        ("*2 (heterozygous)", kb.gene("CYP2C19"), True),  # not a CPIC-style gene
        ("c.97A>G", ryr1, True),  # one haplotype
        ("c.97A>G/[c.97A>G + c.1A>T]", ryr1, False),  # unknown component
        ("Not called", ryr1, True),
        ("a/b/c", ryr1, False),
    ):
        with pytest.raises(Unresolvable) as err:
            parse_label(label, gene, haploid=False, cpic_style=cpic)
        assert err.value.category == LABEL, label


def test_haplotype_lists_are_multisets(kb: KnowledgeBase) -> None:
    ryr1 = kb.gene("RYR1")
    values = ["c.97A>G (homozygous)", "c.152C>A"]
    assert is_haplotype_list(values, ryr1, haploid=False, cpic_style=False)
    assert parse_haplotype_list(values, ryr1) == (("c.97A>G", "c.97A>G"), ("c.152C>A",))
    assert not is_haplotype_list(["Reference/c.152C>A"], ryr1, haploid=False, cpic_style=False)
    assert not is_haplotype_list(["c.152C>A (heterozygous)"], ryr1, haploid=False, cpic_style=True)
    assert not is_haplotype_list(["Chatham"], kb.gene("G6PD"), haploid=True, cpic_style=False)
    with pytest.raises(Unresolvable):  # only allele names, no combinations
        parse_haplotype_list(["[c.97A>G + c.152C>A]"], ryr1)

    e = Expectation(
        "RYR1", "testSourceDiplotypes", parse_haplotype_list(values, ryr1),
        MatcherOptions(True), tuple(values), HAPLOTYPES,
    )  # fmt: skip
    hom = SimpleNamespace(diplotypes=(), haplotypes=("c.152C>A", "c.97A>G", "c.97A>G"))
    assert compare_call(e, hom) is None
    once = SimpleNamespace(diplotypes=(), haplotypes=("c.97A>G", "c.152C>A"))
    assert compare_call(e, once) is not None  # the homozygous one must be listed twice
    assert compare_call(e, SimpleNamespace(diplotypes=(), haplotypes=())) is not None


def test_recommendation_checks(kb: KnowledgeBase) -> None:
    def expectation(gene: str, *names: str) -> Expectation:
        check = Check(
            "t", "testRecommendedDiplotypes", gene, names, RECOMMENDATION, MatcherOptions(True)
        )
        return read_expectation(check, kb.gene(gene), haploid=False)

    def call(*diplotypes: tuple[str, ...], function: tuple[str, ...] | None = None) -> object:
        return SimpleNamespace(
            diplotypes=tuple(SimpleNamespace(alleles=d) for d in diplotypes),
            haplotypes=(),
            function_diplotype=SimpleNamespace(alleles=function) if function else None,
        )

    dpyd = expectation("DPYD", "c.2933A>G", "c.2933A>G (homozygous)")
    assert dpyd.target == RECOMMENDED and dpyd.ordered == (("c.2933A>G", "c.2933A>G"),)
    # lowest-function genes: the function diplotype, not the source diplotypes
    assert compare_call(dpyd, call(function=("c.2933A>G", "c.2933A>G"))) is None
    assert compare_call(dpyd, call(("c.2933A>G", "c.2933A>G"))) is not None
    assert compare_call(dpyd, call(function=("c.2933A>G", "c.2846A>T"))) is not None
    # other genes: any of the diplotypes, by allele counts
    ugt = expectation("UGT1A1", "*80+*28", "*1")
    assert compare_call(ugt, call(("*1", "*80+*28"), ("*28", "*80"))) is None
    assert compare_call(ugt, call(("*28", "*80"))) is not None
    one = expectation("G6PD", "Chatham")  # {Chatham: 1}: the haploid call
    assert compare_call(one, call(("Chatham",))) is None
    assert compare_call(one, call(("Chatham", "Chatham"))) is not None
    with pytest.raises(Unresolvable):
        expectation("TPMT", "Unknown/Unknown")


def test_java_helpers_behave_as_in_pharmcat() -> None:
    calls = ["Reference/[c.85T>C (*9A) + c.3067C>A]", "c.85T>C (*9A)/c.3067C>A"]
    assert evaluate("expectedCallsToCpicStyleCalls(x)", {"x": calls}, "t") == [
        "[c.85T>C (*9A) + c.3067C>A] (heterozygous)",
        "c.85T>C (*9A)/c.3067C>A",
    ]
    assert evaluate("expectedCallsToRecommendedDiplotypes(x)", {"x": ["*1/*2"]}, "t") == [
        "*1",
        "*2",
    ]
    assert evaluate("DpydHapB3Matcher.HAPB3_ALLELE", {}, "t") == HAPB3_ALLELE
    # DpydTest.doStandardChecks defaults: labels = calls, recommendation split from one call
    checks = standard_checks(
        ["Reference/c.2846A>T"], None, None, gene="DPYD", options=MatcherOptions(True), source=0
    )
    assert [(c.check, c.values) for c in checks] == [
        ("testSourceDiplotypes", ("Reference/c.2846A>T",)),
        ("testRecommendedDiplotypes", ("Reference", "c.2846A>T")),
    ]
    unphased = standard_checks(
        ["c.498G>A", "c.2582A>G"], None, None, gene="DPYD", options=MatcherOptions(True), source=0
    )
    assert unphased[-1].values == ("c.498G>A", "c.2582A>G")


def test_hapb3_table_is_read_as_dpyd_test_does(oracle: Oracle, kb: KnowledgeBase) -> None:
    assert hapb3_names("Reference/[c.61C>T+HapB3Intron]") == [
        f"Reference/[c.61C>T + {HAPB3_INTRONIC_ALLELE}]"
    ]
    assert hapb3_names("c.61C>T, c.85T>C (*9A) (homozygous), HapB3") == [
        "c.61C>T",
        "c.85T>C (*9A) (homozygous)",
        HAPB3_ALLELE,
    ]
    assert hapb3_names("ref/HapB3") == [f"Reference/{HAPB3_ALLELE}"]
    ids = [c.test_id for c in oracle.cases if c.record_id == "DpydTest.hapB3"]
    rows = {i.split("#")[1].rsplit("-", 1)[0] for i in ids}
    assert len(ids) == 2 * len(rows) and "row_004" in rows
    # row 96 (0|1 1|1 1|0 0|1 1|1 ...): phasing comes from the run, not the table's "|"
    phased = oracle.case("DpydTest.hapB3#row_096-phased")
    unphased = oracle.case("DpydTest.hapB3#row_096-unphased")
    assert phased.build is not None and phased.build.phased
    assert unphased.build is not None and not unphased.build.phased
    assert {e.target for e in unphased.expectations} == {HAPLOTYPES, RECOMMENDED}
    (rec,) = [e for e in unphased.expectations if e.target == RECOMMENDED]
    assert rec.ordered == (normalize(["c.61C>T", HAPB3_INTRONIC_ALLELE]),)


def test_java_calls_name_resolved_records(oracle: Oracle) -> None:
    resolved = {c.record_id for c in oracle.cases}
    ids = {record_id(r) for r in oracle.records}
    for rid in list(JAVA_CALLS) + list(TABLE_DRIVEN) + list(ASSERTION_SOURCES):
        assert rid in ids and rid in resolved, rid
    # the multi-build records became one case per build
    assert {c.test_id for c in oracle.cases if c.record_id == "PipelineTest.phaseSetCyp2C9"} == {
        f"PipelineTest.phaseSetCyp2C9#{n}" for n in (1, 2, 3, 4)
    }
    not_called = oracle.case("PipelineTest.phaseSetCyp2C9#2")
    assert [e.ordered for e in not_called.expectations] == [()]


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
