"""Export a case as a GA4GH Phenopacket v2 JSON object, with the top candidates.

The phenopacket holds what the ranking used: the subject (id, sex) and the observed and
excluded HPO terms as mapped onto the bundled release (current ids, with labels and
onsets); ids this release cannot use are kept as given, since a later release may know
them. With a ranking, it adds one interpretation per candidate disease ranked ``top`` or
better (ties at the cut included): ``IN_PROGRESS``, the candidate's genes as genomic
interpretations with status ``CANDIDATE`` (in variant mode, the variants behind a gene as
variant interpretations with their VCF record, HGVS and allelic state), and a ``summary``
with the rank, score, method and knowledge version. Reading the exported file with
:func:`~tailormed.rare.read.read_phenopacket` gives back the same case (its interpretations
are, as always, not read).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tailormed import __version__
from tailormed.atomic import write_atomic
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.models import Candidate, Case, Ranking, Term, Variant

SCHEMA_VERSION = "2.0"
GENO = {
    "heterozygous": ("GENO:0000135", "heterozygous"),
    "homozygous": ("GENO:0000136", "homozygous"),
    "hemizygous": ("GENO:0000134", "hemizygous"),
}
_RESOURCES: dict[str, dict[str, str]] = {
    "hp": {
        "id": "hp",
        "name": "human phenotype ontology",
        "url": "http://purl.obolibrary.org/obo/hp.owl",
        "namespacePrefix": "HP",
        "iriPrefix": "http://purl.obolibrary.org/obo/HP_",
    },
    "omim": {
        "id": "omim",
        "name": "Online Mendelian Inheritance in Man",
        "url": "https://www.omim.org",
        "namespacePrefix": "OMIM",
        "iriPrefix": "https://www.omim.org/entry/",
    },
    "orpha": {
        "id": "orpha",
        "name": "Orphanet Rare Disease Ontology",
        "url": "https://www.orpha.net",
        "namespacePrefix": "ORPHA",
        "iriPrefix": "https://www.orpha.net/en/disease/detail/",
    },
    "ncbigene": {
        "id": "ncbigene",
        "name": "NCBI Gene",
        "url": "https://www.ncbi.nlm.nih.gov/gene",
        "namespacePrefix": "NCBIGene",
        "iriPrefix": "https://www.ncbi.nlm.nih.gov/gene/",
    },
    "geno": {
        "id": "geno",
        "name": "Genotype Ontology",
        "url": "http://purl.obolibrary.org/obo/geno.owl",
        "namespacePrefix": "GENO",
        "iriPrefix": "http://purl.obolibrary.org/obo/GENO_",
    },
}


def _resource_version(resource: str, release: str) -> str:
    """The version of each resource as this export knows it: the HPO release; disease and
    gene ids as linked by that release's annotations; GENO's three allelic-state ids are
    not taken from a pinned release."""
    if resource == "hp":
        return release
    if resource == "geno":
        return "not pinned (allelic-state terms only)"
    return f"as in the HPO {release} annotations"


def _onset(text: str) -> dict[str, Any] | None:
    if text.startswith("HP:"):
        term_id, _, label = text.partition(" ")
        oc: dict[str, str] = {"id": term_id}
        if label:
            oc["label"] = label
        return {"ontologyClass": oc}
    if text.startswith("P"):
        return {"age": {"iso8601duration": text}}
    return None


def _feature(t: Term, excluded: bool) -> dict[str, Any]:
    feature: dict[str, Any] = {"type": {"id": t.term_id, "label": t.label}}
    if excluded:
        feature["excluded"] = True
    if t.onset and (onset := _onset(t.onset)):
        feature["onset"] = onset
    return feature


def _gene(symbol: str, kb: RareKnowledge) -> dict[str, str]:
    ncbi = kb.ncbi_gene(symbol)
    return {"valueId": f"NCBIGene:{ncbi}" if ncbi else symbol, "symbol": symbol}


def _variant(v: Variant, subject: str, kb: RareKnowledge) -> dict[str, Any]:
    chrom = v.chrom if v.chrom.startswith("chr") else f"chr{v.chrom}"
    descriptor: dict[str, Any] = {
        "id": f"{chrom}-{v.pos}-{v.ref}-{v.alt}",
        "label": f"{v.gene} {v.label} {v.consequence}",
        "geneContext": _gene(v.gene, kb),
        "vcfRecord": {
            "genomeAssembly": "GRCh38",
            "chrom": chrom,
            "pos": str(v.pos),
            "ref": v.ref,
            "alt": v.alt,
        },
        "moleculeContext": "genomic",
    }
    if v.hgvs:
        descriptor["expressions"] = [{"syntax": "hgvs.c", "value": v.hgvs}]
    geno = GENO.get(v.zygosity)
    if geno:
        descriptor["allelicState"] = {"id": geno[0], "label": geno[1]}
    return {
        "subjectOrBiosampleId": subject,
        "interpretationStatus": "CANDIDATE",
        "variantInterpretation": {
            "acmgPathogenicityClassification": "NOT_PROVIDED",
            "therapeuticActionability": "UNKNOWN_ACTIONABILITY",
            "variationDescriptor": descriptor,
        },
    }


def _interpretation(
    case_id: str, k: int, rows: list[Candidate], ranking: Ranking, subject: str, kb: RareKnowledge
) -> dict[str, Any]:
    first = rows[0]
    genomic: list[dict[str, Any]] = []
    for c in rows:
        if not c.gene:
            continue
        variants = c.genotype.variants if c.genotype is not None else ()
        if variants:
            genomic.extend(_variant(v, subject, kb) for v in variants)
        else:
            genomic.append(
                {
                    "subjectOrBiosampleId": subject,
                    "interpretationStatus": "CANDIDATE",
                    "gene": _gene(c.gene, kb),
                }
            )
    genes = ", ".join(c.gene for c in rows if c.gene) or "no gene known"
    summary = (
        f"Tailormed differential diagnosis candidate, rank {first.rank:g} (score "
        f"{first.score:.2f}; {ranking.method} method; {ranking.disease_set} diseases of HPO "
        f"release {ranking.hpo_release}, rare knowledge {ranking.knowledge_version}); "
        f"genes: {genes}; {len(first.matched_terms)} of {len(ranking.case.observed)} observed "
        "terms explained. A candidate for review, not a diagnosis."
    )
    if ranking.variant_source is None:
        summary += " Phenotype only: no variants were given."
    return {
        "id": f"{case_id}-candidate-{k}",
        "progressStatus": "IN_PROGRESS",
        "diagnosis": {
            "disease": {"id": first.disease_id, "label": first.disease_name},
            "genomicInterpretations": genomic,
        },
        "summary": summary,
    }


def to_phenopacket(
    case: Case,
    ranking: Ranking | None = None,
    *,
    top: int = 5,
    kb: RareKnowledge | None = None,
    created: datetime | None = None,
) -> dict[str, Any]:
    """The case (and the candidates ranked ``top`` or better) as a Phenopacket v2 object."""
    kb = kb or RareKnowledge.load()
    subject_id = case.subject_id or case.case_id
    packet: dict[str, Any] = {
        "id": case.case_id,
        "subject": {"id": subject_id, "sex": case.sex},
        "phenotypicFeatures": [_feature(t, False) for t in case.observed]
        + [_feature(t, True) for t in case.excluded],
    }
    # ids this release cannot use (newer, unknown, obsolete without replacement) are kept as
    # given: a later release may know them; a term given both ways stays observed only
    observed = {t.term_id for t in case.observed}
    for ig in case.ignored:
        if ig.given not in observed:
            feature: dict[str, Any] = {"type": {"id": ig.given}}
            if ig.excluded:
                feature["excluded"] = True
            packet["phenotypicFeatures"].append(feature)
    used = ["hp"]
    if ranking is not None:
        by_disease: dict[str, list[Candidate]] = {}
        for c in ranking.candidates:
            if c.rank > top:
                break
            by_disease.setdefault(c.disease_id, []).append(c)
        packet["interpretations"] = [
            _interpretation(case.case_id, k, rows, ranking, subject_id, kb)
            for k, rows in enumerate(by_disease.values(), start=1)
        ]
        used.append("orpha" if ranking.disease_set == "ORPHA" else "omim")
        text = json.dumps(packet["interpretations"])
        if "NCBIGene:" in text:
            used.append("ncbigene")
        if "GENO:" in text:
            used.append("geno")
    when = (created or datetime.now(UTC)).astimezone(UTC)
    packet["metaData"] = {
        "created": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "createdBy": f"Tailormed {__version__}",
        "resources": [
            {**_RESOURCES[r], "version": _resource_version(r, kb.hpo_release)} for r in used
        ],
        "phenopacketSchemaVersion": SCHEMA_VERSION,
    }
    return packet


def write_phenopacket(packet: Mapping[str, Any], path: Path) -> Path:
    """Write the phenopacket JSON atomically."""
    write_atomic(path, (json.dumps(packet, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return path
