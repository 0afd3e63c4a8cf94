"""The versioned JSON report: pydantic models, JSON Schema export and loading.

A :class:`Report` is the one document every rendering (JSON, HTML, PDF) is made from.
It is built from a :class:`~tailormed.recommend.models.Interpretation` by
:func:`tailormed.report.build.build_report`; this module only defines its shape.

Versioning: ``schema`` is ``"tailormed.report/<major>"``. Adding an optional field
keeps the major version; renaming, removing or changing the meaning of a field bumps it.
Models forbid unknown fields, so a document from a newer major version fails loudly
instead of being half-read. The exported JSON Schema ships beside this module
(``report.schema.json``) and a test keeps it in step with the models.

>>> from datetime import datetime, timezone
>>> r = Report(sample="S1", generated_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
...            provenance=Provenance(tailormed_version="0.1.0", kb_version="kb-1"))
>>> Report.model_validate_json(r.model_dump_json(by_alias=True)) == r
True
>>> r.model_dump(by_alias=True)["schema"]
'tailormed.report/3'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from tailormed.atomic import write_atomic
from tailormed.errors import InputError
from tailormed.findings import FindingModel, SectionModel

REPORT_SCHEMA: Final = "tailormed.report/3"
SCHEMA_URI = "https://tailormed.org/schema/report/3.json"

DrugStatus = Literal["actionable", "no change", "no result", "no guideline"]
GeneSource = Literal["VCF", "outside", "research"]
Presence = Literal["positive", "negative", "undetermined"]
Action = Literal["alternative drug", "dose change", "other change"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# ----------------------------------------------------------------------------- provenance
class KnowledgeSource(_Model):
    """One compiled source of the knowledge base, as its manifest records it."""

    name: str
    description: str
    version: str
    date: str | None = None
    commit: str | None = None
    licence: str | None = None


class Provenance(_Model):
    """What produced the report: software and knowledge-base versions."""

    tailormed_version: str
    kb_version: str
    kb_built_at: str | None = Field(default=None, description="When the KB bundle was compiled.")
    kb_sources: list[KnowledgeSource] = Field(
        default_factory=list,
        description="The KB manifest's sources; empty when the manifest of this KB "
        "version was not available to the report writer.",
    )
    interpretation_schema: str = "tailormed.interpretation/1"


# ----------------------------------------------------------------------------- genes
class Variant(_Model):
    """The sample's genotype at one allele-defining position (GRCh38, 1-based)."""

    position: int
    rsid: str | None = None
    ref: str
    genotype: str = Field(description='As read: "G/A" unphased, "G|A" phased, "./." missing.')
    phased: bool
    source: str = Field(description='"vcf", "missing-to-ref", "gvcf-block" or "absent".')


class PhenoconversionNote(_Model):
    """Co-medication that changed (or could change) the genotype-predicted phenotype."""

    inhibitors: list[str] = Field(description="Drugs on the medication list inhibiting the gene.")
    strength: str = Field(description='"strong", "moderate" or "weak".')
    adjusted: bool = Field(description="Whether the phenotype used for advice was changed.")
    genotype_phenotype: str = Field(description="The phenotype from genotype alone.")
    genotype_activity_score: str | None = None
    method: str
    text: str = Field(description="One plain sentence for readers.")


class AllelePresence(_Model):
    """HLA: whether the patient carries one allele a guideline keys on."""

    allele: str = Field(description='The allele, e.g. "*57:01".')
    status: Presence = Field(
        description='"positive" (carried), "negative" (not carried) or "undetermined" '
        "(the typing cannot tell)."
    )


class GeneResult(_Model):
    """One gene: the call, its phenotype and the evidence behind it."""

    gene: str
    source: GeneSource = Field(
        description='"VCF" (called here), "outside" (supplied by another lab/tool) or '
        '"research" (called from VCF in a research mode, e.g. CYP2D6 without copy number).'
    )
    diplotype: str | None = Field(description="The diplotype shown; null for a no-call.")
    alternatives: list[str] = Field(
        default_factory=list, description="Other diplotypes tied with the one shown."
    )
    phenotype: str | None = Field(
        default=None, description='CPIC phenotype, "Indeterminate", "No Result" or "n/a".'
    )
    activity_score: str | None = None
    lookup_keys: list[str] = Field(
        default_factory=list, description="Keys matched against guideline recommendations."
    )
    dpwg_phenotype: str | None = Field(
        default=None, description="Set only where DPWG's map answers differently from CPIC."
    )
    reason: str | None = Field(
        default=None, description="Why the phenotype is Indeterminate/No Result."
    )
    phased: bool
    missing_positions: list[int] = Field(default_factory=list)
    uncertain_alleles: list[str] = Field(
        default_factory=list, description="Alleles a missing position could hide."
    )
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    supporting_variants: dict[str, list[Variant]] = Field(
        default_factory=dict,
        description="Called allele -> the variants that define it in this sample "
        "(empty for reference alleles).",
    )
    genotypes: list[Variant] = Field(
        default_factory=list,
        description="Every non-reference or missing defining position as read.",
    )
    phenoconversion: PhenoconversionNote | None = None
    allele_presence: list[AllelePresence] = Field(
        default_factory=list,
        description="HLA genes: one entry per allele a guideline keys on; empty otherwise.",
    )


# ----------------------------------------------------------------------------- drugs
class Guideline(_Model):
    id: str
    name: str
    url: str | None = None


class Recommendation(_Model):
    """One CPIC or DPWG recommendation selected by the patient's results."""

    source: str = Field(description='"CPIC" or "DPWG".')
    recommendation_id: str
    guideline: Guideline
    genes: list[str]
    lookup_key: dict[str, str] = Field(description="Gene -> key that selected the advice.")
    phenotypes: dict[str, str] = Field(description="Gene -> the patient's phenotype.")
    classification: str | None = Field(
        default=None, description="CPIC strength (Strong/Moderate/Optional) or DPWG term."
    )
    population: str | None = None
    text: str
    implications: list[str] = Field(default_factory=list)
    actionable: bool
    alternate_drug: bool = False
    dosing_information: bool = False
    phenoconverted: bool = False
    phenoconversion_note: str | None = Field(
        default=None,
        description="Set when the advice was selected with a phenoconverted phenotype.",
    )


class Dose(_Model):
    """A dose computed from the genotype, with every input so it can be checked."""

    kind: str = Field(description='"mg_per_week", "percent_of_standard" or "mg_per_day".')
    value: float | None = Field(description="Null when inputs were missing.")
    text: str
    method: str
    source: str = Field(description="Citation of the equation or guideline table.")
    inputs: dict[str, str] = Field(default_factory=dict)
    missing_inputs: list[str] = Field(default_factory=list)

    @property
    def standard(self) -> bool:
        """100 % of the standard dose. A dose in mg (warfarin) is computed for this
        patient, and a dose that could not be computed is not known to be standard."""
        return self.kind == "percent_of_standard" and self.value == 100


class DrugResult(_Model):
    """Everything the report says about one drug."""

    drug: str
    rxnorm: str | None = None
    genes: list[str] = Field(default_factory=list)
    status: DrugStatus
    reason: str
    on_medication_list: bool = Field(
        default=False,
        description="A recognised line of the patient's medication list names this drug "
        "(by name, brand, combination product or RxNorm code).",
    )
    recommendations: list[Recommendation] = Field(default_factory=list)
    doses: list[Dose] = Field(default_factory=list)
    actions: list[Action] = Field(
        default_factory=list,
        description="For an actionable drug, what its actionable advice asks for, from the "
        'guidelines\' own flags: "alternative drug", "dose change", or "other change" '
        "(monitoring, caution) when neither flag is set. Empty for other statuses.",
    )

    @property
    def individual_dose(self) -> bool:
        """A computed dose other than the standard one (or one that could not be computed)."""
        return any(not d.standard for d in self.doses)

    @property
    def sources(self) -> list[str]:
        """The guideline sources behind this drug's recommendations, in first-seen order."""
        return list(dict.fromkeys(r.source for r in self.recommendations))


# ----------------------------------------------------------------------------- report
class MedicationEntry(_Model):
    """One line of the medication list and what the one resolver read in it."""

    line: str = Field(description="The line as given.")
    status: Literal["recognised", "not recognised"]
    ingredients: list[str] = Field(
        default_factory=list,
        description="Active ingredients the line names (several for a combination product).",
    )
    rxnorm: list[str] = Field(
        default_factory=list, description="RxNorm ingredient codes of those ingredients."
    )
    suggestions: list[str] = Field(
        default_factory=list,
        description="For a line not recognised: the closest known names, best first.",
    )
    note: str | None = Field(
        default=None,
        description="Why a line was not recognised (unknown name, ambiguous brand, "
        "unknown RxNorm code), or how a recognised one was read.",
    )


class PatientFactors(_Model):
    """Clinical inputs given with the request (used by dose calculations)."""

    age_years: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    race: str | None = None
    african_ancestry: bool | None = None
    enzyme_inducer: bool = False
    amiodarone: bool = False


class Summary(_Model):
    """Counts and lists a reader needs first."""

    actionable_drugs: list[str] = Field(default_factory=list)
    genes_tested: list[str] = Field(default_factory=list)
    genes_not_tested: list[str] = Field(
        default_factory=list,
        description="Genes the knowledge base or a reported drug uses that this sample has "
        "no result for.",
    )
    genes_without_result: list[str] = Field(
        default_factory=list, description="Tested genes with no call or an Indeterminate result."
    )
    genes_with_missing_data: list[str] = Field(
        default_factory=list, description="Genes with allele-defining positions missing."
    )


class Report(_Model):
    """One person's report (schema ``tailormed.report/3``): the pharmacogenomic results
    and, in ``sections``, every clinical domain's part (``/3`` added ``findings`` and
    ``sections``)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={"$id": SCHEMA_URI},
        title="Tailormed pharmacogenomic report",
    )

    schema_id: Literal["tailormed.report/3"] = Field(default=REPORT_SCHEMA, alias="schema")
    sample: str
    generated_at: AwareDatetime
    provenance: Provenance
    summary: Summary = Field(default_factory=Summary)
    genes: list[GeneResult] = Field(default_factory=list)
    drugs: list[DrugResult] = Field(
        default_factory=list,
        description="Actionable first, then no change, no result, no guideline; within a "
        "status, drugs on the medication list first; actionable drugs then most severe "
        "first (an alternative drug, then a dose change, then other changes; then the "
        "strongest CPIC classification); then by name.",
    )
    medications: list[MedicationEntry] = Field(
        default_factory=list,
        description="The medication list as given, one entry a line, with what each line "
        "was read as; lines not recognised are listed with suggestions.",
    )
    patient_factors: PatientFactors = Field(default_factory=PatientFactors)
    limitations: list[str] = Field(
        default_factory=list, description="Plain sentences every rendering must show."
    )
    findings: list[FindingModel] = Field(
        default_factory=list,
        description="Every finding of every section, most severe first (critical, high, "
        "moderate, low, info; stable within a severity). The pharmacogenomic results above "
        "are not repeated here.",
    )
    sections: list[SectionModel] = Field(
        default_factory=list,
        description="One entry per clinical domain's part of the report (cardiovascular, "
        "oncology, rare disease, digital health): its findings, tables, SVG figures, "
        "limitations and knowledge versions, in the order the domains produced them.",
    )

    def gene(self, symbol: str) -> GeneResult | None:
        return next((g for g in self.genes if g.gene == symbol), None)

    def drug(self, name: str) -> DrugResult | None:
        return next((d for d in self.drugs if d.drug.lower() == name.lower()), None)

    def to_json(self) -> str:
        """The report as JSON text (keys as in the schema, ``schema`` first)."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def report_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :class:`Report`."""
    schema = Report.model_json_schema(by_alias=True, mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def write_schema(path: Path) -> Path:
    """Write the report's JSON Schema to ``path`` (atomically) and return the path."""
    text = json.dumps(report_json_schema(), indent=2, sort_keys=True) + "\n"
    return write_atomic(Path(path), text.encode("utf-8"))


def load_report(path: Path) -> Report:
    """Read and validate a ``report.json``; an unreadable or invalid file is an InputError."""
    try:
        return Report.model_validate_json(Path(path).read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read report ({exc.strerror})", path=path) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "document"
        raise InputError(
            f"not a {REPORT_SCHEMA} document: {where}: {first['msg']}", path=path
        ) from None
