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
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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

# Java literals that appear as {"expr": ...} arguments.
JAVA_LITERALS: Mapping[str, list[str]] = {"new ArrayList<>()": []}

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

# Assertions that ran with other options, in the order of the record's diplotype checks.
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

# Records that use both a built VCF and a resource VCF: which source each diplotype check
# (in order) ran on. NamedAlleleMatcherCyp2c19Test.s4bs17rs28399504missing first asserts
# on the built VCF, then on haplotype/cyp2c19/s4bs17rs28399504missing.vcf.
ASSERTION_SOURCES: Mapping[str, tuple[str, ...]] = {
    "NamedAlleleMatcherCyp2c19Test.s4bs17rs28399504missing": ("builder", "file"),
}

# ------------------------------------------------------------------------ data model

# Checks that state diplotypes. testPrintCpicCalls is PipelineWrapper's alias of
# testPrintCalls. testRecommendedDiplotypes is left out: it checks the diplotypes the
# reporter looks recommendations up with, which may differ from the matcher's call.
DIPLOTYPE_CHECKS = frozenset(
    {"assertDiplotypePairs", "testSourceDiplotypes", "testPrintCalls", "testPrintCpicCalls"}
)

# Reasons (the `category` of an unresolved record or skipped expectation).
HELPER = "helper-driven"
OUTSIDE = "not-called-by-matcher"
LABEL = "reporter-label"
MULTI = "multiple-builds"
EXPR = "unresolved-expression"
BUILD = "unreproducible-build"
CATEGORY_TEXT: Mapping[str, str] = {
    HELPER: "expected calls only in local_values, checked by a helper method the miner "
    "did not follow (e.g. DpydTest.doStandardChecks)",
    OUTSIDE: "the gene's call is not the matcher's (outside call, gene absent from the "
    "VCF, or the test asserts testNotCalledByMatcher)",
    LABEL: "expected text is a report label, not a diplotype of KB allele names "
    "(CPIC-style '(heterozygous)', '[a + b]' combinations, lowest-function haplotype "
    "lists, 'Not called', relabelled reference, ...)",
    MULTI: "the record concatenates several VCF builds whose assertions cannot be paired",
    EXPR: "an argument is a Java expression without a mined value",
    BUILD: "a builder step this harness cannot reproduce",
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
    """One PharmCAT assertion about one gene's diplotypes."""

    gene: str
    check: str  # e.g. "assertDiplotypePairs", "testPrintCalls"
    ordered: tuple[tuple[str, ...], ...]  # PharmCAT's list, normalized, in PharmCAT's order
    options: MatcherOptions
    raw: tuple[str, ...]  # the strings as written in the test

    @property
    def diplotypes(self) -> frozenset[tuple[str, ...]]:
        return frozenset(self.ordered)

    @property
    def all_matches(self) -> bool:
        """The list is every match (best first), not only the top-scoring ties."""
        return not self.options.top_candidate_only and len(self.ordered) > 1

    def describe(self) -> str:
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
    return [e for e in record.get("expectations") or () if e["check"] in DIPLOTYPE_CHECKS]


def has_diplotype_expectation(record: Mapping[str, Any]) -> bool:
    """A diplotype-level check, or expected-call lists held in local variables."""
    if diplotype_checks(record):
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
    if s in TEXT_CONSTANTS:
        return TEXT_CONSTANTS[s]
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
            if p in TEXT_CONSTANTS:
                out.append(TEXT_CONSTANTS[p])
            elif re.fullmatch(r'"[^"]*"', p):
                out.append(p[1:-1])
            else:
                raise Unresolvable(EXPR, s)
        return "".join(out)
    raise Unresolvable(EXPR, s)


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


def parse_label(
    label: str, gene: GeneDefinition, *, haploid: bool, extra_names: Iterable[str] = ()
) -> tuple[str, ...]:
    """A diplotype label as allele names, or :class:`Unresolvable` (a reporter label).

    Names must be the gene's KB allele names (or ``extra_names``: suballele cores).
    """
    text = label.removesuffix(" (homozygous)")  # PipelineWrapper.stripHomozygousNotes
    names = {a.name for a in gene.named_alleles} | set(extra_names)
    parts = tuple(text.split("/"))
    if len(parts) == 1 and not haploid:
        raise Unresolvable(LABEL, f"{gene.symbol}: {label!r} is one haplotype, not a diplotype")
    if len(parts) > 2 or not all(p in names for p in parts):
        raise Unresolvable(LABEL, f"{gene.symbol}: {label!r}")
    return normalize(parts)


def _check_gene(
    check: Mapping[str, Any], record: Mapping[str, Any], lv: Mapping[str, Any]
) -> str | None:
    if check["check"] == "assertDiplotypePairs":
        return None
    gene = resolve(check["args"][0], lv, record_id(record))
    return str(gene)


def _check_labels(check: Mapping[str, Any], lv: Mapping[str, Any], test_id: str) -> list[str]:
    """The expected strings of one check, resolved."""
    args = list(check["args"])
    if check["check"] == "assertDiplotypePairs":
        value = resolve(args[0], lv, test_id)
        values = [value] if isinstance(value, str) else value
    elif check["check"] == "testSourceDiplotypes":
        # (gene, diplotypes[, visibleAlleleDiplotypes]): with a third argument the second
        # is compared with allele names (testDiplotypeNames), else with labels
        values = resolve(args[1], lv, test_id)
    else:  # testPrintCalls / testPrintCpicCalls: (gene, String...) or (gene, List)
        rest = [resolve(a, lv, test_id) for a in args[1:]]
        values = rest[0] if len(rest) == 1 and isinstance(rest[0], list) else rest
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise Unresolvable(EXPR, f"{check['check']}: {values!r}")
    return values


def _options(test_id: str, index: int, count: int) -> MatcherOptions:
    overrides = OPTION_OVERRIDES.get(test_id)
    if overrides is not None:
        if len(overrides) != count:
            raise AssertionError(f"OPTION_OVERRIDES[{test_id}] lists {len(overrides)} of {count}")
        return overrides[index]
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


def _resolve_record(
    record: Mapping[str, Any], kb: KnowledgeBase, shared: Path
) -> tuple[list[OracleCase], SetAside | None]:
    rid = record_id(record)
    lv = record.get("local_values") or {}
    checks = diplotype_checks(record)
    if not checks:
        return [], SetAside(rid, HELPER, CATEGORY_TEXT[HELPER])

    not_called = set()
    for e in record.get("expectations") or ():
        if e["check"] == "testNotCalledByMatcher":
            for a in e["args"]:
                with contextlib.suppress(Unresolvable):
                    not_called.add(str(resolve(a, lv, rid)))

    # the VCF source(s) the checks ran on
    sources: list[_Source] = []
    try:
        if record.get("vcf_builder"):
            builds = parse_builds(record["vcf_builder"])
            sources += [_Source("builder", b, None) for b in builds]
        for rel in record.get("vcf_paths") or ():
            sources.append(_Source("file", None, _resource(shared, rel)))
    except Unresolvable as exc:
        return [], SetAside(rid, exc.category, exc.detail)
    if not sources:
        return [], SetAside(rid, BUILD, "no VCF builder steps and no VCF file")

    # pair checks with sources
    if len(sources) == 1:
        pairing = [0] * len(checks)
    elif rid in ASSERTION_SOURCES:
        kinds = ASSERTION_SOURCES[rid]
        if len(kinds) != len(checks) or sorted(kinds) != sorted(s.kind for s in sources):
            raise AssertionError(f"ASSERTION_SOURCES[{rid}] does not fit the record")
        pairing = [next(i for i, s in enumerate(sources) if s.kind == k) for k in kinds]
    else:
        pairing = []

    skipped: list[tuple[str, str, str]] = []
    per_source: dict[int, list[Expectation]] = {}
    parsed: list[tuple[int, Expectation]] = []
    for index, check in enumerate(checks):
        try:
            gene = _check_gene(check, record, lv)
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
            labels = _check_labels(check, lv, rid)
            if gene in not_called:
                if len(sources) > 1 and not pairing:
                    raise Unresolvable(
                        MULTI, f"{gene}: testNotCalledByMatcher in one of {len(sources)} builds"
                    )
                raise Unresolvable(OUTSIDE, f"{gene}: testNotCalledByMatcher")
            if gene not in kb.genes:
                raise Unresolvable(OUTSIDE, f"{gene}: no allele definitions (outside calls only)")
            in_vcf = any(
                (s.kind == "file" and gene == _definition_gene(record))
                or (s.build is not None and gene in s.build.genes)
                for s in sources
            )
            if not in_vcf:
                raise Unresolvable(OUTSIDE, f"{gene}: not in the test VCF (an outside call)")
            definition = kb.gene(gene)
            haploid = definition.chrom == "chrX" and any(
                s.build is not None and s.build.chrx_copies == 1 for s in sources
            )
            cores = core_allele_names(shared, gene)
            ordered = tuple(
                parse_label(lb, definition, haploid=haploid, extra_names=cores) for lb in labels
            )
            expectation = Expectation(
                gene=gene,
                check=check["check"],
                ordered=ordered,
                options=_options(rid, index, len(checks)),
                raw=tuple(labels),
            )
            parsed.append((index, expectation))
        except Unresolvable as exc:
            skipped.append((f"{check['check']}#{index + 1}", exc.category, exc.detail))

    if not parsed and any(c == MULTI for _, c, _ in skipped):
        return [], SetAside(rid, MULTI, _join(d for _, c, d in skipped if c == MULTI))
    if not parsed:
        categories = sorted({c for _, c, _ in skipped})
        return [], SetAside(rid, "+".join(categories), _join(d for _, _, d in skipped))

    if pairing:
        for index, expectation in parsed:
            per_source.setdefault(pairing[index], []).append(expectation)
    else:
        # several builds: only when every build has exactly one check and all checks agree
        # (then the pairing does not matter); the miner keeps one value per local name,
        # so diverging builds cannot be told apart
        values = {(e.gene, e.ordered, e.options) for _, e in parsed}
        if len(parsed) != len(checks) or len(checks) != len(sources) or len(values) != 1:
            return [], SetAside(
                rid,
                MULTI,
                f"{len(sources)} VCF sources, {len(checks)} diplotype checks "
                f"({len(parsed)} resolved, {len(values)} distinct)",
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
        categories = sorted({c for _, c, _ in skipped})
        return [], SetAside(rid, "+".join(categories), _join(d for _, _, d in skipped))
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
    partial = [c for c in oracle.cases if c.skipped]
    lines.append(f"cases with some expectations skipped: {len(partial)}")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(summary())
