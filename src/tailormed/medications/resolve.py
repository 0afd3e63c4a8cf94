"""The one medication resolver: a line as written → its ingredients, or "not recognised".

Every path that reads a medication (report, ``tailormed review``, phenoconversion, dose
calculators, the record's review endpoint, CDS Hooks orders) calls
:func:`resolve_medication` with the knowledge base, whose name index
(:class:`~tailormed.knowledge.medicines.DrugNames`) holds PharmGKB's generic and trade
names, brand mixtures, the curated combination brands and the inhibitor list's synonyms.

Rules:

* an RxNorm code (``RxNorm:32968``, ``rxcui: 32968`` or bare digits) resolves by the
  ingredient codes the knowledge base knows; any other code is "not recognised";
* otherwise the longest known name at the start of the line wins, ending at a word
  boundary, so strength, form and frequency may follow ("clopidogrel 75 mg daily",
  "Tylenol #3 1 tab q6h" → acetaminophen + codeine, not only Tylenol);
* further names joined by ``/``, ``+``, ``-``, ``&``, ``,``, "and", "with" or "w/",
  each name optionally followed by its strength, are ingredients too
  ("acetaminophen/codeine 300/30 mg", "acetaminophen 300 MG / codeine phosphate 30 MG
  Oral Tablet");
* a name the source lists for several different drugs (ambiguous) is not guessed: the
  line is "not recognised" and the candidates are the suggestions;
* a line nothing matches is "not recognised", with the closest names as suggestions
  (:mod:`.suggest`), never "no guideline applies".

>>> from tailormed.knowledge import load_kb
>>> kb = load_kb()
>>> resolve_medication("clopidogrel 75 mg daily", kb).ingredients
('clopidogrel',)
>>> resolve_medication("Tylenol #3 1 tab", kb).ingredients
('acetaminophen', 'codeine')
>>> m = resolve_medication("clopidogrl 75 mg", kb)
>>> m.status, m.suggestions[0]
('not recognised', 'clopidogrel')
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.medicines import DrugNames
from tailormed.medications.models import ResolvedMedication, drug_parts
from tailormed.medications.suggest import suggestions

_CODE = re.compile(r"^(?:(?:rxnorm|rxcui)\s*:?\s*)?(\d{1,10})$")
_BULLET = re.compile(r"^(?:[-*•]\s*)+")
# Between two names: an optional strength ("300 mg"), then a joining word or sign.
_JOIN = re.compile(
    r"^(?:\s*\d[\d.,]*\s*(?:mg|mcg|µg|g|ml|units?|unt|meq|iu|%)?)?"
    r"\s*(?:/|\+|&|,|-|\band\b|\bwith\b|\bw/)\s*"
)
_KINDS = {
    "curated": "combination brand (curated)",
    "generic": "ingredient name",
    "mixture": "brand mixture",
    "synonym": "other name",
    "trade": "brand name",
}


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def resolve_medication(
    line: str, kb: KnowledgeBase, *, suggest: bool = True, anywhere: bool = False
) -> ResolvedMedication:
    """What ``line`` names (see the module docstring).

    ``suggest=False`` skips the search for close names (an order check that only needs
    the ingredients). ``anywhere=True`` also looks for a name after the start, at each
    word, for structured drug descriptions such as an EHR order's RxNorm display
    ("12 HR Oxycodone Hydrochloride 10 MG Extended Release Oral Tablet").
    """
    names = kb.drug_names
    text = _BULLET.sub("", normalise(line))
    code = _CODE.match(text.replace(" ", ""))
    if code:
        return _by_code(line, code.group(1), names)
    found = _names(text, names)
    if not found and anywhere:
        for start in (m.end() for m in re.finditer(r"[\s\[(]+", text)):
            found = _names(text[start:], names)
            if found:
                break
    if not found:
        return ResolvedMedication(
            line=line,
            status="not recognised",
            suggestions=suggestions(text, names) if suggest else (),
            note="No drug of the knowledge base's name list starts this line.",
        )
    ingredients: list[str] = []
    ambiguous: list[str] = []
    for name in found:
        entry = names.entry(name)
        assert entry is not None
        if entry.ingredients:
            ingredients += [i for i in entry.ingredients if i not in ingredients]
        else:
            ambiguous.append(name)
    if ambiguous:
        entries = [names.entry(n) for n in ambiguous]
        options = [" + ".join(a) for e in entries if e is not None for a in e.ambiguous]
        return ResolvedMedication(
            line=line,
            status="not recognised",
            ingredients=(),
            suggestions=tuple(dict.fromkeys(options)),
            matched=" ".join(ambiguous),
            note=(
                f"{', '.join(ambiguous)} names different drugs in the source "
                f"({'; '.join(options)}): write the ingredient."
            ),
        )
    first = names.entry(found[0])
    assert first is not None
    return ResolvedMedication(
        line=line,
        status="recognised",
        ingredients=tuple(ingredients),
        rxnorm=_codes(ingredients, names),
        matched=" + ".join(found),
        via=f"{_KINDS.get(first.kind, first.kind)} ({first.source})",
    )


def record_line(name: str, rxnorm: str | None, kb: KnowledgeBase) -> str:
    """The line to read for a medication stored in the patient record: its name as
    written, unless only its RxNorm code says what it is (then ``RxNorm:<code>``)."""
    if rxnorm and not resolve_medication(name, kb, suggest=False).recognised:
        return f"RxNorm:{rxnorm}"
    return name


def resolve_all(lines: Iterable[str], kb: KnowledgeBase) -> tuple[ResolvedMedication, ...]:
    """:func:`resolve_medication` for every non-blank line, in order."""
    return tuple(resolve_medication(m, kb) for m in lines if m.strip())


def guideline_drugs(
    med: ResolvedMedication, kb: KnowledgeBase
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the knowledge base's drugs the line names, its ingredients no such drug covers).

    A guideline drug that is itself a combination ("sulfamethoxazole / trimethoprim") is
    named when the line holds all its ingredients (Bactrim DS).
    """
    drugs = [d.name for d in kb.drugs if med.ingredients and med.names(d.name)]
    drugs.sort(key=lambda d: min(med.ingredients.index(p) for p in drug_parts(d)))
    covered = {p for d in drugs for p in drug_parts(d)}
    return tuple(drugs), tuple(i for i in med.ingredients if i not in covered)


def ingredients_of(medications: Iterable[ResolvedMedication]) -> frozenset[str]:
    """Every ingredient the recognised lines name."""
    return frozenset(i for m in medications for i in m.ingredients)


def _by_code(line: str, code: str, names: DrugNames) -> ResolvedMedication:
    combination = names.combination_code(code)
    if combination:
        return ResolvedMedication(
            line=line,
            status="recognised",
            ingredients=combination,
            rxnorm=(code,),
            matched=f"RxNorm:{code}",
            via="RxNorm code of a combination",
        )
    found = names.by_rxnorm(code)
    if len(found) == 1:
        return ResolvedMedication(
            line=line,
            status="recognised",
            ingredients=found,
            rxnorm=(code,),
            matched=f"RxNorm:{code}",
            via="RxNorm ingredient code",
        )
    if found:
        note = f"RxNorm {code} is listed for several drugs ({', '.join(found)})."
    else:
        note = (
            f"RxNorm {code} is not an ingredient code the knowledge base knows (clinical-drug "
            "and brand codes are not mapped): write the drug name."
        )
    return ResolvedMedication(
        line=line, status="not recognised", suggestions=found, matched=None, note=note
    )


def _names(text: str, names: DrugNames) -> list[str]:
    """The known names at the start of ``text`` and after each joining word."""
    found: list[str] = []
    rest = text
    while rest:
        name = _longest_prefix(rest, names)
        if name is None:
            break
        found.append(name)
        joined = _JOIN.match(rest[len(name) :])
        if joined is None:
            break
        rest = rest[len(name) + joined.end() :]
    return found


def _longest_prefix(text: str, names: DrugNames) -> str | None:
    ends = [
        i
        for i in range(1, len(text) + 1)
        if i == len(text)
        or (text[i - 1].isalnum() and not text[i].isalnum())
        or (text[i - 1].isalpha() and text[i].isdigit())
    ]
    for end in reversed(ends):
        candidate = text[:end].rstrip()
        if candidate.count(" ") >= names.max_words:
            continue
        if names.entry(candidate) is not None:
            return candidate
    return None


def _codes(ingredients: Iterable[str], names: DrugNames) -> tuple[str, ...]:
    out: list[str] = []
    for name in ingredients:
        ing = names.ingredient(name)
        if ing is not None:
            out += [c for c in ing.rxnorm if c not in out]
    return tuple(out)
