"""Any :class:`~tailormed.findings.Finding` → one FHIR R4 Observation (generic).

The rules, the same for every domain:

* ``code``: the finding's ``codes`` (LOINC first when there is one) with the title as
  text; a finding without a standard code gets Tailormed's finding code system
  (:data:`FINDING_SYSTEM`, code = ``finding.code``) — never a borrowed code that means
  something else;
* value: ``values["value"]`` when the domain names its main value, else the first
  number whose key ends in ``_percent`` (``valueQuantity`` in UCUM ``%``), else the
  summary as ``valueString``;
* ``component``: every other entry of ``values`` (quantity, boolean, integer or string;
  ``None`` values are left out) and every piece of evidence (its codes, label and value);
* ``note``: the summary, a sentence saying so when no LOINC code exists for the result,
  each recommendation, each limitation and each source with its version and citation;
* ``meta.tag``: the domain, the severity and every knowledge bundle version
  (``<bundle>@<version>``) so a receiver can tell which knowledge produced it;
* category: laboratory + genetics for genomic findings (evidence of kind ``variant``,
  ``genotype`` or ``score``, or the oncology / rare-disease domains), else none.

Ids are uuid5 of the subject, ``"finding"`` and the finding code: a later export of the
same finding replaces the earlier one.

>>> from tailormed.findings import Finding
>>> f = Finding(domain="cardio", code="cardio.pce", title="PCE", severity="info",
...             summary="PCE 5.4 %", subject="S1", values={"ascvd_10yr_percent": 5.38})
>>> obs = finding_observation(f, {"reference": "Patient/S1"})
>>> obs["valueQuantity"]["value"], obs["valueQuantity"]["code"]
(5.38, '%')
"""

from __future__ import annotations

from typing import Any

from tailormed.fhir import codes as C
from tailormed.fhir.resources import resource_id
from tailormed.findings import Coding, Evidence, Finding
from tailormed.findings.models import Value

FINDING_SYSTEM = "https://tailormed.org/fhir/CodeSystem/finding"
VALUE_SYSTEM = "https://tailormed.org/fhir/CodeSystem/finding-value"
TAG_SYSTEM = "https://tailormed.org/fhir/CodeSystem/finding-tag"
UCUM = "http://unitsofmeasure.org"
GENOMIC_EVIDENCE = {"variant", "genotype", "score"}
GENOMIC_DOMAINS = {"pgx", "oncology", "rare"}


def _coding(c: Coding) -> dict[str, Any]:
    return C.coding(c.system, c.code, c.display)


def _concept(codes: tuple[Coding, ...], text: str) -> dict[str, Any]:
    ordered = sorted(codes, key=lambda c: c.system != C.LOINC)
    return {"coding": [_coding(c) for c in ordered], "text": text} if ordered else {"text": text}


def main_value_key(finding: Finding) -> str | None:
    """The ``values`` key sent as the Observation's value (see the module rules)."""
    if "value" in finding.values and finding.values["value"] is not None:
        return "value"
    for key, value in finding.values.items():
        if key.endswith("_percent") and _number(value):
            return key
    return None


def _number(value: Value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _value(key: str, value: Value) -> dict[str, Any]:
    """``value[x]`` for a scalar (key name decides a ``%`` unit)."""
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int) and not key.endswith("_percent"):
        return {"valueInteger": value}
    if isinstance(value, (int, float)):
        quantity: dict[str, Any] = {"value": value}
        if key.endswith("_percent"):
            quantity |= {"unit": "%", "system": UCUM, "code": "%"}
        return {"valueQuantity": quantity}
    return {"valueString": str(value)}


def _evidence_component(e: Evidence) -> dict[str, Any]:
    component: dict[str, Any] = {"code": _concept(e.codes, f"{e.kind}: {e.label}")}
    if e.value is None:
        component["valueString"] = e.label
    elif _number(e.value) and e.unit:
        component["valueQuantity"] = {"value": e.value, "unit": e.unit}
    else:
        component |= _value("", e.value)
    return component


def genomic(finding: Finding) -> bool:
    return finding.domain in GENOMIC_DOMAINS or any(
        e.kind in GENOMIC_EVIDENCE for e in finding.evidence
    )


def finding_observation(
    finding: Finding, subject: dict[str, Any], *, issued: str | None = None
) -> dict[str, Any]:
    """The Observation of one finding (plain FHIR JSON; validate before sending)."""
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id(finding.subject, "finding", finding.code),
        "meta": {
            "tag": [
                C.coding(TAG_SYSTEM, f"domain-{finding.domain}"),
                C.coding(TAG_SYSTEM, f"severity-{finding.severity}"),
                *(
                    C.coding(TAG_SYSTEM, f"knowledge-{name}@{version}")
                    for name, version in sorted(finding.knowledge.items())
                    if version
                ),
            ]
        },
        "status": "final",
    }
    if genomic(finding):
        obs["category"] = C.GENOMIC_CATEGORIES
    obs["code"] = _concept(finding.codes, finding.title) | (
        {} if finding.codes else {"coding": [C.coding(FINDING_SYSTEM, finding.code)]}
    )
    obs["subject"] = subject
    if issued:
        obs["issued"] = issued
    key = main_value_key(finding)
    if key is not None:
        obs |= _value(key, finding.values[key])
    else:
        obs["valueString"] = finding.summary
    components = [
        {"code": {"coding": [C.coding(VALUE_SYSTEM, k)], "text": k}} | _value(k, v)
        for k, v in finding.values.items()
        if k != key and v is not None
    ]
    components += [_evidence_component(e) for e in finding.evidence]
    if components:
        obs["component"] = components
    notes = [finding.summary] if key is not None else []
    if not any(c.system == C.LOINC for c in finding.codes):
        notes.append(
            "No LOINC code exists for this result (none that means exactly this); it is coded "
            f"with {finding.codes[0].system if finding.codes else FINDING_SYSTEM}."
        )
    notes += [f"Recommendation: {r}" for r in finding.recommendations]
    notes += [f"Limitation: {text}" for text in finding.limitations]
    for s in finding.sources:
        cite = f"Source: {s.name}{f' {s.id}' if s.id else ''} (version {s.version})"
        notes.append(cite + (f"; {s.citation}" if s.citation else ""))
    if notes:
        obs["note"] = [{"text": n} for n in notes]
    return obs
