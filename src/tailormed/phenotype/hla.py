"""HLA-A / HLA-B: allele presence, not function, is the phenotype.

Guidelines key HLA advice on the presence of particular alleles (``"*57:01 positive"``,
``"*15:02 negative"``). The alleles that matter are read from the knowledge base's
recommendation lookup keys, so a new guideline allele needs no code change. HLA is
typed outside Tailormed; the outside call gives a diplotype (``"*57:01/*44:02"``, any
resolution of two or more fields; ``HLA-B*`` prefixes are fine) or the keys themselves.

Rules: an allele counts when its first two fields equal the guideline allele's; a
one-field allele (``*57``) or a single typed allele cannot rule an allele out, so that
allele gets no key and the reason says so (PharmCAT instead reads one typed allele as
"negative for all others"). Tied diplotypes that disagree leave that allele undetermined.
DPWG's combined key ``"1511 and 1502"`` is given when both alleles are positive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype.models import (
    INDETERMINATE,
    NO_RESULT,
    NOT_AVAILABLE,
    AlleleInterpretation,
    GenePhenotype,
)

POSITIVE = "positive"
NEGATIVE = "negative"
UNDETERMINED = "undetermined"
_KEY = re.compile(r"^\*(\d{2,3}:\d{2,3}) (positive|negative)$")
_COMBINED = re.compile(r"^(\d{2})(\d{2}) and (\d{2})(\d{2})$")
_ALLELE = re.compile(r"^(?:HLA-)?(?:[A-Z]+\d*)?\*?(\d{2,3})(?::(\d{2,3}))?(?::\d+)*[A-Z]?$")
_GIVEN_KEY = re.compile(
    r"^(?:HLA-)?(?:[A-Z]+\d*)?\*?(\d{2,3}:\d{2,3})\s+(positive|negative)$", re.IGNORECASE
)


@lru_cache(maxsize=8)
def guideline_alleles(
    kb: KnowledgeBase, gene: str
) -> tuple[tuple[str, ...], tuple[tuple[frozenset[str], str], ...]]:
    """The alleles ``gene`` recommendations key on, and their combined keys."""
    singles: set[str] = set()
    combined: dict[str, frozenset[str]] = {}
    for guideline in kb.guidelines:
        for rec in guideline.recommendations:
            value = rec.lookup_key.get(gene)
            if not isinstance(value, str):
                continue
            if m := _KEY.match(value):
                singles.add(f"*{m.group(1)}")
            elif m := _COMBINED.match(value):
                a, b, c, d = m.groups()
                combined[value] = frozenset({f"*{a}:{b}", f"*{c}:{d}"})
    return tuple(sorted(singles)), tuple((v, k) for k, v in sorted(combined.items()))


def _fields(allele: str) -> tuple[str, str | None] | None:
    m = _ALLELE.match(allele.strip().upper())
    return None if m is None else (m.group(1), m.group(2))


def _status(target: str, alleles: Sequence[str]) -> str | None:
    """positive / negative / ``None`` (cannot tell) for one typed diplotype."""
    want = tuple(target.lstrip("*").split(":"))
    unsure = False
    for allele in alleles:
        fields = _fields(allele)
        if fields is None:
            unsure = True
        elif fields == want:
            return POSITIVE
        elif fields[1] is None and fields[0] == want[0]:
            unsure = True
    if unsure or len(alleles) < 2:
        return None
    return NEGATIVE


def interpret_hla(call: GeneCall, kb: KnowledgeBase) -> GenePhenotype:
    """HLA lookup keys for every allele a guideline keys on (see the module docstring)."""
    targets, combined = guideline_alleles(kb, call.gene)
    notes: list[str] = []
    statuses: dict[str, str | None]
    if call.source == "outside" and call.phenotype and not call.called:
        statuses = _given_keys(call.phenotype, targets, notes)
    elif call.called:
        statuses = {}
        for t in targets:
            seen = {_status(t, d.alleles) for d in call.diplotypes}
            statuses[t] = seen.pop() if len(seen) == 1 else None
        if len(call.diplotypes) > 1:
            notes.append(f"tied diplotypes: {', '.join(d.text for d in call.diplotypes)}")
    else:
        return GenePhenotype(
            gene=call.gene,
            sample=call.sample,
            diplotype=call.diplotype,
            alleles=(),
            phenotype=NO_RESULT,
            activity_score=None,
            lookup_keys=(NO_RESULT,),
            reason="no HLA typing supplied" + _warnings(call),
            call_source=call.source,
            phenotype_source="allele presence",
            kb_version=kb.version,
        )
    keys = [f"{t} {s}" for t, s in statuses.items() if s is not None]
    keys += [k for members, k in combined if all(statuses.get(m) == POSITIVE for m in members)]
    undetermined = [t for t, s in statuses.items() if s is None]
    reason = None
    if undetermined:
        reason = (
            f"the typing given cannot show whether {', '.join(undetermined)} "
            f"{'is' if len(undetermined) == 1 else 'are'} present"
        )
    if keys:
        phenotype = "; ".join(
            f"{t} {s if s is not None else UNDETERMINED}" for t, s in statuses.items()
        )
    else:
        phenotype = INDETERMINATE
    alleles = call.diplotypes[0].alleles if call.called else ()
    return GenePhenotype(
        gene=call.gene,
        sample=call.sample,
        diplotype=call.diplotype if call.called else NOT_AVAILABLE,
        alleles=tuple(AlleleInterpretation(a) for a in alleles),
        phenotype=phenotype,
        activity_score=None,
        lookup_keys=tuple(keys) or (NOT_AVAILABLE,),
        reason=reason,
        notes=tuple(notes),
        call_source=call.source,
        phenotype_source="allele presence",
        kb_version=kb.version,
        allele_presence=tuple((t, s or UNDETERMINED) for t, s in statuses.items()),
    )


def _given_keys(text: str, targets: Sequence[str], notes: list[str]) -> dict[str, str | None]:
    statuses: dict[str, str | None] = dict.fromkeys(targets)
    for part in re.split(r"[;,]", text):
        if not part.strip():
            continue
        m = _GIVEN_KEY.match(part.strip())
        if m is None:
            notes.append(f"outside HLA result {part.strip()!r} not understood")
            continue
        allele = f"*{m.group(1)}"
        if allele in statuses:
            statuses[allele] = m.group(2).lower()
        else:
            notes.append(f"{allele} is not an allele any guideline keys on")
    return statuses


def _warnings(call: GeneCall) -> str:
    return f" ({'; '.join(call.warnings)})" if call.warnings else ""
