"""One sample's :class:`Interpretation` → a FHIR R4 Bundle (Genomics Reporting IG 3.0.0).

The Bundle is of type ``collection``: a set of results handed over together, with no
server action implied (``transaction`` would make a receiver create them) and none of a
``document``'s obligations (a Composition first, an identifier and timestamp, every
reference — the Patient included — resolvable inside the Bundle; Tailormed knows only a
sample id, not a Patient resource). Entries, in order:

1. the GenomicReport DiagnosticReport (LOINC 51969-4, category GE): ``result`` lists
   every Observation below, ``conclusion`` summarises, ``recommended-action``
   extensions point at the Tasks, ``genomic-report-note`` extensions carry the
   knowledge-base version (test-methodology) and each limitation (test-disclaimer);
2. one Genotype Observation per gene call (see :mod:`.resources` for ties / no-calls);
3. one TherapeuticImplication per gene whose phenotype describes drug handling
   (metabolizer, function, risk, response);
4. one TherapeuticImplication per matched CPIC / DPWG recommendation;
5. one MedicationRecommendation Task per actionable recommendation;
6. for the clinical domains' sections (cardiovascular, oncology, rare disease, digital
   health): one generic Observation per finding (:mod:`.findings`) and whatever the
   domain's registered provider (:mod:`.domains`) adds.

Every resource is validated with the ``fhir.resources.R4B`` models before it is added,
and the whole Bundle once more at the end. Ids are uuid5 values, stable per sample and
gene / recommendation; ``fullUrl`` is ``urn:uuid:<id>``.

>>> from tailormed.recommend.models import Interpretation
>>> b = export_bundle(Interpretation("S1", "kb-1", (), (), ()))
>>> b["type"], b["entry"][0]["resource"]["resourceType"]
('collection', 'DiagnosticReport')
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.task import Task
from pydantic import ValidationError

from tailormed.atomic import write_atomic
from tailormed.fhir import codes as C
from tailormed.fhir import resources as R
from tailormed.fhir.domains import FhirContext, provider_for
from tailormed.fhir.findings import finding_observation
from tailormed.findings import Section
from tailormed.recommend.models import Interpretation

_MODELS: dict[str, Any] = {
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
    "Task": Task,
}
_INVALID_ID_CHARS = re.compile(r"[^A-Za-z0-9.\-]")


def fhir_id(text: str) -> str:
    """``text`` made a valid FHIR id (letters, digits, ``-`` and ``.``; at most 64).

    >>> fhir_id("Sample_2")
    'Sample-2'
    """
    return (_INVALID_ID_CHARS.sub("-", text) or "unknown")[:64]


def _model(kind: str) -> Any:
    """The ``fhir.resources.R4B`` model class of a resource type (``"Observation"``)."""
    found = _MODELS.get(kind)
    if found is None:
        if not re.fullmatch(r"[A-Z][A-Za-z]+", kind):
            raise ValueError(f"not a FHIR resource type: {kind!r}")
        module = importlib.import_module(f"fhir.resources.R4B.{kind.lower()}")
        found = _MODELS[kind] = getattr(module, kind)
    return found


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` after a round through its R4B model (so only valid FHIR leaves here)."""
    model = _model(resource["resourceType"])
    try:
        parsed = model.model_validate(resource)
    except ValidationError as err:  # a bug in the builders, not bad user input
        raise ValueError(f"invalid {resource['resourceType']} {resource.get('id')}: {err}") from err
    out: dict[str, Any] = json.loads(parsed.model_dump_json())
    return out


def _instant(issued: datetime | None) -> str | None:
    if issued is None:
        return None
    if issued.tzinfo is None:
        raise ValueError("issued must carry a time zone (a FHIR instant)")
    return issued.isoformat()


def _conclusion(interp: Interpretation) -> str:
    called = [c for c in interp.calls if c.called]
    uncalled = [c.gene for c in interp.calls if not c.called]
    parts = [f"Pharmacogenomic results for {len(interp.calls)} genes ({len(called)} called)."]
    if uncalled:
        parts.append(f"Not called: {', '.join(uncalled)}.")
    ties = [
        f"{c.gene} ({' or '.join(d.text for d in c.diplotypes)})"
        for c in called
        if len(c.diplotypes) > 1
    ]
    if ties:
        parts.append(f"Ambiguous calls: {'; '.join(ties)}.")
    outside = [c.gene for c in interp.calls if c.source == "outside"]
    if outside:
        parts.append(f"Outside calls (not called by Tailormed): {', '.join(outside)}.")
    actionable = []
    for report in interp.drugs:
        if report.status != "actionable":
            continue
        phenos = {
            f"{g} {p}"
            for r in report.recommendations
            if r.actionable
            for g, p in r.phenotypes.items()
        }
        actionable.append(f"{report.drug} ({', '.join(sorted(phenos))})" if phenos else report.drug)
    if actionable:
        parts.append(f"Actionable: {'; '.join(actionable)}.")
    else:
        parts.append("No actionable drug-gene recommendation.")
    no_result = [d.drug for d in interp.drugs if d.status == "no result"]
    if no_result:
        parts.append(f"No recommendation could be selected for: {', '.join(no_result)}.")
    return " ".join(parts)


def _report_note(kind: str, display: str, text: str) -> dict[str, Any]:
    code = C.concept(C.ANNOTATION_TYPES, kind, display)
    annotation = {"extension": [{"url": C.EXT_ANNOTATION_CODE, "valueCodeableConcept": code}]}
    return {"url": C.EXT_REPORT_NOTE, "valueAnnotation": annotation | {"text": text}}


def export_bundle(
    interpretation: Interpretation,
    *,
    patient_ref: str | None = None,
    issued: datetime | None = None,
    sections: Sequence[Section] = (),
) -> dict[str, Any]:
    """The Genomics Reporting Bundle for one sample, as plain JSON-ready dicts.

    ``sections``: the clinical domains' report sections, exported as Observations (and
    any profiled resources their domain provider adds).

    ``patient_ref`` defaults to ``"Patient/<sample>"`` (the sample id made a valid FHIR
    id); every subject also carries the exact sample id as an identifier
    (:data:`~tailormed.fhir.codes.SAMPLE_ID_SYSTEM`). ``issued`` (time-zone aware) sets
    ``issued`` / ``authoredOn`` and the Bundle timestamp; without it the output is the
    same bytes for the same input.
    """
    interp = interpretation
    sample = interp.sample
    subject = {
        "reference": patient_ref or f"Patient/{fhir_id(sample)}",
        "identifier": {"system": C.SAMPLE_ID_SYSTEM, "value": sample},
        "display": sample,
    }
    ctx = R.Context(sample, subject, _instant(issued))
    observations: list[dict[str, Any]] = []
    genotype_refs: dict[str, str] = {}
    for call in interp.calls:
        obs = R.genotype(ctx, call, interp.kb_version)
        observations.append(obs)
        genotype_refs[call.gene] = R.urn(obs["id"])
    for pheno in interp.phenotypes:
        if pheno.gene in genotype_refs and R.gene_implication_wanted(pheno):
            observations.append(R.gene_implication(ctx, pheno, genotype_refs[pheno.gene]))
    tasks: list[tuple[dict[str, Any], str]] = []  # (Task, label for the report)
    for report in interp.drugs:
        for rec in report.recommendations:
            obs = R.drug_implication(ctx, report, rec, genotype_refs)
            observations.append(obs)
            if rec.actionable:
                task = R.medication_task(ctx, rec, R.urn(obs["id"]))
                tasks.append((task, f"{rec.drug} ({rec.source})"))

    others: list[dict[str, Any]] = []
    fhir_ctx = FhirContext(sample, subject, ctx.issued)
    for section in sections:
        for finding in section.findings:
            observations.append(finding_observation(finding, subject, issued=ctx.issued))
        provider = provider_for(section.domain)
        for res in provider(section, fhir_ctx) if provider is not None else ():
            (observations if res.get("resourceType") == "Observation" else others).append(res)

    diagnostic = _diagnostic_report(interp, ctx, observations, tasks)
    resources = [diagnostic, *observations, *(t for t, _ in tasks), *others]
    ids = [r["id"] for r in resources]
    if len(set(ids)) != len(ids):  # the same gene or recommendation given twice
        raise ValueError(
            f"interpretation of {sample!r} repeats a gene call, recommendation or finding"
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": R.resource_id(sample, "bundle"),
        "type": "collection",
    }
    if ctx.issued:
        bundle["timestamp"] = ctx.issued
    bundle["entry"] = [{"fullUrl": R.urn(r["id"]), "resource": _validated(r)} for r in resources]
    out: dict[str, Any] = json.loads(Bundle.model_validate(bundle).model_dump_json())
    return out


def _diagnostic_report(
    interp: Interpretation,
    ctx: R.Context,
    observations: list[dict[str, Any]],
    tasks: list[tuple[dict[str, Any], str]],
) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = [
        {
            "url": C.EXT_RECOMMENDED_ACTION,
            "valueReference": {"reference": R.urn(t["id"]), "display": label},
        }
        for t, label in tasks
    ]
    extensions.append(
        _report_note(
            "test-methodology",
            "Test Methodology",
            f"Star-allele calls, phenotypes and CPIC/DPWG recommendations by Tailormed; "
            f"knowledge base version {interp.kb_version}.",
        )
    )
    extensions.extend(
        _report_note("test-disclaimer", "Test Disclaimer", text) for text in interp.limitations
    )
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": R.resource_id(ctx.sample, "report"),
        "meta": {"profile": [C.PROFILE_GENOMIC_REPORT]},
        "extension": extensions,
        "status": "final",
        "category": [C.concept(C.V2_0074, "GE", "Genetics")],
        "code": C.concept(C.LOINC, C.GENOMIC_REPORT_CODE, "Genetic analysis report"),
        "subject": ctx.subject,
    }
    if ctx.issued:
        report["issued"] = ctx.issued
    if observations:
        report["result"] = [{"reference": R.urn(o["id"])} for o in observations]
    report["conclusion"] = _conclusion(interp)
    return report


def write_bundle(
    interpretation: Interpretation,
    path: str | Path,
    *,
    patient_ref: str | None = None,
    issued: datetime | None = None,
    sections: Sequence[Section] = (),
) -> Path:
    """Write :func:`export_bundle` as JSON to ``path`` atomically (temporary name, rename).

    A failure leaves ``path`` as it was: never a half-written bundle. Returns ``path``.
    """
    target = Path(path)
    bundle = export_bundle(
        interpretation, patient_ref=patient_ref, issued=issued, sections=sections
    )
    data = json.dumps(bundle, indent=1, ensure_ascii=False)
    write_atomic(target, (data + "\n").encode("utf-8"))
    return target
