"""Rank phenopackets end to end (the one entry point the CLI and, later, the service call).

With a VCF: one case per run takes the VCF's only sample (or the sample named like the
phenopacket's subject id); several cases each take the VCF sample named like their subject
id (or case id). A case without its sample is an error naming the VCF and the id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from tailormed.errors import InputError
from tailormed.findings import Section
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.documents import PhenotypeBody
from tailormed.rare.models import Case, Ranking, Sex
from tailormed.rare.rank import Method, ranker_for
from tailormed.rare.read import read_phenopacket
from tailormed.rare.sections import section
from tailormed.rare.variants import SampleVariants, read_variants, vcf_samples


def _sample_for(case: Case, names: Sequence[str], single: bool, vcf: Path) -> str:
    for candidate in (case.subject_id, case.case_id):
        if candidate and candidate in names:
            return candidate
    if single and len(names) == 1:
        return names[0]
    raise InputError(
        f"no sample named {case.subject_id!r} (subject of {case.case_id}) in the VCF; "
        f"its samples: {', '.join(names) or 'none'}",
        path=vcf,
    )


def rank_phenopackets(
    paths: Sequence[Path],
    *,
    vcf: Path | None = None,
    top: int = 50,
    db: str = "OMIM",
    method: Method = "lr",
    kb: RareKnowledge | None = None,
) -> list[Ranking]:
    """Read, resolve and rank every phenopacket (with the VCF's variants when given)."""
    if top < 1:
        raise InputError(f"--top must be at least 1, not {top}")
    kb = kb or RareKnowledge.load()
    cases = [read_phenopacket(p, kb.ontology) for p in paths]
    ids = [c.case_id for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise InputError(f"two phenopackets share the id {dup[0]!r}")
    ranker = ranker_for(kb, db, method)
    per_case: dict[str, SampleVariants] = {}
    if vcf is not None:
        names = vcf_samples(vcf)
        chosen = {c.case_id: _sample_for(c, names, len(cases) == 1, vcf) for c in cases}
        sexes: dict[str, Sex] = {}
        for c in cases:
            sexes[chosen[c.case_id]] = c.sex
        read = read_variants(vcf, kb.coords, sexes)
        per_case = {cid: read[s] for cid, s in chosen.items()}
    out: list[Ranking] = []
    for case in cases:
        sv = per_case.get(case.case_id)
        warnings: list[str] = []
        source = None
        if sv is not None:
            warnings.extend(sv.warnings)
            source = f"{sv.source} (sample {sv.sample}; annotation: {sv.annotation})"
        out.append(
            ranker.rank(
                case,
                sv.by_gene if sv is not None else None,
                top=top,
                variant_source=source,
                warnings=warnings,
            )
        )
    return out


def export_case(
    ranking: Ranking,
    out: Path,
    *,
    fhir: bool = True,
    phenopacket: bool = True,
    top: int = 5,
    kb: RareKnowledge | None = None,
) -> list[Path]:
    """Write ``<case>.fhir.json`` (FHIR R4B Bundle) and ``<case>.phenopacket.json`` (the
    case with its top candidates) next to the rankings; returns the paths written."""
    import json

    from tailormed.atomic import write_atomic
    from tailormed.rare.fhir import fhir_bundle
    from tailormed.rare.output import safe_name
    from tailormed.rare.phenopacket import to_phenopacket, write_phenopacket

    kb = kb or RareKnowledge.load()
    out.mkdir(parents=True, exist_ok=True)
    name = safe_name(ranking.case.case_id)
    written: list[Path] = []
    if fhir:
        path = out / f"{name}.fhir.json"
        bundle = fhir_bundle(ranking, top=top)
        write_atomic(path, (json.dumps(bundle, indent=2) + "\n").encode("utf-8"))
        written.append(path)
    if phenopacket:
        path = out / f"{name}.phenopacket.json"
        write_phenopacket(to_phenopacket(ranking.case, ranking, top=top, kb=kb), path)
        written.append(path)
    return written


def rank_entry(
    body: PhenotypeBody,
    case_id: str,
    *,
    subject_id: str = "",
    top: int = 50,
    db: str = "OMIM",
    kb: RareKnowledge | None = None,
) -> Ranking:
    """Rank a clinician's entry (a ``rare.phenotype`` document body), phenotype only."""
    kb = kb or RareKnowledge.load()
    case = body.to_case(kb.ontology, case_id, subject_id)
    ranking = ranker_for(kb, db).rank(case, top=top)
    if body.hpo_release and body.hpo_release != kb.hpo_release:
        note = (
            f"the terms were picked in HPO release {body.hpo_release} and ranked with "
            f"release {kb.hpo_release}"
        )
        ranking = replace(ranking, warnings=(note, *ranking.warnings))
    return ranking


def sections_for(
    paths: Sequence[Path],
    *,
    vcf: Path | None = None,
    top: int = 10,
    db: str = "OMIM",
    subject: str | None = None,
    kb: RareKnowledge | None = None,
) -> list[Section]:
    """The differential-diagnosis section of every phenopacket (the pipeline's rare step)."""
    rankings = rank_phenopackets(paths, vcf=vcf, top=max(top, 50), db=db, kb=kb)
    return [section(r, top=top, subject=subject) for r in rankings]
