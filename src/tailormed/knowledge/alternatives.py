"""Alternative drugs a guideline recommendation names, read from its text at build time.

CPIC and DPWG say "Use prasugrel or ticagrelor at standard dose", "Antidepressants that
are not metabolised by CYP2D6 ... include citalopram and sertraline", "(i.e.,
granisetron)". The ClinPGx data only flags that an alternative exists
(``alternateDrugAvailable``), so the names are read from the *main* recommendation text
(before an "Other Considerations" heading), one sentence at a time:

* a **drug name** is a PharmGKB drug (primary name, with an RxNorm identifier; the
  ``pharmgkb-drug-names`` source) or a knowledge-base drug, matched case-insensitively as
  a whole word; a name joined to another by ``/`` or ``-`` (``acetylsalicylic
  acid/dipyridamole``, ``non-tramadol``) is a combination or a negation and is skipped;
  the recommendation's own drugs never count;
* a sentence names **alternatives** when it has a cue (``alternative``, ``include``,
  ``not metabolised``, ``less dependent``, ``to a lesser extent``, ``without major``, or the
  verbs use / consider / select / choose / switch / prescribe);
* and no **veto**: "not an alternative", "do not", "avoid", inhibitors / inducers,
  "contraindicated", "not recommended", "also affected / metabolised", risks,
  co-medication, metabolites and plasma concentrations (a drug named there is not being
  offered instead).

The rule prefers missing an alternative to inventing one: a drug it does not offer is
still in the recommendation text the card shows. Every alternative keeps the sentence
it came from, so a reader can check it, and ``tests/knowledge/test_alternatives.py``
pins the result for every recommendation of the bundled knowledge base (a changed
guideline text fails that test until someone has read the new output).

>>> vocabulary = {"prasugrel": ("prasugrel", "613391"), "ticagrelor": ("ticagrelor", "1116632")}
>>> [a["drug"] for a in alternatives_in(
...     "Avoid clopidogrel if possible. Use prasugrel or ticagrelor at standard dose.",
...     ("clopidogrel",), vocabulary)]
['prasugrel', 'ticagrelor']
"""

from __future__ import annotations

import csv
import gzip
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError

Vocabulary = Mapping[str, tuple[str, str | None]]  # lower-case name -> (name, RxNorm)

_OTHER = re.compile(r"^\s*other considerations\s*$", re.IGNORECASE | re.MULTILINE)
_ABBREVIATIONS = ("e.g.", "i.e.", "vs.", "approx.")
_SENTENCE = re.compile(r"(?<=[.;])\s+|\n+")
_CUE = re.compile(
    r"\balternative|\binclude|\bnot (?:\w+ )?metaboli[sz]ed|\bless dependent|"
    r"\bto a (?:much )?lesser extent|\bwithout major|"
    r"\b(?:use|consider|select|choose|switch(?:ing)? to|prescribe)\b",
    re.IGNORECASE,
)
_VETO = re.compile(
    r"\bnot (?:an? |suitable |considered )?alternatives?\b|\bdo not\b|\bavoid|\binhibit|"
    r"\binducer|contra-?indicated|\bnot recommended\b|\balso (?:\w+ )?(?:affected|metaboli)|"
    r"\brisk\b|co-?medication|\bmetabolite|\bconcentration|\bplasma\b|\bsee\b",
    re.IGNORECASE,
)
_DRUG_TYPES = ("Drug", "Prodrug")
_MIN_NAME = 4


def main_text(text: str) -> str:
    """The recommendation proper: ``text`` before an "Other Considerations" heading."""
    m = _OTHER.search(text)
    return (text[: m.start()] if m else text).strip()


def sentences(text: str) -> list[str]:
    """``text`` split after ``.`` or ``;`` and at line breaks (not after "e.g.", "i.e.")."""
    protected = text
    for i, abbr in enumerate(_ABBREVIATIONS):
        protected = re.sub(re.escape(abbr), f"\x00{i}\x00", protected, flags=re.IGNORECASE)
    out = []
    for part in _SENTENCE.split(protected):
        for i, abbr in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\x00{i}\x00", abbr)
        if part.strip():
            out.append(part.strip())
    return out


def read_vocabulary(
    path: Path, kb_drugs: Iterable[tuple[str, str | None]]
) -> dict[str, tuple[str, str | None]]:
    """Drug names → ``(name, RxNorm)``: PharmGKB ``drugs.tsv`` primary names of drugs with
    an RxNorm identifier, plus the knowledge base's own drugs (their RxNorm wins)."""
    csv.field_size_limit(sys.maxsize)
    vocabulary: dict[str, tuple[str, str | None]] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            missing = {"Name", "Type", "RxNorm Identifiers"} - set(reader.fieldnames or ())
            if missing:
                raise KnowledgeError(f"missing columns {sorted(missing)}", path=path, line=1)
            for row in reader:
                name = (row["Name"] or "").strip()
                rxnorm = (row["RxNorm Identifiers"] or "").split(",")[0].strip().strip('"')
                kinds = (row["Type"] or "").replace('"', "").split(",")
                if len(name) >= _MIN_NAME and rxnorm and any(k in _DRUG_TYPES for k in kinds):
                    vocabulary.setdefault(name.lower(), (name.lower(), rxnorm))
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:
        raise KnowledgeError(f"cannot read drug names ({exc})", path=path) from None
    for name, rxnorm in kb_drugs:
        if "/" not in name:
            vocabulary[name.lower()] = (name, rxnorm or vocabulary.get(name.lower(), ("", None))[1])
    return vocabulary


class AlternativeFinder:
    """Finds the alternatives a recommendation text names (rule in the module docstring)."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        names = sorted(vocabulary, key=len, reverse=True)
        self._vocabulary = vocabulary
        self._names = re.compile(
            r"(?<![\w/-])(" + "|".join(re.escape(n) for n in names) + r")(?![\w/-])",
            re.IGNORECASE,
        )

    def find(self, text: str, own_drugs: Iterable[str]) -> list[dict[str, str | None]]:
        """Each alternative as ``{"drug", "rxnorm", "sentence"}``, in order of first mention."""
        own = {d.lower() for d in own_drugs}
        found: dict[str, dict[str, str | None]] = {}
        for sentence in sentences(main_text(text)):
            if not _CUE.search(sentence) or _VETO.search(sentence):
                continue
            for m in self._names.finditer(sentence):
                name, rxnorm = self._vocabulary[m.group(1).lower()]
                if name.lower() in own or name.lower() in found:
                    continue
                found[name.lower()] = {"drug": name, "rxnorm": rxnorm, "sentence": sentence}
        return list(found.values())


def alternatives_in(
    text: str, own_drugs: Iterable[str], vocabulary: Vocabulary
) -> list[dict[str, str | None]]:
    """:meth:`AlternativeFinder.find` for one text."""
    return AlternativeFinder(vocabulary).find(text, own_drugs)


def attach_alternatives(guidelines: list[dict[str, Any]], vocabulary: Vocabulary) -> int:
    """Add ``alternatives`` to every compiled recommendation; returns how many were found."""
    finder = AlternativeFinder(vocabulary)
    count = 0
    for g in guidelines:
        for rec in g["recommendations"]:
            rec["alternatives"] = finder.find(rec["text"], set(rec["drugs"]) | set(g["drugs"]))
            count += len(rec["alternatives"])
    return count
