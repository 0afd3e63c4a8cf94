"""The one result model every clinical domain hands to report, FHIR, record and CDS.

A domain (PGx, cardiovascular risk, oncology, rare disease, digital health) turns its own
typed results into :class:`Finding` objects; the renderers know findings and a small
renderer per domain, never the domain's internals. Depends on nothing else of Tailormed.
"""

from tailormed.findings.models import (
    DOMAINS,
    SEVERITIES,
    Coding,
    Evidence,
    Finding,
    FindingModel,
    Source,
    cds_indicator,
    findings_from_json,
    findings_to_json,
)
from tailormed.findings.sections import (
    Figure,
    Section,
    SectionModel,
    Table,
    section_from_json,
    section_to_json,
)

__all__ = [
    "DOMAINS",
    "SEVERITIES",
    "Coding",
    "Evidence",
    "Figure",
    "Finding",
    "FindingModel",
    "Section",
    "SectionModel",
    "Source",
    "Table",
    "cds_indicator",
    "findings_from_json",
    "findings_to_json",
    "section_from_json",
    "section_to_json",
]
