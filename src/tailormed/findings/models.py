"""``Finding``: one clinically meaningful statement about one person, with its evidence.

Frozen dataclasses inside; :class:`FindingModel` (pydantic) is the JSON boundary, used by
reports (``report.json``), the record (stored findings) and the service.

>>> f = Finding(
...     domain="cardio",
...     code="cardio.prevent.ascvd-10y",
...     title="10-year ASCVD risk (PREVENT)",
...     severity="moderate",
...     summary="10-year ASCVD risk 7.2 % (intermediate).",
...     subject="Sample_2",
...     values={"ascvd_10y_percent": 7.2},
...     sources=(Source(name="PREVENT", version="khan-2024+abc", citation="Khan 2024"),),
...     knowledge={"cardio": "khan-2024+abc"},
... )
>>> cds_indicator(f.severity)
'warning'
>>> findings_from_json(findings_to_json([f]))[0] == f
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Domain = Literal["pgx", "cardio", "oncology", "rare", "digital"]
DOMAINS: tuple[Domain, ...] = ("pgx", "cardio", "oncology", "rare", "digital")

# Most to least urgent. ``critical``: act now (e.g. a contraindicated drug, a PHQ-9
# self-harm answer); ``high``: change care; ``moderate``: consider a change; ``low``:
# worth knowing; ``info``: context (no action implied).
Severity = Literal["critical", "high", "moderate", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "moderate", "low", "info")

Value = str | float | int | bool | None


def cds_indicator(severity: Severity) -> Literal["critical", "warning", "info"]:
    """The CDS Hooks card indicator for a severity."""
    if severity == "critical":
        return "critical"
    if severity in ("high", "moderate"):
        return "warning"
    return "info"


@dataclass(frozen=True, slots=True)
class Coding:
    """A code in a terminology (LOINC, HPO, RxNorm, OncoTree, SNOMED CT, HGNC ...)."""

    system: str
    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where the knowledge behind a finding came from, precisely enough to check it.

    ``name``: the source ("CPIC", "CIViC", "PREVENT", "HPO"); ``version``: the knowledge
    bundle or release version used; ``id``: the entry (e.g. CIViC ``EID1234``);
    ``citation``: a reference a clinician can look up (with DOI/PMID where known).
    """

    name: str
    version: str
    id: str | None = None
    citation: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """One observation the finding rests on (a variant, a measurement, a score, a term).

    ``kind`` is a short word (``variant``, ``genotype``, ``measurement``, ``score``,
    ``phenotype``, ``questionnaire``...), ``label`` what a clinician reads, ``value`` the
    value as measured (with ``unit``), ``codes`` its codings.
    """

    kind: str
    label: str
    value: Value = None
    unit: str | None = None
    codes: tuple[Coding, ...] = ()


def _frozen(values: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True, slots=True)
class Finding:
    """One statement about one person, with evidence, sources and limitations.

    ``code`` is stable and machine-readable (``<domain>.<kind>[.<detail>]``), so the same
    finding from a later run replaces the earlier one. ``summary`` is the clinician's one
    sentence; ``patient_summary`` plain language built from the structured values (never
    from other text); ``recommendations`` what to do, each a full sentence; ``values``
    the structured result (JSON scalars) renderers and FHIR read; ``knowledge`` maps each
    knowledge bundle used to its version.
    """

    domain: Domain
    code: str
    title: str
    severity: Severity
    summary: str
    subject: str
    patient_summary: str | None = None
    recommendations: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    sources: tuple[Source, ...] = ()
    limitations: tuple[str, ...] = ()
    codes: tuple[Coding, ...] = ()
    values: Mapping[str, Value] = field(default_factory=dict)
    knowledge: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.code.startswith(f"{self.domain}."):
            raise ValueError(f"finding code {self.code!r} must start with {self.domain!r}.")
        object.__setattr__(self, "values", _frozen(self.values))
        object.__setattr__(self, "knowledge", _frozen(self.knowledge))

    def __hash__(self) -> int:
        return hash((self.domain, self.code, self.subject, self.summary))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Finding):
            return NotImplemented
        return FindingModel.of(self) == FindingModel.of(other)


# ------------------------------------------------------------------ JSON boundary


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CodingModel(_Strict):
    system: str
    code: str
    display: str | None = None


class SourceModel(_Strict):
    name: str
    version: str
    id: str | None = None
    citation: str | None = None
    url: str | None = None


class EvidenceModel(_Strict):
    kind: str
    label: str
    value: Value = None
    unit: str | None = None
    codes: list[CodingModel] = []


class FindingModel(_Strict):
    """The JSON form of a :class:`Finding` (same field names)."""

    domain: Domain
    code: str
    title: str
    severity: Severity
    summary: str
    subject: str
    patient_summary: str | None = None
    recommendations: list[str] = []
    evidence: list[EvidenceModel] = []
    sources: list[SourceModel] = []
    limitations: list[str] = []
    codes: list[CodingModel] = []
    values: dict[str, Value] = {}
    knowledge: dict[str, str] = {}

    @classmethod
    def of(cls, f: Finding) -> FindingModel:
        return cls(
            domain=f.domain,
            code=f.code,
            title=f.title,
            severity=f.severity,
            summary=f.summary,
            subject=f.subject,
            patient_summary=f.patient_summary,
            recommendations=list(f.recommendations),
            evidence=[
                EvidenceModel(
                    kind=e.kind,
                    label=e.label,
                    value=e.value,
                    unit=e.unit,
                    codes=[
                        CodingModel(system=c.system, code=c.code, display=c.display)
                        for c in e.codes
                    ],
                )
                for e in f.evidence
            ],
            sources=[
                SourceModel(name=s.name, version=s.version, id=s.id, citation=s.citation, url=s.url)
                for s in f.sources
            ],
            limitations=list(f.limitations),
            codes=[CodingModel(system=c.system, code=c.code, display=c.display) for c in f.codes],
            values=dict(f.values),
            knowledge=dict(f.knowledge),
        )

    def to_finding(self) -> Finding:
        def coding(c: CodingModel) -> Coding:
            return Coding(c.system, c.code, c.display)

        return Finding(
            domain=self.domain,
            code=self.code,
            title=self.title,
            severity=self.severity,
            summary=self.summary,
            subject=self.subject,
            patient_summary=self.patient_summary,
            recommendations=tuple(self.recommendations),
            evidence=tuple(
                Evidence(e.kind, e.label, e.value, e.unit, tuple(coding(c) for c in e.codes))
                for e in self.evidence
            ),
            sources=tuple(Source(s.name, s.version, s.id, s.citation, s.url) for s in self.sources),
            limitations=tuple(self.limitations),
            codes=tuple(coding(c) for c in self.codes),
            values=dict(self.values),
            knowledge=dict(self.knowledge),
        )


def findings_to_json(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """JSON-ready dicts, most severe first (stable within a severity)."""
    ordered = sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
    return [FindingModel.of(f).model_dump(mode="json") for f in ordered]


def findings_from_json(data: Sequence[Mapping[str, Any]]) -> list[Finding]:
    """Findings back from :func:`findings_to_json` output (validated)."""
    return [FindingModel.model_validate(d).to_finding() for d in data]
