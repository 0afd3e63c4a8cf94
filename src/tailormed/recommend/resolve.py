"""Reading a medication as written ("clopidogrel 75 mg daily", "RxNorm:32968", "Paxil").

A medication resolves to a knowledge-base drug (name or RxNorm code) and/or to entries of
the phenotype stage's inhibitor list (which also knows brand names, e.g. Paxil →
paroxetine). Names match case-insensitively at the start of the text, longest name
first, so strength and frequency may follow ("warfarin sodium 5 mg" → warfarin). A code
is ``RxNorm:<digits>`` or bare digits.

>>> from tailormed.knowledge import load_kb
>>> kb = load_kb()
>>> r = resolve_medication("Clopidogrel 75 mg daily", kb)
>>> r.drug, r.rxnorm
('clopidogrel', '32968')
>>> r = resolve_medication("Paxil 20 mg", kb)
>>> r.drug, [(i.gene, i.strength) for i in r.inhibits]
('paroxetine', [('CYP2D6', 'strong')])
>>> resolve_medication("unobtainium 5 mg", kb).drug is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype.phenoconversion import Inhibitor, InhibitorList, load_inhibitors

_CODE = re.compile(r"^(?:rxnorm:\s*|rxcui:\s*)?(\d+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ResolvedMedication:
    """A medication line and what it names."""

    text: str
    drug: str | None  # knowledge-base drug name
    rxnorm: str | None
    inhibits: tuple[Inhibitor, ...] = ()
    via: str = ""  # how it was recognised ("name", "RxNorm code", "brand name Paxil")

    @property
    def name(self) -> str | None:
        """The generic name: the KB drug, else the inhibitor's drug."""
        return self.drug or (self.inhibits[0].drug if self.inhibits else None)


def normalize(text: str) -> str:
    return " ".join(text.strip().lower().split())


def resolve_medication(
    text: str, kb: KnowledgeBase, inhibitors: InhibitorList | None = None
) -> ResolvedMedication:
    table = inhibitors or load_inhibitors()
    norm = normalize(text)
    code_match = _CODE.match(norm.replace(" ", "")) if norm else None
    if code_match:
        code = code_match.group(1)
        drug = next((d for d in kb.drugs if d.rxnorm == code), None)
        inhibits = tuple(i for i in table.inhibitors if i.rxnorm == code)
        name = drug.name if drug else None
        if name is None and inhibits:
            name = _kb_name(kb, inhibits[0].drug)
        return ResolvedMedication(text, name, code, _with_name(table, inhibits), "RxNorm code")
    drug_name = _longest_prefix(norm, _kb_names(kb))
    inhibitor_name, via = _inhibitor_name(norm, table)
    if drug_name is None and inhibitor_name is not None:
        drug_name = _kb_name(kb, inhibitor_name)
    generic = drug_name or inhibitor_name
    inhibits = tuple(i for i in table.inhibitors if generic is not None and i.drug == generic)
    rxnorm = kb.drug(drug_name).rxnorm if drug_name else (inhibits[0].rxnorm if inhibits else None)
    if drug_name is None and not inhibits:
        via = ""
    return ResolvedMedication(text, drug_name, rxnorm, inhibits, via or "name")


def takes(medications: frozenset[str], names: frozenset[str]) -> bool:
    """Whether a normalised medication line names one of ``names`` ("amiodarone 200 mg")."""
    return any(m == n or m.startswith(n + " ") for m in medications for n in names)


def _with_name(table: InhibitorList, found: tuple[Inhibitor, ...]) -> tuple[Inhibitor, ...]:
    names = {i.drug for i in found}
    return tuple(i for i in table.inhibitors if i.drug in names)


@lru_cache(maxsize=8)
def _kb_names(kb: KnowledgeBase) -> tuple[str, ...]:
    return tuple(sorted((d.name.lower() for d in kb.drugs), key=len, reverse=True))


def _kb_name(kb: KnowledgeBase, name: str) -> str | None:
    return next((d.name for d in kb.drugs if d.name.lower() == name.lower()), None)


def _longest_prefix(text: str, names: tuple[str, ...]) -> str | None:
    for name in names:  # longest first
        if text == name or (text.startswith(name) and not text[len(name)].isalnum()):
            return name
    return None


def _inhibitor_name(text: str, table: InhibitorList) -> tuple[str | None, str]:
    candidates: list[tuple[str, str, str]] = []  # (matched text, generic, via)
    for inh in table.inhibitors:
        candidates.append((inh.drug.lower(), inh.drug, "name"))
        candidates.extend((s.lower(), inh.drug, f"brand name {s}") for s in inh.synonyms)
    candidates.sort(key=lambda c: len(c[0]), reverse=True)
    for matched, generic, via in candidates:
        if _longest_prefix(text, (matched,)) is not None:
            return generic, via
    return None, ""
