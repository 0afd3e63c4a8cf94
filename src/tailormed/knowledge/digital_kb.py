"""Typed, read-only access to the ``digital`` bundle (see :mod:`tailormed.knowledge.digital`).

>>> kb = DigitalKnowledge.load()
>>> kb.rule("phq9-item9")["severity"]
'critical'
>>> kb.instrument("GAD-7")["total"]["code"]
'70274-6'
>>> kb.drug_class("sertraline")
'antidepressant'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import Bundle, load_bundle


@dataclass(frozen=True)
class DigitalKnowledge:
    """The digital bundle with its lookups (built once per process)."""

    bundle: Bundle
    rules: tuple[Mapping[str, Any], ...]
    schedules: tuple[Mapping[str, Any], ...]
    instruments: Mapping[str, Mapping[str, Any]]
    classes: Mapping[str, str]  # generic drug name -> class

    @staticmethod
    def load(path: str | None = None) -> DigitalKnowledge:
        return _load(path)

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def payload(self) -> Mapping[str, Any]:
        return self.bundle.payload

    @property
    def omh(self) -> Mapping[str, Any]:
        omh: Mapping[str, Any] = self.payload["omh"]
        return omh

    @property
    def kinds(self) -> Mapping[str, Mapping[str, Any]]:
        kinds: Mapping[str, Mapping[str, Any]] = self.payload["observations"]["kinds"]
        return kinds

    @property
    def answers(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.payload["instruments"]["answers"])

    @property
    def crisis_resources(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(self.payload["instruments"]["crisis_resources"])

    def rule(self, rule_id: str) -> Mapping[str, Any]:
        for r in self.rules:
            if r["id"] == rule_id:
                return r
        raise KnowledgeError(f"no care rule {rule_id!r} in the digital bundle {self.version}")

    def instrument(self, name: str) -> Mapping[str, Any]:
        found = self.instruments.get(name.upper())
        if found is None:
            known = ", ".join(sorted(self.instruments))
            raise KnowledgeError(f"unknown questionnaire {name!r}; known: {known}")
        return found

    def drug_class(self, generic: str) -> str | None:
        return self.classes.get(generic.lower())

    def loinc_kind(self, code: str) -> str | None:
        """The observation kind a LOINC code stands for (``8867-4`` -> ``heart_rate``)."""
        for kind, spec in self.kinds.items():
            if code in spec["loinc"]:
                return kind
        return None


@cache
def _load(path: str | None) -> DigitalKnowledge:
    bundle = load_bundle("digital", path)
    rules = bundle.payload["rules"]
    classes = {
        drug: name
        for name, drugs in rules["drug_classes"].items()
        if not name.startswith("_")
        for drug in drugs
    }
    return DigitalKnowledge(
        bundle=bundle,
        rules=tuple(rules["rules"]),
        schedules=tuple(rules["schedules"]),
        instruments={i["id"]: i for i in bundle.payload["instruments"]["instruments"]},
        classes=classes,
    )
