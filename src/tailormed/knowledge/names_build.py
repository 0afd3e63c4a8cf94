"""Compile drug names: PharmGKB's drug table, curated combination brands, inhibitor synonyms.

The result is one name index, ``normalised name → ingredients``, that every stage reads
medication lines with (:mod:`tailormed.medications`). Rules, in order of precedence for
one name (a lower rank wins; within a rank, candidates must agree):

0. ``curated``: the curated combination-brand table (``curated/combination_brands.json``),
   e.g. Tylenol #3 → acetaminophen + codeine, Norco → acetaminophen + hydrocodone;
1. ``generic``: a PharmGKB drug's own ``Name`` (a combination entry such as
   "acetaminophen / codeine" is split into its ingredients);
2. ``mixture``: PharmGKB's ``Brand Mixtures`` ("Percocet (Acetaminophen + Oxycodone
   Hydrochloride)"), each component mapped to an ingredient after removing salt words;
3. ``synonym``: PharmGKB ``Generic Names`` and the inhibitor list's synonyms;
4. ``trade``: PharmGKB ``Trade Names``.

Where the best-ranked candidates disagree and none contains all the others (PharmGKB
lists "Doxil" under doxorubicin and almitrine), the name is *ambiguous*: it resolves to
nothing and its candidates are kept as suggestions, never picked silently. Drug classes,
fragments of chemical names and names shorter than three letters are left out.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError

RANKS = ("curated", "generic", "mixture", "synonym", "trade")
_ANNOTATION = re.compile(r"\s*\[[^\]]*\]\s*$")  # "Clopidogrel [Ban:Inn]"
_MIXTURE = re.compile(r"^(?P<brand>[^()]+?)\s*\((?P<parts>.+)\)\s*$")
# Salt and form words removed from a mixture component before it is looked up
# ("Oxycodone Hydrochloride" → oxycodone). Only whole trailing words are removed.
_SALT_WORDS = frozenset(
    [
        "acetate",
        "anhydrous",
        "besylate",
        "bitartrate",
        "bromide",
        "calcium",
        "chloride",
        "citrate",
        "dihydrate",
        "disodium",
        "dipropionate",
        "fumarate",
        "hcl",
        "hydrobromide",
        "hydrochloride",
        "hyclate",
        "lactate",
        "maleate",
        "magnesium",
        "mesylate",
        "monohydrate",
        "napsylate",
        "phosphate",
        "potassium",
        "sodium",
        "succinate",
        "sulfate",
        "tartrate",
        "trihydrate",
    ]
)


def normalise(text: str) -> str:
    """Lower case, single spaces, no surrounding space: the form names are indexed in."""
    return " ".join(text.lower().split())


def split_list(value: str) -> list[str]:
    """PharmGKB's list cells: ``A,"B, with comma",C (x, y)``; commas inside quotes,
    brackets or parentheses do not split."""
    out: list[str] = []
    depth, quoted = 0, False
    current: list[str] = []
    for ch in value:
        if ch == '"':
            quoted = not quoted
            continue
        if not quoted:
            if ch in "([":
                depth += 1
            elif ch in ")]":
                depth = max(0, depth - 1)
            elif ch == "," and depth == 0:
                out.append("".join(current).strip())
                current = []
                continue
        current.append(ch)
    out.append("".join(current).strip())
    return [x for x in out if x]


def usable_name(raw: str) -> str | None:
    """The indexed form of a name, or None for fragments no medication list would use."""
    name = normalise(_ANNOTATION.sub("", raw))
    if not (3 <= len(name) <= 80) or not name[0].isalpha():
        return None
    if sum(c.isalpha() for c in name) < 3:
        return None
    return name


def _strip_salts(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1] in _SALT_WORDS:
        words.pop()
    return " ".join(words)


class _Index:
    """Candidates per name while compiling: name → rank → list of ingredient sets."""

    def __init__(self, alias: Mapping[str, str]) -> None:
        self.candidates: dict[str, dict[int, list[tuple[tuple[str, ...], str]]]] = {}
        self.alias = alias  # PharmGKB name → the guideline's name for the same drug

    def add(self, raw: str, ingredients: Iterable[str], rank: str, source: str) -> None:
        name = usable_name(raw)
        if name is None:
            return
        ings = tuple(sorted({self.alias.get(i, i) for i in ingredients}))
        if not ings:
            return
        slot = self.candidates.setdefault(name, {}).setdefault(RANKS.index(rank), [])
        if all(i != ings for i, _ in slot):
            slot.append((ings, source))

    def compile(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for name in sorted(self.candidates):
            ranks = self.candidates[name]
            best = min(ranks)
            found = ranks[best]
            widest = max(found, key=lambda c: len(c[0]))
            if all(set(i) <= set(widest[0]) for i, _ in found):
                out[name] = {"i": list(widest[0]), "k": RANKS[best], "s": widest[1]}
            else:
                out[name] = {"i": [], "k": RANKS[best], "a": [list(i) for i, _ in found]}
        return out


def _read_tsv(path: Path) -> list[dict[str, str]]:
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            text = fh.read()
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"cannot read drug table ({exc})", path=path) from None
    csv.field_size_limit(1 << 30)
    reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    need = {"PharmGKB Accession Id", "Name", "Generic Names", "Trade Names", "Brand Mixtures"}
    if reader.fieldnames is None or not need <= set(reader.fieldnames):
        raise KnowledgeError(f"drug table lacks columns {sorted(need)}", path=path, line=1)
    return list(reader)


def _parts(name: str) -> list[str]:
    """A combination entry's ingredients ("acetaminophen / codeine"); else the name."""
    pieces = re.split(r"\s*/\s*|\s+and\s+", name)
    return [normalise(p) for p in pieces if p.strip()]


def compile_drug_names(
    table: Path,
    curated: Mapping[str, Any],
    curated_path: Path,
    inhibitors: Sequence[Mapping[str, Any]],
    guideline_drugs: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """The ``drug_names`` part of the bundle (see the module docstring)."""
    rows = [r for r in _read_tsv(table) if "Drug Class" not in (r.get("Type") or "")]
    ingredients: dict[str, dict[str, Any]] = {}
    combos: dict[str, list[str]] = {}
    for line, r in enumerate(rows, start=2):
        name = normalise(r["Name"])
        if not name:
            raise KnowledgeError("drug without a name", path=table, line=line)
        rxnorm = [c for c in split_list(r.get("RxNorm Identifiers") or "") if c.isdigit()]
        parts = _parts(name)
        if len(parts) > 1:
            combos[name] = parts
        entry = ingredients.setdefault(name, {"pharmgkb_id": None, "rxnorm": []})
        entry["pharmgkb_id"] = entry["pharmgkb_id"] or r["PharmGKB Accession Id"]
        entry["rxnorm"] += [c for c in rxnorm if c not in entry["rxnorm"]]
    # A guideline drug the table names otherwise (CPIC's glyburide is PharmGKB's
    # glibenclamide) is recognised by its RxNorm code: the table's drug takes the
    # guideline's name. Guideline drugs and inhibitors the table lacks altogether are
    # ingredients in their own right; their RxNorm codes (CPIC export, inhibitor list)
    # are added where the table has none.
    owners: dict[str, set[str]] = {}
    for name, e in ingredients.items():
        for c in e["rxnorm"]:
            owners.setdefault(c, set()).add(name)
    extra = [(d["name"], d.get("rxnorm"), "guideline") for d in guideline_drugs]
    extra += [(e["drug"], e.get("rxnorm"), "inhibitor list") for e in inhibitors]
    added: list[tuple[str, str]] = []
    alias: dict[str, str] = {}
    for raw_name, code, origin in extra:
        name = normalise(raw_name)
        if name in ingredients:
            if code and code not in ingredients[name]["rxnorm"]:
                ingredients[name]["rxnorm"].append(code)
            continue
        if name in alias.values():
            continue
        same = [o for o in owners.get(code or "", ()) if o not in combos]
        if len(same) == 1:
            alias[same[0]] = name
            added.append((name, f"{origin}; PharmGKB {same[0]}, RxNorm {code}"))
            continue
        ingredients[name] = {"pharmgkb_id": None, "rxnorm": [code] if code else []}
        added.append((name, origin))
    known = set(ingredients)

    def expand(name: str) -> list[str] | None:
        if name in combos:
            parts = [_lookup(p) for p in combos[name]]
            return None if any(p is None for p in parts) else [p for p in parts if p]
        return [name] if name in known else None

    def _lookup(component: str) -> str | None:
        for candidate in (component, _strip_salts(component)):
            if candidate in known and candidate not in combos:
                return candidate
        return None

    index = _Index(alias)
    src = "PharmGKB drugs.tsv"
    for r in rows:
        name = normalise(r["Name"])
        ings = expand(name)
        if ings is None:  # a combination entry naming something outside the table
            continue
        index.add(name, ings, "generic", f"{src}: Name")
        for g in split_list(r.get("Generic Names") or ""):
            index.add(g, ings, "synonym", f"{src}: Generic Names of {name}")
        for t in split_list(r.get("Trade Names") or ""):
            index.add(t, ings, "trade", f"{src}: Trade Names of {name}")
        for mixture in split_list(r.get("Brand Mixtures") or ""):
            m = _MIXTURE.match(mixture)
            if not m:
                continue
            comps = [_lookup(_component(c)) for c in m.group("parts").split("+")]
            found = [c for c in comps if c]
            if len(found) == len(comps) and len(found) > 1:
                index.add(m.group("brand"), found, "mixture", f"{src}: Brand Mixtures")
    for name, origin in added:
        index.add(name, [name], "generic", f"Tailormed {origin.split(';')[0]}")
    for i, row in enumerate(curated.get("brands") or []):
        record = f"brands[{i}]"
        for ing in row.get("ingredients") or []:
            if normalise(ing) not in known and normalise(ing) not in alias.values():
                raise KnowledgeError(
                    f"ingredient {ing!r} is not a PharmGKB drug", path=curated_path, record=record
                )
        if not row.get("source") or not row.get("names"):
            raise KnowledgeError("row needs names and a source", path=curated_path, record=record)
        for n in row["names"]:
            index.add(n, [normalise(x) for x in row["ingredients"]], "curated", row["source"])
    for inh in inhibitors:
        for s in inh.get("synonyms") or ():
            index.add(s, [normalise(inh["drug"])], "synonym", "Tailormed inhibitor list")
    names = index.compile()
    out_ingredients = {alias.get(k, k): ingredients[k] for k in known - set(combos)}
    # A combination's own RxNorm code (sulfamethoxazole / trimethoprim: 10831) reads as
    # its ingredients.
    combination_codes: dict[str, list[str]] = {}
    for name in sorted(combos):
        ings = expand(name)
        for code in ingredients[name]["rxnorm"] if ings else ():
            combination_codes[code] = sorted({alias.get(i, i) for i in ings or ()})
    return {
        "ingredients": {k: out_ingredients[k] for k in sorted(out_ingredients)},
        "names": names,
        "combination_codes": combination_codes,
        "curated_version": str(curated.get("compiled", "")),
        "added": [f"{name} ({origin})" for name, origin in added],
    }


def _component(text: str) -> str:
    """ "Polymyxin B (Polymyxin B Sulfate)" → "polymyxin b"."""
    return normalise(text.split("(", 1)[0])
