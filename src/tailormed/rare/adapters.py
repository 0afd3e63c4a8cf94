"""The rare-disease step of ``tailormed run``: phenopackets or HPO ids → report sections.

The pipeline gives the clinical inputs to one person, the run's subject (its only sample,
or ``--subject``). A phenopacket whose subject id (or id) is that sample is used as is; one
that names a *different* sample of the genome VCF is an error (it describes someone
else); one that names no sample is taken as the subject's, and its section says that the
names differ. ``--hpo`` terms (``HP:0001250``, or ``-HP:0001250`` / ``not:HP:0001250`` for an
excluded term) describe the subject. The run options ``rare.vcf`` (``--rare-vcf``: a VEP- or
snpEff-annotated exome or genome) add variant evidence; ``rare.orpha`` ranks Orphanet
diseases instead of OMIM.
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
    opts = inputs.options
    vcf = opts.get("rare.vcf")
    db = "ORPHA" if opts.get("rare.orpha") else "OMIM"
    mine: list[Path] = []
    notes: dict[Path, str] = {}
    for path in inputs.phenopackets:
        case = read_phenopacket(Path(path), kb.ontology)
        ids = [n for n in (case.subject_id, case.case_id) if n]
        if context.sample in ids:
            mine.append(Path(path))
            continue
        other = [n for n in ids if n in names]
        if other:
            raise InputError(
                f"the phenopacket describes sample {other[0]!r} of the genome VCF, not the "
                f"run's subject {context.sample!r}",
                path=path,
            )
        mine.append(Path(path))
        notes[Path(path)] = (
            f"The phenopacket's subject ({case.subject_id or case.case_id}) is not named "
            f"like the genome sample ({context.sample}); this report assumes they are the "
            "same person."
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
    if inputs.hpo:
        ranking = rank_entry(parse_hpo(inputs.hpo), context.sample, db=db, kb=kb)
        out.append(section(ranking, subject=context.sample))
    return out
