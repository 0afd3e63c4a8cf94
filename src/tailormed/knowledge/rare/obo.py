"""A small reader for the OBO 1.2 flat-file format, as the HPO release writes it.

Only what the rare-disease bundle needs is kept: per ``[Term]`` stanza its id, name,
synonyms, ``alt_id``s, ``is_a`` parents, ``is_obsolete``, ``replaced_by`` and ``consider``.
The header's ``data-version`` gives the release. (A general OBO library such as fastobo
would add a compiled dependency for a format this simple; this reader runs only when the
bundle is built, never at ranking time.)

>>> text = '''format-version: 1.2
... data-version: hp/releases/2025-01-16
...
... [Term]
... id: HP:0000003
... name: Multicystic kidney dysplasia
... alt_id: HP:0004715
... synonym: "Multicystic dysplastic kidney" EXACT []
... is_a: HP:0000107 ! Renal cyst
... '''
>>> release, terms = parse_obo(text.splitlines())
>>> release, terms[0].id, terms[0].alt_ids, terms[0].parents, terms[0].synonyms
('2025-01-16', 'HP:0000003', ('HP:0004715',), ('HP:0000107',), ('Multicystic dysplastic kidney',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tailormed.errors import KnowledgeError

_SYNONYM = re.compile(r'^"((?:[^"\\]|\\.)*)"')
HPO_ID = re.compile(r"^HP:\d{7}$")


@dataclass(slots=True)
class OboTerm:
    """One ``[Term]`` stanza (mutable only while it is being read)."""

    id: str
    line: int
    name: str = ""
    synonyms: tuple[str, ...] = ()
    alt_ids: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    obsolete: bool = False
    replaced_by: str | None = None
    consider: tuple[str, ...] = field(default=())


def _value(line: str) -> str:
    """The value of a tag line without its trailing ``! comment``."""
    value = line.split(":", 1)[1].strip()
    if " ! " in value:
        value = value.split(" ! ", 1)[0].strip()
    return value


def parse_obo(lines: Iterable[str], source: str = "hp.obo") -> tuple[str, list[OboTerm]]:
    """Parse an OBO file: returns (release version, terms in file order)."""
    release = ""
    terms: list[OboTerm] = []
    current: OboTerm | None = None
    in_term = False
    header = True
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\n")
        if line.startswith("["):
            header = False
            in_term = line.strip() == "[Term]"
            current = None
            continue
        if not line.strip() or ":" not in line:
            continue
        tag = line.split(":", 1)[0]
        if header:
            if tag == "data-version":
                release = _value(line).rsplit("/", 1)[-1]
            continue
        if not in_term:
            continue
        if tag == "id":
            term_id = _value(line)
            if not HPO_ID.match(term_id):
                raise KnowledgeError(f"malformed term id {term_id!r}", path=source, line=number)
            current = OboTerm(id=term_id, line=number)
            terms.append(current)
            continue
        if current is None:
            raise KnowledgeError(f"tag {tag!r} before the stanza's id", path=source, line=number)
        if tag == "name":
            current.name = _value(line)
        elif tag == "synonym":
            m = _SYNONYM.match(line.split(":", 1)[1].strip())
            if m is None:
                raise KnowledgeError("malformed synonym", path=source, line=number)
            current.synonyms = (*current.synonyms, m.group(1).replace('\\"', '"'))
        elif tag == "alt_id":
            current.alt_ids = (*current.alt_ids, _value(line))
        elif tag == "is_a":
            current.parents = (*current.parents, _value(line))
        elif tag == "is_obsolete":
            current.obsolete = _value(line) == "true"
        elif tag == "replaced_by":
            current.replaced_by = _value(line)
        elif tag == "consider":
            current.consider = (*current.consider, _value(line))
    if not release:
        raise KnowledgeError("no data-version in the header", path=source)
    if not terms:
        raise KnowledgeError("no [Term] stanzas", path=source)
    return release, terms
