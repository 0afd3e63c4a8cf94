"""Unit normalisation: every value is stored in its kind's canonical UCUM unit.

The unit the source wrote is kept on the series (``Series.original_unit``). Factors are
exact definitions (1 lb = 0.45359237 kg; 1 mmHg = 0.133322387415 kPa).

>>> to_canonical("body_weight", "lb")
('kg', 0.45359237)
>>> to_canonical("sleep", "h")
('min', 60.0)
>>> to_canonical("heart_rate", "beats/min")
('/min', 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_MASS = {"kg": 1.0, "g": 0.001, "lb": 0.45359237, "[lb_av]": 0.45359237, "oz": 0.028349523125}
_MASS |= {"[oz_av]": 0.028349523125, "st": 6.35029318, "[stone_av]": 6.35029318}
_DURATION = {"min": 1.0, "h": 60.0, "s": 1 / 60, "ms": 1 / 60_000, "d": 1440.0}
_RATE = {"/min": 1.0, "beats/min": 1.0, "bpm": 1.0, "{beats}/min": 1.0, "count/min": 1.0}
_COUNT = {"{steps}": 1.0, "steps": 1.0, "count": 1.0, "{count}": 1.0, "1": 1.0, "/d": 1.0}
_PRESSURE = {"mm[Hg]": 1.0, "mmHg": 1.0, "kPa": 1 / 0.133322387415}
_ENERGY = {"kcal": 1.0, "Cal": 1.0, "kJ": 1 / 4.184}
_SCORE = {"{score}": 1.0}

CANONICAL: Mapping[str, tuple[str, Mapping[str, float]]] = MappingProxyType(
    {
        "heart_rate": ("/min", _RATE),
        "resting_heart_rate": ("/min", _RATE),
        "steps": ("{steps}", _COUNT),
        "sleep": ("min", _DURATION),
        "time_in_bed": ("min", _DURATION),
        "body_weight": ("kg", _MASS),
        "systolic_bp": ("mm[Hg]", _PRESSURE),
        "diastolic_bp": ("mm[Hg]", _PRESSURE),
        "calories": ("kcal", _ENERGY),
        "activity_intensity": ("{score}", _SCORE),
    }
)

# Spellings seen in exports, mapped to the keys above.
_ALIASES = {
    "lbs": "lb",
    "pounds": "lb",
    "kilograms": "kg",
    "minutes": "min",
    "hours": "h",
    "hr": "h",
    "sec": "s",
    "seconds": "s",
    "mmhg": "mmHg",
    "count/s": "",  # rates of counts are not a step total: rejected below
}


def to_canonical(kind: str, unit: str) -> tuple[str, float]:
    """``(canonical unit, factor)`` so that ``canonical value = value * factor``.

    Raises :class:`ValueError` (the readers turn it into an InputError naming the record)
    for a unit that does not fit the kind.
    """
    canonical, table = CANONICAL[kind]
    name = unit.strip()
    name = _ALIASES.get(name.lower(), name)
    if name in table:
        return canonical, table[name]
    raise ValueError(f"unit {unit!r} is not a {kind.replace('_', ' ')} unit ({', '.join(table)})")
