"""Outside calls: diplotypes made by other tools (CYP2D6 with copy number, HLA typing,
MT-RNR1) or overrides for any gene, read from a TSV.

Format, one call a line (``#`` starts a comment; blank lines are skipped)::

    gene <TAB> diplotype [<TAB> phenotype [<TAB> activity score]]
    sample <TAB> gene <TAB> diplotype [...]      (with a header line starting "sample")

A diplotype is ``*1/*4`` (gene prefixes such as ``CYP2D6*4`` or ``B*57:01`` are accepted)
or a single allele for haploid genes (``MT-RNR1  m.1555A>G``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tailormed.calling.models import Diplotype, GeneCall
from tailormed.errors import InputError
from tailormed.knowledge.store import OUTSIDE_CALL_GENES, KnowledgeBase

HLA_ALLELE = re.compile(r"^(?:HLA-)?[AB]?\*?(\d{2,3}(?::\d{2,3}){0,3})[A-Z]?$")


@dataclass(frozen=True, slots=True)
class OutsideCall:
    sample: str | None  # None: applies to every sample
    gene: str
    alleles: tuple[str, ...]
    phenotype: str | None
    activity_score: str | None
    line: int


def _allele_name(gene: str, raw: str, path: Path, line: int) -> str:
    name = raw.strip()
    if not name:
        raise InputError("empty allele name", path=path, line=line)
    if gene.startswith("HLA-"):
        m = HLA_ALLELE.match(name.removeprefix(gene))
        if not m:
            raise InputError(f"{raw!r} is not an HLA allele like *57:01", path=path, line=line)
        return "*" + m.group(1)
    name = name.removeprefix(gene)
    if gene == "MT-RNR1" and re.fullmatch(r"\d+[ACGT]>[ACGT]", name):
        name = "m." + name
    return name


def read_outside_calls(path: Path, kb: KnowledgeBase) -> list[OutsideCall]:
    """Parse and validate an outside-call file; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("outside-call file does not exist", path=path) from None
    except UnicodeDecodeError:
        raise InputError("outside-call file is not UTF-8 text", path=path) from None
    known = set(kb.genes) | set(kb.phenotype_genes) | set(OUTSIDE_CALL_GENES)
    calls: list[OutsideCall] = []
    with_sample = False
    seen: set[tuple[str | None, str]] = set()
    for n, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.split("\t")]
        if n == 1 and cols[0].lower() == "sample":
            with_sample = True
            continue
        if n == 1 and cols[0].lower() == "gene":
            continue
        sample = None
        if with_sample:
            sample, cols = cols[0], cols[1:]
        if len(cols) < 2 or not cols[1]:
            raise InputError(
                "expected: gene <TAB> diplotype [<TAB> phenotype [<TAB> activity score]]",
                path=path,
                line=n,
            )
        gene = cols[0].upper()
        if gene not in known:
            raise InputError(f"unknown gene {cols[0]!r}", path=path, line=n)
        parts = cols[1].split("/")
        if len(parts) > 2:
            raise InputError(f"diplotype {cols[1]!r} has more than two alleles", path=path, line=n)
        alleles = tuple(_allele_name(gene, p, path, n) for p in parts)
        if (sample, gene) in seen:
            raise InputError(f"{gene} is given twice", path=path, line=n)
        seen.add((sample, gene))
        phenotype = cols[2] if len(cols) > 2 and cols[2] else None
        activity = cols[3] if len(cols) > 3 and cols[3] else None
        if activity is not None:
            try:
                float(activity.lstrip("≥>="))
            except ValueError:
                raise InputError(
                    f"activity score {activity!r} is not a number", path=path, line=n
                ) from None
        calls.append(OutsideCall(sample, gene, alleles, phenotype, activity, n))
    if not calls:
        raise InputError("outside-call file holds no calls", path=path)
    return calls


def to_gene_call(call: OutsideCall, sample: str, kb_version: str, path: Path) -> GeneCall:
    return GeneCall(
        sample=sample,
        gene=call.gene,
        diplotypes=(Diplotype.of(*call.alleles),),
        phased=False,
        warnings=(f"outside call from {path.name} line {call.line}",),
        source="outside",
        phenotype=call.phenotype,
        activity_score=call.activity_score,
        kb_version=kb_version,
    )
