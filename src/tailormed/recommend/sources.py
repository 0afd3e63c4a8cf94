"""Which guideline recommendations apply to a drug: the KB's annotations, else CPIC's 2022 export.

The knowledge base holds the ClinPGx annotations of every CPIC and DPWG guideline as of
2024-05-29 (``kb.guidelines``). For 25 drugs of the CPIC G6PD guideline (aspirin,
chloroquine, sulfonamides, ...) those annotations carry no recommendations, while the
CPIC database export of 2022-09-15 (``kb.cpic_2022``) does; the drugs are in
``kb.drugs`` because of that export. For a drug without any CPIC recommendation in the
annotations, the export's recommendations are used, under a guideline named as coming
from the export, so every report says where its text came from. PharmCAT 3.x (2025-11)
reports none of these 25 drugs; see ``tests/recommend/test_pharmcat_examples.py``.

Guidelines whose annotation has no recommendation for the drug (CPIC warfarin: the
guideline is a dosing algorithm, see :mod:`.warfarin`; CPIC IFNL3) are left out here.

>>> from tailormed.knowledge import load_kb
>>> [(g.source, g.id) for g, _ in drug_guidelines(load_kb(), "clopidogrel")]
[('CPIC', 'PA166104948'), ('DPWG', 'PA166104956')]
>>> g, recs = drug_guidelines(load_kb(), "aspirin")[0]
>>> g.version, len(recs)
('CPIC database export 2022-09-15', 5)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import Guideline, Recommendation

EXPORT_VERSION = "CPIC database export 2022-09-15"
_SOURCE_ORDER = {"CPIC": 0, "DPWG": 1}

GuidelineRecs = tuple[Guideline, tuple[Recommendation, ...]]


def drug_guidelines(kb: KnowledgeBase, drug: str) -> tuple[GuidelineRecs, ...]:
    """``(guideline, its recommendations for drug)``, CPIC first; empty when none has any."""
    return _drug_guidelines(kb, kb.drug(drug).name)


@lru_cache(maxsize=512)
def _drug_guidelines(kb: KnowledgeBase, name: str) -> tuple[GuidelineRecs, ...]:
    found: list[GuidelineRecs] = []
    for g in kb.guidelines:
        recs = tuple(r for r in g.recommendations if name in r.drugs)
        if name in g.drugs and recs:
            found.append((g, recs))
    if not any(g.source == "CPIC" for g, _ in found):
        exported = _from_export(kb, name)
        if exported is not None:
            found.append(exported)
    found.sort(key=lambda gr: (_SOURCE_ORDER.get(gr[0].source, 9), gr[0].id))
    return tuple(found)


def guideline_genes(guideline: Guideline, recs: tuple[Recommendation, ...]) -> tuple[str, ...]:
    """The genes the recommendations key on, in the guideline's order."""
    keyed = {gene for r in recs for gene in r.lookup_key}
    ordered = [g for g in guideline.genes if g in keyed]
    return (*ordered, *sorted(keyed - set(ordered)))


def _from_export(kb: KnowledgeBase, name: str) -> GuidelineRecs | None:
    entry = next((e for e in kb.cpic_2022 if e.get("drug") == name), None)
    if entry is None or not entry.get("recommendations"):
        return None
    gid = (entry.get("guideline_ids") or [f"cpic-2022:{name}"])[0]
    version = entry.get("cpic_version")
    recs = tuple(
        _export_rec(name, gid, i, r) for i, r in enumerate(entry["recommendations"], start=1)
    )
    guideline = Guideline(
        id=gid,
        name=f"CPIC guideline: {entry.get('guideline') or name} ({EXPORT_VERSION}"
        + (f", {version})" if version else ")"),
        source="CPIC",
        version=EXPORT_VERSION,
        url=entry.get("url"),
        drugs=(name,),
        genes=tuple(entry.get("genes") or ()),
        citations=(),
        recommendations=recs,
    )
    return guideline, recs


def _export_rec(drug: str, gid: str, index: int, r: Mapping[str, Any]) -> Recommendation:
    text = str(r.get("recommendation") or "")
    comments = r.get("comments")
    if comments and str(comments).strip().lower() != "n/a":
        text = f"{text}\nOther Considerations\n{comments}"
    implications = tuple(f"{g}: {v}" for g, v in (r.get("implications") or {}).items())
    return Recommendation(
        id=f"cpic-2022:{drug}:{index}",
        source="CPIC",
        guideline_id=gid,
        drugs=(drug,),
        lookup_key=MappingProxyType(dict(r.get("lookup_key") or {})),
        population=r.get("population"),
        classification=r.get("classification"),
        text_html=text,
        text=text,
        implications=implications,
        dosing_information=False,
        alternate_drug=False,
        other_guidance=False,
    )
