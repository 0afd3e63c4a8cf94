"""Activity scores as the phenotype tables and guidelines write them.

Scores are decimal strings with at least one decimal place (``"1.0"``, ``"0.25"``);
a lower bound is written with ``≥`` (``"≥3.0"``, CYP2D6 gene duplications of unknown
copy number). ``"n/a"`` is the tables' score for indeterminate diplotypes. Arithmetic is
done on :class:`decimal.Decimal` so ``0.25`` steps stay exact.

>>> parse_score("≥3")
Score(value=Decimal('3'), at_least=True)
>>> format_score(Score(Decimal("0.625")))
'0.625'
>>> format_score(Score(Decimal("3"), at_least=True))
'≥3.0'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

GTE = "≥"
# Score keys in the guidelines are multiples of 0.25.
GRID = Decimal("0.25")
_SCORE = re.compile(r"^\s*(≥|>=)?\s*(\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True, slots=True)
class Score:
    """An activity score, or (``at_least``) a lower bound on one."""

    value: Decimal
    at_least: bool = False

    def times(self, factor: Decimal) -> Score:
        return Score(self.value * factor, self.at_least and factor != 0)


def parse_score(text: str | None) -> Score | None:
    """A score from its text form; ``None`` for ``"n/a"``, empty or malformed text."""
    if text is None:
        return None
    m = _SCORE.match(text)
    if not m:
        return None
    try:
        return Score(Decimal(m.group(2)), at_least=bool(m.group(1)))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None


def format_score(score: Score) -> str:
    """The table spelling: ``1 → "1.0"``, ``0.250 → "0.25"``, lower bounds with ``≥``."""
    value = score.value.normalize()
    exponent = value.as_tuple().exponent
    text = f"{value:.1f}" if isinstance(exponent, int) and exponent >= -1 else f"{value:f}"
    return f"{GTE}{text}" if score.at_least else text


def normalize_score_text(text: str) -> str | None:
    """Reformat a score written another way (``"1"``, ``">=3"``) in the table spelling."""
    score = parse_score(text)
    return None if score is None else format_score(score)


def add_scores(parts: Sequence[str | None]) -> str | None:
    """Sum of allele activity values as the tables write it (``"n/a"`` poisons the sum).

    >>> add_scores(["≥3.0", "0.5"])
    '≥3.5'
    >>> add_scores(["1.0", "n/a"]) is None
    True
    """
    scores = [parse_score(p) for p in parts]
    if not scores or any(s is None for s in scores):
        return None
    total = sum((s.value for s in scores if s is not None), Decimal(0))
    return format_score(Score(total, any(s.at_least for s in scores if s is not None)))


def on_grid(value: Decimal) -> bool:
    return (value / GRID) == (value / GRID).to_integral_value()


def grid_neighbours(value: Decimal) -> tuple[Decimal, ...]:
    """The guideline-grid scores either side of ``value`` (itself if on the grid)."""
    if on_grid(value):
        return (value,)
    low = (value / GRID).to_integral_value(rounding=ROUND_FLOOR) * GRID
    return (low, low + GRID)


@dataclass(frozen=True, slots=True)
class ScoreBin:
    """Scores up to ``upper`` (inclusive or not) map to ``phenotype``; ``None`` = no bound."""

    phenotype: str
    upper: Decimal | None
    upper_inclusive: bool = True

    def holds(self, value: Decimal) -> bool:
        if self.upper is None:
            return True
        return value < self.upper or (self.upper_inclusive and value == self.upper)


def phenotype_for(score: Score, bins: Sequence[ScoreBin]) -> str | None:
    """The phenotype a score falls in; for a lower bound, only if every score above agrees.

    ``bins`` are ordered from the lowest scores up, the last one unbounded.
    """
    for i, b in enumerate(bins):
        if b.holds(score.value):
            if score.at_least and any(x.phenotype != b.phenotype for x in bins[i + 1 :]):
                return None
            return b.phenotype
    return None
