"""The GeT-RM consensus truth table: typed records, name normalisation, classification.

``getrm_truth.tsv`` has one row per sample × gene (see ``shared/data/getrm/README.md``).
:func:`read_truth` validates the columns and every line; :func:`classify` turns a record
into a :class:`TruthCall`: its category (comparable, ambiguous, structural, ...) and the
set of diplotypes, in the knowledge base's current names, that the truth allows.

A diplotype is a :data:`Genotype`: allele names sorted, so comparison is order-free.

>>> parse_diplotype("*1/*1(*27)")
[[['*1'], ['*1', '*27']]]
>>> parse_diplotype("*2/*3 or *1/*4")
[[['*2'], ['*3']], [['*1'], ['*4']]]
"""

from __future__ import annotations

import csv
import itertools
import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tailormed.calling.models import allele_sort_key
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tailormed.validate import names

Genotype = tuple[str, ...]

COLUMNS = (
    "sample_id",
    "gene",
    "truth_diplotype",
    "source",
    "in_1kgp_30x",
    "truth_alt",
    "truth_raw",
    "note",
)
AMBIGUOUS_NOTE = "ambiguous_or_low_confidence_call"
_SAMPLE = re.compile(r"^(NA|HG|GM)\d+$")
_GENE = re.compile(r"^[A-Z0-9][A-Z0-9-]*$")


class TruthCategory(StrEnum):
    """Why a truth row can or cannot be compared with a VCF-based call."""

    COMPARABLE = "comparable"
    NO_DEFINITION = "gene has no KB definition"
    AMBIGUOUS = "ambiguous truth"
    NOT_SNV = "not definable from SNVs"
    LEGACY_UNMAPPED = "legacy name without a current equivalent"
    NOT_IN_KB = "allele not in KB definitions"
    NOT_IN_1KGP = "sample not in 1KGP"


@dataclass(frozen=True, slots=True)
class TruthRecord:
    """One row of the truth table, as written (``line`` is 1-based, the header is line 1)."""

    sample_id: str
    gene: str
    truth_diplotype: str
    source: str
    in_1kgp: bool
    truth_alt: str
    truth_raw: str
    note: str
    line: int


@dataclass(frozen=True, slots=True)
class TruthCall:
    """A classified truth row.

    ``readings`` are the diplotypes the truth allows, in current KB names: more than one
    for ambiguous truth, for a legacy name that covers several current alleles, or for a
    core name the KB has only as suballeles (``*45`` → ``*45.001``, ``*45.002``); empty
    when the truth cannot be expressed in KB names. ``alt_readings`` are the same for
    ``truth_alt``. ``renamed`` lists the legacy names that were mapped, ``flagged``
    marks Aldy's trailing ``*`` flag (DPYD), ``reason`` says why a row is not comparable.
    """

    record: TruthRecord
    category: TruthCategory
    readings: frozenset[Genotype]
    alt_readings: frozenset[Genotype]
    renamed: tuple[names.NameMapping, ...]
    flagged: bool
    reason: str

    @property
    def sample(self) -> str:
        return self.record.sample_id

    @property
    def gene(self) -> str:
        return self.record.gene

    @property
    def readings_text(self) -> str:
        return " | ".join(genotype_text(g) for g in sorted(self.readings))


def genotype(*alleles: str) -> Genotype:
    """Canonical, order-free form of a diplotype: ``genotype("*17", "*1") == ("*1", "*17")``."""
    return tuple(sorted(alleles, key=allele_sort_key))


def genotype_text(g: Genotype) -> str:
    return "/".join(g)


# ----------------------------------------------------------------------------- reading
def read_truth(path: Path) -> list[TruthRecord]:
    """Read and validate ``getrm_truth.tsv``; any bad line raises :class:`InputError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("GeT-RM truth table not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read GeT-RM truth table ({exc})", path=path) from None
    rows = list(csv.reader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or not any(rows[0]):
        raise InputError("empty truth table: no header line", path=path, line=1)
    header = rows[0]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", path=path, line=1)
    index = {c: header.index(c) for c in COLUMNS}
    records: list[TruthRecord] = []
    seen: dict[tuple[str, str], int] = {}
    for n, fields in enumerate(rows[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        record = _record(fields, index, len(header), path, n)
        key = (record.sample_id, record.gene)
        if key in seen:
            raise InputError(
                f"duplicate row for {record.sample_id} {record.gene} (first on line {seen[key]})",
                path=path,
                line=n,
            )
        seen[key] = n
        records.append(record)
    return records


def _record(
    fields: list[str], index: dict[str, int], width: int, path: Path, line: int
) -> TruthRecord:
    if len(fields) != width:
        raise InputError(
            f"expected {width} tab-separated fields, found {len(fields)}", path=path, line=line
        )
    value = {c: fields[i].strip() for c, i in index.items()}

    def bad(problem: str) -> InputError:
        return InputError(problem, path=path, line=line)

    if not _SAMPLE.match(value["sample_id"]):
        raise bad(f"sample_id {value['sample_id']!r} is not a Coriell ID (NA…/HG…/GM…)")
    if not _GENE.match(value["gene"]):
        raise bad(f"gene {value['gene']!r} is not an HGNC symbol")
    if "/" not in value["truth_diplotype"]:
        raise bad(f"truth_diplotype {value['truth_diplotype']!r} is not of the form *A/*B")
    flag = value["in_1kgp_30x"].lower()
    if flag not in ("yes", "no"):
        raise bad(f"in_1kgp_30x must be 'yes' or 'no', not {value['in_1kgp_30x']!r}")
    return TruthRecord(
        sample_id=value["sample_id"],
        gene=value["gene"],
        truth_diplotype=value["truth_diplotype"],
        source=value["source"],
        in_1kgp=flag == "yes",
        truth_alt=value["truth_alt"],
        truth_raw=value["truth_raw"],
        note=value["note"],
        line=line,
    )


# ----------------------------------------------------------------------------- parsing
def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


_TOKEN = re.compile(r"^(?P<main>[^()]*?)\s*(?:\((?P<alts>[^()]*)\))?$")


def _allele_options(token: str) -> list[str]:
    """``*1(*27)`` → ``[*1, *27]``; ``(*15)`` → ``[*15]``; ``(*1B,*21)`` → both."""
    token = token.strip()
    m = _TOKEN.match(token)
    if not m:
        return [token]
    options = [m.group("main").strip()] if m.group("main").strip() else []
    if m.group("alts") is not None:
        options += [a.strip() for a in m.group("alts").split(",") if a.strip()]
    return options or [token]


def parse_diplotype(text: str) -> list[list[list[str]]]:
    """Alternatives (`` or `` / ``;``) → alleles (``/``) → options for each allele."""
    alternatives = [a for part in re.split(r"\s+or\s+|;", text) if (a := part.strip())]
    return [[_allele_options(t) for t in _split_top(alt, "/")] for alt in alternatives]


def is_ambiguous(record: TruthRecord) -> bool:
    text = record.truth_diplotype
    return (
        AMBIGUOUS_NOTE in record.note
        or "(" in text
        or ";" in text
        or bool(re.search(r"\sor\s", text))
    )


# ------------------------------------------------------------------------ classifying
@dataclass(frozen=True, slots=True)
class _Names:
    readings: frozenset[Genotype]
    renamed: tuple[names.NameMapping, ...]
    flagged: bool
    structural: tuple[str, ...]
    unmapped_legacy: tuple[str, ...]
    unknown: tuple[str, ...]


def _normalise(text: str, gene: str, kb: KnowledgeBase) -> _Names:
    known = {a.name for a in kb.gene(gene).named_alleles} if gene in kb.genes else set()
    sv_in_kb = (
        {a.name for a in kb.gene(gene).named_alleles if a.structural_variant}
        if gene in kb.genes
        else set()
    )
    readings: set[Genotype] = set()
    renamed: dict[str, names.NameMapping] = {}
    flagged = False
    structural: list[str] = []
    unmapped: list[str] = []
    unknown: list[str] = []
    for alternative in parse_diplotype(text):
        per_allele: list[list[str]] = []
        for options in alternative:
            current: list[str] = []
            for option in options:
                name = option
                if len(name) > 1 and name.endswith("*"):  # Aldy's flag on a DPYD call
                    name, flagged = name[:-1], True
                if names.is_structural(gene, name) or name in sv_in_kb:
                    structural.append(name)
                    continue
                mapping = names.legacy_mapping(gene, name)
                if mapping:
                    renamed[name] = mapping
                for cur in names.current_names(gene, name):
                    # a core name the KB only has as suballeles (*45 → *45.001, *45.002)
                    subs = sorted(k for k in known if names.core_name(k) == cur != k)
                    if cur in known:
                        current.append(cur)
                    elif subs:
                        current.extend(subs)
                    elif names.looks_legacy(cur):
                        unmapped.append(cur)
                    else:
                        unknown.append(cur)
            per_allele.append(current)
        if all(per_allele):
            readings.update(genotype(*combo) for combo in itertools.product(*per_allele))
    return _Names(
        frozenset(readings),
        tuple(renamed.values()),
        flagged,
        tuple(structural),
        tuple(dict.fromkeys(unmapped)),
        tuple(dict.fromkeys(unknown)),
    )


def classify(record: TruthRecord, kb: KnowledgeBase) -> TruthCall:
    """Classify one truth row (first matching category wins, in the enum's order).

    Truth-intrinsic problems come first (no definition, ambiguous, structural, names),
    then ``sample not in 1KGP``; a row with none of these is ``comparable``.
    """
    gene = record.gene
    if gene not in kb.genes:
        return TruthCall(
            record,
            TruthCategory.NO_DEFINITION,
            frozenset(),
            frozenset(),
            (),
            False,
            f"the knowledge base has no allele definitions for {gene}",
        )
    got = _normalise(record.truth_diplotype, gene, kb)
    alt = _normalise(record.truth_alt, gene, kb).readings if record.truth_alt else frozenset()
    if is_ambiguous(record):
        category, reason = TruthCategory.AMBIGUOUS, "truth has unresolved alternatives"
    elif got.structural:
        category = TruthCategory.NOT_SNV
        reason = f"structural allele(s) {', '.join(got.structural)} (copy number, hybrid, deletion)"
    elif got.unmapped_legacy:
        category = TruthCategory.LEGACY_UNMAPPED
        reason = f"legacy name(s) {', '.join(got.unmapped_legacy)} have no mapping"
    elif got.unknown:
        category = TruthCategory.NOT_IN_KB
        reason = f"{', '.join(got.unknown)} not among the KB's {gene} alleles"
    elif not record.in_1kgp:
        category, reason = TruthCategory.NOT_IN_1KGP, "sample not in the 1KGP 30x panel"
    else:
        category, reason = TruthCategory.COMPARABLE, ""
    return TruthCall(record, category, got.readings, alt, got.renamed, got.flagged, reason)


def load_truth(path: Path, kb: KnowledgeBase) -> list[TruthCall]:
    """Read and classify the whole table."""
    return [classify(r, kb) for r in read_truth(path)]


def category_counts(truth: list[TruthCall]) -> dict[str, dict[str, int]]:
    """Rows per gene per :class:`TruthCategory` (genes sorted, every category present)."""
    out: dict[str, dict[str, int]] = {}
    for t in truth:
        counts = out.setdefault(t.gene, {c.value: 0 for c in TruthCategory})
        counts[t.category.value] += 1
    return dict(sorted(out.items()))
