"""Typed, read-only access to the ``oncology`` bundle (see :mod:`tailormed.knowledge.oncology`).

>>> kb = OncologyKnowledge.load()
>>> [code for code, _, _ in kb.lineage("LUAD")][:3]
['LUAD', 'NSCLC', 'LUNG']
>>> kb.disease_levels("LUAD")["3908"]
('NSCLC', 'parent')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import Bundle, load_bundle

ROOT = "TISSUE"


@dataclass(frozen=True)
class OncologyKnowledge:
    """The oncology bundle with the indexes matching needs (built once per process)."""

    bundle: Bundle
    variants: Mapping[str, Mapping[str, Any]]
    profiles: Mapping[str, Mapping[str, Any]]
    by_gene: Mapping[str, tuple[str, ...]]  # gene -> CIViC variant ids
    profiles_of: Mapping[str, tuple[str, ...]]  # variant id -> molecular profile ids
    evidence_of: Mapping[str, tuple[Mapping[str, Any], ...]]  # profile id -> evidence items
    assertions_of: Mapping[str, tuple[Mapping[str, Any], ...]]  # profile id -> assertions
    nodes: Mapping[str, list[Any]]
    disease_map: Mapping[str, tuple[str, ...]]
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @staticmethod
    def load(path: str | None = None) -> OncologyKnowledge:
        return _load(path)

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def civic_release(self) -> str:
        return str(self.bundle.payload["civic"]["release"])

    @property
    def oncotree_version(self) -> str:
        return str(self.bundle.payload["oncotree"]["version"])

    @property
    def payload(self) -> Mapping[str, Any]:
        return self.bundle.payload

    def knows_tumour_type(self, code: str) -> bool:
        return code in self.nodes

    def tumour_name(self, code: str) -> str:
        return str(self.nodes[code][0])

    def lineage(self, code: str) -> list[tuple[str, str, int]]:
        """(code, name, level) from ``code`` up to the OncoTree root."""
        if code not in self.nodes:
            raise KnowledgeError(f"unknown OncoTree code {code!r} ({self.oncotree_version})")
        out: list[tuple[str, str, int]] = []
        current: str | None = code
        while current:
            name, parent, level, _ = self.nodes[current]
            out.append((current, name, int(level)))
            current = parent
        return out

    def is_within(self, code: str, ancestor: str) -> bool:
        return any(c == ancestor for c, _, _ in self.lineage(code))

    def disease_levels(self, code: str) -> dict[str, tuple[str, str]]:
        """CIViC disease key -> (OncoTree code matched at, ``exact``/``parent``/``pan-cancer``).

        The patient's own code is ``exact``; an ancestor below the root ``parent``; the root
        (``Cancer``) and tissue-level ``Solid Tumor`` are ``pan-cancer``.
        """
        key = f"levels:{code}"
        if key not in self._cache:
            levels: dict[str, tuple[str, str]] = {}
            for node, _, _ in self.lineage(code):
                for disease in self.disease_map.get(node, ()):
                    if disease in levels:
                        continue
                    if node == code and node != ROOT:
                        how = "exact"
                    elif node == ROOT or disease == "name:Solid Tumor":
                        how = "pan-cancer"
                    else:
                        how = "parent"
                    levels[disease] = (node, how)
            self._cache[key] = levels
        result: dict[str, tuple[str, str]] = self._cache[key]
        return result

    def resistance(self, gene: str, short: str | None) -> list[tuple[str, str, str]]:
        """(regimen, source id, citation) of every resistance this variant is known for.

        From CIViC: "Predictive / Resistance or Reduced Sensitivity / Supports" evidence whose
        molecular profile is the variant itself or an AND of it with other alterations
        (``EML4::ALK AND G1202R``: the acquired change in the context of its driver); and the
        curated literature rows.
        """
        index: dict[tuple[str, str], list[tuple[str, str, str]]]
        if "resistance" not in self._cache:
            index = {}
            civic = self.payload["civic"]
            for item in civic["evidence"]:
                if item["type"] != "Predictive" or item["direction"] != "Supports":
                    continue
                if item["significance"] not in ("Resistance", "Reduced Sensitivity"):
                    continue
                profile = self.profiles[item["mp"]]
                if profile["logic"] == "any":
                    continue
                for vid in profile["variants"]:
                    v = self.variants[vid]
                    if v["kind"] != "exact":
                        continue
                    for regimen in item["therapies"]:
                        index.setdefault((v["gene"], v["short"]), []).append(
                            (regimen, item["id"], item["citation"])
                        )
            for row in self.payload["resistance_literature"]:
                for drug in row["therapies"]:
                    index.setdefault((row["gene"], row["variant"]), []).append(
                        (drug, "literature", row["citation"])
                    )
            self._cache["resistance"] = index
        index = self._cache["resistance"]
        return list(index.get((gene, short or ""), ()))

    def resistance_drugs(self) -> frozenset[str]:
        """Every drug (a part of a regimen) some variant is known to confer resistance to."""
        if "resistance-drugs" not in self._cache:
            self.resistance("", None)  # builds the index
            index: dict[tuple[str, str], list[tuple[str, str, str]]] = self._cache["resistance"]
            self._cache["resistance-drugs"] = frozenset(
                part.strip().lower()
                for rows in index.values()
                for regimen, _, _ in rows
                for part in regimen.split("+")
                if part.strip()
            )
        found: frozenset[str] = self._cache["resistance-drugs"]
        return found

    def civic_evidence(self, eid: str) -> Mapping[str, Any] | None:
        """The compiled CIViC evidence item ``EID...`` (None when the bundle lacks it)."""
        if "evidence-by-id" not in self._cache:
            self._cache["evidence-by-id"] = {e["id"]: e for e in self.payload["civic"]["evidence"]}
        found: Mapping[str, Any] | None = self._cache["evidence-by-id"].get(eid)
        return found

    def disease_name(self, key: str) -> str:
        names: Mapping[str, str] = self.payload["civic"]["disease_names"]
        return names.get(key, key.removeprefix("name:"))


@cache
def _load(path: str | None) -> OncologyKnowledge:
    bundle = load_bundle("oncology", path)
    civic = bundle.payload["civic"]
    by_gene: dict[str, list[str]] = {}
    for vid, v in civic["variants"].items():
        by_gene.setdefault(v["gene"], []).append(vid)
    profiles_of: dict[str, list[str]] = {}
    for mpid, mp in civic["profiles"].items():
        for vid in mp["variants"]:
            profiles_of.setdefault(vid, []).append(mpid)
    evidence_of: dict[str, list[Mapping[str, Any]]] = {}
    for item in civic["evidence"]:
        evidence_of.setdefault(item["mp"], []).append(item)
    assertions_of: dict[str, list[Mapping[str, Any]]] = {}
    for item in civic["assertions"]:
        assertions_of.setdefault(item["mp"], []).append(item)
    return OncologyKnowledge(
        bundle=bundle,
        variants=civic["variants"],
        profiles=civic["profiles"],
        by_gene={g: tuple(v) for g, v in by_gene.items()},
        profiles_of={k: tuple(v) for k, v in profiles_of.items()},
        evidence_of={k: tuple(v) for k, v in evidence_of.items()},
        assertions_of={k: tuple(v) for k, v in assertions_of.items()},
        nodes=bundle.payload["oncotree"]["nodes"],
        disease_map={k: tuple(v) for k, v in bundle.payload["disease_map"].items()},
    )
