"""Domain FHIR providers: extra, profiled resources for a report section.

Every finding of every section becomes a generic Observation (:mod:`.findings`). A domain
that has a better FHIR shape for some of its results — the Genomics Reporting IG's
somatic variant, therapeutic or diagnostic implication profiles, a polygenic score as a
genomics Observation — registers a provider here, one line per domain (:data:`BUILTIN`,
``"module:function"`` imported on first use)::

    provider(section: Section, context: FhirContext) -> list[dict]  # FHIR JSON resources

Each resource needs ``resourceType`` and a stable ``id`` (use
:func:`tailormed.fhir.resources.resource_id`); :func:`tailormed.fhir.export_bundle` validates
it with ``fhir.resources.R4B``, adds it to the Bundle and lists Observations in the
DiagnosticReport's ``result``.

>>> register_fhir_provider("digital", lambda section, context: [])
>>> "digital" in fhir_providers()
True
>>> unregister_fhir_provider("digital")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tailormed.findings import Section


@dataclass(frozen=True, slots=True)
class FhirContext:
    """What every resource of one export shares: the subject reference and ``issued``."""

    sample: str
    subject: dict[str, Any]
    issued: str | None = None


FhirProvider = Callable[[Section, FhirContext], list[dict[str, Any]]]

# One line per domain: domain -> "module:function".
BUILTIN: dict[str, str] = {
    "oncology": "tailormed.oncology.fhir:fhir_resources",
    "rare": "tailormed.rare.fhir:section_resources",
}

_registry: dict[str, FhirProvider | str] = dict(BUILTIN)


def register_fhir_provider(domain: str, provider: FhirProvider | str) -> None:
    """Add (or replace) the FHIR provider of ``domain``."""
    _registry[domain] = provider


def unregister_fhir_provider(domain: str) -> None:
    _registry.pop(domain, None)


def fhir_providers() -> dict[str, FhirProvider | str]:
    return dict(_registry)


def provider_for(domain: str) -> FhirProvider | None:
    """The callable provider of ``domain``, or None."""
    found = _registry.get(domain)
    if found is None or not isinstance(found, str):
        return found
    module, _, name = found.partition(":")
    fn: FhirProvider = getattr(importlib.import_module(module), name)
    return fn
