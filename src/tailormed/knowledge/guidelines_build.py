"""Compile guideline annotations (CPIC, DPWG via ClinPGx), the CPIC export and drugs."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.source_io import read_json as _read_json
from tailormed.knowledge.source_io import require as _require

# ------------------------------------------------------------------- recommendations


class _TextExtractor:
    """Plain text from the small HTML fragments guideline texts use."""

    TAG = re.compile(r"<[^>]+>")
    BLOCK = re.compile(r"</?(p|h\d|li|ul|ol|br|div)[^>]*>", re.IGNORECASE)

    @classmethod
    def text(cls, fragment: str) -> str:
        spaced = cls.BLOCK.sub("\n", fragment)
        plain = html.unescape(cls.TAG.sub("", spaced))
        lines = [" ".join(line.split()) for line in plain.splitlines()]
        return "\n".join(line for line in lines if line)


def compile_guideline(path: Path) -> dict[str, Any]:
    raw = _read_json(path)
    g = _require(raw, "guideline", path, "guideline")
    gid = _require(g, "id", path, "guideline")
    source = _require(g, "source", path, gid)
    drugs = [c["name"] for c in g.get("relatedChemicals") or []]
    genes = [x["symbol"] for x in g.get("relatedGenes") or []]
    recs = []
    for i, r in enumerate(_require(raw, "recommendations", path, gid)):
        record = f"{gid} recommendations[{i}]"
        text_html = (_require(r, "text", path, record) or {}).get("html") or ""
        lookup = _require(r, "lookupKey", path, record)
        if not isinstance(lookup, dict) or not lookup:
            raise KnowledgeError("lookupKey must be a non-empty map", path=path, record=record)
        for gene in lookup:
            if gene not in genes:
                raise KnowledgeError(
                    f"lookup gene {gene} is not one of the guideline's genes {genes}",
                    path=path,
                    record=record,
                )
        rec_drugs = [c["name"] for c in r.get("relatedChemicals") or []] or drugs
        recs.append(
            {
                "id": _require(r, "id", path, record),
                "source": source,
                "guideline_id": gid,
                "drugs": rec_drugs,
                "lookup_key": lookup,
                "population": r.get("population"),
                "classification": (r.get("classification") or {}).get("term"),
                "text_html": text_html,
                "text": _TextExtractor.text(text_html),
                "implications": list(r.get("implications") or []),
                "dosing_information": bool(r.get("dosingInformation")),
                "alternate_drug": bool(r.get("alternateDrugAvailable")),
                "other_guidance": bool(r.get("otherPrescribingGuidance")),
            }
        )
    citations = [
        {
            "pmid": c.get("pmid"),
            "title": c.get("title") or "",
            "year": c.get("year"),
            "journal": c.get("journal"),
        }
        for c in raw.get("citations") or []
    ]
    return {
        "id": gid,
        "file": path.name,
        "name": _require(g, "name", path, gid),
        "source": source,
        "version": str(g.get("version")) if g.get("version") is not None else None,
        "url": g.get("url"),
        "drugs": drugs,
        "drug_ids": {c["name"]: c.get("id") for c in g.get("relatedChemicals") or []},
        "genes": genes,
        "citations": citations,
        "recommendations": recs,
    }


def compile_cpic_export(path: Path) -> list[dict[str, Any]]:
    raw = _read_json(path)
    if not isinstance(raw, list):
        raise KnowledgeError("expected a list of drugs", path=path)
    out = []
    for i, d in enumerate(raw):
        record = f"drug[{i}]"
        name = _require(d, "drugname", path, record)
        recs = []
        for j, r in enumerate(d.get("recommendations") or []):
            rrec = f"{name} recommendations[{j}]"
            recs.append(
                {
                    "lookup_key": _require(r, "lookupkey", path, rrec),
                    "phenotypes": r.get("phenotypes") or {},
                    "activity_score": r.get("activityscore") or {},
                    "allele_status": r.get("allelestatus") or {},
                    "implications": r.get("implications") or {},
                    "recommendation": r.get("drugrecommendation") or "",
                    "classification": r.get("classification"),
                    "population": r.get("population"),
                    "comments": r.get("comments"),
                }
            )
        out.append(
            {
                "drug": name,
                "drug_id": d.get("drugid"),
                "guideline": d.get("guidelinename"),
                "url": d.get("url"),
                "guideline_ids": list(d.get("guidelinepharmgkbids") or []),
                "genes": list(d.get("genes") or []),
                "cpic_version": d.get("cpicVersion"),
                "recommendations": recs,
            }
        )
    return out


def compile_drugs(
    guidelines: list[dict[str, Any]], cpic: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    drugs: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return drugs.setdefault(
            name,
            {"name": name, "pharmgkb_id": None, "rxnorm": None, "guidelines": [], "genes": []},
        )

    for g in guidelines:
        for name in g["drugs"]:
            e = entry(name)
            e["pharmgkb_id"] = e["pharmgkb_id"] or g["drug_ids"].get(name)
            e["guidelines"].append(g["id"])
            e["genes"].extend(x for x in g["genes"] if x not in e["genes"])
    for d in cpic:
        e = entry(d["drug"])
        ident = d.get("drug_id") or ""
        if ident.startswith("RxNorm:"):
            e["rxnorm"] = ident.split(":", 1)[1]
        e["genes"].extend(x for x in d["genes"] if x not in e["genes"])
    return [drugs[k] for k in sorted(drugs)]
