"""CDS providers: the clinical domains' answers at the point of care, as cards.

A domain registers a :class:`CdsProvider` for a hook (``order-select``, ``order-sign``,
``patient-view``); when that hook is called, the provider gets the drugs of the draft
orders (knowledge-base names and every ingredient the medication resolver reads in
the order, lower-case generic names; empty for ``patient-view``), the patient's clinical
documents (newest body by kind; empty when the caller's consent does not cover them),
the knowledge base and a :class:`CdsContext` (the pharmacogenomic interpretation the PGx
cards come from, the stored findings), and returns
:class:`~tailormed.findings.Finding` objects. :func:`finding_card` turns each into a card
the same way for every domain, so a card says what the report's finding says:

* indicator from severity (critical → critical; high, moderate → warning; low, info →
  info);
* summary: the finding's summary (cut at a word to the spec's 140 characters), detail:
  the summary, recommendations, evidence, limitations and every source with its version;
* source: the first source (name and version), links: every source with an http(s) URL;
* suggestions: one per recommendation (label only: the clinician acknowledges it; no
  resource is created), ``selectionBehavior`` ``any``.

One line per domain in :data:`BUILTIN` (``(hook, "module:function", "module:applies")``), or
:func:`register_cds_provider` at run time. The built-in ``patient-view`` provider shows
the stored findings that call for action (severity critical, high or moderate).
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.orm import Session

from tailormed.findings import Finding, cds_indicator
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation
from tailormed.record import AuthorizationError, NotFoundError, find_patient, list_findings
from tailormed.service.auth import Caller
from tailormed.service.cds_models import SUMMARY_MAX, Card, Link, Source, Suggestion
from tailormed.service.documents import patient_documents

Hook = Literal["order-select", "order-sign", "patient-view"]
HOOKS: tuple[Hook, ...] = ("order-select", "order-sign", "patient-view")


@dataclass(frozen=True, slots=True)
class CdsContext:
    """What a provider may use besides drugs, documents and the knowledge base."""

    hook: Hook
    patient_ref: str
    interpretation: Interpretation | None = None
    findings: tuple[Finding, ...] = ()  # stored findings the caller may read


CdsFn = Callable[[Sequence[str], Mapping[str, Any], KnowledgeBase, CdsContext], list[Finding]]


@dataclass(frozen=True, slots=True)
class CdsProvider:
    """``fn`` answers ``hook``; ``name`` identifies it (for replacing and logs).

    ``applies`` (optional, ``drugs -> bool``): whether ``fn`` can say anything about
    these drugs; when no provider of a hook applies, the patient's documents and findings
    are not read (minimum necessary: an order for a drug no domain knows reads nothing
    more than the pharmacogenomic result).
    A frozenset of knowledge-base drug names (lower case) is the simple form of
    ``applies``: the provider answers only orders for one of them.
    """

    hook: Hook
    fn: CdsFn | str
    name: str = ""
    applies: Callable[[Sequence[str]], bool] | str | frozenset[str] | None = None

    def wants(self, drugs: Sequence[str]) -> bool:
        check = self.applies
        if check is None:
            return True
        if isinstance(check, frozenset):
            return any(d.lower() in check for d in drugs)
        if isinstance(check, str):
            module, _, attr = check.partition(":")
            check = getattr(importlib.import_module(module), attr)
        return bool(check(drugs))

    def call(
        self, drugs: Sequence[str], documents: Mapping[str, Any], kb: KnowledgeBase, ctx: CdsContext
    ) -> list[Finding]:
        fn = self.fn
        if isinstance(fn, str):
            module, _, attr = fn.partition(":")
            fn = getattr(importlib.import_module(module), attr)
        return fn(drugs, documents, kb, ctx)


def actionable_findings(
    _drugs: Sequence[str], _documents: Mapping[str, Any], _kb: KnowledgeBase, ctx: CdsContext
) -> list[Finding]:
    """``patient-view``: the stored findings that call for action."""
    return [f for f in ctx.findings if f.severity in ("critical", "high", "moderate")]


STATINS = frozenset(
    {
        "atorvastatin",
        "fluvastatin",
        "lovastatin",
        "pitavastatin",
        "pravastatin",
        "rosuvastatin",
        "simvastatin",
    }
)

# One line per domain: (hook, "module:function", "module:applies", a drug set or None).
_ONCOLOGY = (
    "tailormed.oncology.adapters:cds_resistance",
    "tailormed.oncology.adapters:cds_applies",
)
_CARDIO = ("tailormed.cardio.sections:statin_order_findings", STATINS)
BUILTIN: tuple[tuple[Hook, str, str | frozenset[str] | None], ...] = (
    ("order-select", *_ONCOLOGY),
    ("order-sign", *_ONCOLOGY),
    ("order-select", *_CARDIO),
    ("order-sign", *_CARDIO),
)

_providers: list[CdsProvider] = [
    CdsProvider("patient-view", actionable_findings, "stored findings"),
    *(CdsProvider(hook, path, path, applies) for hook, path, applies in BUILTIN),
]


def register_cds_provider(provider: CdsProvider) -> None:
    """Add a provider (one of the same ``name`` and hook is replaced)."""
    if provider.hook not in HOOKS:
        raise ValueError(f"unknown hook {provider.hook!r}")
    _providers[:] = [
        p
        for p in _providers
        if not (p.name and p.name == provider.name and p.hook == provider.hook)
    ]
    _providers.append(provider)


def unregister_cds_provider(name: str) -> None:
    _providers[:] = [p for p in _providers if p.name != name]


def providers_for(hook: str) -> list[CdsProvider]:
    return [p for p in _providers if p.hook == hook]


# ------------------------------------------------------------------ cards
def _fit(text: str) -> str:
    text = " ".join(text.split())
    if len(text) < SUMMARY_MAX:
        return text
    return text[: SUMMARY_MAX - 2].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def finding_detail(f: Finding) -> str:
    """The card detail (GitHub-flavoured Markdown, as CDS Hooks specifies)."""
    lines = [f"**{f.title}**", "", f.summary, ""]
    if f.recommendations:
        lines += ["**Recommendations**", *(f"- {r}" for r in f.recommendations), ""]
    if f.evidence:
        lines.append("**Evidence**")
        for e in f.evidence:
            value = "" if e.value is None else f": {e.value}{f' {e.unit}' if e.unit else ''}"
            lines.append(f"- {e.kind}: {e.label}{value}")
        lines.append("")
    if f.limitations:
        lines += ["**Limitations**", *(f"- {t}" for t in f.limitations), ""]
    if f.sources:
        lines.append("**Sources**")
        for s in f.sources:
            ref = f" {s.id}" if s.id else ""
            cite = f" — {s.citation}" if s.citation else ""
            lines.append(f"- {s.name}{ref} (version {s.version}){cite}")
    return "\n".join(lines).strip()


def finding_card(f: Finding) -> Card:
    """One card for one finding (see the module rules)."""
    first = f.sources[0] if f.sources else None
    label = f"{first.name} ({first.version})" if first else "Tailormed"
    links = [
        Link(label=f"{s.name}{f' {s.id}' if s.id else ''}"[:100], url=s.url)
        for s in f.sources
        if s.url and s.url.startswith(("http://", "https://"))
    ]
    suggestions = [Suggestion(label=r[:200], uuid=str(uuid.uuid4())) for r in f.recommendations[:5]]
    return Card(
        uuid=str(uuid.uuid4()),
        summary=_fit(f.summary),
        detail=finding_detail(f),
        indicator=cds_indicator(f.severity),
        source=Source(label=label[:120], url=first.url if first else None),
        suggestions=suggestions or None,
        selectionBehavior="any" if suggestions else None,
        links=links or None,
    )


# ------------------------------------------------------------------ the record's side
def _record_id(session: Session, caller: Caller, patient_ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(patient_ref)
    except ValueError:
        pass
    try:
        return find_patient(session, caller.actor, caller.purpose, patient_ref).id
    except (AuthorizationError, NotFoundError):
        return None


def provider_cards(
    session: Session,
    caller: Caller,
    hook: Hook,
    patient_ref: str,
    drugs: Sequence[str],
    kb: KnowledgeBase,
    interpretation: Interpretation | None,
) -> list[Card]:
    """Cards of every provider of ``hook``; the record's documents and stored findings
    are read (audited as ``cds``) only when a provider is registered for the hook."""
    providers = [p for p in providers_for(hook) if hook == "patient-view" or p.wants(drugs)]
    if not providers:
        return []
    documents: dict[str, Any] = {}
    stored: tuple[Finding, ...] = ()
    pid = _record_id(session, caller, patient_ref)
    if pid is not None:
        try:
            documents = (
                patient_documents(session, caller.actor, caller.purpose, pid, audit_action="cds")
                or {}
            )
            views = list_findings(session, caller.actor, caller.purpose, pid, audit_action="cds")
            stored = tuple(v.finding for v in views)
        except (AuthorizationError, NotFoundError):
            pass
    ctx = CdsContext(hook, patient_ref, interpretation, stored)
    cards: list[Card] = []
    seen: set[tuple[str, str]] = set()
    for p in providers:
        for f in p.call(drugs, documents, kb, ctx):
            if (f.code, f.summary) not in seen:
                seen.add((f.code, f.summary))
                cards.append(finding_card(f))
    return cards
