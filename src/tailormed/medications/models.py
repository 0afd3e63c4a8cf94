"""What a medication line resolves to: :class:`ResolvedMedication`.

>>> m = ResolvedMedication("Plavix 75 mg", "recognised", ("clopidogrel",), ("32968",))
>>> m.recognised, m.to_json()["status"]
(True, 'recognised')
>>> ResolvedMedication.from_json(m.to_json()) == m
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

MedicationStatus = Literal["recognised", "not recognised"]


def drug_parts(drug: str) -> tuple[str, ...]:
    """The ingredients of a drug name: ``"sulfamethoxazole / trimethoprim"`` → both.

    >>> drug_parts("Sulfamethoxazole / Trimethoprim")
    ('sulfamethoxazole', 'trimethoprim')
    """
    return tuple(" ".join(p.lower().split()) for p in drug.split("/") if p.strip())


@dataclass(frozen=True, slots=True)
class ResolvedMedication:
    """One medication line and the ingredients it names.

    ``status`` is ``"recognised"`` when at least one ingredient was found, else
    ``"not recognised"`` (then ``suggestions`` holds the closest names, and ``note`` says
    why: unknown name, ambiguous brand, unknown RxNorm code). ``rxnorm`` holds the
    RxNorm ingredient codes of the ingredients, where known. ``matched`` is the text that
    was recognised (``"plavix"``, ``"RxNorm:32968"``) and ``via`` where the name comes from.
    """

    line: str
    status: MedicationStatus
    ingredients: tuple[str, ...] = ()
    rxnorm: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    matched: str | None = None
    via: str = ""
    note: str | None = None

    @property
    def recognised(self) -> bool:
        return self.status == "recognised"

    def names(self, drug: str) -> bool:
        """Whether this line names ``drug``: an ingredient, or every ingredient of a
        combination written "a / b" ("sulfamethoxazole / trimethoprim" for Bactrim)."""
        return all(p in self.ingredients for p in drug_parts(drug))

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "status": self.status,
            "ingredients": list(self.ingredients),
            "rxnorm": list(self.rxnorm),
            "suggestions": list(self.suggestions),
            "matched": self.matched,
            "via": self.via,
            "note": self.note,
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> ResolvedMedication:
        status: MedicationStatus = (
            "recognised" if d.get("status") == "recognised" else "not recognised"
        )
        return ResolvedMedication(
            line=d["line"],
            status=status,
            ingredients=tuple(d.get("ingredients") or ()),
            rxnorm=tuple(d.get("rxnorm") or ()),
            suggestions=tuple(d.get("suggestions") or ()),
            matched=d.get("matched"),
            via=d.get("via") or "",
            note=d.get("note"),
        )
