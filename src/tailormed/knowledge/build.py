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
import html
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tailormed.atomic import write_atomic
from tailormed.errors import KnowledgeError
from tailormed.knowledge.models import IUPAC
from tailormed.knowledge.sources import SOURCE_BY_NAME, SOURCES, SourceSpec

SCHEMA_VERSION = 1
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


def _read_json(path: Path) -> Any:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                return json.load(fh)
        with path.open(encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise KnowledgeError("source file is missing", path=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError, EOFError, gzip.BadGzipFile, OSError) as exc:
        line = getattr(exc, "lineno", None)
        raise KnowledgeError(f"cannot parse source file ({exc})", path=path, line=line) from None


def _require(obj: Any, key: str, path: Path, record: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise KnowledgeError(f"missing field {key!r}", path=path, record=record)
    return obj[key]


def _source_files(root: Path, spec: SourceSpec) -> list[Path]:
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


def _compile_guideline(path: Path) -> dict[str, Any]:
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


def _compile_cpic_export(path: Path) -> list[dict[str, Any]]:
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


def _compile_drugs(
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
    messages = _read_json(files["pharmcat-report-messages"][0])

    _validate_lookup_keys(guidelines, phenotypes, dpwg, genes, root)
    notes = _validate_phenotype_alleles(phenotypes, genes, root)

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
    }
    sources = []
    for spec in SOURCES:
        spec_files = files[spec.name]
        sources.append(
            {
                "name": spec.name,
                "description": spec.description,
                "path": spec.path,
                "version": spec.version,
                "commit": spec.commit,
                "date": spec.date,
                "licence": spec.licence,
                "sha256": _sha256(spec_files, root),
                "files": len(spec_files),
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
    write_atomic(
        out_dir / MANIFEST_NAME,
        (json.dumps(manifest, indent=2, sort_keys=False) + "\n").encode(),
        sync=True,
    )
    return manifest
