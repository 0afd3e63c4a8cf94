"""The service's registries for the clinical domains: document kinds and section providers.

The record stores any document as validated JSON (:mod:`tailormed.record.documents`); what
a body *means* is checked here, at the boundary, by the pydantic model each domain
registers for its kinds. A domain also registers a section provider that turns the
patient's documents (and their newest pharmacogenomic interpretation) into report
:class:`~tailormed.findings.Section` objects: the API's ``/sections``, the stored findings
and the web UI all come from it, so they say what ``tailormed run`` says.

One line per domain in :data:`BUILTIN_KINDS` and :data:`BUILTIN_SECTIONS`
(``"module:attribute"``, imported on first use), or at run time::

    register_document_kind("cardio.factors", CardioFactorsBody, title="Cardiovascular factors")
    register_section_provider("cardio", cardio_sections)

A provider is ``provider(documents: Mapping[str, Any], inputs: SectionInputs) ->
list[Section]`` where ``documents`` maps each kind of the domain the patient has to its
newest body (already validated). It returns ``[]`` when its documents are missing.

>>> from pydantic import BaseModel
>>> class Demo(BaseModel):
...     steps: int
>>> register_document_kind("digital.demo", Demo)
>>> validate_body("digital.demo", {"steps": 5})
{'steps': 5}
>>> unregister_document_kind("digital.demo")
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.findings import Section
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation
from tailormed.record import (
    AuthorizationError,
    list_documents,
    list_findings,
    list_results,
)
from tailormed.record.access import Actor, Purpose
from tailormed.record.documents import domain_of


@dataclass(frozen=True, slots=True)
class SectionInputs:
    """Besides the documents, what a section provider may use."""

    subject: str
    kb: KnowledgeBase
    interpretation: Interpretation | None = None


SectionProvider = Callable[[Mapping[str, Any], SectionInputs], list[Section]]


@dataclass(frozen=True, slots=True)
class DocumentKind:
    kind: str
    model: type[BaseModel]
    title: str


# One line per domain.
BUILTIN_KINDS: dict[str, tuple[str, str]] = {  # kind -> ("module:Model", title)
    "oncology.tumor": ("tailormed.oncology.documents:TumorDocument", "Tumour profile"),
    "oncology.ctdna": ("tailormed.oncology.documents:CtdnaSeriesDocument", "ctDNA series"),
    "rare.phenotype": ("tailormed.rare.documents:PhenotypeBody", "Rare-disease phenotype (HPO)"),
    "rare.ranking": ("tailormed.rare.documents:RankingBody", "Rare-disease ranking"),
    "cardio.factors": ("tailormed.cardio.sections:FactorsBody", "Cardiovascular factors"),
    "cardio.prs": ("tailormed.cardio.sections:PrsBody", "Polygenic scores"),
}
BUILTIN_SECTIONS: dict[str, str] = {  # domain -> "module:provider"
    "cardio": "tailormed.cardio.sections:record_sections",
    "oncology": "tailormed.oncology.adapters:record_sections",
    "rare": "tailormed.rare.documents:sections_from_documents",
}

_kinds: dict[str, DocumentKind | tuple[str, str]] = dict(BUILTIN_KINDS)
_sections: dict[str, SectionProvider | str] = dict(BUILTIN_SECTIONS)


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def register_document_kind(kind: str, model: type[BaseModel], *, title: str = "") -> None:
    """Accept documents of ``kind`` (``<domain>.<name>``), validated by ``model``."""
    domain_of(kind)
    _kinds[kind] = DocumentKind(kind, model, title or kind)


def unregister_document_kind(kind: str) -> None:
    _kinds.pop(kind, None)


def document_kind(kind: str) -> DocumentKind:
    """The registered kind (an :class:`InputError` naming the known kinds otherwise)."""
    found = _kinds.get(kind)
    if found is None:
        known = ", ".join(sorted(_kinds)) or "none"
        raise InputError(f"unknown document kind {kind!r} (known: {known})")
    if isinstance(found, tuple):
        found = _kinds[kind] = DocumentKind(kind, _load(found[0]), found[1])
    return found


def document_kinds() -> list[str]:
    return sorted(_kinds)


def validate_body(kind: str, body: Any) -> Any:
    """``body`` checked by the kind's model, as JSON (errors name the field, not the value)."""
    model = document_kind(kind).model
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:10]:
            where = ".".join(str(p) for p in err.get("loc", ())) or "body"
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        raise InputError(f"{kind}: " + "; ".join(parts)) from None
    return parsed.model_dump(mode="json", exclude_none=True)


def register_section_provider(domain: str, provider: SectionProvider | str) -> None:
    _sections[domain] = provider


def unregister_section_provider(domain: str) -> None:
    _sections.pop(domain, None)


def section_provider(domain: str) -> SectionProvider | None:
    found = _sections.get(domain)
    if isinstance(found, str):
        found = _sections[domain] = _load(found)
    return found


def domains_with_providers() -> list[str]:
    return list(_sections)


def domain_documents(documents: Mapping[str, Any], domain: str) -> dict[str, Any]:
    """The documents of one domain, by kind."""
    return {k: v for k, v in documents.items() if k.split(".", 1)[0] == domain}


def compute_sections(
    documents: Mapping[str, Any], inputs: SectionInputs, *, domain: str | None = None
) -> list[Section]:
    """Every provider's sections for these documents (optionally one domain's)."""
    out: list[Section] = []
    for name in domains_with_providers():
        if domain is not None and name != domain:
            continue
        provider = section_provider(name)
        docs = domain_documents(documents, name)
        if provider is not None and docs:
            out.extend(provider(docs, inputs))
    return out


# ------------------------------------------------------------------ reading the record
def newest_interpretation(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> Interpretation | None:
    """The newest stored result's interpretation the actor may read in full, else None."""
    try:
        results = list_results(session, actor, purpose, patient_id)
    except AuthorizationError:
        return None
    full = [r for r in results if r.scope == "all"]
    return full[0].interpretation if full else None


def patient_documents(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    audit_action: str = "read",
) -> dict[str, Any] | None:
    """The newest body of every document kind, or None when the actor may not read them."""
    try:
        views = list_documents(session, actor, purpose, patient_id, audit_action=audit_action)
    except AuthorizationError:
        return None
    return {v.kind: v.body for v in views}


def refresh_findings(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kb: KnowledgeBase,
    *,
    domain: str | None = None,
    documents: Mapping[str, Any] | None = None,
    document_id: uuid.UUID | None = None,
) -> None:
    """Recompute and store the findings of every domain with a provider (or of ``domain``)
    from the patient's documents and newest result: after a document changes, and after a
    new result (the statin choice depends on the genotype). Nothing is written for a domain
    without documents unless ``domain`` names it (its findings are then cleared)."""
    from tailormed.record import replace_findings

    docs = documents
    if docs is None:
        docs = patient_documents(session, actor, purpose, patient_id)
        if docs is None:
            return
    wanted = (
        [domain]
        if domain is not None
        else [d for d in domains_with_providers() if domain_documents(docs, d)]
    )
    if not wanted:
        return
    interp = newest_interpretation(session, actor, purpose, patient_id)
    for name in wanted:
        if section_provider(name) is None:
            continue
        sections = compute_sections(docs, SectionInputs(str(patient_id), kb, interp), domain=name)
        findings = [f for s in sections for f in s.findings]
        replace_findings(
            session, actor, purpose, patient_id, name, findings, document_id=document_id
        )


def patient_sections(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kb: KnowledgeBase,
    *,
    subject: str | None = None,
    strict: bool = False,
) -> list[Section]:
    """The patient's sections as the domains compute them from the record.

    With full access: computed now from the documents and the newest interpretation. A
    reader whose consent covers results but not clinical documents (scope ``reports``)
    gets the stored findings, one section per domain, without tables or figures. Nobody
    else gets any: an empty list, or (``strict``) the access error.
    """
    documents = patient_documents(session, actor, purpose, patient_id)
    who = subject or str(patient_id)
    if documents is not None:
        interp = newest_interpretation(session, actor, purpose, patient_id)
        return compute_sections(documents, SectionInputs(who, kb, interp))
    try:
        stored = list_findings(session, actor, purpose, patient_id)
    except AuthorizationError:
        if strict:
            raise
        return []
    by_domain: dict[str, list[Any]] = {}
    for v in stored:
        by_domain.setdefault(v.finding.domain, []).append(v.finding)
    from tailormed.report.html import DOMAIN_LABELS

    return [
        Section(
            domain=d,  # type: ignore[arg-type]
            title=DOMAIN_LABELS.get(d, d),
            subject=who,
            findings=tuple(fs),
            limitations=(
                "Shown from the stored findings: the clinical documents behind them are "
                "outside the scope of your consent.",
            ),
        )
        for d, fs in by_domain.items()
    ]
