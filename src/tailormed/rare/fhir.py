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

Ids are stable uuid5 values of the case and the item, so a re-export updates rather than
duplicates. Every resource passes the ``fhir.resources`` R4B model before it is returned.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from tailormed.fhir import codes as C
from tailormed.fhir import resources as R
from tailormed.fhir.export import fhir_id
from tailormed.knowledge.rare import RareKnowledge
from tailormed.rare.findings import DISEASE_SYSTEMS, HPO_SYSTEM
from tailormed.rare.models import Candidate, Ranking, Term, Variant

HPO = HPO_SYSTEM
OMIM = DISEASE_SYSTEMS["OMIM"]
ORPHANET = DISEASE_SYSTEMS["ORPHA"]
HGVS = "http://varnomen.hgvs.org"
UCUM = "http://unitsofmeasure.org"
PHENOMICS = "http://hl7.org/fhir/uv/phenomics-exchange"
PROFILE_PHENOTYPE = f"{PHENOMICS}/StructureDefinition/phenotype"
ONSET_COMPONENTS = f"{PHENOMICS}/CodeSystem/temporary-phenotype-component"
PROFILE_VARIANT = f"{C.IG}/StructureDefinition/variant"
PROFILE_DIAGNOSTIC_IMPLICATION = f"{C.IG}/StructureDefinition/diagnostic-implication"

PRESENT = ("LA9633-4", "Present")
ABSENT = ("LA9634-2", "Absent")
ZYGOSITY = {
    "heterozygous": ("LA6706-1", "Heterozygous"),
    "homozygous": ("LA6705-3", "Homozygous"),
    "hemizygous": ("LA6707-9", "Hemizygous"),
}
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


def _base(ctx: R.Context, rid: str, profile: str, code: dict[str, Any]) -> dict[str, Any]:
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


def phenotype_observation(ctx: R.Context, term: Term, excluded: bool) -> dict[str, Any]:
    """The phenotype Observation of one observed (Present) or excluded (Absent) term."""
    rid = R.resource_id(ctx.sample, "rare-phenotype", term.term_id)
    obs = _base(ctx, rid, PROFILE_PHENOTYPE, C.concept(HPO, term.term_id, term.label))
    answer = ABSENT if excluded else PRESENT
    obs["valueCodeableConcept"] = C.concept(C.LOINC, answer[0], answer[1])
    onset = _onset(term.onset) if term.onset else None
    if onset:
        obs["component"] = [onset]
    if term.note:
        obs["note"] = [{"text": term.note}]
    return obs


def variant_observation(ctx: R.Context, v: Variant) -> dict[str, Any]:
    """The Variant Observation of one variant behind a candidate gene."""
    rid = R.resource_id(ctx.sample, "rare-variant", v.label)
    obs = _base(
        ctx, rid, PROFILE_VARIANT, C.concept(C.LOINC, "69548-6", "Genetic variant assessment")
    )
    obs["valueCodeableConcept"] = C.concept(C.LOINC, PRESENT[0], PRESENT[1])
    components: list[dict[str, Any]] = [
        R.gene_studied(v.gene),
        {
            "code": C.concept(C.LOINC, "62374-4", "Human reference sequence assembly version"),
            "valueCodeableConcept": C.concept(C.LOINC, "LA26806-2", "GRCh38"),
        },
        {
            "code": C.concept(C.LOINC, "81252-9", "Discrete genetic variant"),
            "valueCodeableConcept": {"text": f"GRCh38 {v.label}"},
        },
        {
            "code": C.concept(C.LOINC, "92822-6", "Genomic coord system"),
            "valueCodeableConcept": C.concept(C.LOINC, "LA30102-0", "1-based character counting"),
        },
        {
            "code": C.concept(C.LOINC, "81254-5", "Genomic allele start-end"),
            "valueRange": {"low": {"value": v.pos}}
            | ({"high": {"value": v.pos + len(v.ref) - 1}} if len(v.ref) > 1 else {}),
        },
        {"code": C.concept(C.LOINC, "69547-8", "Genomic ref allele [ID]"), "valueString": v.ref},
        {"code": C.concept(C.LOINC, "69551-0", "Genomic alt allele [ID]"), "valueString": v.alt},
    ]
    state = ZYGOSITY.get(v.zygosity)
    if state:
        components.append(
            {
                "code": C.concept(C.LOINC, "53034-5", "Allelic state"),
                "valueCodeableConcept": C.concept(C.LOINC, state[0], state[1]),
            }
        )
    if v.hgvs:
        components.append(
            {
                "code": C.concept(C.LOINC, "48004-6", "DNA change (c.HGVS)"),
                "valueCodeableConcept": C.concept(HGVS, v.hgvs, text=v.hgvs),
            }
        )
    obs["component"] = components
    notes = [f"Consequence: {v.consequence} (pathogenicity weight {v.pathogenicity:.2f})"]
    if v.allele_frequency is not None:
        notes.append(f"Population allele frequency (gnomAD, as annotated): {v.allele_frequency:g}")
    if v.clinvar:
        notes.append(f"ClinVar (as annotated): {v.clinvar}")
    obs["note"] = [{"text": n} for n in notes]
    return obs


def diagnostic_implication(
    ctx: R.Context,
    ranking: Ranking,
    c: Candidate,
    derived_from: list[dict[str, Any]],
    inheritance: list[tuple[str, str]],
) -> dict[str, Any]:
    """The DiagnosticImplication of one candidate gene–disease pair."""
    rid = R.resource_id(ctx.sample, "rare-implication", c.disease_id, c.gene)
    code = C.concept(C.TBD_CODES, "diagnostic-implication", "Diagnostic Implication")
    obs = _base(ctx, rid, PROFILE_DIAGNOSTIC_IMPLICATION, code)
    obs["derivedFrom"] = derived_from
    components: list[dict[str, Any]] = [
        {
            "code": C.concept(C.LOINC, "81259-4", "Associated phenotype"),
            "valueCodeableConcept": disease_coding(c.disease_id, c.disease_name),
        }
    ]
    if c.gene:
        components.append(R.gene_studied(c.gene))
    if len(inheritance) == 1:
        term_id, label = inheritance[0]
        components.append(
            {
                "code": C.concept(C.TBD_CODES, "condition-inheritance", "Condition Inheritance"),
                "valueCodeableConcept": C.concept(HPO, term_id, label),
            }
        )
    gene = c.gene or "no gene known"
    summary = (
        f"Differential diagnosis candidate, rank {c.rank:g}: {c.disease_name} "
        f"({c.disease_id}), {gene}; {len(c.matched_terms)} of {len(ranking.case.observed)} "
        f"observed HPO terms explained; score {c.score:.2f}."
    )
    if c.genotype is not None:
        summary += f" Variants: {c.genotype.summary}."
    components.append(
        {
            "code": C.concept(C.TBD_CODES, C.CONCLUSION_STRING, "Conclusion Text"),
            "valueString": summary,
        }
    )
    obs["component"] = components
    notes = [
        f"Ranked by Tailormed ({ranking.method} method) against {ranking.disease_set} "
        f"diseases of HPO release {ranking.hpo_release} (rare knowledge "
        f"{ranking.knowledge_version}); tied candidates share the average rank. A candidate "
        "for review by a clinical geneticist, not a diagnosis.",
    ]
    if len(inheritance) > 1:
        notes.append("Modes of inheritance: " + ", ".join(label for _, label in inheritance))
    if ranking.variant_source is None:
        notes.append("Phenotype only: no variants were given.")
    obs["note"] = [{"text": n} for n in notes]
    return obs


def fhir_resources(
    ranking: Ranking,
    *,
    top: int = 5,
    patient_ref: str | None = None,
    issued: datetime | None = None,
    kb: RareKnowledge | None = None,
) -> list[dict[str, Any]]:
    """Phenotype, variant and diagnostic-implication Observations of one ranked case."""
    kb = kb or RareKnowledge.load()
    case = ranking.case
    key = case.case_id
    subject = {"reference": patient_ref or f"Patient/{fhir_id(case.subject_id or key)}"}
    if issued is not None and issued.tzinfo is None:
        raise ValueError("issued must carry a time zone (a FHIR instant)")
    ctx = R.Context(key, subject, issued.isoformat() if issued else None)
    phenotypes: dict[str, dict[str, Any]] = {}
    for excluded, terms in ((False, case.observed), (True, case.excluded)):
        for t in terms:
            phenotypes[t.term_id] = phenotype_observation(ctx, t, excluded)
    observed_refs = [R.urn(phenotypes[t.term_id]["id"]) for t in case.observed]
    variants: dict[str, dict[str, Any]] = {}
    implications: list[dict[str, Any]] = []
    for c in ranking.candidates:
        if c.rank > top:
            break
        refs: list[dict[str, Any]] = []
        for v in c.genotype.variants if c.genotype is not None else ():
            if v.label not in variants:
                variants[v.label] = variant_observation(ctx, v)
            refs.append({"reference": R.urn(variants[v.label]["id"]), "display": v.label})
        matched = [
            {"reference": R.urn(phenotypes[t]["id"]), "display": t}
            for t in c.matched_terms
            if t in phenotypes
        ]
        refs += matched or [{"reference": r} for r in observed_refs]
        if not refs:
            continue  # nothing to derive it from (no usable term): no implication
        d = kb.disease_index(c.disease_id)
        modes = [kb.ontology.term_id(t) for t in kb.inheritance.get(d, ())] if d >= 0 else []
        inheritance = [
            (m, kb.ontology.label(kb.ontology.index(m))) for m in modes if m in INHERITANCE_MODES
        ]
        implications.append(diagnostic_implication(ctx, ranking, c, refs, inheritance))
    resources = [*phenotypes.values(), *variants.values(), *implications]
    return [_validated(r) for r in resources]


def fhir_bundle(
    ranking: Ranking,
    *,
    top: int = 5,
    patient_ref: str | None = None,
    issued: datetime | None = None,
    kb: RareKnowledge | None = None,
) -> dict[str, Any]:
    """The resources of :func:`fhir_resources` as a ``collection`` Bundle."""
    resources = fhir_resources(ranking, top=top, patient_ref=patient_ref, issued=issued, kb=kb)
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
