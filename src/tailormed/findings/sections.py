"""``Section``: one domain's part of a report, as data (the "small renderer per domain").

A domain hands the renderers a :class:`Section`: its findings plus the tables and figures a
clinician reads beside them (a therapy table, a differential diagnosis, a risk chart). The
report, the web UI and the record render and store sections generically; they never
import the domain that made them.

Figures are SVG made by :mod:`tailormed.charts` (no scripts, no external references), each
with a text alternative. Tables hold JSON scalars only.

>>> from tailormed.findings.models import Finding
>>> f = Finding(domain="rare", code="rare.candidate.1", title="Top candidate",
...             severity="low", summary="Marfan syndrome (FBN1) ranks first.", subject="case-1")
>>> s = Section(domain="rare", title="Differential diagnosis", subject="case-1", findings=(f,),
...             tables=(Table(title="Candidates", columns=("rank", "gene"), rows=((1, "FBN1"),)),))
>>> section_from_json(section_to_json(s)) == s
True
>>> Table(title="t", columns=("a",), rows=((1, 2),))
Traceback (most recent call last):
...
ValueError: table 't': row 1 has 2 cells for 1 columns
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from tailormed.findings.models import (
    DOMAINS,
    Domain,
    Finding,
    FindingModel,
    Value,
)

Audience = Literal["clinician", "patient", "both"]

# Event-handler attributes (onload=...) and references leaving the document (href/src to
# anything but a "#fragment") are refused: report SVG is inlined into HTML and PDF.
_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_EXTERNAL = re.compile(r"""\b(?:xlink:)?(?:href|src)\s*=\s*["']?\s*(?!#)""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Table:
    """A titled table of JSON scalars; ``audience`` says which report view shows it."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    caption: str | None = None
    audience: Audience = "clinician"

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows, start=1):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.title!r}: row {i} has {len(row)} cells "
                    f"for {len(self.columns)} columns"
                )


@dataclass(frozen=True, slots=True)
class Figure:
    """An SVG chart (from :mod:`tailormed.charts`) with its text alternative."""

    title: str
    svg: str
    alt: str
    audience: Audience = "both"

    def __post_init__(self) -> None:
        head = self.svg.lstrip()[:200].lower()
        if not head.startswith("<svg"):
            raise ValueError(f"figure {self.title!r}: not an SVG document")
        low = self.svg.lower()
        if (
            "<script" in low
            or "javascript:" in low
            or "<foreignobject" in low
            or _HANDLER.search(self.svg)
        ):
            raise ValueError(f"figure {self.title!r}: scripts are not allowed in report SVG")
        if _EXTERNAL.search(self.svg):
            raise ValueError(f"figure {self.title!r}: external references are not allowed")


@dataclass(frozen=True, slots=True)
class Section:
    """One domain's report section for one subject."""

    domain: Domain
    title: str
    subject: str
    findings: tuple[Finding, ...] = ()
    tables: tuple[Table, ...] = ()
    figures: tuple[Figure, ...] = ()
    limitations: tuple[str, ...] = ()
    knowledge: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}")
        for f in self.findings:
            if f.domain != self.domain:
                raise ValueError(
                    f"section {self.title!r} ({self.domain}) holds a {f.domain} finding"
                )
        object.__setattr__(self, "knowledge", MappingProxyType(dict(self.knowledge)))

    def __hash__(self) -> int:
        return hash((self.domain, self.title, self.subject))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Section):
            return NotImplemented
        return SectionModel.of(self) == SectionModel.of(other)


# ------------------------------------------------------------------ JSON boundary


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableModel(_Strict):
    title: str
    columns: list[str]
    rows: list[list[Value]]
    caption: str | None = None
    audience: Audience = "clinician"


class FigureModel(_Strict):
    title: str
    svg: str
    alt: str
    audience: Audience = "both"


class SectionModel(_Strict):
    """The JSON form of a :class:`Section` (same field names)."""

    domain: Domain
    title: str
    subject: str
    findings: list[FindingModel] = []
    tables: list[TableModel] = []
    figures: list[FigureModel] = []
    limitations: list[str] = []
    knowledge: dict[str, str] = {}

    @classmethod
    def of(cls, s: Section) -> SectionModel:
        return cls(
            domain=s.domain,
            title=s.title,
            subject=s.subject,
            findings=[FindingModel.of(f) for f in s.findings],
            tables=[
                TableModel(
                    title=t.title,
                    columns=list(t.columns),
                    rows=[list(r) for r in t.rows],
                    caption=t.caption,
                    audience=t.audience,
                )
                for t in s.tables
            ],
            figures=[
                FigureModel(title=g.title, svg=g.svg, alt=g.alt, audience=g.audience)
                for g in s.figures
            ],
            limitations=list(s.limitations),
            knowledge=dict(s.knowledge),
        )

    def to_section(self) -> Section:
        return Section(
            domain=self.domain,
            title=self.title,
            subject=self.subject,
            findings=tuple(f.to_finding() for f in self.findings),
            tables=tuple(
                Table(
                    t.title,
                    tuple(t.columns),
                    tuple(tuple(r) for r in t.rows),
                    t.caption,
                    t.audience,
                )
                for t in self.tables
            ),
            figures=tuple(Figure(g.title, g.svg, g.alt, g.audience) for g in self.figures),
            limitations=tuple(self.limitations),
            knowledge=dict(self.knowledge),
        )


def section_to_json(section: Section) -> dict[str, Any]:
    """A JSON-ready dict for one section."""
    return SectionModel.of(section).model_dump(mode="json")


def section_from_json(data: Mapping[str, Any]) -> Section:
    """A section back from :func:`section_to_json` output (validated)."""
    return SectionModel.model_validate(data).to_section()
