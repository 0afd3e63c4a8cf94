"""Compile the source data into the bundled, versioned knowledge base.

``build(source_dir, out_dir)`` reads every source in :mod:`.sources`, normalises it into
one JSON document (``kb.json.gz``) plus a human-readable ``manifest.json``, validates the
result, and only then replaces the bundle atomically. Any problem raises
:class:`~tailormed.errors.KnowledgeError` naming the file and the entry, and leaves the
previous bundle untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.errors import KnowledgeError
from tailormed.knowledge.alternatives import attach_alternatives, read_vocabulary
from tailormed.knowledge.curated import (
    compile_dose_tables,
    compile_inhibitors,
    curated_dir,
    read_curated,
)
from tailormed.knowledge.guidelines_build import (
    compile_cpic_export as _compile_cpic_export,
)
from tailormed.knowledge.guidelines_build import compile_drugs as _compile_drugs
from tailormed.knowledge.guidelines_build import compile_guideline as _compile_guideline
from tailormed.knowledge.models import IUPAC
from tailormed.knowledge.names_build import compile_drug_names
from tailormed.knowledge.source_io import read_json as _read_json
from tailormed.knowledge.source_io import require as _require
from tailormed.knowledge.sources import SOURCE_BY_NAME, SOURCES, SourceSpec

SCHEMA_VERSION = 2
BUNDLE_NAME = "kb.json.gz"
MANIFEST_NAME = "manifest.json"

# Lookup keys that guidelines use for "no usable result" rather than a phenotype.
GENERIC_LOOKUP_KEYS = frozenset({"No Result", "Indeterminate", "n/a"})
HLA_KEY = re.compile(r"^\*\d{2}:\d{2}(:\d{2})? (positive|negative)$")
# Lookup keys outside the phenotype tables that the guideline data uses on purpose.
# Each is checked against a pattern, not accepted blindly.
# CPIC's CYP2D6 key for duplications whose copy number (and so activity) is unresolved;
# the CYP2D6 phenotype map available here predates it.
CPIC_PLACEHOLDER_KEYS = frozenset({("CYP2D6", "xN combinations")})
DPWG_ACTIVITY_KEY = re.compile(
    r"^\d\.\d{1,2} \(((Poor|Intermediate|Normal) Metabolizer|Phenotyping)\)$"
)


def _source_root(root: Path, spec: SourceSpec) -> Path:
    return curated_dir() if spec.root == "curated" else root


def _source_files(root: Path, spec: SourceSpec) -> list[Path]:
    if spec.root == "curated":
        path = curated_dir() / spec.path
        if not path.is_file():
            raise KnowledgeError(f"curated table for {spec.name} is missing", path=path)
        return [path]
    folder = root / spec.path
    if not folder.is_dir():
        raise KnowledgeError(f"source folder for {spec.name} is missing", path=folder)
    files = sorted(p for p in folder.glob(spec.pattern) if p.is_file())
    if not files:
        raise KnowledgeError(f"no {spec.pattern} files for {spec.name}", path=folder)
    return files


def _sha256(files: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


# --------------------------------------------------------------------------- alleles


def _variant(raw: dict[str, Any], path: Path, record: str) -> dict[str, Any]:
    position = _require(raw, "position", path, record)
    ref = _require(raw, "ref", path, record)
    alts = list(_require(raw, "alts", path, record) or [])
    if not isinstance(position, int) or position <= 0:
        raise KnowledgeError(f"invalid position {position!r}", path=path, record=record)
    if not ref or any(not a for a in alts):
        raise KnowledgeError("empty REF or ALT allele", path=path, record=record)
    return {
        "chrom": _require(raw, "chromosome", path, record),
        "position": position,
        "rsid": raw.get("rsid"),
        "ref": ref,
        "alts": alts,
        "hgvs": raw.get("chromosomeHgvsName"),
        "cpic_alleles": list(raw.get("cpicAlleles") or []),
        "cpic_to_vcf": dict(raw.get("cpicToVcfAlleleMap") or {}),
    }


def _allele_valid(value: str, variant: dict[str, Any]) -> bool:
    vcf_alleles = [variant["ref"], *variant["alts"]]
    if value in vcf_alleles:
        return True
    single = all(len(a) == 1 for a in vcf_alleles)
    return single and value in IUPAC and any(a in IUPAC[value] for a in vcf_alleles)


def _compile_gene(path: Path, exemption: dict[str, Any] | None) -> dict[str, Any]:
    raw = _read_json(path)
    gene = _require(raw, "gene", path, "gene")
    variants = [
        _variant(v, path, f"variants[{i}]")
        for i, v in enumerate(_require(raw, "variants", path, gene))
    ]
    positions = [v["position"] for v in variants]
    if positions != sorted(positions) or len(set(positions)) != len(positions):
        raise KnowledgeError("variant positions are not sorted and unique", path=path)
    alleles = []
    seen: set[str] = set()
    for i, na in enumerate(_require(raw, "namedAlleles", path, gene)):
        name = _require(na, "name", path, f"namedAlleles[{i}]")
        record = f"{gene} allele {name}"
        if name in seen:
            raise KnowledgeError("duplicate allele name", path=path, record=record)
        seen.add(name)
        values = _require(na, "alleles", path, record)
        if len(values) != len(variants):
            raise KnowledgeError(
                f"defines {len(values)} positions but the gene has {len(variants)}",
                path=path,
                record=record,
            )
        for value, variant in zip(values, variants, strict=True):
            if value is not None and not _allele_valid(value, variant):
                raise KnowledgeError(
                    f"allele {value!r} at {variant['chrom']}:{variant['position']} is not one "
                    f"of the position's alleles {[variant['ref'], *variant['alts']]}",
                    path=path,
                    record=record,
                )
        if all(v is None for v in values):
            raise KnowledgeError("defines no position", path=path, record=record)
        alleles.append(
            {
                "name": name,
                "id": na.get("id"),
                "alleles": values,
                "reference": bool(na.get("reference", False)),
                "structural_variant": bool(na.get("structuralVariant", False)),
            }
        )
    refs = [a for a in alleles if a["reference"]]
    if len(refs) != 1:
        raise KnowledgeError(f"{len(refs)} reference alleles (need exactly 1)", path=path)
    if any(v is None for v in refs[0]["alleles"]):
        raise KnowledgeError("reference allele leaves positions undefined", path=path)
    return {
        "symbol": gene,
        "chrom": _require(raw, "chromosome", path, gene),
        "genome_build": raw.get("genomeBuild", "GRCh38"),
        "version": str(raw.get("version", "")),
        "variants": variants,
        "named_alleles": alleles,
        "suballeles": _suballeles(raw, {a["name"] for a in alleles}, path),
        "exemptions": _compile_exemption(exemption, gene, path),
    }


def _suballeles(raw: dict[str, Any], names: set[str], path: Path) -> dict[str, str]:
    """Sub-allele → core allele name (SLCO1B1 *45.001 → *45), as PharmCAT reports them."""
    mapping = dict(raw.get("suballelesMap") or {})
    for sub_name in mapping:
        if sub_name not in names:
            raise KnowledgeError(
                f"suballele {sub_name!r} is not a defined allele", path=path, record="suballelesMap"
            )
    return mapping


def _compile_exemption(raw: dict[str, Any] | None, gene: str, path: Path) -> dict[str, Any]:
    if not raw:
        return {}
    # PharmCAT drops ignored alleles from the published definitions, so an ignored name
    # need not be defined; it is kept so that an outside call naming it can be refused.
    ignored = list(raw.get("ignoredAlleles") or [])
    priorities = []
    for entry in raw.get("unphasedDiplotypePriorities") or []:
        priorities.append({"candidates": list(entry["list"]), "pick": entry["pick"]})
    extra = [
        _variant(v, path, f"{gene} exemptions extraPositions[{i}]")
        for i, v in enumerate(raw.get("extraPositions") or [])
    ]
    return {
        "ignored_alleles": ignored,
        "ignored_positions": [int(p["position"]) for p in raw.get("ignoredPositions") or []],
        "extra_positions": extra,
        "required_positions": [int(p) for p in raw.get("requiredPositions") or []],
        "unphased_priorities": priorities,
        "amp1_alleles": list(raw.get("amp1Alleles") or []),
    }


# ------------------------------------------------------------------------ phenotypes


def _compile_phenotypes(path: Path, source: str) -> dict[str, Any]:
    raw = _read_json(path)
    gene = _require(raw, "gene", path, "gene")
    functions: dict[str, dict[str, Any]] = {}
    for i, na in enumerate(raw.get("namedAlleles") or []):
        name = _require(na, "name", path, f"namedAlleles[{i}]")
        functions[name] = {
            "function": na.get("functionValue"),
            "activity_value": na.get("activityValue"),
            "lookup_key": na.get("lookupKey"),
        }
    # Older files (G6PD fallback) carry functions only in ``haplotypes``.
    for name, function in (raw.get("haplotypes") or {}).items():
        entry = functions.setdefault(
            name, {"function": function, "activity_value": None, "lookup_key": None}
        )
        if entry["function"] is None:
            entry["function"] = function
    for name, value in (raw.get("activityValues") or {}).items():
        if name in functions and functions[name]["activity_value"] is None:
            functions[name]["activity_value"] = value
    rows = []
    for i, d in enumerate(_require(raw, "diplotypes", path, gene)):
        record = f"{gene} diplotypes[{i}]"
        key = _require(d, "diplotypekey", path, record)
        if not isinstance(key, dict) or not key or any(n not in functions for n in key):
            missing = [n for n in (key or {}) if n not in functions]
            raise KnowledgeError(
                f"diplotype names alleles without a function entry: {missing}",
                path=path,
                record=record,
            )
        rows.append(
            [
                _require(d, "diplotype", path, record),
                _require(d, "generesult", path, record),
                d.get("activityScore"),
                _require(d, "lookupkey", path, record),
                {k: int(v) for k, v in key.items()},
            ]
        )
    return {
        "gene": gene,
        "source": source,
        "version": str(raw.get("version", "")),
        "alleles": functions,
        "diplotypes": rows,
    }


# ----------------------------------------------------------------------- validation


def _validate_lookup_keys(
    guidelines: list[dict[str, Any]],
    phenotypes: dict[str, dict[str, Any]],
    dpwg: dict[str, dict[str, Any]],
    genes: dict[str, dict[str, Any]],
    root: Path,
) -> None:
    """Every key a recommendation is selected by must be producible from some result."""
    known: dict[str, set[str]] = {}
    for table in (phenotypes, dpwg):
        for gene, p in table.items():
            keys = known.setdefault(gene.replace("_", "-"), set())
            keys.update(row[3] for row in p["diplotypes"])
            keys.update(a["lookup_key"] for a in p["alleles"].values() if a["lookup_key"])
    guideline_dir = root / SOURCE_BY_NAME["clinpgx-guideline-annotations"].path
    for g in guidelines:
        path = guideline_dir / g["file"]
        for rec in g["recommendations"]:
            for gene, key in rec["lookup_key"].items():
                record = f"{g['id']} recommendation {rec['id']} ({gene})"
                if isinstance(key, dict):
                    defined = {a["name"] for a in genes.get(gene, {}).get("named_alleles", [])}
                    unknown = [a for a in key if a not in defined]
                    if unknown:
                        raise KnowledgeError(
                            f"lookup key names undefined alleles {unknown}",
                            path=path,
                            record=record,
                        )
                    continue
                if key in GENERIC_LOOKUP_KEYS or (gene.startswith("HLA-") and _hla_ok(key)):
                    continue
                if gene == "DPYD" and DPWG_ACTIVITY_KEY.match(key):
                    continue
                if (gene, key) in CPIC_PLACEHOLDER_KEYS:
                    continue
                if key not in known.get(gene, set()):
                    raise KnowledgeError(
                        f"lookup key {key!r} is not produced by any {gene} phenotype entry",
                        path=path,
                        record=record,
                    )


def _hla_ok(key: str) -> bool:
    # "1511 and 1502" is DPWG's combined carbamazepine key for HLA-B*15:11 plus *15:02.
    return bool(HLA_KEY.match(key)) or key == "1511 and 1502"


def _validate_phenotype_alleles(
    phenotypes: dict[str, dict[str, Any]], genes: dict[str, dict[str, Any]], root: Path
) -> list[str]:
    """Alleles defined for calling but absent from the phenotype map (reported, not fatal).

    Fallback maps are older than the definitions, so a few new alleles are expected to be
    missing there; they are listed in the manifest notes and later show as "no function
    assigned" rather than being guessed.
    """
    notes = []
    for gene, p in phenotypes.items():
        if gene not in genes:
            continue
        missing = [
            a["name"]
            for a in genes[gene]["named_alleles"]
            if a["name"] not in p["alleles"]
            and a["name"] not in genes[gene]["exemptions"].get("ignored_alleles", [])
        ]
        if missing:
            notes.append(
                f"{gene}: {len(missing)} defined alleles have no function in the "
                f"{p['source']} phenotype map ({p['version']}): {', '.join(missing[:8])}"
                + (" ..." if len(missing) > 8 else "")
            )
    return notes


# -------------------------------------------------------------------------- driver


def compile_sources(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read and validate every source under ``root``; return (bundle, manifest)."""
    root = root.resolve()
    if not root.is_dir():
        raise KnowledgeError("source folder does not exist", path=root)
    files = {spec.name: _source_files(root, spec) for spec in SOURCES}

    definition_files = files["pharmcat-allele-definitions"]
    exemptions_path = next((p for p in definition_files if p.name == "exemptions.json"), None)
    if exemptions_path is None:
        raise KnowledgeError(
            "exemptions.json is missing", path=root / "pharmcat/definition/alleles"
        )
    exemptions = _read_json(exemptions_path)
    genes: dict[str, dict[str, Any]] = {}
    for path in definition_files:
        if not path.name.endswith("_translation.json"):
            continue
        gene = _compile_gene(path, exemptions.get(path.name.removesuffix("_translation.json")))
        genes[gene["symbol"]] = gene

    phenotypes: dict[str, dict[str, Any]] = {}
    for path in files["pharmcat-phenotypes"]:
        p = _compile_phenotypes(path, "CPIC")
        phenotypes[p["gene"]] = p
    for path in files["pharmcat-phenotype-fallbacks"]:
        p = _compile_phenotypes(path, "CPIC (fallback)")
        if p["gene"] in phenotypes:
            raise KnowledgeError(
                "fallback duplicates a current phenotype map", path=path, record=p["gene"]
            )
        phenotypes[p["gene"]] = p
    dpwg: dict[str, dict[str, Any]] = {}
    for path in files["pharmcat-dpwg-phenotypes"]:
        p = _compile_phenotypes(path, "DPWG")
        dpwg[p["gene"]] = p

    guidelines = [_compile_guideline(p) for p in files["clinpgx-guideline-annotations"]]
    ids = [g["id"] for g in guidelines]
    if len(set(ids)) != len(ids):
        raise KnowledgeError("duplicate guideline ids", path=root / SOURCES[4].path)
    cpic = []
    for path in files["cpic-database-export"]:
        cpic.extend(_compile_cpic_export(path))
    drugs = _compile_drugs(guidelines, cpic)
    names = files["pharmgkb-drug-names"]
    if len(names) != 1:
        raise KnowledgeError("expected one PharmGKB drugs.tsv", path=root / "drug_names")
    vocabulary = read_vocabulary(names[0], [(d["name"], d["rxnorm"]) for d in drugs])
    alternatives = attach_alternatives(guidelines, vocabulary)
    messages = _read_json(files["pharmcat-report-messages"][0])

    curated = {
        name: (files[name][0], read_curated(files[name][0]))
        for name in (
            "tailormed-inhibitors",
            "tailormed-combination-brands",
            "tailormed-dose-tables",
        )
    }
    inhibitors = compile_inhibitors(
        curated["tailormed-inhibitors"][1], files["tailormed-inhibitors"][0]
    )
    dose = compile_dose_tables(
        curated["tailormed-dose-tables"][1], files["tailormed-dose-tables"][0]
    )
    brands_path, brands = curated["tailormed-combination-brands"]
    drug_names = compile_drug_names(
        files["pharmgkb-drug-names"][0], brands, brands_path, inhibitors["inhibitors"], drugs
    )
    med_notes = [
        f"Medication names: {len(drug_names['names']):,} names of "
        f"{len(drug_names['ingredients']):,} ingredients; "
        f"{sum(1 for e in drug_names['names'].values() if not e['i'])} ambiguous names "
        "resolve to nothing and are offered as suggestions"
    ]
    if drug_names["added"]:
        med_notes.append(
            "Drugs not in the PharmGKB drug table under their own name (matched by RxNorm "
            "code where it names one PharmGKB drug, else added from their own source): "
            + ", ".join(drug_names["added"])
        )
    med_notes.append(
        f"Phenoconversion inhibitor list compiled {inhibitors['compiled']}: "
        f"{inhibitors['review_status']}"
    )

    _validate_lookup_keys(guidelines, phenotypes, dpwg, genes, root)
    notes = _validate_phenotype_alleles(phenotypes, genes, root) + med_notes

    counts = {
        "genes": len(genes),
        "named_alleles": sum(len(g["named_alleles"]) for g in genes.values()),
        "positions": sum(len(g["variants"]) for g in genes.values()),
        "phenotype_genes": len(phenotypes),
        "diplotype_phenotypes": sum(len(p["diplotypes"]) for p in phenotypes.values()),
        "guidelines": len(guidelines),
        "recommendations": sum(len(g["recommendations"]) for g in guidelines),
        "cpic_2022_drugs": len(cpic),
        "drugs": len(drugs),
        "medication_names": len(drug_names["names"]),
        "medication_ingredients": len(drug_names["ingredients"]),
        "inhibitors": len(inhibitors["inhibitors"]),
        "named_alternatives": alternatives,
    }
    sources = []
    for spec in SOURCES:
        spec_files = files[spec.name]
        table = curated.get(spec.name)
        sources.append(
            {
                "name": spec.name,
                "description": spec.description,
                "path": spec.path if table is None else f"tailormed/knowledge/curated/{spec.path}",
                "version": spec.version if table is None else str(table[1]["compiled"]),
                "commit": spec.commit,
                "date": spec.date if table is None else str(table[1]["compiled"]),
                "licence": spec.licence,
                "sha256": _sha256(spec_files, _source_root(root, spec)),
                "files": len(spec_files),
                "citation": spec.citation,
                "review_status": None if table is None else table[1]["review_status"],
            }
        )
    bundle = {
        "schema": SCHEMA_VERSION,
        "genes": genes,
        "phenotypes": phenotypes,
        "dpwg_phenotypes": dpwg,
        "guidelines": guidelines,
        "cpic_2022": cpic,
        "drugs": drugs,
        "messages": messages,
        "drug_names": {k: v for k, v in drug_names.items() if k != "added"},
        "inhibitors": inhibitors,
        "dose_tables": dose,
    }
    content = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()
    kb_version = f"{SOURCES[0].version}+{hashlib.sha256(content).hexdigest()[:10]}"
    bundle["kb_version"] = kb_version
    manifest = {
        "kb_version": kb_version,
        "schema": SCHEMA_VERSION,
        "built_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "sources": sources,
        "counts": counts,
        "notes": notes,
    }
    bundle["manifest"] = manifest
    return bundle, manifest


def build(root: Path, out_dir: Path) -> dict[str, Any]:
    """Compile ``root`` into ``out_dir``; returns the manifest.

    The bundle embeds its manifest (the loader trusts only that copy), so the two can
    never disagree; ``manifest.json`` beside it is the same manifest for people to read.
    """
    bundle, manifest = compile_sources(root)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = json.dumps(bundle, sort_keys=True, separators=(",", ":")).encode()
    compressed = gzip.compress(payload, compresslevel=9, mtime=0)
    # Re-read what will be written: counts must survive the round trip.
    reloaded = json.loads(gzip.decompress(compressed))
    if len(reloaded["genes"]) != manifest["counts"]["genes"]:  # pragma: no cover
        raise KnowledgeError("bundle round trip lost genes", path=out_dir / BUNDLE_NAME)
    write_atomic(out_dir / BUNDLE_NAME, compressed, sync=True)
    # The domains' sibling bundles (tailormed.knowledge.bundles) are listed in the same
    # manifest: keep their sections.
    written = dict(manifest)
    previous = out_dir / MANIFEST_NAME
    if previous.exists():
        siblings = json.loads(previous.read_text(encoding="utf-8")).get("bundles")
        if siblings:
            written["bundles"] = siblings
    write_atomic(
        out_dir / MANIFEST_NAME,
        (json.dumps(written, indent=2, sort_keys=False) + "\n").encode(),
        sync=True,
    )
    return manifest
