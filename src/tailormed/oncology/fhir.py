"""Oncology results as FHIR R4 resources (HL7 Genomics Reporting IG 3.0.0), validated with R4B.

Codes were read from the IG's FSH sources at tag ``3.0.0`` (``HL7/genomics-reporting``:
``input/fsh/CGFindings.fsh``, ``CGImplications.fsh``, ``CGValueSets.fsh`` and the
oncology example bundles):

- **Variant** (``.../StructureDefinition/variant``), LOINC 69548-6 "Genetic variant
  assessment", value LL1971-2 ``LA9633-4`` Present / ``LA9634-2`` Absent (a ctDNA
  variant tested and not detected above the assay LoD; the LoD is in a note).
  Components: gene studied 48018-6 (HGNC id where known, else the symbol as text),
  genomic source class 48002-0 = ``LA6684-0`` Somatic, c.HGVS 48004-6 and p.HGVS
  48005-3 (system ``http://varnomen.hgvs.org``), transcript 51958-7, sample VAF
  81258-6 (UCUM ``1``), allelic read depth 82121-5 (alt reads, when known), ref/alt
  allele 69547-8 / 69551-0, exact start 81254-5 with coordinate system 92822-6 =
  ``LA30102-0`` 1-based character counting. The consequence, the AMP tier and the input
  record are notes (the 3.0.0 Variant profile has no consequence slot). Displays are the
  ones the IG examples use.
- **TherapeuticImplication** (``tbd-codes-cs#therapeutic-implication``): component
  therapeutic-implication = ``LA9661-5`` Presumed responsive / ``LA9660-7`` Presumed
  resistant (a prediction from evidence, not an observed response); medication assessed
  51963-7 (text: RxNorm codes of cancer drugs are not in the knowledge base); phenotypic
  treatment context 81259-4 (the OncoTree type); evidence level 93044-6 and clinical
  significance 53037-8 as text (AMP/ASCO/CAP level and tier); derivedFrom → the Variant
  or biomarker Observations; CIViC citations as ``workflow-relatedArtifact``; the
  patient's germline PGx for the drug as a note.
- **TMB** LOINC 94076-7 (valueQuantity UCUM ``1/1000000``) and **MSI** 81695-9
  (``LA26203-2`` MSI-H, ``LA14122-8`` Stable; other statuses as text).
- **ctDNA**: per draw, one Variant Observation per tested variant (effective = draw
  date) and one draw Observation (Tailormed code ``ctdna-draw``: mean/max VAF, counts,
  fold from baseline) whose ``hasMember`` lists them.

Tier III variants (unknown significance) are sent only when asked (``include_vus``): an
exome holds thousands, and an EHR inbox flooded with them hides the ones that matter; the
GenomicReport says how many were left out. Cell-therapy eligibility checks are not sent
as implications (they are not
recommendations); the report's DiagnosticReport conclusion names them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from tailormed.fhir import codes as C
from tailormed.fhir import resources as R
from tailormed.findings import Finding, Section
from tailormed.oncology.findings import CIVIC_URL
from tailormed.oncology.models import (
    Biomarker,
    CtdnaEvent,
    DrawSummary,
    PatientCtdna,
    Response,
    SomaticCall,
    TherapyOption,
    TumorReport,
    VariantReport,
    VariantState,
)
from tailormed.oncology.pgx import pgx_dose, pgx_text

PROFILE_VARIANT = f"{C.IG}/StructureDefinition/variant"
HGVS = "http://varnomen.hgvs.org"
UCUM = "http://unitsofmeasure.org"
ONCOTREE = "http://oncotree.mskcc.org"
ENSEMBL = "http://www.ensembl.org"
REFSEQ = "http://www.ncbi.nlm.nih.gov/refseq"
TAILORMED_CODES = "https://tailormed.org/fhir/CodeSystem/oncology"

VARIANT_CODE = ("69548-6", "Genetic variant assessment")
PRESENT = ("LA9633-4", "Present")
ABSENT = ("LA9634-2", "Absent")
SOMATIC = ("LA6684-0", "Somatic")
GENOMIC_SOURCE_CLASS = ("48002-0", "Genomic source class")
CODING_HGVS = ("48004-6", "DNA change (c.HGVS)")
PROTEIN_HGVS = ("48005-3", "Amino acid change (pHGVS)")
TRANSCRIPT = ("51958-7", "Transcript reference sequence [ID]")
SAMPLE_VAF = ("81258-6", "Sample VAF")
READ_DEPTH = ("82121-5", "Allelic read depth")
REF_ALLELE = ("69547-8", "Genomic ref allele [ID]")
ALT_ALLELE = ("69551-0", "Genomic alt allele [ID]")
EXACT_START_END = ("81254-5", "Genomic allele start-end")
COORDINATE_SYSTEM = ("92822-6", "Genomic coord system")
ONE_BASED = ("LA30102-0", "1-based character counting")
PRESUMED_RESPONSIVE = ("LA9661-5", "Presumed responsive")
PRESUMED_RESISTANT = ("LA9660-7", "Presumed resistant")
TREATMENT_CONTEXT = ("81259-4", "Associated phenotype")
CLINICAL_SIGNIFICANCE = ("53037-8", "Genetic variation clinical significance [Imp]")
TMB_CODE = ("94076-7", "Mutations/Megabase [# Ratio] in Tumor")
MSI_CODE = ("81695-9", "Microsatellite instability [Interpretation] in Cancer specimen Qualitative")
MSI_ANSWERS = {"MSI-H": ("LA26203-2", "MSI-H"), "MSS": ("LA14122-8", "Stable")}

_MODELS: dict[str, Any] = {"Observation": Observation, "DiagnosticReport": DiagnosticReport}


def _valid(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` after a round through its R4B model (only valid FHIR leaves here)."""
    try:
        parsed = _MODELS[resource["resourceType"]].model_validate(resource)
    except ValidationError as err:  # a bug in the builders, not user input
        raise ValueError(f"invalid {resource['resourceType']} {resource.get('id')}: {err}") from err
    out: dict[str, Any] = json.loads(parsed.model_dump_json())
    return out


def _loinc(pair: tuple[str, str], text: str | None = None) -> dict[str, Any]:
    return C.concept(C.LOINC, pair[0], pair[1], text=text)


def _component(code: tuple[str, str], **value: Any) -> dict[str, Any]:
    return {"code": _loinc(code), **value}


def _text(text: str) -> dict[str, Any]:
    return {"text": text}


def subject_of(sample: str, patient_ref: str | None = None) -> dict[str, Any]:
    from tailormed.fhir.export import fhir_id

    return {
        "reference": patient_ref or f"Patient/{fhir_id(sample)}",
        "identifier": {"system": C.SAMPLE_ID_SYSTEM, "value": sample},
        "display": sample,
    }


def _observation(
    ctx: R.Context, rid: str, code: dict[str, Any], profile: str | None = None
) -> dict[str, Any]:
    obs: dict[str, Any] = {"resourceType": "Observation", "id": rid}
    if profile:
        obs["meta"] = {"profile": [profile]}
    obs |= {"status": "final", "category": C.GENOMIC_CATEGORIES, "code": code}
    obs["subject"] = ctx.subject
    if ctx.issued:
        obs["issued"] = ctx.issued
    return obs


def _transcript(tx: str) -> dict[str, Any]:
    system = ENSEMBL if tx.startswith("ENST") else REFSEQ if tx.startswith("NM_") else None
    return C.concept(system, tx, tx) if system else _text(tx)


def variant_observation(
    ctx: R.Context,
    call: SomaticCall,
    *,
    rid: str,
    present: bool = True,
    effective: str | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """One Variant Observation (a tumour call or a ctDNA measurement)."""
    obs = _observation(ctx, rid, _loinc(VARIANT_CODE), PROFILE_VARIANT)
    if effective:
        obs["effectiveDateTime"] = effective
    obs["valueCodeableConcept"] = _loinc(PRESENT if present else ABSENT)
    components: list[dict[str, Any]] = [
        R.gene_studied(call.gene.split("::")[0]),
        _component(GENOMIC_SOURCE_CLASS, valueCodeableConcept=_loinc(SOMATIC)),
    ]
    if call.hgvs_c:
        text = f"{call.transcript}:{call.hgvs_c}" if call.transcript else call.hgvs_c
        components.append(_component(CODING_HGVS, valueCodeableConcept=C.concept(HGVS, text, text)))
    if call.hgvs_p:
        components.append(
            _component(
                PROTEIN_HGVS,
                valueCodeableConcept=C.concept(HGVS, call.hgvs_p, call.hgvs_p, text=call.label),
            )
        )
    if call.transcript:
        components.append(_component(TRANSCRIPT, valueCodeableConcept=_transcript(call.transcript)))
    if present and call.vaf is not None:
        components.append(
            _component(
                SAMPLE_VAF,
                valueQuantity={"value": round(call.vaf, 6), "system": UCUM, "code": "1"},
            )
        )
    if present and call.alt_reads is not None:
        components.append(
            _component(READ_DEPTH, valueQuantity={"value": call.alt_reads, "unit": "reads"})
        )
    if call.pos and call.ref and call.alt:
        components += [
            _component(REF_ALLELE, valueString=call.ref),
            _component(ALT_ALLELE, valueString=call.alt),
            _component(EXACT_START_END, valueRange={"low": {"value": call.pos}}),
            _component(COORDINATE_SYSTEM, valueCodeableConcept=_loinc(ONE_BASED)),
        ]
    obs["component"] = components
    all_notes = list(notes)
    if call.consequence:
        all_notes.append(f"Consequence: {call.consequence}.")
    if call.depth is not None:
        all_notes.append(f"Total depth {call.depth}.")
    if call.chrom and call.pos:
        all_notes.append(
            f"Input position {call.chrom}:{call.pos} {call.ref}>{call.alt} ({call.record})."
        )
    if all_notes:
        obs["note"] = [{"text": n} for n in all_notes]
    return obs


def _tumour_variant(ctx: R.Context, report: TumorReport, v: VariantReport) -> dict[str, Any]:
    c = v.call
    notes = [
        f"AMP/ASCO/CAP tier {v.tier}"
        + (f", level {v.amp_level}" if v.amp_level else "")
        + f" in {report.tumour_name} ({report.tumour_type}): {v.tier_basis}."
    ]
    rid = R.resource_id(ctx.sample, "oncology-variant", c.gene, c.hgvs_p or c.label, str(c.pos))
    return variant_observation(ctx, c, rid=rid, notes=notes)


def _biomarker(ctx: R.Context, b: Biomarker) -> dict[str, Any] | None:
    rid = R.resource_id(ctx.sample, "oncology-biomarker", b.name)
    if b.name == "TMB" and b.numeric is not None:
        obs = _observation(ctx, rid, _loinc(TMB_CODE))
        obs["valueQuantity"] = {
            "value": round(b.numeric, 3),
            "unit": "mutations/megabase",
            "system": UCUM,
            "code": "1/1000000",
        }
        obs["interpretation"] = [_text(b.status)]
        obs["note"] = [{"text": b.source}]
        return obs
    if b.name == "MSI" and b.status != "not assessed":
        obs = _observation(ctx, rid, _loinc(MSI_CODE))
        answer = MSI_ANSWERS.get(b.status)
        obs["valueCodeableConcept"] = (
            C.concept(C.LOINC, answer[0], answer[1], text=b.status) if answer else _text(b.status)
        )
        obs["note"] = [{"text": b.source}]
        return obs
    return None


def _implication(
    ctx: R.Context,
    report: TumorReport,
    t: TherapyOption,
    refs: dict[str, str],
    pgx: tuple[str, str | None] | None = None,
) -> dict[str, Any]:
    rid = R.resource_id(ctx.sample, "oncology-implication", t.drug, t.response)
    code = C.concept(C.TBD_CODES, C.THERAPEUTIC_IMPLICATION, "Therapeutic Implication")
    obs = _observation(ctx, rid, code, C.PROFILE_THERAPEUTIC_IMPLICATION)
    artifacts = [
        {
            "url": C.EXT_RELATED_ARTIFACT,
            "valueRelatedArtifact": {
                "type": "citation",
                "display": f"CIViC {report.civic_release} {eid}",
                "url": CIVIC_URL + eid[3:],
            },
        }
        for eid in t.evidence[:10]
        if eid.startswith("EID")
    ]
    if artifacts:
        obs["extension"] = artifacts
    derived = [
        {"reference": refs[label], "display": label} for label in t.variants if label in refs
    ]
    if derived:
        obs["derivedFrom"] = derived
    answer = PRESUMED_RESPONSIVE if t.response == "sensitive" else PRESUMED_RESISTANT
    components: list[dict[str, Any]] = [
        {
            "code": C.concept(C.TBD_CODES, C.THERAPEUTIC_IMPLICATION, "Therapeutic Implication"),
            "valueCodeableConcept": _loinc(answer),
        }
    ]
    components += [
        _component(
            (C.MEDICATION_ASSESSED_CODE, "Medication assessed"), valueCodeableConcept=_text(p)
        )
        for p in t.drug.split(" + ")
    ]
    components.append(
        _component(
            TREATMENT_CONTEXT,
            valueCodeableConcept=C.concept(
                ONCOTREE, report.tumour_type, report.tumour_name, text=report.tumour_name
            ),
        )
    )
    components.append(
        _component(
            (C.EVIDENCE_LEVEL_CODE, "Level of evidence"),
            valueCodeableConcept=_text(f"AMP/ASCO/CAP level {t.best_level}"),
        )
    )
    components.append(
        _component(CLINICAL_SIGNIFICANCE, valueCodeableConcept=_text(f"AMP/ASCO/CAP tier {t.tier}"))
    )
    verb = "may respond to" if t.response == "sensitive" else "is likely resistant to"
    conclusion = (
        f"The tumour ({', '.join(t.variants)}) {verb} {t.drug}; best evidence level "
        f"{t.best_level}, {'for this tumour type' if t.on_label else 'in other tumour types only'}."
    )
    components.append(
        {
            "code": C.concept(C.TBD_CODES, C.CONCLUSION_STRING, "Conclusion Text"),
            "valueString": conclusion,
        }
    )
    obs["component"] = components
    text, dose = pgx if pgx is not None else (pgx_text(t.pgx), pgx_dose(t.pgx))
    notes = [f"Germline PGx: {text}."]
    if dose:
        notes.append(f"PGx dose / advice: {dose}")
    if t.regulatory:
        notes.append(f"FDA approvals: {', '.join(t.regulatory)}.")
    notes.extend(t.conflicts)
    if not derived:
        notes.append("No variant Observation in this report supports this implication.")
    obs["note"] = [{"text": n} for n in notes]
    return obs


def sent_variants(report: TumorReport, include_vus: bool = False) -> list[VariantReport]:
    """The variants sent as Observations: tier I and II (and tier III with ``include_vus``)."""
    return [v for v in report.variants if include_vus or v.tier != "III"]


def tumor_resources(
    report: TumorReport,
    ctx: R.Context,
    *,
    include_vus: bool = False,
    validate: bool = True,
    pgx: Mapping[str, tuple[str, str | None]] | None = None,
) -> list[dict[str, Any]]:
    """Variant, biomarker and TherapeuticImplication Observations of one tumour profile.

    Tier III variants (unknown significance: thousands in an exome) are sent only with
    ``include_vus``; they stay in ``tumor.json`` and the report either way. ``validate``
    round-trips each resource through its R4B model (the bundle builder validates the
    whole Bundle once instead).
    """
    observations: list[dict[str, Any]] = []
    refs: dict[str, str] = {}
    for v in sent_variants(report, include_vus):
        obs = _tumour_variant(ctx, report, v)
        observations.append(obs)
        refs.setdefault(v.call.label, R.urn(obs["id"]))
    for b in report.biomarkers:
        found = _biomarker(ctx, b)
        if found is not None:
            observations.append(found)
            refs.setdefault(b.name, R.urn(found["id"]))
            refs.setdefault(b.status, R.urn(found["id"]))
    for t in report.therapies:
        key = f"{t.drug}|{t.response}"
        observations.append(_implication(ctx, report, t, refs, (pgx or {}).get(key)))
    return [_valid(o) for o in observations] if validate else observations


def _draw_call(gene: str, short: str | None, vaf: float | None) -> SomaticCall:
    from tailormed.knowledge.protein import long_protein

    return SomaticCall(
        gene=gene,
        hgvs_p=long_protein(short) if short else None,
        hgvs_p_short=short,
        hgvs_c=None,
        consequence="",
        transcript=None,
        chrom="",
        pos=0,
        ref="",
        alt="",
        vaf=vaf,
        depth=None,
        alt_reads=None,
        exon=None,
        intron=None,
        record="",
    )


def ctdna_resources(
    patient: PatientCtdna, ctx: R.Context, *, validate: bool = True
) -> list[dict[str, Any]]:
    """Per draw: one Variant Observation per tested variant and a draw summary."""
    out: list[dict[str, Any]] = []
    for d in patient.draws:
        members: list[dict[str, Any]] = []
        for s in d.states:
            gene, _, change = s.variant.partition(" ")
            is_protein = bool(change) and ":" not in gene
            call = _draw_call(gene if is_protein else s.variant, change or None, s.vaf)
            notes = [f"ctDNA draw {d.date}."]
            if not s.detected:
                notes.append(
                    "Tested and not detected"
                    + (f" above the assay limit of detection ({s.lod:.2%})." if s.lod else ".")
                )
            rid = R.resource_id(ctx.sample, "ctdna-variant", d.date, s.variant)
            obs = variant_observation(
                ctx, call, rid=rid, present=s.detected, effective=d.date, notes=notes
            )
            if not is_protein:  # a non-coding key: the gene field is chrom:posREF>ALT
                obs["component"][0] = {
                    "code": C.concept(C.LOINC, C.GENE_STUDIED_CODE, "Gene studied [ID]"),
                    "valueCodeableConcept": _text(s.variant),
                }
            members.append(obs)
        rid = R.resource_id(ctx.sample, "ctdna-draw", d.date)
        summary = _observation(
            ctx, rid, C.concept(TAILORMED_CODES, "ctdna-draw", "ctDNA draw summary")
        )
        summary["effectiveDateTime"] = d.date
        summary["valueQuantity"] = {"value": round(d.mean_vaf, 6), "system": UCUM, "code": "1"}
        comps: list[tuple[str, str, dict[str, Any]]] = [
            ("ctdna-variants-tested", "variants tested", {"valueInteger": d.tested}),
            ("ctdna-variants-detected", "variants detected", {"valueInteger": d.detected}),
            (
                "ctdna-max-vaf",
                "maximum VAF",
                {"valueQuantity": {"value": round(d.max_vaf, 6), "system": UCUM, "code": "1"}},
            ),
        ]
        if d.fold_from_baseline is not None:
            comps.append(
                (
                    "ctdna-fold-from-baseline",
                    "mean VAF relative to baseline",
                    {"valueQuantity": {"value": round(d.fold_from_baseline, 6)}},
                )
            )
        summary["component"] = [
            {"code": C.concept(TAILORMED_CODES, code, display), **value}
            for code, display, value in comps
        ]
        notes = [
            "Value: mean VAF over the variants tested; a variant tested and not detected counts "
            "at its limit of detection (an upper bound)."
        ]
        if d.date == patient.baseline:
            notes.append("Baseline draw.")
        if d.therapy:
            notes.append(f"Therapy at this draw: {d.therapy}.")
        notes += [
            f"{e.kind}: {e.detail} ({e.citation})" for e in patient.events if e.date == d.date
        ]
        summary["note"] = [{"text": n} for n in notes]
        summary["hasMember"] = [{"reference": R.urn(m["id"])} for m in members]
        out += [summary, *members]
    return [_valid(o) for o in out] if validate else out


def _bundle(sample: str, resources: list[dict[str, Any]], report: dict[str, Any]) -> dict[str, Any]:
    entries = [report, *resources]
    ids = [r["id"] for r in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"oncology export of {sample!r} repeats a resource id")
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": R.resource_id(sample, "oncology-bundle"),
        "type": "collection",
        "entry": [{"fullUrl": R.urn(r["id"]), "resource": r} for r in entries],
    }
    try:  # one validation of every resource, through the Bundle model
        Bundle.model_validate(bundle)
    except ValidationError as err:  # a bug in the builders, not user input
        raise ValueError(f"invalid oncology bundle for {sample!r}: {err}") from err
    return bundle  # plain JSON already: the validated model's dump would only reorder it


def _report(
    ctx: R.Context, rid: str, resources: list[dict[str, Any]], conclusion: str, notes: list[str]
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "meta": {"profile": [C.PROFILE_GENOMIC_REPORT]},
        "status": "final",
        "category": [C.concept(C.V2_0074, "GE", "Genetics")],
        "code": C.concept(C.LOINC, C.GENOMIC_REPORT_CODE, "Genetic analysis report"),
        "subject": ctx.subject,
    }
    if notes:
        report["extension"] = [
            {
                "url": C.EXT_REPORT_NOTE,
                "valueAnnotation": {
                    "extension": [
                        {
                            "url": C.EXT_ANNOTATION_CODE,
                            "valueCodeableConcept": C.concept(
                                C.ANNOTATION_TYPES, kind, kind.replace("test-", "Test ").title()
                            ),
                        }
                    ],
                    "text": text,
                },
            }
            for kind, text in [("test-methodology", notes[0])]
            + [("test-disclaimer", n) for n in notes[1:]]
        ]
    if ctx.issued:
        report["issued"] = ctx.issued
    if resources:
        report["result"] = [{"reference": R.urn(r["id"])} for r in resources]
    report["conclusion"] = conclusion
    return report


def tumor_bundle(
    report: TumorReport,
    *,
    patient_ref: str | None = None,
    issued: str | None = None,
    include_vus: bool = False,
) -> dict[str, Any]:
    """A ``collection`` Bundle: the GenomicReport and the oncology resources of the profile."""
    ctx = R.Context(report.sample, subject_of(report.sample, patient_ref), issued)
    resources = tumor_resources(report, ctx, include_vus=include_vus, validate=False)
    tiers = {t: sum(1 for v in report.variants if v.tier == t) for t in ("I", "II", "III")}
    conclusion = (
        f"Somatic profile of {report.tumour_name} ({report.tumour_type}): "
        f"{tiers['I']} tier I, {tiers['II']} tier II, {tiers['III']} tier III variant(s); "
        f"{sum(1 for t in report.therapies if t.response == 'sensitive')} therapy option(s) "
        f"with sensitivity evidence, "
        f"{sum(1 for t in report.therapies if t.response == 'resistant')} with resistance."
    )
    if report.eligibility:
        conclusion += " Eligibility checks (not recommendations): " + "; ".join(
            f"{e.drug}: {e.result}" for e in report.eligibility
        )
    notes = [
        f"AMP/ASCO/CAP 2017 tiering by Tailormed from CIViC {report.civic_release} and verified "
        f"FDA approvals; OncoTree {report.oncotree_version}; knowledge base "
        f"{report.knowledge_version}.",
        *report.limitations,
    ]
    if not include_vus and tiers["III"]:
        notes.append(
            f"{tiers['III']} tier III variant(s) of unknown significance are listed in the "
            "report and tumor.json and are not sent as Observations."
        )
    rid = R.resource_id(report.sample, "oncology-report")
    return _bundle(report.sample, resources, _report(ctx, rid, resources, conclusion, notes))


def ctdna_bundle(
    patient: PatientCtdna,
    knowledge_version: str,
    *,
    patient_ref: str | None = None,
    issued: str | None = None,
) -> dict[str, Any]:
    """A ``collection`` Bundle of one patient's ctDNA draws."""
    ctx = R.Context(patient.patient, subject_of(patient.patient, patient_ref), issued)
    resources = ctdna_resources(patient, ctx, validate=False)
    conclusion = (
        f"ctDNA monitoring: {patient.status} over {len(patient.draws)} draw(s) from baseline "
        f"{patient.baseline}."
    )
    notes = [
        f"ctDNA status rules of the Tailormed oncology knowledge base {knowledge_version}.",
        *patient.notes,
    ]
    rid = R.resource_id(patient.patient, "ctdna-report")
    return _bundle(patient.patient, resources, _report(ctx, rid, resources, conclusion, notes))


# ------------------------------------------------------------------ from a report section
# The FHIR provider of the generic layer gets the Section only (a stored report, the
# service's sections): the typed results are rebuilt from its findings' structured values
# and tables, then the same builders as above run.


def _findings(section: Section, prefix: str) -> list[Finding]:
    return [f for f in section.findings if f.code.startswith(prefix)]


def _rows(section: Section, title: str) -> list[dict[str, Any]]:
    for t in section.tables:
        if t.title == title:
            return [dict(zip(t.columns, row, strict=True)) for row in t.rows]
    return []


def _s(value: object) -> str | None:
    return None if value is None else str(value)


def _i(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _f(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def report_of_section(
    section: Section,
) -> tuple[TumorReport, dict[str, tuple[str, str | None]]]:
    """The tumour results a tumour section carries (evidence items are not; their ids are),
    and the germline PGx text of each therapy (by ``drug|response``)."""
    context = next(
        (f.values for f in section.findings if f.values.get("tumour_type") is not None), {}
    )
    tumour_type = str(context.get("tumour_type") or "")
    tumour_name = str(context.get("tumour_name") or tumour_type)
    variants: list[VariantReport] = []
    for f in _findings(section, "oncology.variant."):
        v = f.values
        call = SomaticCall(
            gene=str(v["gene"]),
            hgvs_p=_s(v.get("hgvs_p")),
            hgvs_p_short=_s(v.get("hgvs_p_short")),
            hgvs_c=_s(v.get("hgvs_c")),
            consequence=str(v.get("consequence") or ""),
            transcript=_s(v.get("transcript")),
            chrom=str(v.get("chrom") or ""),
            pos=_i(v.get("pos")) or 0,
            ref=str(v.get("ref") or ""),
            alt=str(v.get("alt") or ""),
            vaf=_f(v.get("vaf")),
            depth=_i(v.get("depth")),
            alt_reads=_i(v.get("alt_reads")),
            exon=None,
            intron=None,
            record=str(v.get("record") or ""),
        )
        tier = str(v["tier"])
        variants.append(
            VariantReport(
                call,
                "I" if tier == "I" else "II" if tier == "II" else "III",
                _s(v.get("amp_level")),
                str(v.get("tier_basis") or ""),
                (),
            )
        )
    therapies: list[TherapyOption] = []
    pgx: dict[str, tuple[str, str | None]] = {}
    for f in _findings(section, "oncology.therapy."):
        v = f.values
        response: Response = "sensitive" if v["response"] == "sensitive" else "resistant"
        therapies.append(
            TherapyOption(
                drug=str(v["drug"]),
                response=response,
                best_level=str(v["best_level"]),
                tier="I" if v["tier"] == "I" else "II",
                variants=tuple(x for x in str(v.get("variants") or "").split(" | ") if x),
                on_label=bool(v.get("on_label")),
                evidence=tuple(x for x in str(v.get("evidence") or "").split(", ") if x),
                regulatory=tuple(x for x in str(v.get("fda") or "").split(", ") if x),
                conflicts=tuple(x for x in str(v.get("conflicts") or "").split(" | ") if x),
            )
        )
        pgx[f"{v['drug']}|{response}"] = (str(v.get("pgx") or "no PGx link"), _s(v.get("pgx_dose")))
    biomarkers = tuple(
        Biomarker(
            str(f.values.get("name") or f.code.rsplit(".", 1)[-1].upper()),
            str(f.values.get("value") or ""),
            str(f.values.get("status") or ""),
            str(f.values.get("source") or ""),
            _f(f.values.get("numeric")),
        )
        for f in _findings(section, "oncology.biomarker.")
    )
    report = TumorReport(
        sample=section.subject,
        tumour_type=tumour_type,
        tumour_name=tumour_name,
        lineage=(),
        input_path="",
        input_format="",
        knowledge_version=section.knowledge.get("oncology", ""),
        civic_release=section.knowledge.get("civic", ""),
        oncotree_version=section.knowledge.get("oncotree", ""),
        pgx_version=section.knowledge.get("pgx"),
        variants=tuple(variants),
        therapies=tuple(therapies),
        biomarkers=biomarkers,
        eligibility=(),
        limitations=section.limitations,
    )
    return report, pgx


def ctdna_of_section(section: Section) -> PatientCtdna:
    """The ctDNA results a ctDNA section carries (draws, measurements, events)."""
    states: dict[str, list[VariantState]] = {}
    for m in _rows(section, "ctDNA measurements"):
        vaf, lod = _f(m["VAF %"]), _f(m["LoD %"])
        states.setdefault(str(m["date"]), []).append(
            VariantState(
                str(m["variant"]),
                m["result"] == "detected",
                None if vaf is None else vaf / 100,
                None if lod is None else lod / 100,
            )
        )
    draws = []
    baseline = None
    for d in _rows(section, "ctDNA draws"):
        day = str(d["date"])
        if d["baseline"]:
            baseline = day
        fold = _f(d["mean vs baseline"])
        draws.append(
            DrawSummary(
                date=day,
                therapy=_s(d["therapy"]),
                states=tuple(states.get(day, ())),
                mean_vaf=(_f(d["mean VAF %"]) or 0.0) / 100,
                max_vaf=(_f(d["max VAF %"]) or 0.0) / 100,
                tested=_i(d["tested"]) or 0,
                detected=_i(d["detected"]) or 0,
                fold_from_baseline=fold,
            )
        )
    events = tuple(
        CtdnaEvent(
            str(e["event"]),
            str(e["date"]),
            str(e["detail"]),
            str(e["rule source"]),
            _s(e["variant"]),
            tuple(x for x in str(e["resistance evidence"] or "").split("; ") if x),
        )
        for e in _rows(section, "ctDNA events")
    )
    status = next(
        (str(f.values["status"]) for f in _findings(section, "oncology.ctdna.status")), ""
    )
    return PatientCtdna(section.subject, baseline, status, tuple(draws), events)


def fhir_resources(section: Section, context: Any) -> list[dict[str, Any]]:
    """The FHIR provider of the oncology domain (``tailormed.fhir.domains``): Genomics
    Reporting Variant, TherapeuticImplication and biomarker Observations of a tumour
    section; per-draw Variant and summary Observations of a ctDNA section. ``context``
    has ``sample``, ``subject`` and ``issued``."""
    ctx = R.Context(context.sample, context.subject, context.issued)
    titles = {t.title for t in section.tables}
    if "ctDNA measurements" in titles:
        return ctdna_resources(ctdna_of_section(section), ctx, validate=False)
    if "Therapy options" in titles:
        report, pgx = report_of_section(section)
        return tumor_resources(report, ctx, validate=False, pgx=pgx)
    return []
