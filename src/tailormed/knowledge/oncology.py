"""The ``oncology`` sibling bundle: somatic knowledge compiled from CIViC and curated tables.

Sources (each recorded with :func:`~tailormed.knowledge.bundles.source_record`):

- the newest complete CIViC release under ``<root>/oncology/civic_YYYY-MM-DD/`` (evidence,
  assertions, molecular profiles, variants, genes; CC0). Evidence of germline origin
  (``Rare Germline``, ``Common Germline``) and the predisposing, functional and oncogenic
  evidence types are left out: this bundle serves somatic tiering.
- OncoTree (a subset of release ``oncotree_2025_10_03``, CC BY 4.0) and a curated map of
  OncoTree codes to the CIViC disease names that mean the same tumour type
  (``curated/oncology/``); a full OncoTree release JSON placed at
  ``<root>/oncology/oncotree/oncotree_*.json`` replaces the subset.
- the FDA companion-diagnostic rows verified one by one (``fda_cdx_verified.tsv``; every
  other row of the shared transcription is dropped and counted), the tissue-agnostic
  approvals, literature resistance variants, cell-therapy eligibility rules, oncology
  PGx links and the ctDNA rules (thresholds with citations).

The loader is :class:`tailormed.knowledge.oncology_kb.OncologyKnowledge`.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import CompiledBundle, source_record
from tailormed.knowledge.oncology_civic import (
    classify_variant,
    find_release,
    read_rows,
    split_list,
    variant_hgvs,
)
from tailormed.knowledge.protein import short_protein

ONCOTREE_VERSION = "oncotree_2025_10_03"
EVIDENCE_TYPES = {"Predictive", "Diagnostic", "Prognostic"}
GERMLINE = {"Rare Germline", "Common Germline"}
_AMP = re.compile(r"^Tier (I{1,3}|IV)(?: - Level ([A-D]))?$")
_SELECTOR = re.compile(
    r"^[A-Z0-9]+:(exact:\S+|exon:\d+:(deletion|insertion|skipping)|codon:[A-Z]\d+|fusion)$"
)


def curated_dir() -> Path:
    return Path(str(resources.files("tailormed.knowledge") / "curated" / "oncology"))


def _tsv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a curated TSV (``#`` comment lines skipped), with their line numbers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    header: list[str] | None = None
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = cells
            continue
        if len(cells) != len(header):
            raise KnowledgeError(
                f"{len(cells)} fields, the header has {len(header)}", path=path, line=number
            )
        yield number, dict(zip(header, cells, strict=True))


def drug_name(text: str) -> str:
    """CIViC therapy name → lower-case generic name (``Trastuzumab Deruxtecan`` → ...)."""
    return " ".join(text.strip().lower().split())


def regimens(therapies: str, interaction: str) -> list[str]:
    """CIViC's therapies + interaction type → regimen names (a combination is one regimen)."""
    drugs = [drug_name(t) for t in split_list(therapies)]
    if not drugs:
        return []
    if interaction in ("Combination", "Sequential") and len(drugs) > 1:
        return [" + ".join(sorted(drugs))]
    return drugs


def _disease_key(doid: str, name: str) -> str:
    return doid.strip() if doid.strip() else f"name:{name.strip()}"


def _civic(root: Path) -> tuple[dict[str, Any], list[Path], str, dict[str, int], list[str]]:
    release = find_release(root / "oncology")
    f = release.files
    genes = {
        row["gene_id"]: row["name"]
        for _, row in read_rows(f["Gene"], ("gene_id", "name", "entrez_id"))
    }
    variants: dict[str, dict[str, Any]] = {}
    for _, row in read_rows(
        f["Variant"],
        (
            "variant_id",
            "gene",
            "variant",
            "chromosome",
            "start",
            "reference_bases",
            "variant_bases",
            "reference_build",
            "hgvs_descriptions",
            "variant_types",
        ),
    ):
        hgvs_p, hgvs_c = variant_hgvs(row["hgvs_descriptions"])
        entry: dict[str, Any] = {
            "gene": row["gene"],
            "name": row["variant"],
            **classify_variant(row["gene"], row["variant"]),
            "hgvs_p": hgvs_p,
            "hgvs_c": hgvs_c,
            "types": row["variant_types"],
        }
        if entry["kind"] == "exact" and hgvs_p and short_protein(hgvs_p) != entry["short"]:
            entry["hgvs_p_note"] = f"CIViC HGVS {hgvs_p} differs from the name"
        if row["reference_bases"] and row["variant_bases"] and row["start"]:
            entry["position"] = {
                "build": row["reference_build"] or "GRCh37",
                "chrom": row["chromosome"],
                "pos": int(row["start"]),
                "ref": row["reference_bases"],
                "alt": row["variant_bases"],
            }
        variants[row["variant_id"]] = entry
    by_name = {(v["gene"], v["name"]): vid for vid, v in variants.items()}
    profiles: dict[str, dict[str, Any]] = {}
    skipped_profiles = unknown_variant = 0
    for _line, row in read_rows(
        f["MolecularProfile"], ("molecular_profile_id", "name", "variant_ids")
    ):
        ids = [i.strip() for i in row["variant_ids"].split(",") if i.strip()]
        name = row["name"]
        logic = "single"
        if len(ids) > 1:
            has_and, has_or = " AND " in name, " OR " in name
            if has_and == has_or or "NOT " in name or "(" in name:
                skipped_profiles += 1
                continue
            logic = "all" if has_and else "any"
        if any(vid not in variants for vid in ids):
            unknown_variant += 1  # a variant not in this release's accepted variants
            continue
        profiles[row["molecular_profile_id"]] = {"name": name, "variants": ids, "logic": logic}
    del by_name
    evidence: list[dict[str, Any]] = []
    diseases: dict[str, str] = {}
    for line, row in read_rows(
        f["ClinicalEvidence"],
        (
            "evidence_id",
            "molecular_profile_id",
            "disease",
            "doid",
            "therapies",
            "therapy_interaction_type",
            "evidence_type",
            "evidence_direction",
            "evidence_level",
            "significance",
            "citation_id",
            "source_type",
            "citation",
            "rating",
            "variant_origin",
            "evidence_status",
        ),
    ):
        if row["evidence_type"] not in EVIDENCE_TYPES or row["variant_origin"] in GERMLINE:
            continue
        if row["evidence_status"] != "accepted" or row["molecular_profile_id"] not in profiles:
            continue
        if row["evidence_level"] not in ("A", "B", "C", "D", "E"):
            raise KnowledgeError(
                f"evidence level {row['evidence_level']!r}", path=f["ClinicalEvidence"], line=line
            )
        key = _disease_key(row["doid"], row["disease"])
        diseases[key] = row["disease"]
        evidence.append(
            {
                "id": f"EID{row['evidence_id']}",
                "mp": row["molecular_profile_id"],
                "disease": row["disease"],
                "disease_key": key,
                "therapies": regimens(row["therapies"], row["therapy_interaction_type"]),
                "type": row["evidence_type"],
                "direction": row["evidence_direction"],
                "level": row["evidence_level"],
                "significance": row["significance"],
                "citation": f"{row['citation']} ({row['source_type']} {row['citation_id']})",
                "rating": int(row["rating"]) if row["rating"].isdigit() else None,
                "origin": row["variant_origin"],
            }
        )
    assertions: list[dict[str, Any]] = []
    for _, row in read_rows(
        f["Assertion"],
        (
            "assertion_id",
            "molecular_profile_id",
            "disease",
            "doid",
            "therapies",
            "assertion_type",
            "assertion_direction",
            "significance",
            "amp_category",
            "nccn_guideline",
            "regulatory_approval",
            "fda_companion_test",
            "evidence_item_ids",
        ),
    ):
        amp = _AMP.match(row["amp_category"].strip())
        if amp is None or row["molecular_profile_id"] not in profiles:
            continue
        key = _disease_key(row["doid"], row["disease"])
        diseases[key] = row["disease"]
        assertions.append(
            {
                "id": f"AID{row['assertion_id']}",
                "mp": row["molecular_profile_id"],
                "disease": row["disease"],
                "disease_key": key,
                "therapies": regimens(row["therapies"], ""),
                "type": row["assertion_type"],
                "direction": row["assertion_direction"],
                "significance": row["significance"],
                "tier": amp.group(1),
                "level": amp.group(2),
                "nccn": row["nccn_guideline"] or None,
                "fda_approval": row["regulatory_approval"] == "true",
                "fda_companion_test": row["fda_companion_test"] == "true",
                "evidence": [f"EID{i}" for i in split_list(row["evidence_item_ids"])],
            }
        )
    payload = {
        "release": release.date,
        "genes": sorted(set(genes.values())),
        "variants": variants,
        "profiles": profiles,
        "evidence": evidence,
        "assertions": assertions,
        "disease_names": diseases,
    }
    counts = {
        "civic_variants": len(variants),
        "civic_profiles": len(profiles),
        "civic_evidence": len(evidence),
        "civic_assertions": len(assertions),
    }
    notes = [
        f"CIViC {release.date}: {skipped_profiles} molecular profiles mixing AND/OR/NOT are not "
        f"matched, {unknown_variant} name variants absent from the release; germline-origin, "
        "predisposing, functional and oncogenic evidence left out",
    ]
    return payload, sorted(f.values()), release.date, counts, notes


def _oncotree(root: Path, cur: Path) -> tuple[dict[str, Any], Path, str]:
    full = sorted((root / "oncology" / "oncotree").glob("oncotree_*.json"))
    nodes: dict[str, list[Any]] = {}
    if full:
        path = full[-1]
        version = path.stem
        stack = list(json.loads(path.read_text(encoding="utf-8")).values())
        while stack:
            n = stack.pop()
            nodes[n["code"]] = [n["name"], n["parent"], n["level"], n["mainType"]]
            stack.extend(n["children"].values())
        return nodes, path, version
    path = cur / "oncotree_subset.tsv"
    for _, row in _tsv(path):
        nodes[row["code"]] = [
            row["name"],
            row["parent"] or None,
            int(row["level"]),
            row["main_type"],
        ]
    return nodes, path, f"{ONCOTREE_VERSION} (subset)"


def _selectors(text: str, path: Path, line: int) -> list[str]:
    out = [s.strip() for s in text.split(";") if s.strip()]
    for s in out:
        if not (
            _SELECTOR.match(s) or s in ("MSI-H", "dMMR", "HER2:IHC3+") or s.startswith("TMB>=")
        ):
            raise KnowledgeError(f"bad biomarker selector {s!r}", path=path, line=line)
    return out


def _fda(root: Path, cur: Path, codes: set[str]) -> tuple[list[dict[str, Any]], list[str], Path]:
    source = root / "oncology" / "fda" / "fda_cdx_list_TheraFind_2025-05.csv"
    if not source.is_file():
        raise KnowledgeError("FDA companion-diagnostic table is missing", path=source)
    with source.open(encoding="utf-8-sig", newline="") as fh:
        rows = {n: r for n, r in enumerate(csv.DictReader(fh), start=2)}
    kept: list[dict[str, Any]] = []
    for line, row in _tsv(cur / "fda_cdx_verified.tsv"):
        number = int(row["csv_line"])
        original = rows.get(number)
        if original is None:
            raise KnowledgeError(f"FDA table has no line {number}", path=source)
        drug_cell = original["Drug Trade Name  (Generic)"].lower()
        if row["drugs"] not in drug_cell:
            raise KnowledgeError(
                f"line {number} names {drug_cell!r}, the verified row says {row['drugs']!r}",
                path=cur / "fda_cdx_verified.tsv",
                line=line,
            )
        for code in row["oncotree"].split(","):
            if code not in codes:
                raise KnowledgeError(
                    f"unknown OncoTree code {code}", path=cur / "fda_cdx_verified.tsv", line=line
                )
        kept.append(
            {
                "id": f"FDA-CDx-{number}",
                "device": original["Diagnostic Name (Manufacturer)"],
                "indication": original["Indication - Sample Type"],
                "therapies": [row["drugs"]],
                "selectors": _selectors(row["selectors"], cur / "fda_cdx_verified.tsv", line),
                "oncotree": row["oncotree"].split(","),
                "date": original["FDA CDx Approval Date"],
                "pma": original["PMA/510(k)/513(f)(2)/HDE"].strip(),
                "verified_by": row["verified_by"],
                "checked": row["checked"],
            }
        )
    used = {int(k["id"].rsplit("-", 1)[1]) for k in kept}
    notes = [
        f"FDA CDx transcription: {len(used)} of {len(rows)} rows verified and used; the other "
        f"{len(rows) - len(used)} are dropped unverified (known errors include line 117 "
        "Tafinlar with EGFR exon 19/L858R, lines 129/130 with trametinib and vorasidenib "
        "paired with each other's biomarkers, and line 17 whose date disagrees with the "
        "cobas v1 SSED, May 14, 2013)"
    ]
    return kept, notes, source


def compile_bundle(root: Path) -> CompiledBundle:
    """Compile the oncology bundle from the source tree ``root`` (the project's shared data)."""
    cur = curated_dir()
    civic, civic_files, release, counts, notes = _civic(root)
    nodes, tree_path, tree_version = _oncotree(root, cur)
    disease_map: dict[str, list[str]] = {}
    for line, row in _tsv(cur / "oncotree_doid.tsv"):
        if row["oncotree_code"] not in nodes:
            raise KnowledgeError(
                f"OncoTree code {row['oncotree_code']} is not in {tree_version}",
                path=cur / "oncotree_doid.tsv",
                line=line,
            )
        disease_map.setdefault(row["oncotree_code"], []).append(row["disease_key"])
    fda, fda_notes, fda_source = _fda(root, cur, set(nodes))
    agnostic = [
        {
            "id": f"FDA-agnostic-{row['drugs'].replace(' ', '')}-{row['first_approval']}",
            "selectors": _selectors(row["biomarker"], cur / "tissue_agnostic.tsv", line),
            "therapies": [row["drugs"]],
            "date": row["first_approval"],
            "excluded": [c for c in row["excluded"].split(",") if c],
            "verified_by": row["verified_by"],
        }
        for line, row in _tsv(cur / "tissue_agnostic.tsv")
    ]
    literature = [
        {
            "gene": row["gene"],
            "variant": row["variant"],
            "therapies": row["drugs"].split(","),
            "oncotree": row["oncotree"],
            "citation": row["citation"],
        }
        for _, row in _tsv(cur / "resistance_literature.tsv")
    ]
    eligibility = [
        {
            "drug": row["drug"],
            "oncotree": row["oncotree"].split(","),
            "hla_a": [a for a in row["hla_a"].split(";") if a],
            "other": row["other_requirements"],
            "label": row["label_text"],
            "verified_by": row["verified_by"],
        }
        for _, row in _tsv(cur / "eligibility.tsv")
    ]
    pgx = [
        {
            "therapy": row["therapy"],
            "genes": row["genes"].split(";"),
            "kb_drug": row["kb_drug"] or None,
            "note": row["note"],
            "label_warning": [d for d in row["label_warning_diplotypes"].split(";") if d],
        }
        for _, row in _tsv(cur / "pgx_links.tsv")
    ]
    rules = json.loads((cur / "ctdna_rules.json").read_text(encoding="utf-8"))
    payload = {
        "civic": civic,
        "oncotree": {"version": tree_version, "nodes": nodes},
        "disease_map": disease_map,
        "fda_cdx": fda,
        "tissue_agnostic": agnostic,
        "resistance_literature": literature,
        "eligibility": eligibility,
        "pgx_links": pgx,
        "ctdna_rules": rules,
    }
    curated_files = sorted(p for p in cur.iterdir() if p.is_file() and p.name != tree_path.name)
    sources = (
        source_record(
            root,
            name="civic",
            description="CIViC monthly release (accepted evidence, assertions, profiles, variants)",
            files=civic_files,
            version=release,
            date=release,
            licence="CC0",
            citation="Griffith M et al., Nat Genet 2017;49:170 (CIViC); release " + release,
            url="https://civicdb.org/releases",
        ),
        _record(
            tree_path,
            root,
            "oncotree",
            "OncoTree tumour-type hierarchy",
            tree_version,
            "2025-10-03",
            "CC BY 4.0",
            "Kundra R et al., JCO Clin Cancer Inform 2021;5:221 (OncoTree)",
            "https://github.com/cBioPortal/oncotree",
        ),
        source_record(
            root,
            name="fda-cdx",
            description="FDA list of companion diagnostics (transcription; verified rows only)",
            files=[fda_source],
            version="TheraFind 2025-05",
            date="2025-05",
            licence="public domain (FDA)",
            commit="danielkarolinska/CDx@bc0f42c",
        ),
        _record(
            cur,
            cur.parent.parent,
            "tailormed-curated-oncology",
            "curated OncoTree→CIViC disease map, verified FDA rows, tissue-agnostic approvals, "
            "resistance, eligibility, PGx links, ctDNA rules",
            "1",
            "2026-12",
            "MPL-2.0",
            "Tailormed curation with per-row sources",
            None,
            files=curated_files,
        ),
    )
    counts = {
        **counts,
        "oncotree_codes": len(nodes),
        "oncotree_mapped": len(disease_map),
        "fda_cdx_rows": len(fda),
        "tissue_agnostic": len(agnostic),
        "eligibility_rules": len(eligibility),
    }
    notes = [
        *notes,
        *fda_notes,
        "Pemigatinib for FGFR1-rearranged myeloid/lymphoid neoplasms is listed in the shared "
        "tissue-agnostic table from MOAlmanac only and is haematological: not used",
        "CIViC coordinates are GRCh37: calls are matched by gene and protein change only",
        "Copy-number, expression and methylation evidence cannot be matched from a VCF/MAF",
    ]
    return CompiledBundle(
        payload=payload,
        base_version=f"civic-{release}",
        sources=sources,
        counts=counts,
        notes=tuple(notes),
    )


def _record(
    path: Path,
    root: Path,
    name: str,
    description: str,
    version: str,
    date: str,
    licence: str,
    citation: str,
    url: str | None,
    files: list[Path] | None = None,
) -> dict[str, Any]:
    """A source record for files that may live outside the source tree (the package)."""
    files = files or [path]
    base = root if all(root in p.parents for p in files) else files[0].parent
    return source_record(
        base,
        name=name,
        description=description,
        files=files,
        version=version,
        date=date,
        licence=licence,
        citation=citation,
        url=url,
    )
