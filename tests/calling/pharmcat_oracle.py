"""PharmCAT's own test expectations, turned into oracle cases for Tailormed's caller.

Input: ``pharmcat/tests/test_expectations.jsonl`` in the shared data folder, 293 records
mined from PharmCAT's Java tests (see ``../shared/data/README.md``). Each record holds the
steps of PharmCAT's ``TestVcfBuilder`` (or the path of a test VCF) and the checks the test
made. This module keeps the checks that state a *matcher-level* diplotype result and
turns each into an :class:`OracleCase`: a VCF to call and the diplotypes PharmCAT expects.

Every record ends in exactly one bucket, each with its reason:

* :func:`oracle_cases`: resolved cases (a record may give several, see below);
* :func:`unresolved_records`: records that carry a diplotype-level expectation this module
  cannot turn into a case (helper-driven checks, outside calls, reporter-only labels, ...);
* :func:`out_of_scope_records`: records with no diplotype-level expectation at all.

Facts taken from PharmCAT's Java sources (PharmGKB/PharmCAT @ 5431bf11, the commit the
shared data was copied from) are kept in the explicit tables below, each with its origin.
No PharmCAT code is used or reproduced here; only the behaviour it documents.

How PharmCAT's test builder writes a VCF (``TestVcfBuilder.generate``), which
:func:`render_vcf` follows:

* every gene named by a ``variation``/``missing``/``reference`` step is written with
  **all** its definition positions, in the gene's ``PX`` INFO; positions without a step
  are homozygous reference (``0/0``, or ``0|0`` when the builder is ``phased``);
* the gene's exemption ``extraPositions`` (positions of interest that no allele uses) are
  written too, flagged ``POI``;
* ``variation(gene, rsid, a1, a2)``: each allele goes through the position's
  ``cpicToVcfAlleleMap`` (so ``TA(7)`` or ``delAGAAATGGAA`` become VCF alleles, and the
  reference is mapped as well); ``.`` stays a missing allele; an allele the map does not
  know is written as a new ALT only under ``allowUnknownAllele`` (PharmCAT throws
  otherwise; here a literal REF/ALT of the KB record is also accepted);
* ``missing(gene, rsid)``: PharmCAT writes the comment ``# missing: <rsid>`` *instead of*
  the record, so the position is **absent** from the VCF (not a ``./.`` genotype);
* ``phased``: every genotype of the build uses ``|``; ``variation(gene, rsid, true, ...)``
  and ``variationInPhaseSet`` phase a single record (the latter with a ``PS`` value);
* ``male()``: chrX genotypes are haploid (``0``); ``female()`` is the diploid default.

Expectation semantics (``NamedAlleleMatcherTest.assertDiplotypePairs`` compares the list
of ``DiplotypeMatch`` names, in order):

* with ``topCandidateOnly = true`` (PharmCAT's pipeline default, ``PipelineWrapper(...,
  allMatches=false)``) the list is every top-scoring tie: compared as an exact set;
* with ``topCandidateOnly = false`` (the default of ``testMatchNamedAlleles(env, def,
  vcf)``, used by most NamedAlleleMatcher*Test cases) the list is **every** matching
  diplotype, best score first (``DiplotypeMatch.compareTo``: score descending, then names).
  Tailormed's ``CallOptions(all_matches=True)`` gives the same list, so the test runs the
  caller with the flags of each assertion and compares the sets exactly.
  Single-entry and empty lists are exact either way.

Each expectation targets one field of Tailormed's ``GeneCall`` (:data:`TARGETS`):

* ``diplotypes``: the matcher's diplotypes (``assertDiplotypePairs``, ``testSourceDiplotypes``,
  ``testPrintCalls``). For DPYD/RYR1 with phased data these are every source diplotype,
  combination names included (``[c.61C>T + c.313G>A]``);
* ``haplotypes``: for DPYD/RYR1 with truly unphased data PharmCAT reports no diplotype but
  one source "diplotype" per haplotype found; tests write that as a list of single names,
  ``"X (homozygous)"`` for one found on both strands. Tailormed lists such a haplotype
  twice in ``GeneCall.haplotypes``, so the list is compared as a multiset;
* ``recommended``: ``testRecommendedDiplotypes``, the diplotype PharmCAT looks
  recommendations up with. For DPYD/RYR1 that is Tailormed's ``function_diplotype`` (the
  lowest-function pair); for every other gene the matcher's diplotype is used, so one of
  ``GeneCall.diplotypes`` must have the same allele counts (PharmCAT: ``anyMatch``).

Report labels are mapped back to allele names (``Diplotype.buildLabel``): for the
CPIC-style genes (CACNA1S, CFTR, DPYD, RYR1) ``"Reference/Reference"`` is the gene's
reference allele twice (CFTR's is "ivacaftor non-responsive CFTR sequence") and
``"X (heterozygous)"`` is reference/X; a trailing ``" (homozygous)"`` is dropped, as
``PipelineWrapper.stripHomozygousNotes`` does.

Where the miner could not see the expected values (DpydTest's ``doStandardChecks``
helper, tests that build several VCFs and reassign their locals, the HapB3 table that
``DpydTest.hapB3`` reads), the calls are transcribed from the Java source in
:data:`JAVA_CALLS` and :data:`TABLE_DRIVEN`, and expanded the way the helper does.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from tailormed.calling.models import allele_sort_key
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import DefiningVariant, GeneDefinition

REPO = Path(__file__).resolve().parents[2]
EXPECTATIONS = Path("pharmcat") / "tests" / "test_expectations.jsonl"
# ``vcf_paths`` in the records are relative to PharmCAT's checkout root
# ("src/test/resources/org/pharmgkb/pharmcat/..."); the shared data keeps that layout here.
RESOURCE_ROOT = Path("pharmcat") / "tests"
SAMPLE = "PharmCAT"  # the sample column PharmCAT's test builder writes

# --------------------------------------------------------------------------- Java facts

# PharmCAT src/main/java/org/pharmgkb/pharmcat/reporter/TextConstants.java @ 5431bf11.
# Only the constants the mined expectations use.
TEXT_CONSTANTS: Mapping[str, str] = {
    "TextConstants.REFERENCE": "Reference",
    "TextConstants.GENOTYPE_DELIMITER": "/",
    # HOMOZYGOUS_REFERENCE = REFERENCE + GENOTYPE_DELIMITER + REFERENCE
    "TextConstants.HOMOZYGOUS_REFERENCE": "Reference/Reference",
    # UNCALLED is what the *report* prints for a gene without a call (never a diplotype)
    "TextConstants.UNCALLED": "Not called",
}

# PharmCAT src/main/java/org/pharmgkb/pharmcat/haplotype/DpydHapB3Matcher.java @ 5431bf11.
HAPB3_ALLELE = "c.1129-5923C>G, c.1236G>A (HapB3)"
HAPB3_INTRONIC_ALLELE = "c.1129-5923C>G"

# Every named constant an expectation may use.
JAVA_CONSTANTS: Mapping[str, str] = {
    **TEXT_CONSTANTS,
    "DpydHapB3Matcher.HAPB3_ALLELE": HAPB3_ALLELE,
    "DpydHapB3Matcher.HAPB3_INTRONIC_ALLELE": HAPB3_INTRONIC_ALLELE,
}

# Java literals that appear as {"expr": ...} arguments.
JAVA_LITERALS: Mapping[str, list[str]] = {"new ArrayList<>()": []}

# PharmCAT Constants.LOWEST_FUNCTION_GENES: called allele by allele; unphased data gives a
# haplotype list, and the recommendation diplotype is the lowest-function pair.
LOWEST_FUNCTION_GENES = frozenset({"DPYD", "RYR1"})
# reporter/model/result/Diplotype.USE_CPIC_STYLE_DIPLOTYPE_NAMES: labels "Reference/Reference",
# "X (heterozygous)".
CPIC_STYLE_GENES = frozenset({"CACNA1S", "CFTR", "DPYD", "RYR1"})
HETEROZYGOUS_SUFFIX = " (heterozygous)"  # Diplotype.HETEROZYGOUS_SUFFIX
HOMOZYGOUS_SUFFIX = " (homozygous)"  # removed by PipelineWrapper.stripHomozygousNotes
# Partial names (CombinationMatcher / VariantLocus.getHgvsForVcfAllele): "g.18143724C>T",
# "g.40991369?", ...; combinations: "[a + b]" (CombinationMatcher.isCombinationName).
PARTIAL_NAME = re.compile(r"g\.\d+\S*")
COMBINATION_JOINER = " + "

# Local variables the miner left without a value, read from the Java test.
LOCALS_FROM_JAVA: Mapping[tuple[str, str], str] = {
    # NamedAlleleMatcherUgt1a1Test.ugt1a1HG00436: `List<String> expectedMatches = new
    # ArrayList<>();  // no match`
    ("NamedAlleleMatcherUgt1a1Test.ugt1a1HG00436", "expectedMatches"): "new ArrayList<>()",
}


@dataclass(frozen=True, slots=True)
class MatcherOptions:
    """How PharmCAT ran the matcher for one assertion."""

    top_candidate_only: bool
    find_combinations: bool = False
    with_exemptions: bool = True


# NamedAlleleMatcher*Test: testMatchNamedAlleles(env, definition, vcf) means
# topCandidateOnly=false, findCombinations=false, with exemptions.
MATCHER_TEST_DEFAULT = MatcherOptions(top_candidate_only=False)
# Every other class goes through PipelineWrapper(testInfo, allMatches=false[, ...]):
# topCandidateOnly = !allMatches = true, findCombinations=false.
PIPELINE_TEST_DEFAULT = MatcherOptions(top_candidate_only=True)

# Assertions that ran with other options, in the order of the record's diplotype checks
# (assertDiplotypePairs / testSourceDiplotypes / testPrintCalls; testRecommendedDiplotypes
# checks are not counted: they run on the same PipelineWrapper, see _wrapper_options).
# testMatchNamedAlleles overloads: (vcf, b) = topCandidateOnly; (vcf, b, b) =
# (findCombinations, topCandidateOnly); (vcf, b, b, b) = (topCandidateOnly, showUnmatched,
# withExemptions). PipelineWrapper(testInfo, b) = allMatches; (testInfo, b, b, b) =
# (findCombinations, allMatches, callCyp2d6).
OPTION_OVERRIDES: Mapping[str, tuple[MatcherOptions, ...]] = {
    "NamedAlleleMatcherCyp2c19Test.s1s4": (MatcherOptions(True),),
    "NamedAlleleMatcherCyp2c19Test.s1s17s1s4bMissingCalls": (MatcherOptions(True),),
    "NamedAlleleMatcherCyp2c19Test.s1s17s1s4bMissingMoreCalls": (MatcherOptions(True),),
    "NamedAlleleMatcherCyp3a5Test.s1s7missing": (
        MATCHER_TEST_DEFAULT,
        MatcherOptions(False, with_exemptions=False),
        MatcherOptions(False, with_exemptions=False),
    ),
    "NamedAlleleMatcherCyp3a5Test.s1s1rs776746missing": (
        MatcherOptions(True, with_exemptions=False),
    ),
    "NamedAlleleMatcherCyp4f2Test.s1_s4": (MatcherOptions(True),),
    "NamedAlleleMatcherCyp4f2Test.s2_s4": (MatcherOptions(True, find_combinations=True),),
    "NamedAlleleMatcherTpmtTest.tpmts1s1s": (
        MatcherOptions(False, with_exemptions=False),
        MATCHER_TEST_DEFAULT,
    ),
    "NamedAlleleMatcherUgt1a1Test.ugt1a1s28s80unphasedTopCandidateOnly": (MatcherOptions(True),),
    "PipelineTest.testCyp2b6star1star34AllMatch": (MatcherOptions(False),),
    "PipelineTest.testUndocumentedVariationsWithTreatAsReferenceAndCombo": (
        MatcherOptions(True, find_combinations=True),
        MatcherOptions(True, find_combinations=True),
    ),
}

# Builder steps the miner read from commented-out Java lines (indexes into vcf_builder).
COMMENTED_OUT_STEPS: Mapping[str, tuple[int, ...]] = {
    # PipelineTest.phaseSetDpyd, first ("unphased") build: `//.phased()`
    "PipelineTest.phaseSetDpyd": (0,),
}

# Records with several VCF sources: which source each check (diplotype and recommendation
# checks, in record order) ran on. Sources are the record's builds in order, then its
# resource VCFs.
ASSERTION_SOURCES: Mapping[str, tuple[int, ...]] = {
    # first asserts on the built VCF, then on haplotype/cyp2c19/s4bs17rs28399504missing.vcf
    "NamedAlleleMatcherCyp2c19Test.s4bs17rs28399504missing": (0, 1),
    # highScoreWrapper (c.2846A>T het): testPrintCpicCalls, testRecommendedDiplotypes; then
    # lowScoreWrapper (c.2846A>T hom): the same two checks
    "DpydTest.testDpydDifferenceOnScore": (0, 0, 1, 1),
}

# ------------------------------------------------------------------------ data model

# Checks that state the matcher's diplotypes. testPrintCpicCalls is PipelineWrapper's alias
# of testPrintCalls.
DIPLOTYPE_CHECKS = frozenset(
    {"assertDiplotypePairs", "testSourceDiplotypes", "testPrintCalls", "testPrintCpicCalls"}
)
# The check of the diplotype recommendations are looked up with (see TARGETS).
RECOMMENDATION_CHECK = "testRecommendedDiplotypes"

# What an expectation is compared with (fields of Tailormed's GeneCall).
DIPLOTYPES = "diplotypes"
HAPLOTYPES = "haplotypes"
RECOMMENDED = "recommended"
TARGETS: Mapping[str, str] = {
    DIPLOTYPES: "GeneCall.diplotypes: the matcher's (source) diplotypes",
    HAPLOTYPES: "GeneCall.haplotypes: unphased DPYD/RYR1, every haplotype found (homozygous "
    "ones twice), compared as a multiset",
    RECOMMENDED: "the diplotype recommendations are looked up with: GeneCall.function_diplotype "
    "for DPYD/RYR1, else one of GeneCall.diplotypes (same allele counts)",
}

# Reasons (the `category` of an unresolved record or skipped expectation).
HELPER = "helper-driven"
OUTSIDE = "not-called-by-matcher"
LABEL = "reporter-label"
MULTI = "multiple-builds"
EXPR = "unresolved-expression"
BUILD = "unreproducible-build"
MESSAGE = "report-message"
CATEGORY_TEXT: Mapping[str, str] = {
    HELPER: "expected calls only in local_values, checked by a helper method that "
    "JAVA_CALLS does not transcribe",
    OUTSIDE: "the gene's call is not the matcher's (outside call, gene absent from the "
    "VCF, or the test asserts testNotCalledByMatcher)",
    LABEL: "expected text is a report label that names no diplotype ('Not called', "
    "'Unknown/Unknown', a haplotype that is not an allele, combination or partial name, ...)",
    MULTI: "the record concatenates several VCF builds whose assertions cannot be paired",
    EXPR: "an argument is a Java expression without a mined value",
    BUILD: "a builder step this harness cannot reproduce",
    MESSAGE: "a report message PharmCAT expects (e.g. pcat-dpyd-hapB3-exonic-only); "
    "Tailormed's warnings are free text without message keys, so it is recorded, not compared",
}


class Unresolvable(Exception):
    def __init__(self, category: str, detail: str) -> None:
        super().__init__(f"{category}: {detail}")
        self.category = category
        self.detail = detail


def normalize(alleles: Iterable[str]) -> tuple[str, ...]:
    """A diplotype as an order-free key: its allele names in natural order."""
    return tuple(sorted(alleles, key=allele_sort_key))


def show(diplotype: Sequence[str]) -> str:
    return "/".join(diplotype)


@dataclass(frozen=True, slots=True)
class Expectation:
    """One PharmCAT assertion about one gene's call.

    ``ordered`` depends on ``target``: the diplotypes in PharmCAT's order (``diplotypes``);
    one entry per listed haplotype, ``(name, name)`` for ``"X (homozygous)"``
    (``haplotypes``); the one recommendation diplotype (``recommended``).
    """

    gene: str
    check: str  # e.g. "assertDiplotypePairs", "testPrintCalls"
    ordered: tuple[tuple[str, ...], ...]  # PharmCAT's list, normalized, in PharmCAT's order
    options: MatcherOptions
    raw: tuple[str, ...]  # the strings as written in the test
    target: str = DIPLOTYPES

    @property
    def diplotypes(self) -> frozenset[tuple[str, ...]]:
        return frozenset(self.ordered)

    @property
    def haplotypes(self) -> tuple[str, ...]:
        """The haplotype list as a sorted multiset (homozygous ones twice)."""
        return normalize(name for entry in self.ordered for name in entry)

    @property
    def all_matches(self) -> bool:
        """The list is every match (best first), not only the top-scoring ties."""
        return (
            self.target == DIPLOTYPES
            and not self.options.top_candidate_only
            and len(self.ordered) > 1
        )

    def describe(self) -> str:
        if self.target == HAPLOTYPES:
            return f"{self.check}({self.gene}) [haplotypes found]: {', '.join(self.haplotypes)}"
        if self.target == RECOMMENDED:
            return f"{self.check}({self.gene}) [recommendation diplotype]: {show(self.ordered[0])}"
        mode = "all matches, best first" if self.all_matches else "top-scoring ties"
        shown = ", ".join(show(d) for d in self.ordered) or "no call"
        return f"{self.check}({self.gene}) [{mode}]: {shown}"


def compare(expectation: Expectation, called: Iterable[Sequence[str]]) -> str | None:
    """``None`` when the caller's diplotypes satisfy the expectation, else the reason."""
    got = {normalize(d) for d in called}
    want = expectation.diplotypes
    got_text = ", ".join(sorted(show(d) for d in got)) or "no call"
    if not expectation.all_matches:
        if got == want:
            return None
        return f"{expectation.describe()}; caller: {got_text}"
    # all matches: the caller runs with ``all_matches`` too, so the sets must be equal
    if got == want:
        return None
    return f"{expectation.describe()}; caller: {got_text}"


def compare_call(expectation: Expectation, call: Any) -> str | None:
    """``None`` when a ``GeneCall`` satisfies the expectation (any target), else the reason."""
    diplotypes = [tuple(d.alleles) for d in call.diplotypes]
    if expectation.target == DIPLOTYPES:
        return compare(expectation, diplotypes)
    if expectation.target == HAPLOTYPES:
        got = normalize(call.haplotypes)
        if got == expectation.haplotypes:
            return None
        got_text = ", ".join(got) or "none; diplotypes: " + (
            ", ".join(show(d) for d in diplotypes) or "no call"
        )
        return f"{expectation.describe()}; caller: {got_text}"
    if expectation.target != RECOMMENDED:
        raise AssertionError(f"unknown target {expectation.target!r}")
    want = Counter(expectation.ordered[0])
    if expectation.gene in LOWEST_FUNCTION_GENES:
        function = call.function_diplotype
        candidates = [tuple(function.alleles)] if function is not None else []
        what = "function_diplotype"
    else:
        candidates = diplotypes  # PharmCAT: any recommendation diplotype matches
        what = "diplotypes"
    if any(Counter(c) == want for c in candidates):
        return None
    got_text = ", ".join(show(c) for c in candidates) or "none"
    return f"{expectation.describe()}; caller {what}: {got_text}"


@dataclass(frozen=True, slots=True)
class Edit:
    """One builder step on one position."""

    gene: str
    key: str  # rsid, or "chrom:position"
    alleles: tuple[str, ...] | None  # CPIC/VCF alleles per haplotype; None = missing
    phased: bool | None = None  # per-record override of the build's phasing
    phase_set: int | None = None
    raw_gt: str | None = None  # variationAsIs: written verbatim
    raw_ref: str | None = None
    raw_alts: tuple[str, ...] = ()
    reference: bool = False  # reference(gene, rsid...): homozygous REF
    extra: bool = False  # an exemption extra position (extraPosition / missingExtraPosition)


@dataclass(frozen=True, slots=True)
class Build:
    """One TestVcfBuilder: the genes it names and the edits it makes."""

    genes: tuple[str, ...]
    edits: tuple[Edit, ...]
    phased: bool = False
    chrx_copies: int = 2  # 1 after male()
    allow_unknown: bool = False

    def edit_for(self, gene: str, variant: DefiningVariant, *, extra: bool) -> Edit | None:
        for e in self.edits:
            if e.gene != gene or e.extra != extra:
                continue
            if e.key in (
                variant.rsid,
                f"{variant.chrom}:{variant.position}",
                f"@{variant.position}",
            ):
                return e
        return None


@dataclass(frozen=True, slots=True)
class OracleCase:
    test_id: str  # "Class.test", with "#n" when one record gives several cases
    record_id: str  # "Class.test"
    genes: tuple[str, ...]
    sample: str
    vcf_text: str
    expectations: tuple[Expectation, ...]
    build: Build | None  # None when the record names a resource VCF
    vcf_file: Path | None
    skipped: tuple[tuple[str, str, str], ...] = ()  # (gene or check, category, detail)

    def write(self, folder: Path) -> Path:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.test_id) + ".vcf"
        path = folder / name
        path.write_text(self.vcf_text, encoding="utf-8")
        return path


@dataclass(frozen=True, slots=True)
class SetAside:
    """A record that gives no case, and why."""

    test_id: str
    category: str
    detail: str


@dataclass(frozen=True, slots=True)
class Oracle:
    records: tuple[Mapping[str, Any], ...]
    cases: tuple[OracleCase, ...]
    unresolved: tuple[SetAside, ...]
    out_of_scope: tuple[SetAside, ...]
    by_id: Mapping[str, OracleCase] = field(default_factory=dict)

    def case(self, test_id: str) -> OracleCase:
        return self.by_id[test_id]


# ------------------------------------------------------------------------- records


def record_id(record: Mapping[str, Any]) -> str:
    return f"{record['test_class']}.{record['test_name']}"


def read_records(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def diplotype_checks(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The mined checks this harness compares: diplotype and recommendation checks."""
    wanted = DIPLOTYPE_CHECKS | {RECOMMENDATION_CHECK}
    return [e for e in record.get("expectations") or () if e["check"] in wanted]


def has_diplotype_expectation(record: Mapping[str, Any]) -> bool:
    """A diplotype-level check, expected-call lists held in local variables, or checks
    transcribed from the Java test (:data:`JAVA_CALLS`, :data:`TABLE_DRIVEN`)."""
    if diplotype_checks(record) or record_id(record) in JAVA_CALLS:
        return True
    if record_id(record) in TABLE_DRIVEN:
        return True
    return any(isinstance(v, list) for v in (record.get("local_values") or {}).values())


# --------------------------------------------------------------------- expressions


def _split_concat(expr: str) -> list[str]:
    parts, buf, quoted = [], "", False
    for ch in expr:
        if ch == '"':
            quoted = not quoted
        if ch == "+" and not quoted:
            parts.append(buf.strip())
            buf = ""
        else:
            buf += ch
    parts.append(buf.strip())
    return parts


def evaluate(expr: str, local_values: Mapping[str, Any], test_id: str) -> Any:
    """The value of a mined ``{"expr": ...}`` argument, or :class:`Unresolvable`."""
    s = expr.strip()
    if s in JAVA_LITERALS:
        return list(JAVA_LITERALS[s])
    if s in JAVA_CONSTANTS:
        return JAVA_CONSTANTS[s]
    m = re.fullmatch(r"([A-Za-z_]\w*)\((.*)\)", s)
    if m and m.group(1) in JAVA_HELPERS:
        return JAVA_HELPERS[m.group(1)](evaluate(m.group(2), local_values, test_id), test_id)
    if re.fullmatch(r"[A-Za-z_]\w*", s):
        if s in local_values:
            return resolve(local_values[s], local_values, test_id)
        if (test_id, s) in LOCALS_FROM_JAVA:
            return evaluate(LOCALS_FROM_JAVA[(test_id, s)], local_values, test_id)
        raise Unresolvable(EXPR, f"{s!r} has no mined literal value")
    m = re.fullmatch(r"([A-Za-z_]\w*)\.get\((\d+)\)", s)
    if m:
        seq = evaluate(m.group(1), local_values, test_id)
        if isinstance(seq, list) and int(m.group(2)) < len(seq):
            return seq[int(m.group(2))]
        raise Unresolvable(EXPR, s)
    parts = _split_concat(s)
    if len(parts) > 1:
        out = []
        for p in parts:
            if p in JAVA_CONSTANTS:
                out.append(JAVA_CONSTANTS[p])
            elif re.fullmatch(r'"[^"]*"', p):
                out.append(p[1:-1])
            else:
                raise Unresolvable(EXPR, s)
        return "".join(out)
    raise Unresolvable(EXPR, s)


def expected_calls_to_recommended_diplotypes(calls: Any, test_id: str) -> list[str]:
    """PipelineTest.expectedCallsToRecommendedDiplotypes: one "A/B" call -> ["A", "B"]."""
    if not isinstance(calls, list) or len(calls) != 1 or not isinstance(calls[0], str):
        raise Unresolvable(EXPR, f"expectedCallsToRecommendedDiplotypes({calls!r})")
    return calls[0].split(TEXT_CONSTANTS["TextConstants.GENOTYPE_DELIMITER"])


def expected_calls_to_cpic_style_calls(calls: Any, test_id: str) -> list[str]:
    """PipelineTest.expectedCallsToCpicStyleCalls: "Reference/X" -> "X (heterozygous)"."""
    if not isinstance(calls, list) or not all(isinstance(c, str) for c in calls):
        raise Unresolvable(EXPR, f"expectedCallsToCpicStyleCalls({calls!r})")
    prefix = "Reference/"
    return [
        c[len(prefix) :] + HETEROZYGOUS_SUFFIX
        if c.startswith(prefix) and not c.endswith("/Reference")
        else c
        for c in calls
    ]


# Static helpers of PharmCAT's tests that expectations call, by name.
JAVA_HELPERS: Mapping[str, Any] = {
    "expectedCallsToRecommendedDiplotypes": expected_calls_to_recommended_diplotypes,
    "expectedCallsToCpicStyleCalls": expected_calls_to_cpic_style_calls,
}


def resolve(value: Any, local_values: Mapping[str, Any], test_id: str) -> Any:
    if isinstance(value, dict) and "expr" in value:
        return evaluate(value["expr"], local_values, test_id)
    if isinstance(value, list):
        return [resolve(v, local_values, test_id) for v in value]
    return value


# ------------------------------------------------------------------------- builder

_BUILD_FLAGS = {"phased", "allowUnknownAllele", "male", "female", "sexChromosomes"}
_NO_OUTPUT = {"withDefinition", "forGene", "saveFile"}


def _literal(arg: Any, what: str) -> Any:
    if isinstance(arg, dict):
        raise Unresolvable(EXPR, f"{what}: {arg.get('expr')!r}")
    return arg


def _position_form(args: Sequence[Any]) -> bool:
    """``(gene, "chrX", 154532082, ...)`` rather than ``(gene, "rs123", ...)``."""
    return (
        len(args) >= 3
        and isinstance(args[1], str)
        and args[1].startswith("chr")
        and isinstance(args[2], int)
        and not isinstance(args[2], bool)
    )


def _edits_of(step: Mapping[str, Any]) -> list[Edit]:
    op, args = step["op"], list(step["args"])
    if op in _BUILD_FLAGS or op in _NO_OUTPUT:
        return []
    gene = _literal(args[0], f"{op} gene")
    if op == "reference":
        out = []
        for a in args[1:]:
            if isinstance(a, dict) and str(a.get("expr", "")).lstrip().startswith("//"):
                continue  # a commented-out argument in the Java source
            a = _literal(a, "reference position")
            key = a if isinstance(a, str) else f"@{a}"  # reference(gene, long... positions)
            out.append(Edit(gene, key, None, reference=True))
        return out
    if op == "missing":
        if _position_form(args):
            return [Edit(gene, f"{args[1]}:{args[2]}", None)]
        return [Edit(gene, _literal(a, "missing rsid"), None) for a in args[1:]]
    if op in ("variation", "extraPosition"):
        if _position_form(args):
            key, rest = f"{args[1]}:{args[2]}", args[3:]
        else:
            key, rest = _literal(args[1], f"{op} rsid"), args[2:]
        phased = None
        if rest and isinstance(rest[0], bool):
            phased, rest = rest[0], rest[1:]
        alleles = tuple(_literal(a, f"{op} allele") for a in rest)
        return [Edit(gene, key, alleles, phased=phased, extra=op == "extraPosition")]
    if op == "missingExtraPosition":
        return [Edit(gene, _literal(args[1], "rsid"), None, extra=True)]
    if op == "variationInPhaseSet":
        key, ps = _literal(args[1], "rsid"), _literal(args[2], "phase set")
        alleles = tuple(_literal(a, "allele") for a in args[3:])
        return [Edit(gene, key, alleles, phased=True, phase_set=int(ps))]
    if op == "variationAsIs":
        if _position_form(args):
            key, rest = f"{args[1]}:{args[2]}", args[3:]
        else:
            key, rest = _literal(args[1], "rsid"), args[2:]
        gt, ref, *alts = (_literal(a, "as-is field") for a in rest)
        return [Edit(gene, key, None, raw_gt=gt, raw_ref=ref, raw_alts=tuple(alts))]
    raise Unresolvable(BUILD, f"builder step {op}{tuple(args)} is not supported")


def _mentions(step: Mapping[str, Any]) -> str | None:
    """The gene a step adds to the VCF (TestVcfBuilder's m_edits keys)."""
    if step["op"] in ("reference", "missing", "variation", "variationInPhaseSet", "variationAsIs"):
        return str(step["args"][0])
    return None


def parse_builds(steps: Sequence[Mapping[str, Any]]) -> list[Build]:
    """Split the mined steps into builds and read each one.

    The miner concatenates the steps of every builder a Java test makes. A new build
    starts where a position is edited a second time; ``phased``/``male``/... steps after
    the previous build's last edit belong to the new one.
    """
    groups: list[list[Mapping[str, Any]]] = [[]]
    seen: set[tuple[str, str, bool]] = set()
    pending: list[Mapping[str, Any]] = []  # steps without an edit since the last edit
    for step in steps:
        keys = {(e.gene, e.key, e.extra) for e in _edits_of(step)}
        if not keys:
            pending.append(step)
            continue
        if keys & seen:  # a position edited again: the next builder
            groups.append(pending)
            seen = set()
        else:
            groups[-1].extend(pending)
        pending = []
        groups[-1].append(step)
        seen |= keys
    groups[-1].extend(pending)

    builds = []
    for group in groups:
        genes: list[str] = []
        edits: dict[tuple[str, str, bool], Edit] = {}
        phased = allow = False
        chrx = 2
        for step in group:
            op = step["op"]
            if op == "phased":
                phased = True
            elif op == "allowUnknownAllele":
                allow = True
            elif op == "male":
                chrx = 1
            elif op == "female":
                chrx = 2
            elif op == "sexChromosomes":
                chrx = int(step["args"][0])
            gene = _mentions(step)
            if gene and gene not in genes:
                genes.append(gene)
            for e in _edits_of(step):
                edits[(e.gene, e.key, e.extra)] = e  # a later edit of a key wins (HashMap.put)
        builds.append(Build(tuple(genes), tuple(edits.values()), phased, chrx, allow))
    return builds


def _chrom_key(chrom: str) -> tuple[int, str]:
    name = chrom.removeprefix("chr")
    if name.isdigit():
        return (int(name), "")
    return ({"X": 23, "Y": 24, "M": 25, "MT": 25}.get(name, 99), name)


def vcf_alleles(variant: DefiningVariant, allele: str, *, allow_unknown: bool) -> str | None:
    """The VCF allele a builder allele stands for (``None`` for ``.``), or raises."""
    if allele == ".":
        return None
    mapped = variant.cpic_to_vcf.get(allele)
    if mapped is not None:
        return mapped
    if allele in variant.alleles:
        return allele
    if allow_unknown:
        return allele
    raise Unresolvable(BUILD, f"{variant.label}: no VCF allele for {allele!r}")


def _genotype(variant: DefiningVariant, edit: Edit, build: Build) -> tuple[str, str, str]:
    """``(ref, alt column, GT)`` of one edited record."""
    if edit.raw_gt is not None:
        return edit.raw_ref or variant.ref, ",".join(edit.raw_alts) or ".", edit.raw_gt
    alts = list(variant.alts)
    if edit.reference:
        alleles: tuple[str, ...] = (variant.ref, variant.ref)
    else:
        assert edit.alleles is not None
        alleles = edit.alleles
    if len(alleles) == 1 and variant.chrom not in ("chrX", "chrY"):
        raise Unresolvable(BUILD, f"{edit.key}: one allele off the sex chromosomes")
    if len(alleles) not in (1, 2):
        raise Unresolvable(BUILD, f"{edit.key}: {len(alleles)} alleles")
    indices = []
    for a in alleles:
        vcf = vcf_alleles(variant, a, allow_unknown=build.allow_unknown)
        if vcf is None:
            indices.append(".")
        elif vcf == variant.ref:
            indices.append("0")
        else:
            if vcf not in alts:
                alts.append(vcf)
            indices.append(str(alts.index(vcf) + 1))
    phased = build.phased if edit.phased is None else edit.phased
    return variant.ref, ",".join(alts) or ".", ("|" if phased else "/").join(indices)


def _ref_sample(gene: GeneDefinition, build: Build) -> str:
    sep = "|" if build.phased else "/"
    if gene.chrom == "chrX" and build.chrx_copies != 2:
        return sep.join(["0"] * build.chrx_copies)
    if gene.chrom in ("chrY", "chrM"):
        return "0"
    return sep.join(["0", "0"])


def render_vcf(build: Build, kb: KnowledgeBase, title: str, sample: str = SAMPLE) -> str:
    """A VCFv4.2 text for one build (see the module docstring for the rules)."""
    records: dict[tuple[str, int], str] = {}
    contigs: dict[str, str] = {}
    used: set[tuple[str, str, bool]] = set()
    for symbol in build.genes:
        gene = kb.gene(symbol)
        contigs[gene.chrom] = gene.genome_build
        for extra, variants, info in (
            (False, gene.variants, f"PX={symbol}"),
            (True, gene.exemptions.extra_positions, "POI"),
        ):
            for v in variants:
                edit = build.edit_for(symbol, v, extra=extra)
                if edit is not None:
                    used.add((edit.gene, edit.key, edit.extra))
                    if edit.alleles is None and not edit.reference and edit.raw_gt is None:
                        continue  # missing: PharmCAT writes only a "# missing" comment
                    ref, alt, gt = _genotype(v, edit, build)
                else:
                    ref, alt, gt = v.ref, ",".join(v.alts) or ".", _ref_sample(gene, build)
                fmt, value = "GT", gt
                if edit is not None and edit.phase_set is not None:
                    fmt, value = "GT:PS", f"{gt}:{edit.phase_set}"
                pos = (v.chrom, v.position)
                line = "\t".join(
                    [
                        v.chrom,
                        str(v.position),
                        v.rsid or ".",
                        ref,
                        alt,
                        ".",
                        "PASS",
                        info,
                        fmt,
                        value,
                    ]
                )
                if pos in records and records[pos] != line:
                    raise Unresolvable(BUILD, f"two genes write {v.chrom}:{v.position}")
                records[pos] = line
    unused = [e for e in build.edits if (e.gene, e.key, e.extra) not in used]
    # extraPosition edits of genes the build does not name are dropped by PharmCAT too
    unused = [e for e in unused if not (e.extra and e.gene not in build.genes)]
    if unused:
        raise Unresolvable(
            BUILD, "not a position of the gene: " + ", ".join(f"{e.gene} {e.key}" for e in unused)
        )
    if len(set(contigs.values())) > 1:
        raise Unresolvable(BUILD, f"several assemblies: {sorted(set(contigs.values()))}")
    header = [
        "##fileformat=VCFv4.2",
        f"##source=Tailormed PharmCAT oracle ({title})",
        *(
            f'##contig=<ID={c},assembly={a},species="Homo sapiens">'
            for c, a in sorted(contigs.items(), key=lambda ca: _chrom_key(ca[0]))
        ),
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##INFO=<ID=PX,Number=.,Type=String,Description="Gene">',
        '##INFO=<ID=POI,Number=0,Type=Flag,Description="Position of interest, '
        'not part of an allele definition">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"])
        + f"\t{sample}",
    ]
    body = [records[k] for k in sorted(records, key=lambda k: (_chrom_key(k[0]), k[1]))]
    return "\n".join(header + body) + "\n"


# ---------------------------------------------------------------------- resolution


def _definition_gene(record: Mapping[str, Any]) -> str | None:
    name = record.get("definition_file")
    return name.removesuffix("_translation.json") if name else None


def core_allele_names(shared: Path, gene: str) -> frozenset[str]:
    """Core names of the definition's ``suballelesMap`` (``*45.001`` -> ``*45``).

    PharmCAT's matcher renames suballeles to their core allele in every diplotype it
    reports (``DiplotypeMatch.handleSuballeleConversion``), so its expectations use the
    core name, which is not itself a named allele. The KB does not carry the map, so it
    is read from the shared definition file. (At 5431bf11 only SLCO1B1 has one.)
    """
    path = shared / "pharmcat" / "definition" / "alleles" / f"{gene}_translation.json"
    if not path.is_file():
        return frozenset()
    data = json.loads(path.read_text(encoding="utf-8"))
    return frozenset((data.get("suballelesMap") or {}).values())


def _known_names(gene: GeneDefinition, extra_names: Iterable[str]) -> set[str]:
    return {a.name for a in gene.named_alleles} | set(extra_names)


def haplotype_name(name: str, gene: GeneDefinition, known: Iterable[str]) -> str:
    """``name`` if it is one haplotype as PharmCAT's matcher names it, else
    :class:`Unresolvable`: a KB allele name (or suballele core), a partial
    (``g.18143724C>T``, ``g.40991369?``) or a combination of those (``[*2 + *17]``)."""
    known = set(known)
    if name in known or PARTIAL_NAME.fullmatch(name):
        return name
    if name.startswith("[") and name.endswith("]") and COMBINATION_JOINER in name:
        parts = name[1:-1].split(COMBINATION_JOINER)
        if all(p in known or PARTIAL_NAME.fullmatch(p) for p in parts):
            return name
    raise Unresolvable(LABEL, f"{gene.symbol}: {name!r} is no allele, combination or partial")


def parse_label(
    label: str,
    gene: GeneDefinition,
    *,
    haploid: bool,
    extra_names: Iterable[str] = (),
    cpic_style: bool = False,
) -> tuple[str, ...]:
    """A diplotype (or its report label) as allele names, or :class:`Unresolvable`.

    Names must be haplotype names (:func:`haplotype_name`). With ``cpic_style`` the text
    is a report label: for the CPIC-style genes ``"Reference/Reference"`` is the gene's
    reference allele twice and ``"X (heterozygous)"`` is reference/X
    (``Diplotype.buildLabel``). A trailing ``" (homozygous)"`` is dropped
    (``PipelineWrapper.stripHomozygousNotes``).
    """
    text = label.removesuffix(HOMOZYGOUS_SUFFIX)
    known = _known_names(gene, extra_names)
    if cpic_style and gene.symbol in CPIC_STYLE_GENES:
        reference = gene.reference_allele.name
        if text == TEXT_CONSTANTS["TextConstants.HOMOZYGOUS_REFERENCE"]:
            return (reference, reference)
        if text.endswith(HETEROZYGOUS_SUFFIX):
            other = haplotype_name(text.removesuffix(HETEROZYGOUS_SUFFIX), gene, known)
            return normalize([reference, other])
    parts = text.split(TEXT_CONSTANTS["TextConstants.GENOTYPE_DELIMITER"])
    if len(parts) == 1 and not haploid:
        raise Unresolvable(LABEL, f"{gene.symbol}: {label!r} is one haplotype, not a diplotype")
    if len(parts) > 2:
        raise Unresolvable(LABEL, f"{gene.symbol}: {label!r}")
    return normalize(haplotype_name(p, gene, known) for p in parts)


def is_haplotype_list(
    values: Sequence[str], gene: GeneDefinition, *, haploid: bool, cpic_style: bool
) -> bool:
    """A lowest-function gene's unphased result: single names, not diplotypes."""
    if gene.symbol not in LOWEST_FUNCTION_GENES or haploid or not values:
        return False
    delimiter = TEXT_CONSTANTS["TextConstants.GENOTYPE_DELIMITER"]
    return all(
        delimiter not in v and not (cpic_style and v.endswith(HETEROZYGOUS_SUFFIX)) for v in values
    )


def parse_haplotype_list(
    values: Sequence[str], gene: GeneDefinition, *, extra_names: Iterable[str] = ()
) -> tuple[tuple[str, ...], ...]:
    """An unphased DPYD/RYR1 haplotype list: one entry per value, ``(X, X)`` for
    ``"X (homozygous)"`` (a haplotype found on both strands). Only KB allele names."""
    known = _known_names(gene, extra_names)
    out = []
    for value in values:
        name = value.removesuffix(HOMOZYGOUS_SUFFIX)
        if name not in known:
            raise Unresolvable(LABEL, f"{gene.symbol}: {value!r} is not an allele of the gene")
        out.append((name, name) if value.endswith(HOMOZYGOUS_SUFFIX) else (name,))
    return tuple(out)


# How a check's strings are read.
NAMES = "names"  # matcher names ("Reference/c.152C>A")
LABELS = "labels"  # report labels ("c.152C>A (heterozygous)")
RECOMMENDATION = "recommendation"  # 1 or 2 haplotype names
NO_CALL = "no-call"  # testNotCalledByMatcher on a VCF the gene is in: no diplotype


@dataclass(frozen=True, slots=True)
class Check:
    """One comparison to make, before its strings are read as allele names."""

    what: str  # for reports, e.g. "testSourceDiplotypes#3"
    check: str
    gene: str
    values: tuple[str, ...]
    reading: str
    options: MatcherOptions
    source: int | None = None  # index of the VCF source; None: paired by position


def read_expectation(
    check: Check, gene: GeneDefinition, *, haploid: bool, extra_names: Iterable[str] = ()
) -> Expectation:
    """The :class:`Expectation` a check states, or :class:`Unresolvable`."""
    values = list(check.values)
    ordered: tuple[tuple[str, ...], ...]
    if check.reading == NO_CALL:
        ordered, target = (), DIPLOTYPES
    elif check.reading == RECOMMENDATION:
        # PipelineWrapper.testRecommendedDiplotypes: 1 or 2 haplotype names; the lookup map
        # counts them ({A:1, B:1}, {A:2}; one name: {A:1}); "Unknown/Unknown" = not reportable
        names = [v.removesuffix(HOMOZYGOUS_SUFFIX) for v in values]
        if names == ["Unknown/Unknown"]:
            raise Unresolvable(LABEL, f"{check.gene}: 'Unknown/Unknown' (not reportable)")
        if not 1 <= len(names) <= 2:
            raise Unresolvable(EXPR, f"{check.check}({check.gene}): {values!r}")
        known = _known_names(gene, extra_names)
        ordered = (normalize(haplotype_name(n, gene, known) for n in names),)
        target = RECOMMENDED
    elif is_haplotype_list(values, gene, haploid=haploid, cpic_style=check.reading == LABELS):
        ordered = parse_haplotype_list(values, gene, extra_names=extra_names)
        target = HAPLOTYPES
    else:
        cpic_style = check.reading == LABELS
        ordered = tuple(
            parse_label(v, gene, haploid=haploid, extra_names=extra_names, cpic_style=cpic_style)
            for v in values
        )
        target = DIPLOTYPES
    raw = () if check.reading == NO_CALL else tuple(values)
    return Expectation(check.gene, check.check, ordered, check.options, raw, target)


# ----------------------------------------------------------- checks read from Java


@dataclass(frozen=True, slots=True)
class StandardChecks:
    """``DpydTest.doStandardChecks(wrapper, vcf, expectedCalls, cpicStyleCalls,
    recommendedDips, hasMissingPositions, ...)``, as a test calls it.

    Each argument is a Java expression over the record's locals (``"expectedCalls"``) or
    the literal values the test wrote inline; ``None`` is Java's ``null`` (the helper's
    default). When ``calls`` is literal, expressions see it as ``expectedCalls``.
    """

    calls: str | tuple[str, ...] = "expectedCalls"
    cpic_style: str | tuple[str, ...] | None = None
    recommended: str | tuple[str, ...] | None = None
    options: MatcherOptions = PIPELINE_TEST_DEFAULT
    source: int = 0  # which of the record's VCF builds
    messages: str = ""  # report messages the test asserts besides (recorded, not compared)
    gene: str = "DPYD"


@dataclass(frozen=True, slots=True)
class JavaCheck:
    """One PipelineWrapper assertion transcribed from the Java test."""

    check: str  # testSourceDiplotypes / testPrintCpicCalls / testNotCalledByMatcher / ...
    gene: str
    values: tuple[str, ...] = ()
    options: MatcherOptions = PIPELINE_TEST_DEFAULT
    source: int = 0


# PipelineWrapper(testInfo, findCombinations=true, allMatches=false, callCyp2d6=false)
PIPELINE_COMBINATIONS = MatcherOptions(top_candidate_only=True, find_combinations=True)

# Checks PharmCAT's tests make through helpers or on reassigned locals, which the miner
# could not see; read from src/test/java/org/pharmgkb/pharmcat/{DpydTest,PipelineTest}.java
# @ 5431bf11. Values named by a local use the record's mined local_values.
JAVA_CALLS: Mapping[str, tuple[StandardChecks | JavaCheck, ...]] = {
    "DpydTest.testDpydUnphased": (StandardChecks(),),
    "DpydTest.testDpydUndocumentedVariation": (StandardChecks(),),
    "DpydTest.testDpydUnphasedMultiple1": (StandardChecks(recommended=("c.1024G>A", "c.1314T>G")),),
    "DpydTest.testDpydUnphasedMultiple2": (StandardChecks(recommended=("c.1024G>A", "c.1314T>G")),),
    "DpydTest.testDpydC2846het": (StandardChecks(cpic_style="cpicStyleCalls"),),
    "DpydTest.testDpydPhasedMultiTrans": (StandardChecks(recommended=("c.498G>A", "c.2933A>G")),),
    "DpydTest.testDpydUnphasedMultiTrans": (
        StandardChecks(recommended=("c.2933A>G", "c.2846A>T")),
    ),
    "DpydTest.testDpydUnphasedMultiTrans_infer_homo": (
        StandardChecks(recommended=("c.2933A>G", "c.2933A>G")),
    ),
    "DpydTest.testDpydS12het": (StandardChecks(cpic_style="cpicStyleCalls"),),
    "DpydTest.testDpydHomNoFunctionEffectivelyPhased": (
        StandardChecks(recommended=("c.61C>T", "c.61C>T")),
    ),
    "DpydTest.testDpydHomNoFunctionPhased": (StandardChecks(recommended=("c.61C>T", "c.61C>T")),),
    "DpydTest.testDpydHomNoFunctionUnphased": (
        StandardChecks(recommended=("c.2933A>G", "c.2933A>G")),
    ),
    "DpydTest.issue155_strandMismatch": (StandardChecks(recommended="recommendedDiplotypes"),),
    "DpydTest.issue209_strandMismatch": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.issue156": (
        StandardChecks(cpic_style="cpicStyleCalls", recommended=("Reference", HAPB3_ALLELE)),
    ),
    "DpydTest.phaseSet_lowFunctionsOnSameStrand": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.testFindCombinations": (StandardChecks(options=PIPELINE_COMBINATIONS),),
    "DpydTest.hapB3AndIntronicC": (StandardChecks(options=PIPELINE_COMBINATIONS),),
    "DpydTest.hapB3AndIntronicC_missingFirstAllele": (
        StandardChecks(
            cpic_style="cpicStyleCalls",
            options=PIPELINE_COMBINATIONS,
            messages="no pcat-dpyd-hapB3-exonic-only / -intronic-mismatch-exonic message",
        ),
    ),
    "DpydTest.hapB3AndIntronicC_missingSecondAllele": (
        StandardChecks(cpic_style="cpicStyleCalls", options=PIPELINE_COMBINATIONS),
    ),
    "DpydTest.hapB3AndIntronicC_missingAlternateStrands1": (
        StandardChecks(
            cpic_style="cpicStyleCalls",
            options=PIPELINE_COMBINATIONS,
            messages="message pcat-dpyd-hapB3-exonic-only (and no other HapB3 message)",
        ),
    ),
    "DpydTest.hapB3AndIntronicC_missingAlternateStrands2": (
        StandardChecks(
            cpic_style="cpicStyleCalls",
            options=PIPELINE_COMBINATIONS,
            messages="message pcat-dpyd-hapB3-exonic-only (and no other HapB3 message)",
        ),
    ),
    "DpydTest.hapB3AndIntronicD": (
        StandardChecks(recommended="recommendedDiplotypes", options=PIPELINE_COMBINATIONS),
    ),
    "DpydTest.hapB3AndIntronicA": (
        StandardChecks(
            recommended=("c.1905+1G>A (*2A)", HAPB3_INTRONIC_ALLELE),
            options=PIPELINE_COMBINATIONS,
        ),
    ),
    "DpydTest.hapB3AndIntronicB": (
        StandardChecks(recommended="recommendedDiplotypes", options=PIPELINE_COMBINATIONS),
    ),
    "DpydTest.psMissToRef": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.psHapB": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.psDpwg": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.psDpwgFlip": (StandardChecks(recommended="recommendedDiplotypes"),),
    "DpydTest.psDpwgNoRec": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    "DpydTest.psTest3Sets": (
        StandardChecks(
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended="recommendedDiplotypes",
        ),
    ),
    # three builds ("unphased", "phased", "phaseSet"); expectedCalls is reassigned, so the
    # mined local holds one of the values only
    "PipelineTest.phaseSetDpyd": (
        StandardChecks(
            calls=("c.85T>C (*9A)", "c.3067C>A"),
            recommended=("c.85T>C (*9A)", "c.3067C>A"),
            source=0,
        ),
        StandardChecks(
            calls=("Reference/[c.85T>C (*9A) + c.3067C>A]",),
            cpic_style=("[c.85T>C (*9A) + c.3067C>A] (heterozygous)",),
            recommended=("Reference", "c.85T>C (*9A)"),
            source=1,
        ),
        StandardChecks(
            calls=("Reference/[c.85T>C (*9A) + c.3067C>A]", "c.85T>C (*9A)/c.3067C>A"),
            cpic_style="expectedCallsToCpicStyleCalls(expectedCalls)",
            recommended=("c.85T>C (*9A)", "Reference"),
            source=2,
        ),
    ),
    # four builds: "unphased", "phased" (testNotCalledByMatcher), "phasedCombo"
    # (findCombinations), "phaseSets" (allMatches); expectedCalls is reassigned
    "PipelineTest.phaseSetCyp2C9": (
        JavaCheck("testPrintCpicCalls", "CYP2C9", ("*2/*3",), source=0),
        JavaCheck("testSourceDiplotypes", "CYP2C9", ("*2/*3",), source=0),
        JavaCheck("testNotCalledByMatcher", "CYP2C9", source=1),
        JavaCheck("testPrintCpicCalls", "CYP2C9", ("*1/[*2 + *3]",), PIPELINE_COMBINATIONS, 2),
        JavaCheck("testSourceDiplotypes", "CYP2C9", ("*1/[*2 + *3]",), PIPELINE_COMBINATIONS, 2),
        JavaCheck("testPrintCpicCalls", "CYP2C9", ("*2/*3",), MatcherOptions(False), 3),
        JavaCheck("testSourceDiplotypes", "CYP2C9", ("*2/*3",), MatcherOptions(False), 3),
    ),
}

_JAVA_CHECK_READING: Mapping[str, str] = {
    "assertDiplotypePairs": NAMES,
    "testSourceDiplotypes": LABELS,
    "testPrintCalls": LABELS,
    "testPrintCpicCalls": LABELS,
    RECOMMENDATION_CHECK: RECOMMENDATION,
    "testNotCalledByMatcher": NO_CALL,
}


def _string_list(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise Unresolvable(EXPR, f"{what}: {value!r}")
    return tuple(value)


def standard_checks(
    calls: Sequence[str],
    cpic_style: Sequence[str] | None,
    recommended: Sequence[str] | None,
    *,
    gene: str,
    options: MatcherOptions,
    source: int,
) -> list[Check]:
    """What ``DpydTest.doStandardChecks`` asserts (besides report content).

    A null ``cpicStyleCalls`` becomes ``expectedCalls``; a null ``recommendedDips`` becomes
    ``expectedCallsToRecommendedDiplotypes(expectedCalls)`` for one call, else
    ``expectedCalls``. Then ``testSourceDiplotypes(gene, expectedCalls, cpicStyleCalls)``
    (names, and labels), ``testRecommendedDiplotypes(gene, recommendedDips)`` and
    ``testPrintCalls(gene, cpicStyleCalls)`` (the same labels; DPYD prints its source
    diplotypes).
    """
    calls = tuple(calls)
    labels = calls if cpic_style is None else tuple(cpic_style)
    if recommended is None:
        recommended = (
            tuple(expected_calls_to_recommended_diplotypes(list(calls), ""))
            if len(calls) == 1
            else calls
        )
    out = [
        Check("testSourceDiplotypes", "testSourceDiplotypes", gene, calls, NAMES, options, source)
    ]
    if labels != calls:
        out.append(
            Check(
                "testSourceDiplotypes/testPrintCalls",
                "testPrintCalls",
                gene,
                labels,
                LABELS,
                options,
                source,
            )
        )
    out.append(
        Check(
            RECOMMENDATION_CHECK,
            RECOMMENDATION_CHECK,
            gene,
            tuple(recommended),
            RECOMMENDATION,
            options,
            source,
        )
    )
    return out


def _argument(
    arg: str | tuple[str, ...] | None, scope: Mapping[str, Any], rid: str, what: str
) -> tuple[str, ...] | None:
    """A transcribed argument: literal values, a Java expression, or ``None`` (null)."""
    if arg is None or isinstance(arg, tuple):
        return arg
    return _string_list(evaluate(arg, scope, rid), what)


def _java_checks(
    rid: str, local_values: Mapping[str, Any]
) -> tuple[list[Check], list[tuple[str, str, str]]]:
    """The checks of :data:`JAVA_CALLS` for one record, and the messages set aside."""
    checks: list[Check] = []
    skipped: list[tuple[str, str, str]] = []
    for n, call in enumerate(JAVA_CALLS[rid], start=1):
        if isinstance(call, JavaCheck):
            checks.append(
                Check(
                    f"{call.check}#{n}",
                    call.check,
                    call.gene,
                    call.values,
                    _JAVA_CHECK_READING[call.check],
                    call.options,
                    call.source,
                )
            )
            continue

        calls = _argument(call.calls, local_values, rid, "expectedCalls")
        assert calls is not None
        # inside doStandardChecks the calls are `expectedCalls`, whatever the caller named them
        scope = {**local_values, "expectedCalls": list(calls)}
        cpic = _argument(call.cpic_style, scope, rid, "cpicStyleCalls")
        recommended = _argument(call.recommended, scope, rid, "recommendedDips")
        checks += standard_checks(
            calls, cpic, recommended, gene=call.gene, options=call.options, source=call.source
        )
        if call.messages:
            skipped.append(
                (f"doStandardChecks#{n} messages", MESSAGE, f"{call.gene}: {call.messages}")
            )
    return checks, skipped


# ------------------------------------------------------------- table-driven records

# DpydTest.hapB3 reads its cases from a TSV (one row per genotype pattern, run phased and
# unphased by runDpydTest); the table's columns, @ 5431bf11:
#   0-6   genotypes ("0/1", "1|0", "missing") at HAPB3_RSIDS; "/" or "|" only splits the two
#         alleles: phasing comes from the run (TestVcfBuilder.phased() or not)
#   7     phased call          8   phased recommendation (if different from the call)
#   9     unphased call (if different from the phased call)
#   10    unphased recommendation (if different)
#   11    "yes": PGx (variant) warnings expected
#   12/13 HapB3 message expected in the phased / unphased run (else none)
HAPB3_TABLE = "src/test/resources/org/pharmgkb/pharmcat/haplotype/DPYD/hapb3.tsv"
HAPB3_RSIDS = (
    "rs56038477",  # HapB3 exonic  (c.1236G>A)
    "rs75017182",  # HapB3 intronic (c.1129-5923C>G)
    "rs72549310",  # c.61C>T, no function
    "rs67376798",  # c.2846A>T, decreased function
    "rs1801265",  # c.85T>C (*9A), normal function
    "rs186169810",  # written with "G", an allele the definition does not know ("non-PGx")
    "rs115232898",  # c.557A>G, decreased function (not in DPWG)
)
HAPB3_OTHER_ALLELE: Mapping[str, str] = {"rs186169810": "G"}


def hapb3_names(cell: str) -> list[str]:
    """DpydTest.parseDiplotypes: comma-separated entries; ``a+b`` -> ``a + b``; ``ref``,
    ``HapB3Intron`` and ``HapB3`` expanded, in that order."""
    out = []
    for part in cell.split(","):
        text = re.sub(r"(\S)\+(\S)", r"\1 + \2", part.strip())
        text = text.replace("ref", "Reference")
        text = text.replace("HapB3Intron", HAPB3_INTRONIC_ALLELE)
        out.append(text.replace("HapB3", HAPB3_ALLELE))
    return out


@dataclass(frozen=True, slots=True)
class _TableCase:
    test_id: str
    build: Build
    checks: tuple[Check, ...]
    skipped: tuple[tuple[str, str, str], ...]


def hapb3_cases(shared: Path, kb: KnowledgeBase) -> list[_TableCase]:
    """Every run of DpydTest.hapB3: a build and the checks runDpydTest makes on it."""
    path = _resource(shared, HAPB3_TABLE)
    if not path.is_file():
        raise Unresolvable(BUILD, f"missing {path}")
    rows = [line.rstrip("\n").split("\t") for line in path.read_text("utf-8").splitlines()]
    if tuple(rows[2][: len(HAPB3_RSIDS)]) != HAPB3_RSIDS:  # the test asserts the rsid row
        raise Unresolvable(BUILD, f"{path.name}: unexpected rsid row {rows[2][:7]}")
    gene = kb.gene("DPYD")
    variants = {v.rsid: v for v in gene.variants}
    out = []
    for number, data in enumerate(rows[3:], start=4):  # runDpydTest names rows from 4
        data += [""] * (16 - len(data))
        for phased in (True, False):
            test_id = f"DpydTest.hapB3#row_{number:03d}-{'phased' if phased else 'unphased'}"
            edits = []
            for rsid, cell in zip(HAPB3_RSIDS, data, strict=False):
                if cell.lower() == "missing":
                    edits.append(Edit("DPYD", rsid, None))
                    continue
                sep = "/" if "/" in cell else "|"
                gt = cell.split(sep)
                if len(gt) != 2:
                    raise Unresolvable(BUILD, f"{test_id}: genotype {cell!r}")
                v = variants[rsid]
                alt = HAPB3_OTHER_ALLELE.get(rsid, v.alts[0])
                edits.append(Edit("DPYD", rsid, tuple(v.ref if a == "0" else alt for a in gt)))
            build = Build(
                genes=("DPYD",),
                edits=tuple(edits),
                phased=phased,
                allow_unknown=data[5].lower() != "missing",  # setVariation with nonPgxAllele
            )
            calls = hapb3_names(data[7])
            if not phased and data[9].strip():
                calls = hapb3_names(data[9])
            # phased: column 8; unphased: column 10, else 8; else the calls themselves
            rec_cell = data[10] if not phased and data[10].strip() else data[8]
            recommended = hapb3_names(rec_cell) if rec_cell.strip() else list(calls)
            if len(recommended) == 1:
                recommended = expected_calls_to_recommended_diplotypes(recommended, test_id)
            prefix = "Reference/"
            cpic = [
                c[len(prefix) :] + HETEROZYGOUS_SUFFIX
                for c in calls
                if c.startswith(prefix) and not c.endswith("/Reference")
            ]
            checks = standard_checks(
                calls,
                cpic or None,
                recommended,
                gene="DPYD",
                options=PIPELINE_TEST_DEFAULT,
                source=0,
            )
            skipped = []
            message = (data[12] if phased else data[13]).strip()
            if message:
                skipped.append(("message", MESSAGE, f"DPYD: message {message}"))
            out.append(_TableCase(test_id, build, tuple(checks), tuple(skipped)))
    return out


# Records whose cases come from a resource table instead of builder steps.
TABLE_DRIVEN: Mapping[str, Any] = {"DpydTest.hapB3": hapb3_cases}


# ------------------------------------------------------------------ mined checks


def _check_gene(
    check: Mapping[str, Any], record: Mapping[str, Any], lv: Mapping[str, Any]
) -> str | None:
    if check["check"] == "assertDiplotypePairs":
        return None
    gene = resolve(check["args"][0], lv, record_id(record))
    return str(gene)


def _check_values(
    check: Mapping[str, Any], lv: Mapping[str, Any], test_id: str
) -> list[tuple[str, tuple[str, ...]]]:
    """The expected strings of one mined check, resolved, with how to read them."""
    args = list(check["args"])
    name = check["check"]
    if name == "assertDiplotypePairs":
        value = resolve(args[0], lv, test_id)
        return [(NAMES, _string_list(value, name))]
    if name == "testSourceDiplotypes":
        # (gene, diplotypes): labels; (gene, diplotypes, visibleAlleleDiplotypes): the
        # second is compared with allele names (testDiplotypeNames), the third with labels
        first = (
            NAMES if len(args) > 2 else LABELS,
            _string_list(resolve(args[1], lv, test_id), name),
        )
        if len(args) > 2:
            return [first, (LABELS, _string_list(resolve(args[2], lv, test_id), name))]
        return [first]
    # testPrintCalls / testPrintCpicCalls / testRecommendedDiplotypes:
    # (gene, String...) or (gene, List)
    rest = [resolve(a, lv, test_id) for a in args[1:]]
    values = rest[0] if len(rest) == 1 and isinstance(rest[0], list) else rest
    reading = RECOMMENDATION if name == RECOMMENDATION_CHECK else LABELS
    return [(reading, _string_list(values, name))]


def _options(test_id: str, index: int, count: int) -> MatcherOptions:
    overrides = OPTION_OVERRIDES.get(test_id)
    if overrides is not None:
        if len(overrides) != count:
            raise AssertionError(f"OPTION_OVERRIDES[{test_id}] lists {len(overrides)} of {count}")
        return overrides[index]
    if test_id.startswith("NamedAlleleMatcher"):
        return MATCHER_TEST_DEFAULT
    return PIPELINE_TEST_DEFAULT


def _wrapper_options(test_id: str) -> MatcherOptions:
    """The options of the PipelineWrapper a testRecommendedDiplotypes check ran on."""
    overrides = OPTION_OVERRIDES.get(test_id)
    if overrides:
        if len(set(overrides)) != 1:
            raise AssertionError(f"{test_id}: recommendation check with per-check options")
        return overrides[0]
    if test_id.startswith("NamedAlleleMatcher"):
        return MATCHER_TEST_DEFAULT
    return PIPELINE_TEST_DEFAULT


def _resource(shared: Path, rel: str) -> Path:
    return shared / RESOURCE_ROOT / rel


def _vcf_sample(text: str) -> str:
    for line in text.splitlines():
        if line.startswith("#CHROM"):
            cols = line.split("\t")
            if len(cols) < 10:
                raise Unresolvable(BUILD, "resource VCF has no sample column")
            return cols[9]  # PharmCAT calls the first sample when none is named
    raise Unresolvable(BUILD, "resource VCF has no #CHROM line")


def _join(details: Iterable[str]) -> str:
    return "; ".join(dict.fromkeys(details))


@dataclass
class _Source:
    kind: str  # "builder" or "file"
    build: Build | None
    path: Path | None


def _aside(rid: str, skipped: Sequence[tuple[str, str, str]]) -> SetAside:
    if any(c == MULTI for _, c, _ in skipped):
        return SetAside(rid, MULTI, _join(d for _, c, d in skipped if c == MULTI))
    categories = sorted({c for _, c, _ in skipped if c != MESSAGE} or {HELPER})
    return SetAside(rid, "+".join(categories), _join(d for _, _, d in skipped) or rid)


def _resolve_record(
    record: Mapping[str, Any], kb: KnowledgeBase, shared: Path
) -> tuple[list[OracleCase], SetAside | None]:
    rid = record_id(record)
    if rid in TABLE_DRIVEN:
        return _resolve_table(rid, kb, shared)
    lv = record.get("local_values") or {}
    mined = diplotype_checks(record)
    if not mined and rid not in JAVA_CALLS:
        return [], SetAside(rid, HELPER, CATEGORY_TEXT[HELPER])

    # the VCF source(s) the checks ran on
    sources: list[_Source] = []
    try:
        if record.get("vcf_builder"):
            dropped = COMMENTED_OUT_STEPS.get(rid, ())
            steps = [st for i, st in enumerate(record["vcf_builder"]) if i not in dropped]
            builds = parse_builds(steps)
            sources += [_Source("builder", b, None) for b in builds]
        for rel in record.get("vcf_paths") or ():
            sources.append(_Source("file", None, _resource(shared, rel)))
    except Unresolvable as exc:
        return [], SetAside(rid, exc.category, exc.detail)
    if not sources:
        return [], SetAside(rid, BUILD, "no VCF builder steps and no VCF file")

    skipped: list[tuple[str, str, str]] = []
    checks: list[Check] = []
    not_called: set[str] = set()
    if rid in JAVA_CALLS:
        try:
            checks, skipped = _java_checks(rid, lv)
        except Unresolvable as exc:
            return [], SetAside(rid, exc.category, exc.detail)
        if any(c.source is None or c.source >= len(sources) for c in checks):
            raise AssertionError(f"JAVA_CALLS[{rid}] names a source the record does not have")
    else:
        for e in record.get("expectations") or ():
            if e["check"] == "testNotCalledByMatcher":
                for a in e["args"]:
                    with contextlib.suppress(Unresolvable):
                        not_called.add(str(resolve(a, lv, rid)))
        pairing: list[int] = []
        if len(sources) == 1:
            pairing = [0] * len(mined)
        elif rid in ASSERTION_SOURCES:
            pairing = list(ASSERTION_SOURCES[rid])
            if len(pairing) != len(mined) or not all(0 <= i < len(sources) for i in pairing):
                raise AssertionError(f"ASSERTION_SOURCES[{rid}] does not fit the record")
        n_calls = sum(1 for c in mined if c["check"] in DIPLOTYPE_CHECKS)
        call_index = 0
        for index, mined_check in enumerate(mined):
            what = f"{mined_check['check']}#{index + 1}"
            if mined_check["check"] in DIPLOTYPE_CHECKS:
                options = _options(rid, call_index, n_calls)
                call_index += 1
            else:
                options = _wrapper_options(rid)
            try:
                gene = _check_gene(mined_check, record, lv)
                if gene is None:  # assertDiplotypePairs: the matcher's definition file's gene
                    gene = _definition_gene(record)
                    builder_genes = {g for s in sources if s.build for g in s.build.genes}
                    if builder_genes and builder_genes != {gene}:
                        if len(builder_genes) == 1:
                            gene = next(iter(builder_genes))
                        else:
                            raise Unresolvable(BUILD, f"matcher gene unclear: {builder_genes}")
                if gene is None:
                    raise Unresolvable(BUILD, "no gene for assertDiplotypePairs")
                readings = _check_values(mined_check, lv, rid)
            except Unresolvable as exc:
                skipped.append((what, exc.category, exc.detail))
                continue
            source_index = pairing[index] if pairing else None
            name = mined_check["check"]
            for reading, strings in readings:
                checks.append(Check(what, name, gene, strings, reading, options, source_index))

    parsed: list[tuple[Check, Expectation]] = []
    for check in checks:
        try:
            if check.gene in not_called:
                if len(sources) > 1 and check.source is None:
                    raise Unresolvable(
                        MULTI,
                        f"{check.gene}: testNotCalledByMatcher in one of {len(sources)} builds",
                    )
                raise Unresolvable(OUTSIDE, f"{check.gene}: testNotCalledByMatcher")
            if check.gene not in kb.genes:
                raise Unresolvable(
                    OUTSIDE, f"{check.gene}: no allele definitions (outside calls only)"
                )
            in_vcf = any(
                (s.kind == "file" and check.gene == _definition_gene(record))
                or (s.build is not None and check.gene in s.build.genes)
                for i, s in enumerate(sources)
                if check.source is None or i == check.source
            )
            if not in_vcf:
                raise Unresolvable(OUTSIDE, f"{check.gene}: not in the test VCF (an outside call)")
            definition = kb.gene(check.gene)
            haploid = definition.chrom == "chrX" and any(
                s.build is not None and s.build.chrx_copies == 1 for s in sources
            )
            expectation = read_expectation(
                check,
                definition,
                haploid=haploid,
                extra_names=core_allele_names(shared, check.gene),
            )
            parsed.append((check, expectation))
        except Unresolvable as exc:
            skipped.append((check.what, exc.category, exc.detail))

    if not parsed:
        return [], _aside(rid, skipped)

    per_source: dict[int, list[Expectation]] = {}
    if all(c.source is not None for c, _ in parsed):
        for check, expectation in parsed:
            assert check.source is not None
            per_source.setdefault(check.source, []).append(expectation)
    else:
        # several builds: only when every build has exactly one check and all checks agree
        # (then the pairing does not matter); the miner keeps one value per local name,
        # so diverging builds cannot be told apart
        distinct = {(e.gene, e.target, e.ordered, e.options) for _, e in parsed}
        if len(parsed) != len(checks) or len(checks) != len(sources) or len(distinct) != 1:
            return [], SetAside(
                rid,
                MULTI,
                f"{len(sources)} VCF sources, {len(checks)} checks "
                f"({len(parsed)} resolved, {len(distinct)} distinct)",
            )
        for i, (_, expectation) in enumerate(parsed):
            per_source[i] = [expectation]

    cases = []
    numbered = len(per_source) > 1
    for n, (source_index, expectations) in enumerate(sorted(per_source.items()), start=1):
        source = sources[source_index]
        test_id = f"{rid}#{n}" if numbered else rid
        try:
            if source.kind == "file":
                assert source.path is not None
                if not source.path.is_file():
                    raise Unresolvable(BUILD, f"missing resource VCF {source.path}")
                text = source.path.read_text(encoding="utf-8")
                sample = _vcf_sample(text)
            else:
                assert source.build is not None
                text = render_vcf(source.build, kb, test_id)
                sample = SAMPLE
        except Unresolvable as exc:
            if numbered:
                skipped.append((f"source#{n}", exc.category, exc.detail))
                continue
            return [], SetAside(rid, exc.category, exc.detail)
        genes = tuple(dict.fromkeys(e.gene for e in expectations))
        cases.append(
            OracleCase(
                test_id=test_id,
                record_id=rid,
                genes=genes,
                sample=sample,
                vcf_text=text,
                expectations=tuple(expectations),
                build=source.build,
                vcf_file=source.path,
                skipped=tuple(skipped),
            )
        )
    if not cases:
        return [], _aside(rid, skipped)
    return cases, None


def _resolve_table(
    rid: str, kb: KnowledgeBase, shared: Path
) -> tuple[list[OracleCase], SetAside | None]:
    try:
        table = TABLE_DRIVEN[rid](shared, kb)
    except Unresolvable as exc:
        return [], SetAside(rid, exc.category, exc.detail)
    cases = []
    all_skipped: list[tuple[str, str, str]] = []
    for tc in table:
        skipped = list(tc.skipped)
        expectations = []
        for check in tc.checks:
            try:
                definition = kb.gene(check.gene)
                expectations.append(
                    read_expectation(
                        check,
                        definition,
                        haploid=False,
                        extra_names=core_allele_names(shared, check.gene),
                    )
                )
            except Unresolvable as exc:
                skipped.append((check.what, exc.category, exc.detail))
        all_skipped += skipped
        if not expectations:
            continue
        try:
            text = render_vcf(tc.build, kb, tc.test_id)
        except Unresolvable as exc:
            all_skipped.append((tc.test_id, exc.category, exc.detail))
            continue
        cases.append(
            OracleCase(
                test_id=tc.test_id,
                record_id=rid,
                genes=tuple(dict.fromkeys(e.gene for e in expectations)),
                sample=SAMPLE,
                vcf_text=text,
                expectations=tuple(expectations),
                build=tc.build,
                vcf_file=None,
                skipped=tuple(skipped),
            )
        )
    if not cases:
        return [], _aside(rid, all_skipped)
    return cases, None


def _out_of_scope_reason(record: Mapping[str, Any]) -> SetAside:
    rid = record_id(record)
    checks = sorted({e["check"] for e in record.get("expectations") or ()})
    if checks:
        return SetAside(rid, "report-level-only", "checks: " + ", ".join(checks))
    return SetAside(
        rid,
        "nothing-mined",
        "no expectations or expected-call lists were mined (assertions live in Java code)",
    )


@cache
def load_oracle(shared: Path, kb: KnowledgeBase) -> Oracle:
    """Read the expectations under ``shared`` and sort every record into a bucket."""
    records = read_records(shared / EXPECTATIONS)
    cases: list[OracleCase] = []
    unresolved: list[SetAside] = []
    out_of_scope: list[SetAside] = []
    for record in records:
        if not has_diplotype_expectation(record):
            out_of_scope.append(_out_of_scope_reason(record))
            continue
        got, aside = _resolve_record(record, kb, shared)
        cases += got
        if aside is not None:
            unresolved.append(aside)
    return Oracle(
        records=tuple(records),
        cases=tuple(cases),
        unresolved=tuple(unresolved),
        out_of_scope=tuple(out_of_scope),
        by_id={c.test_id: c for c in cases},
    )


# ------------------------------------------------------------------ convenience API


def default_shared() -> Path:
    """The shared data folder, found as ``tests/conftest.py`` finds it."""
    env = os.environ.get("TAILORMED_SOURCE")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        raise FileNotFoundError(f"shared data folder not found: {path}")
    return path


def _oracle(shared: Path | None, kb: KnowledgeBase | None) -> Oracle:
    if kb is None:
        from tailormed.knowledge import load_kb

        kb = load_kb()
    return load_oracle(shared or default_shared(), kb)


def oracle_cases(shared: Path | None = None, kb: KnowledgeBase | None = None) -> list[OracleCase]:
    return list(_oracle(shared, kb).cases)


def unresolved_records(
    shared: Path | None = None, kb: KnowledgeBase | None = None
) -> list[SetAside]:
    """Records with a diplotype-level expectation that gave no case, with the reason."""
    return list(_oracle(shared, kb).unresolved)


def out_of_scope_records(
    shared: Path | None = None, kb: KnowledgeBase | None = None
) -> list[SetAside]:
    """Records without any diplotype-level expectation."""
    return list(_oracle(shared, kb).out_of_scope)


def summary(shared: Path | None = None, kb: KnowledgeBase | None = None) -> str:
    oracle = _oracle(shared, kb)
    lines = [
        f"records: {len(oracle.records)}",
        f"with a diplotype-level expectation: {len(oracle.records) - len(oracle.out_of_scope)}",
        f"  resolved records: {len({c.record_id for c in oracle.cases})} "
        f"-> cases: {len(oracle.cases)}",
        f"  unresolved records: {len(oracle.unresolved)}",
    ]
    groups: dict[str, list[str]] = {}
    for u in oracle.unresolved:
        groups.setdefault(u.category, []).append(u.test_id)
    for category, ids in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"    {len(ids):3d} {category}")
    lines.append(f"out of scope: {len(oracle.out_of_scope)}")
    groups = {}
    for u in oracle.out_of_scope:
        groups.setdefault(u.category, []).append(u.test_id)
    for category, ids in sorted(groups.items()):
        lines.append(f"    {len(ids):3d} {category}")
    targets: dict[str, int] = {}
    for case in oracle.cases:
        for e in case.expectations:
            targets[e.target] = targets.get(e.target, 0) + 1
    lines.append("expectations by target: " + ", ".join(f"{t} {n}" for t, n in targets.items()))
    partial = [c for c in oracle.cases if c.skipped]
    lines.append(f"cases with some expectations skipped or only recorded: {len(partial)}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(summary())
