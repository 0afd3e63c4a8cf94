"""The phenotype vocabulary in everyday words: one entry per whole guideline term.

Each CPIC phenotype term the knowledge base uses (``tailormed kb`` lists them per gene)
has one sentence and a flag saying whether it differs from the usual result. Terms are
matched whole (case and spacing aside), per gene first, then for any gene: a term is never
read from its first or last word, so "*57:01 positive; *58:01 negative" or a new term
such as "Likely Ultrarapid Metabolizer" is *unknown* here and the caller quotes it.

>>> term_meaning("NAT2", "Rapid Metabolizer").notable  # NAT2's usual (reference) result
False
>>> term_meaning("CYP2C19", "rapid  metabolizer").notable
True
>>> term_meaning("CYP2C19", "Likely Ultrarapid Metabolizer") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Meaning:
    sentence: str
    notable: bool


# Results that mean "the test gave no answer" (the phenotype stage's own words).
UNDETERMINED: Final = frozenset({"indeterminate", "no result", "n/a", ""})


def _speed(certainty: str, pace: str) -> str:
    return f"Your body {certainty} some medicines {pace}."


_SLOWER = "somewhat more slowly than most people do"
_MUCH_SLOWER = "much more slowly than most people do"
_FASTER = "somewhat faster than most people do"
_MUCH_FASTER = "much faster than most people do"
_LIKELY = "likely breaks down"
_MAYBE = "may break down"


def _transport(certainty: str, how: str) -> str:
    return (
        "The {gene} transporter, a protein that moves some medicines around the body, "
        f"{certainty} {how}."
    )


# Any gene: term (case-folded) → meaning. "{gene}" is replaced by the gene symbol.
_ANY_GENE: Final[dict[str, Meaning]] = {
    "ultrarapid metabolizer": Meaning(_speed(_LIKELY, _MUCH_FASTER), True),
    "rapid metabolizer": Meaning(_speed(_LIKELY, _FASTER), True),
    "normal metabolizer": Meaning(_speed(_LIKELY, "at the usual rate"), False),
    "likely intermediate metabolizer": Meaning(_speed(_LIKELY, _SLOWER), True),
    "possible intermediate metabolizer": Meaning(_speed(_MAYBE, _SLOWER), True),
    "intermediate metabolizer": Meaning(_speed(_LIKELY, _SLOWER), True),
    "likely poor metabolizer": Meaning(_speed(_LIKELY, _MUCH_SLOWER), True),
    "poor metabolizer": Meaning(_speed(_LIKELY, _MUCH_SLOWER), True),
    "increased function": Meaning(_transport("likely works", "better than usual"), True),
    "normal function": Meaning(_transport("likely works", "as usual"), False),
    "possible decreased function": Meaning(_transport("may work", "less well than usual"), True),
    "decreased function": Meaning(_transport("likely works", "less well than usual"), True),
    "poor function": Meaning(_transport("likely works", "much less well than usual"), True),
}

_MH = "a rare, severe reaction to some anaesthetic gases and to succinylcholine"
_HEARING = "hearing loss from a group of antibiotics (aminoglycosides)"

# Gene-specific terms, and terms whose meaning depends on the gene.
_BY_GENE: Final[dict[tuple[str, str], Meaning]] = {
    # NAT2 has no "normal" category: the reference alleles make a rapid acetylator.
    ("NAT2", "rapid metabolizer"): Meaning(
        "Your body likely breaks down some medicines at the usual rate for this gene.", False
    ),
    ("G6PD", "normal"): Meaning("Your G6PD enzyme activity is likely normal.", False),
    ("G6PD", "deficient"): Meaning(
        "Your G6PD enzyme activity is likely low: some medicines can damage red blood cells.",
        True,
    ),
    ("G6PD", "deficient with cnsha"): Meaning(
        "Your G6PD enzyme activity is likely very low, with a long-term loss of red blood "
        "cells: some medicines can damage red blood cells further.",
        True,
    ),
    ("G6PD", "variable"): Meaning(
        "Your G6PD enzyme activity may be low in some of your cells.", True
    ),
    ("RYR1", "malignant hyperthermia susceptibility"): Meaning(
        f"You likely have a higher risk of {_MH} (malignant hyperthermia).", True
    ),
    ("RYR1", "uncertain susceptibility"): Meaning(
        f"No known risk variant for {_MH} (malignant hyperthermia) was found.", False
    ),
    ("CACNA1S", "malignant hyperthermia susceptibility"): Meaning(
        f"You likely have a higher risk of {_MH} (malignant hyperthermia).", True
    ),
    ("CACNA1S", "uncertain susceptibility"): Meaning(
        f"No known risk variant for {_MH} (malignant hyperthermia) was found.", False
    ),
    ("CFTR", "ivacaftor responsive in cf patients"): Meaning(
        "You carry a CFTR variant that the medicine ivacaftor works on. This matters for "
        "people with cystic fibrosis.",
        True,
    ),
    ("CFTR", "ivacaftor non-responsive in cf patients"): Meaning(
        "You do not carry a CFTR variant that the medicine ivacaftor is known to work on. "
        "This matters only for people with cystic fibrosis.",
        False,
    ),
    ("MT-RNR1", "increased risk of aminoglycoside-induced hearing loss"): Meaning(
        f"You likely have a higher risk of {_HEARING}.", True
    ),
    ("MT-RNR1", "normal risk of aminoglycoside-induced hearing loss"): Meaning(
        f"Your risk of {_HEARING} is not raised by the variants tested.", False
    ),
    ("MT-RNR1", "uncertain risk of aminoglycoside-induced hearing loss"): Meaning(
        f"It is not known whether your MT-RNR1 variant raises the risk of {_HEARING}.", True
    ),
    ("VKORC1", "-1639 gg"): Meaning("You likely respond to warfarin as most people do.", False),
    ("VKORC1", "-1639 ag"): Meaning(
        "You are likely more sensitive to warfarin than most people.", True
    ),
    ("VKORC1", "-1639 aa"): Meaning(
        "You are likely much more sensitive to warfarin than most people.", True
    ),
}


def normal_form(term: str) -> str:
    """Case-folded, with runs of spaces made one: the form terms are compared in."""
    return " ".join(term.split()).casefold()


def term_meaning(gene: str, phenotype: str) -> Meaning | None:
    """The meaning of a whole phenotype term for ``gene``; ``None`` when it is unknown."""
    key = normal_form(phenotype)
    found = _BY_GENE.get((gene, key)) or _ANY_GENE.get(key)
    if found is None:
        return None
    return Meaning(found.sentence.replace("{gene}", gene), found.notable)
