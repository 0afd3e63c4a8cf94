"""Read GA4GH Phenopacket v2 JSON into a :class:`~tailormed.rare.models.Case`.

Only ``id``, ``subject`` (id, sex) and ``phenotypicFeatures`` (type, excluded, onset) are
read; the phenopacket's ``interpretations`` and ``diseases`` hold the answer and are never
used. HPO ids are mapped onto the bundled release: alt ids and obsolete ids go to their
replacement (the term's ``note`` says so); unknown ids, ids newer than the release and terms
outside "Phenotypic abnormality" are listed in ``Case.ignored``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tailormed.errors import InputError
from tailormed.knowledge.rare.loader import PHENOTYPIC_ABNORMALITY, Ontology
from tailormed.rare.models import Case, IgnoredTerm, Sex, Term

_SEXES: tuple[Sex, ...] = ("MALE", "FEMALE", "OTHER_SEX", "UNKNOWN_SEX")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class OntologyClass(_Open):
    id: str
    label: str | None = None


class _Onset(_Open):
    ontologyClass: OntologyClass | None = None
    age: dict[str, Any] | None = None


class PhenotypicFeature(_Open):
    type: OntologyClass
    excluded: bool = False
    onset: _Onset | None = None


class Subject(_Open):
    id: str = ""
    sex: str = "UNKNOWN_SEX"


class Phenopacket(_Open):
    """The part of a Phenopacket v2 that ranking reads (other fields are allowed)."""

    id: str
    subject: Subject | None = None
    phenotypicFeatures: list[PhenotypicFeature] = []


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "phenopacket"


def parse_phenopacket(data: Any, source: str) -> Phenopacket:
    """Validate a phenopacket's JSON object; errors name the file and the field."""
    if not isinstance(data, Mapping):
        raise InputError("a phenopacket must be a JSON object", path=source)
    try:
        packet = Phenopacket.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"malformed phenopacket: {_where(err['loc'])}: {err['msg']}", path=source
        ) from None
    if not packet.id.strip():
        raise InputError("malformed phenopacket: id is empty", path=source)
    sex = packet.subject.sex if packet.subject else "UNKNOWN_SEX"
    if sex not in _SEXES:
        raise InputError(
            f"malformed phenopacket: subject.sex {sex!r} is not one of {_SEXES}", path=source
        )
    return packet


def read_phenopacket(path: Path, ontology: Ontology) -> Case:
    """Read and resolve one phenopacket file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read phenopacket ({exc.strerror})", path=path) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg}", path=path, line=exc.lineno) from None
    return case_from_phenopacket(parse_phenopacket(data, str(path)), ontology, str(path))


def _onset(feature: PhenotypicFeature) -> str | None:
    if feature.onset is None:
        return None
    if feature.onset.ontologyClass is not None:
        oc = feature.onset.ontologyClass
        return f"{oc.id} {oc.label}" if oc.label else oc.id
    if feature.onset.age and "iso8601duration" in feature.onset.age:
        return str(feature.onset.age["iso8601duration"])
    return None


def case_from_phenopacket(packet: Phenopacket, ontology: Ontology, source: str = "") -> Case:
    """Map a validated phenopacket's terms onto the ontology (see the module docstring)."""
    root = ontology.index(PHENOTYPIC_ABNORMALITY)
    observed: dict[int, Term] = {}
    excluded: dict[int, Term] = {}
    ignored: list[IgnoredTerm] = []
    onsets: list[str] = []
    for feature in packet.phenotypicFeatures:
        given = feature.type.id.strip()
        res = ontology.resolve(given)
        if res.index < 0:
            ignored.append(IgnoredTerm(given, res.note, feature.excluded))
            continue
        if not ontology.is_ancestor(root, res.index):
            reason = f"{given} is not a phenotypic abnormality (not under {PHENOTYPIC_ABNORMALITY})"
            ignored.append(IgnoredTerm(given, reason, feature.excluded))
            continue
        on = _onset(feature) if not feature.excluded else None
        term = Term(
            given,
            ontology.term_id(res.index),
            ontology.label(res.index),
            res.index,
            res.note,
            on,
        )
        target = excluded if feature.excluded else observed
        target.setdefault(res.index, term)
        if on:
            onsets.append(on)
    for index in list(excluded):
        if index in observed:
            del excluded[index]
            ignored.append(
                IgnoredTerm(
                    observed[index].term_id,
                    "given both as observed and as excluded; kept as observed",
                    True,
                )
            )
    sex = packet.subject.sex if packet.subject else "UNKNOWN_SEX"
    return Case(
        case_id=packet.id,
        subject_id=packet.subject.id if packet.subject else "",
        sex=sex if sex in _SEXES else "UNKNOWN_SEX",
        observed=tuple(observed.values()),
        excluded=tuple(excluded.values()),
        ignored=tuple(ignored),
        onset=onsets[0] if onsets else None,
        source=source,
    )
