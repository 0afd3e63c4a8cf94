"""The rare-disease step of ``tailormed run``: phenopackets or HPO ids → report sections.

The pipeline asks once per genome sample. A phenopacket belongs to the sample named like
its subject id (or its id); when the genome file has one sample and the phenopacket names
another, it is still that sample's (one person per run), and the section says so. With
several samples, a phenopacket that names none of them is an error, never attached to
every report. ``--hpo`` terms (``HP:0001250``, or ``-HP:0001250`` / ``not:HP:0001250`` for
an excluded term) describe the one sample of a single-sample run. ``rare.vcf`` (the
run's ``--rare-vcf``: a VEP/snpEff-annotated exome or genome) adds variant evidence;
``rare.orpha`` ranks Orphanet diseases instead of OMIM.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from tailormed.errors import InputError
from tailormed.findings import Section
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.documents import PhenotypeBody, TermEntry
from tailormed.rare.read import read_phenopacket
from tailormed.rare.run import rank_entry, rank_phenopackets
from tailormed.rare.sections import section


class Inputs(Protocol):
    @property
    def phenopackets(self) -> tuple[Path, ...]: ...
    @property
    def hpo(self) -> tuple[str, ...]: ...
    @property
    def options(self) -> Mapping[str, Any]: ...


class RunContext(Protocol):
    @property
    def sample(self) -> str: ...
    @property
    def vcfs(self) -> tuple[Path, ...]: ...


def _samples(vcfs: Sequence[Path]) -> list[str]:
    from tailormed.rare.variants import vcf_samples

    names: list[str] = []
    for path in vcfs:
        for s in vcf_samples(path):
            if s not in names:
                names.append(s)
    return names


def parse_hpo(ids: Sequence[str]) -> PhenotypeBody:
    """``HP:0001250`` observed, ``-HP:0001250`` or ``not:HP:0001250`` excluded."""
    observed: list[TermEntry] = []
    excluded: list[TermEntry] = []
    for raw in ids:
        for given in (p.strip() for p in raw.split(",")):
            if not given:
                continue
            neg = given.startswith("-") or given.lower().startswith("not:")
            term = given.split(":", 1)[1] if given.lower().startswith("not:") else given
            term = term.lstrip("-").strip().upper()
            if len(term) != 10 or not term.startswith("HP:") or not term[3:].isdigit():
                raise InputError(f"--hpo {given!r} is not an HPO id (HP: and seven digits)")
            target = excluded if neg else observed
            if all(t.id != term for t in (*observed, *excluded)):
                target.append(TermEntry(id=term))
    return PhenotypeBody(observed=observed, excluded=excluded)


def pipeline_sections(inputs: Inputs, context: RunContext) -> list[Section]:
    """The differential-diagnosis sections of one genome sample (see the module docstring)."""
    if not inputs.phenopackets and not inputs.hpo:
        return []
    kb = RareKnowledge.load()
    names = _samples(context.vcfs) if context.vcfs else [context.sample]
    single = len(names) <= 1
    opts = inputs.options
    vcf = opts.get("rare.vcf")
    db = "ORPHA" if opts.get("rare.orpha") else "OMIM"
    mine: list[Path] = []
    notes: dict[Path, str] = {}
    for path in inputs.phenopackets:
        case = read_phenopacket(Path(path), kb.ontology)
        named = [n for n in (case.subject_id, case.case_id) if n and n in names]
        if named:
            if context.sample in named:
                mine.append(Path(path))
        elif single:
            mine.append(Path(path))
            notes[Path(path)] = (
                f"The phenopacket's subject ({case.subject_id or case.case_id}) is not named "
                f"like the genome sample ({context.sample}); this report assumes they are "
                "the same person."
            )
        else:
            raise InputError(
                f"the phenopacket's subject {case.subject_id!r} (case {case.case_id}) names no "
                f"sample of the genome VCF ({', '.join(names)})",
                path=path,
            )
    out: list[Section] = []
    rankings = (
        rank_phenopackets(mine, vcf=Path(vcf) if vcf else None, top=50, db=db, kb=kb)
        if mine
        else []
    )
    for path, ranking in zip(mine, rankings, strict=True):
        s = section(ranking, subject=context.sample)
        if len(mine) > 1:
            s = replace(s, title=f"{s.title} ({ranking.case.case_id})")
        if path in notes:
            s = replace(s, limitations=(notes[path], *s.limitations))
        out.append(s)
    if inputs.hpo and single:
        ranking = rank_entry(parse_hpo(inputs.hpo), context.sample, db=db, kb=kb)
        out.append(section(ranking, subject=context.sample))
    elif inputs.hpo:
        raise InputError(
            "--hpo describes one person, but the genome VCF has several samples; "
            "give a phenopacket per sample instead"
        )
    return out
