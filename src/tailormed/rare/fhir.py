"""A ranked case as FHIR R4B resources: phenotype Observations and diagnostic implications.

* One Observation per HPO term of the case, in the form of the HL7 Phenomics Exchange IG's
  phenotype profile (``.../phenomics-exchange/StructureDefinition/phenotype``): ``code``
  the HPO term (system ``http://human-phenotype-ontology.org``, as HL7 terminology and the
  Genomics Reporting IG name it), ``valueCodeableConcept`` LOINC ``LA9633-4`` Present for an
  observed term or ``LA9634-2`` Absent for an excluded one (answer list LL1937-3), the
  onset as a component when given (an HPO onset term, or a simple ISO 8601 age).
* In variant mode, one Variant Observation (Genomics Reporting IG 3.0.0) per variant behind
  a top candidate: gene, GRCh38, 1-based position, alleles, allelic state, HGVS.
* One DiagnosticImplication (Genomics Reporting IG 3.0.0) per candidate ranked ``top`` or
  better: the disease as ``predicted-phenotype`` (LOINC 81259-4; OMIM or Orphanet code),
  the gene studied, the mode of inheritance when the disease has exactly one (HPO code,
  as the IG's ConditionInheritanceModeVS lists them), a conclusion, and notes with the rank,
  score, method and knowledge version. ``derivedFrom`` (required by the profile) points at
  the variants behind the gene and at the phenotype Observations the candidate explains.

Everything is read from the rare-disease report :class:`~tailormed.findings.Section` (its
terms table and its candidate findings, whose evidence carries the variants' codings), so
the same resources come from a fresh ranking (:func:`fhir_resources`) and from a stored
section (:func:`section_resources`, the FHIR layer's domain provider). Ids are stable uuid5
values of the case and the item, so a re-export updates rather than duplicates.
Every resource passes the ``fhir.resources`` R4B model before it is returned.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any, Protocol

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from tailormed.fhir import codes as C
from tailormed.fhir import resources as R
from tailormed.fhir.export import fhir_id
from tailormed.findings import Coding, Evidence, Finding, Section
from tailormed.findings.models import Value
from tailormed.rare.findings import (
    DISEASE_SYSTEMS,
    GENE_SYMBOL_SYSTEM,
    HGNC_SYSTEM,
    HGVS_SYSTEM,
    HPO_SYSTEM,
    LOINC,
    VARIANT_SYSTEM,
)
from tailormed.rare.models import Ranking
from tailormed.rare.sections import TERMS_TITLE, section

HPO = HPO_SYSTEM
OMIM = DISEASE_SYSTEMS["OMIM"]
ORPHANET = DISEASE_SYSTEMS["ORPHA"]
HGVS = HGVS_SYSTEM
UCUM = "http://unitsofmeasure.org"
PHENOMICS = "http://hl7.org/fhir/uv/phenomics-exchange"
PROFILE_PHENOTYPE = f"{PHENOMICS}/StructureDefinition/phenotype"
ONSET_COMPONENTS = f"{PHENOMICS}/CodeSystem/temporary-phenotype-component"
PROFILE_VARIANT = f"{C.IG}/StructureDefinition/variant"
PROFILE_DIAGNOSTIC_IMPLICATION = f"{C.IG}/StructureDefinition/diagnostic-implication"

PRESENT = ("LA9633-4", "Present")
ABSENT = ("LA9634-2", "Absent")
INHERITANCE_MODES = {  # the IG's ConditionInheritanceModeVS (HPO codes)
    "HP:0000006",
    "HP:0000007",
    "HP:0001417",
    "HP:0001419",
    "HP:0001423",
    "HP:0001426",
    "HP:0001427",
    "HP:0001442",
    "HP:0001450",
    "HP:0001470",
    "HP:0003743",
    "HP:0003745",
}
_AGE = re.compile(r"^P(\d+)([YMWD])$")
_AGE_UNITS = {"Y": ("a", "years"), "M": ("mo", "months"), "W": ("wk", "weeks"), "D": ("d", "days")}
CATEGORY_EXAM = C.concept(C.OBSERVATION_CATEGORY, "exam", "Exam")


class Ctx(Protocol):
    """What every resource of one export shares (the FHIR layer's export context)."""

    @property
    def sample(self) -> str: ...
    @property
    def subject(self) -> dict[str, Any]: ...
    @property
    def issued(self) -> str | None: ...


def disease_coding(disease_id: str, name: str) -> dict[str, Any]:
    """``OMIM:301310`` → the OMIM coding ``301310``; ``ORPHA:558`` → Orphanet ``558``."""
    prefix, _, number = disease_id.partition(":")
    system = {"OMIM": OMIM, "ORPHA": ORPHANET}.get(prefix)
    if system is None or not number:
        return {"text": f"{name} ({disease_id})"}
    return C.concept(system, number, name, text=name)


def _validated(resource: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = Observation.model_validate(resource)
    except ValidationError as err:  # a bug in the builders, not bad user input
        raise ValueError(f"invalid Observation {resource.get('id')}: {err}") from err
    out: dict[str, Any] = json.loads(parsed.model_dump_json())
    return out


def _base(ctx: Ctx, rid: str, profile: str, code: dict[str, Any]) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "meta": {"profile": [profile]},
        "status": "final",
    }
    obs["category"] = [CATEGORY_EXAM] if profile == PROFILE_PHENOTYPE else C.GENOMIC_CATEGORIES
    obs["code"] = code
    obs["subject"] = ctx.subject
    if ctx.issued:
        obs["issued"] = ctx.issued
    return obs


def _onset(onset: str) -> dict[str, Any] | None:
    if onset.startswith("HP:"):
        term_id, _, label = onset.partition(" ")
        return {
            "code": C.concept(ONSET_COMPONENTS, "AGE_ONSET_CODED", "Coded age of onset"),
            "valueCodeableConcept": C.concept(HPO, term_id, label or None),
        }
    m = _AGE.match(onset)
    if m:
        code, unit = _AGE_UNITS[m.group(2)]
        return {
            "code": C.concept(ONSET_COMPONENTS, "AGE_ONSET", "Age of onset"),
            "valueQuantity": {
                "value": int(m.group(1)),
                "unit": unit,
                "system": UCUM,
                "code": code,
            },
        }
    return None


def phenotype_observation(
    ctx: Ctx, term_id: str, label: str, excluded: bool, onset: str = "", note: str = ""
) -> dict[str, Any]:
    """The phenotype Observation of one observed (Present) or excluded (Absent) term."""
    rid = R.resource_id(ctx.sample, "rare-phenotype", term_id)
    obs = _base(ctx, rid, PROFILE_PHENOTYPE, C.concept(HPO, term_id, label or None))
    answer = ABSENT if excluded else PRESENT
    obs["valueCodeableConcept"] = C.concept(C.LOINC, answer[0], answer[1])
    component = _onset(onset) if onset else None
    if component:
        obs["component"] = [component]
    if note:
        obs["note"] = [{"text": note}]
    return obs


def _codes(e: Evidence, system: str) -> list[Coding]:
    return [c for c in e.codes if c.system == system]


def variant_observation(ctx: Ctx, e: Evidence) -> dict[str, Any] | None:
    """The Variant Observation of a finding's variant evidence (None if it names no
    VCF record)."""
    record = _codes(e, VARIANT_SYSTEM)
    genes = _codes(e, HGNC_SYSTEM) + _codes(e, GENE_SYMBOL_SYSTEM)
    if not record or not genes:
        return None
    chrom, pos, ref, alt = record[0].code.rsplit(":", 3)
    rid = R.resource_id(ctx.sample, "rare-variant", record[0].code)
    obs = _base(
        ctx, rid, PROFILE_VARIANT, C.concept(C.LOINC, "69548-6", "Genetic variant assessment")
    )
    obs["valueCodeableConcept"] = C.concept(C.LOINC, PRESENT[0], PRESENT[1])
    start = int(pos)
    span: dict[str, Any] = {"low": {"value": start}}
    if len(ref) > 1:
        span["high"] = {"value": start + len(ref) - 1}
    components: list[dict[str, Any]] = [
        R.gene_studied(genes[0].display or genes[0].code),
        {
            "code": C.concept(C.LOINC, "62374-4", "Human reference sequence assembly version"),
            "valueCodeableConcept": C.concept(C.LOINC, "LA26806-2", "GRCh38"),
        },
        {
            "code": C.concept(C.LOINC, "81252-9", "Discrete genetic variant"),
            "valueCodeableConcept": {"text": f"GRCh38 {chrom}:{pos}:{ref}:{alt}"},
        },
        {
            "code": C.concept(C.LOINC, "92822-6", "Genomic coord system"),
            "valueCodeableConcept": C.concept(C.LOINC, "LA30102-0", "1-based character counting"),
        },
        {"code": C.concept(C.LOINC, "81254-5", "Genomic allele start-end"), "valueRange": span},
        {"code": C.concept(C.LOINC, "69547-8", "Genomic ref allele [ID]"), "valueString": ref},
        {"code": C.concept(C.LOINC, "69551-0", "Genomic alt allele [ID]"), "valueString": alt},
    ]
    for state in _codes(e, LOINC):
        components.append(
            {
                "code": C.concept(C.LOINC, "53034-5", "Allelic state"),
                "valueCodeableConcept": C.concept(C.LOINC, state.code, state.display),
            }
        )
    for hgvs in _codes(e, HGVS):
        components.append(
            {
                "code": C.concept(C.LOINC, "48004-6", "DNA change (c.HGVS)"),
                "valueCodeableConcept": C.concept(HGVS, hgvs.code, text=hgvs.code),
            }
        )
    obs["component"] = components
    obs["note"] = [{"text": f"{e.label} (pathogenicity weight {e.value})"}]
    return obs


def _inheritance(text: Value) -> list[tuple[str, str]]:
    """``"HP:0001419 X-linked recessive inheritance; ..."`` → [(id, label), ...]."""
    out: list[tuple[str, str]] = []
    for part in str(text or "").split("; "):
        term_id, _, label = part.partition(" ")
        if term_id.startswith("HP:"):
            out.append((term_id, label))
    return out


def diagnostic_implication(
    ctx: Ctx, f: Finding, derived_from: list[dict[str, Any]]
) -> dict[str, Any]:
    """The DiagnosticImplication of one candidate finding (gene–disease pair)."""
    v = f.values
    rid = R.resource_id(ctx.sample, "rare-implication", str(v["disease_id"]), str(v["gene"] or ""))
    code = C.concept(C.TBD_CODES, "diagnostic-implication", "Diagnostic Implication")
    obs = _base(ctx, rid, PROFILE_DIAGNOSTIC_IMPLICATION, code)
    obs["derivedFrom"] = derived_from
    disease = f.codes[0]
    value = (
        C.concept(disease.system, disease.code, disease.display, text=disease.display)
        if disease.system in (OMIM, ORPHANET)
        else {"text": f"{disease.display} ({v['disease_id']})"}
    )
    components: list[dict[str, Any]] = [
        {
            "code": C.concept(C.LOINC, "81259-4", "Associated phenotype"),
            "valueCodeableConcept": value,
        }
    ]
    if v.get("gene"):
        components.append(R.gene_studied(str(v["gene"])))
    modes = [m for m in _inheritance(v.get("inheritance")) if m[0] in INHERITANCE_MODES]
    if len(modes) == 1:
        components.append(
            {
                "code": C.concept(C.TBD_CODES, "condition-inheritance", "Condition Inheritance"),
                "valueCodeableConcept": C.concept(HPO, modes[0][0], modes[0][1]),
            }
        )
    components.append(
        {
            "code": C.concept(C.TBD_CODES, C.CONCLUSION_STRING, "Conclusion Text"),
            "valueString": f.summary,
        }
    )
    obs["component"] = components
    notes = [
        f"Ranked by Tailormed ({v.get('method')} method) against {v.get('disease_set')} "
        f"diseases of HPO release {v.get('hpo_release')} (rare knowledge "
        f"{f.knowledge.get('rare')}); tied candidates share the average rank. A candidate "
        "for review by a clinical geneticist, not a diagnosis.",
    ]
    if len(modes) > 1:
        notes.append("Modes of inheritance: " + ", ".join(label for _, label in modes))
    if not v.get("variant_mode"):
        notes.append("Phenotype only: no variants were given.")
    obs["note"] = [{"text": n} for n in notes]
    return obs


def section_resources(section: Section, ctx: Ctx) -> list[dict[str, Any]]:
    """The resources of a rare-disease section (the FHIR domain provider): a phenotype
    Observation per observed or excluded term of its terms table, a Variant Observation per
    variant behind a candidate, a DiagnosticImplication per candidate finding."""
    if section.domain != "rare":
        return []
    phenotypes: dict[str, dict[str, Any]] = {}
    observed: list[str] = []
    for table in section.tables:
        if table.title != TERMS_TITLE:
            continue
        col = {name: i for i, name in enumerate(table.columns)}
        for row in table.rows:
            status, term_id = row[col["Status"]], str(row[col["HPO term"]])
            if status not in ("observed", "excluded"):
                continue  # ignored ids took no part
            phenotypes[term_id] = phenotype_observation(
                ctx,
                term_id,
                str(row[col["Label"]] or ""),
                status == "excluded",
                str(row[col["Onset"]] or ""),
                str(row[col["Note"]] or ""),
            )
            if status == "observed":
                observed.append(term_id)
    variants: dict[str, dict[str, Any]] = {}
    implications: list[dict[str, Any]] = []
    for f in section.findings:
        if not f.code.startswith("rare.differential."):
            continue
        refs: list[dict[str, Any]] = []
        for e in f.evidence:
            if e.kind != "variant":
                continue
            obs = variant_observation(ctx, e)
            if obs is None:
                continue
            variants.setdefault(obs["id"], obs)
            refs.append({"reference": R.urn(obs["id"]), "display": e.label})
        matched = [t for t in str(f.values.get("matched_terms") or "").split(";") if t]
        chosen = [t for t in matched if t in phenotypes] or observed
        refs += [{"reference": R.urn(phenotypes[t]["id"]), "display": t} for t in chosen]
        if not refs:
            continue  # nothing to derive it from (no usable term): no implication
        implications.append(diagnostic_implication(ctx, f, refs))
    return [_validated(r) for r in (*phenotypes.values(), *variants.values(), *implications)]


def fhir_resources(
    ranking: Ranking,
    *,
    top: int = 5,
    patient_ref: str | None = None,
    issued: datetime | None = None,
) -> list[dict[str, Any]]:
    """Phenotype, variant and diagnostic-implication Observations of one ranked case
    (candidates ranked ``top`` or better)."""
    case = ranking.case
    subject = {"reference": patient_ref or f"Patient/{fhir_id(case.subject_id or case.case_id)}"}
    if issued is not None and issued.tzinfo is None:
        raise ValueError("issued must carry a time zone (a FHIR instant)")
    ctx = R.Context(case.case_id, subject, issued.isoformat() if issued else None)
    return section_resources(section(ranking, top=top, findings_top=top), ctx)


def fhir_bundle(
    ranking: Ranking,
    *,
    top: int = 5,
    patient_ref: str | None = None,
    issued: datetime | None = None,
) -> dict[str, Any]:
    """The resources of :func:`fhir_resources` as a ``collection`` Bundle."""
    resources = fhir_resources(ranking, top=top, patient_ref=patient_ref, issued=issued)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": R.resource_id(ranking.case.case_id, "rare-bundle"),
        "type": "collection",
        "entry": [{"fullUrl": R.urn(r["id"]), "resource": r} for r in resources],
    }
    if issued is not None:
        bundle["timestamp"] = issued.isoformat()
    out: dict[str, Any] = json.loads(Bundle.model_validate(bundle).model_dump_json())
    return out
