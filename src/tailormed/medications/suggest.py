"""Closest names for a medication line nothing recognised ("clopidogrl" → clopidogrel).

Candidates share a character trigram with the typed name (the index lives on the
knowledge base's :class:`~tailormed.knowledge.medicines.DrugNames`); they are kept when
they start with the same letter and lie within a small edit distance (optimal string
alignment: insertions, deletions, substitutions and swaps of neighbours), scaled to the
length so that short ordinary words get no suggestion:

====================  ======================
typed name length     largest distance kept
====================  ======================
< 5                   none suggested
5-8                   1
9-12                  2
> 12                  3
====================  ======================

Ingredient names come before brand names at the same distance; each ingredient (or
combination) is offered once, under its closest name; at most three are given.

>>> osa_distance("clopidogrl", "clopidogrel")
1
>>> osa_distance("paxli", "paxil")
1
"""

from __future__ import annotations

import re

from tailormed.knowledge.medicines import DrugNames

MAX_SUGGESTIONS = 3
_KIND_ORDER = {"generic": 0, "curated": 1, "mixture": 2, "synonym": 3, "trade": 4}
_WORD = re.compile(r"[a-z][a-z'\-]*")


def max_distance(length: int) -> int:
    if length < 5:
        return 0
    if length <= 8:
        return 1
    return 2 if length <= 12 else 3


def osa_distance(a: str, b: str, limit: int | None = None) -> int:
    """Optimal string alignment distance; stops early above ``limit`` (returns limit + 1)."""
    if a == b:
        return 0
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if limit is not None and min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def name_words(text: str) -> list[str]:
    """The leading words of a line that can be a name (up to the first number or symbol)."""
    words: list[str] = []
    for token in text.split():
        if not _WORD.fullmatch(token):
            break
        words.append(token)
        if len(words) == 3:
            break
    return words


def suggestions(text: str, names: DrugNames) -> tuple[str, ...]:
    """Up to three names close to the start of ``text`` (normalised), best first."""
    words = name_words(text)
    scored: dict[tuple[str, ...], tuple[int, int, str]] = {}
    for k in range(len(words), 0, -1):
        query = " ".join(words[:k])
        limit = max_distance(len(query))
        if limit == 0:
            continue
        # An edit (a swap of neighbours included) changes at most four of the query's
        # len + 1 padded trigrams.
        for name in names.sharing_trigrams(query, max(1, len(query) + 1 - 4 * limit)):
            if name[0] != query[0] or abs(len(name) - len(query)) > limit:
                continue
            d = osa_distance(query, name, limit)
            if d > limit:
                continue
            entry = names.entry(name)
            if entry is None or not entry.ingredients:
                continue
            key = (d, _KIND_ORDER.get(entry.kind, 9), _shown(name, entry.ingredients))
            if entry.ingredients not in scored or key < scored[entry.ingredients]:
                scored[entry.ingredients] = key
    ranked = sorted(scored.values())
    return tuple(s for _, _, s in ranked[:MAX_SUGGESTIONS])


def _shown(name: str, ingredients: tuple[str, ...]) -> str:
    """``"clopidogrel"``; a brand with its ingredients: ``"plavix (clopidogrel)"``."""
    if ingredients == (name,):
        return name
    return f"{name} ({' + '.join(ingredients)})"
