"""Domain adapters: clinical inputs → report :class:`~tailormed.findings.Section` objects.

The pipeline is the orchestrator, so it is the one place that knows the clinical domains.
Each domain registers one adapter here, one line per domain (:data:`BUILTIN`): a
``"module:function"`` path, imported only when a run gives that domain's inputs, so
``tailormed run`` on a VCF alone never imports oncology or rare-disease code.

An adapter is ``adapter(inputs: ClinicalInputs, context: Context) -> list[Section]``. It
returns ``[]`` when none of its inputs was given, raises
:class:`~tailormed.errors.InputError` (naming the file and line) for bad input, and never
returns a silently partial answer: what it could not compute is a limitation of its
section.

>>> from tailormed.findings import Section
>>> def demo(inputs, context):
...     return [Section(domain="digital", title="Demo", subject=context.sample)]
>>> register_domain("digital-demo", demo)
>>> "digital-demo" in adapters()
True
>>> unregister_domain("digital-demo")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tailormed.findings import Section
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation


@dataclass(frozen=True, slots=True)
class ClinicalInputs:
    """Everything beyond the genome VCF a run may be given (paths are validated by the
    domain that reads them; all optional).

    * ``factors``: the one patient-factors JSON (:mod:`tailormed.factors`);
    * ``pgs`` / ``prs_reference`` / ``prs_populations``: PGS Catalog scoring files, and a
      reference panel (VCF) with its population table for ancestry-matched percentiles;
    * ``tumor`` / ``tumor_type``: somatic findings (VCF, MAF or Tailormed tumour JSON) and
      the OncoTree code; ``ctdna``: ctDNA series files;
    * ``phenopackets``: GA4GH phenopackets (rare disease); ``hpo``: HPO term ids;
    * ``observations``: wearable / PRO / FHIR observation files (digital health);
    * ``options``: domain-specific settings, by ``"<domain>.<name>"``.
    """

    factors: Path | None = None
    pgs: tuple[Path, ...] = ()
    prs_reference: Path | None = None
    prs_populations: Path | None = None
    tumor: Path | None = None
    tumor_type: str | None = None
    ctdna: tuple[Path, ...] = ()
    phenopackets: tuple[Path, ...] = ()
    hpo: tuple[str, ...] = ()
    observations: tuple[Path, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """No domain input at all (a PGx-only run)."""
        return not (
            self.factors
            or self.pgs
            or self.tumor
            or self.ctdna
            or self.phenopackets
            or self.hpo
            or self.observations
        )


@dataclass(frozen=True, slots=True)
class Context:
    """What the run knows about the person when the domains are asked for sections.

    ``sample`` is the VCF sample (the report's subject); ``vcfs`` the genome files it was
    read from (a domain re-reads them only for its own positions); ``interpretation`` the
    PGx result of this sample (a domain may use, never change it); ``kb`` the loaded
    knowledge base.
    """

    sample: str
    vcfs: tuple[Path, ...]
    kb: KnowledgeBase
    interpretation: Interpretation | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))


DomainAdapter = Callable[[ClinicalInputs, Context], list[Section]]

# One line per domain: name -> "module:function" (imported on first use).
BUILTIN: dict[str, str] = {
    "cardio": "tailormed.cardio.sections:pipeline_sections",
    "oncology": "tailormed.oncology.adapters:pipeline_sections",
    "rare": "tailormed.rare.adapters:pipeline_sections",
    "digital": "tailormed.pipeline.digital:adapter",
}

_registry: dict[str, DomainAdapter | str] = dict(BUILTIN)


def register_domain(name: str, adapter: DomainAdapter | str) -> None:
    """Add (or replace) the adapter of domain ``name`` (a callable or ``"module:func"``)."""
    _registry[name] = adapter


def unregister_domain(name: str) -> None:
    _registry.pop(name, None)


def adapters() -> dict[str, DomainAdapter | str]:
    """The registered adapters, by domain name, in registration order."""
    return dict(_registry)


def resolve(adapter: DomainAdapter | str) -> DomainAdapter:
    """The callable behind a registry entry."""
    if not isinstance(adapter, str):
        return adapter
    module, _, name = adapter.partition(":")
    fn: DomainAdapter = getattr(importlib.import_module(module), name)
    return fn


def domain_sections(
    inputs: ClinicalInputs, context: Context, *, only: Sequence[str] | None = None
) -> list[Section]:
    """Every registered domain's sections for one person, in registration order.

    Nothing is imported or computed when ``inputs`` holds no domain input.
    """
    if inputs.empty and not inputs.options:
        return []
    out: list[Section] = []
    for name, adapter in _registry.items():
        if only is not None and name not in only:
            continue
        out.extend(resolve(adapter)(inputs, context))
    return out
