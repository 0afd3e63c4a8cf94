"""Result types of the recommendation stage: per sample, per drug, per guideline source.

A :class:`DrugReport` says, for one drug, whether the patient's results make a guideline
recommendation actionable, and carries every matched CPIC and DPWG recommendation with
its strength/classification, text, implications and guideline link, plus any computed
dose. An :class:`Interpretation` is everything a report or a CDS card needs for one
sample. All types are frozen dataclasses with ``to_json`` / ``from_json``.

Status vocabulary (``DrugReport.status``):

* ``"actionable"``: a matched recommendation changes the drug or dose (avoid, use an
  alternative, adjust the dose, or consider / monitor more closely);
* ``"no change"``: recommendations matched, and they say to prescribe as usual;
* ``"no result"``: a gene the guideline needs was not tested or not called, or its
  phenotype is indeterminate, so no recommendation can be selected (``reason`` says which);
* ``"no guideline"``: no CPIC or DPWG guideline covers the drug.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tailormed.calling.models import GeneCall
from tailormed.medications import ResolvedMedication
from tailormed.phenotype.models import GenePhenotype

SCHEMA = "tailormed.interpretation/1"

Status = Literal["actionable", "no change", "no result", "no guideline"]


@dataclass(frozen=True, slots=True)
class DoseCalculation:
    """A dose computed from the genotype (warfarin mg/week, % of standard dose, ...).

    ``value`` is ``None`` when the inputs needed are missing; ``missing_inputs`` lists
    them. ``inputs`` records every value used, ``method`` and ``source`` the equation
    and its citation, so a clinician can check the arithmetic.

    Optional (added by the recommendation stage; absent in older files):
    ``value_range`` is ``(low, high)`` when the guideline gives a range (thiopurine
    30–80 %, warfarin after a CPIC percentage adjustment); ``value`` is then the upper
    bound for percentages and the midpoint for mg/week, as ``text`` says. ``avoid`` is
    ``True`` when the guideline's first advice is not to use the drug (``value`` is then the
    dose to use only if it must be given, or ``None``). ``notes`` are caveats the
    guideline attaches (e.g. "consider an alternative agent").
    """

    drug: str
    kind: Literal["mg_per_week", "percent_of_standard", "mg_per_day"]
    value: float | None
    text: str
    method: str
    source: str
    inputs: dict[str, str] = field(default_factory=dict)
    missing_inputs: tuple[str, ...] = ()
    value_range: tuple[float, float] | None = None
    avoid: bool = False
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "kind": self.kind,
            "value": self.value,
            "text": self.text,
            "method": self.method,
            "source": self.source,
            "inputs": dict(self.inputs),
            "missing_inputs": list(self.missing_inputs),
            "value_range": list(self.value_range) if self.value_range is not None else None,
            "avoid": self.avoid,
            "notes": list(self.notes),
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> DoseCalculation:
        rng = d.get("value_range")
        return DoseCalculation(
            drug=d["drug"],
            kind=d["kind"],
            value=d.get("value"),
            text=d["text"],
            method=d["method"],
            source=d["source"],
            inputs=dict(d.get("inputs") or {}),
            missing_inputs=tuple(d.get("missing_inputs") or ()),
            value_range=(float(rng[0]), float(rng[1])) if rng else None,
            avoid=bool(d.get("avoid")),
            notes=tuple(d.get("notes") or ()),
        )


@dataclass(frozen=True, slots=True)
class MatchedRecommendation:
    """One guideline recommendation selected by the patient's lookup keys."""

    drug: str
    source: str  # "CPIC" | "DPWG"
    recommendation_id: str
    guideline_id: str
    guideline_name: str
    guideline_url: str | None
    genes: tuple[str, ...]
    lookup_key: dict[str, str]  # gene -> the key that selected it (allele-count maps as text)
    phenotypes: dict[str, str]  # gene -> the patient's phenotype shown to the reader
    classification: str | None  # CPIC strength (Strong/Moderate/Optional) or DPWG term
    population: str | None
    text: str
    implications: tuple[str, ...]
    actionable: bool
    alternate_drug: bool = False
    dosing_information: bool = False
    phenoconverted: bool = False  # selected with a phenotype adjusted for an inhibitor

    def to_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "source": self.source,
            "recommendation_id": self.recommendation_id,
            "guideline_id": self.guideline_id,
            "guideline_name": self.guideline_name,
            "guideline_url": self.guideline_url,
            "genes": list(self.genes),
            "lookup_key": dict(self.lookup_key),
            "phenotypes": dict(self.phenotypes),
            "classification": self.classification,
            "population": self.population,
            "text": self.text,
            "implications": list(self.implications),
            "actionable": self.actionable,
            "alternate_drug": self.alternate_drug,
            "dosing_information": self.dosing_information,
            "phenoconverted": self.phenoconverted,
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> MatchedRecommendation:
        return MatchedRecommendation(
            drug=d["drug"],
            source=d["source"],
            recommendation_id=d["recommendation_id"],
            guideline_id=d["guideline_id"],
            guideline_name=d["guideline_name"],
            guideline_url=d.get("guideline_url"),
            genes=tuple(d["genes"]),
            lookup_key=dict(d["lookup_key"]),
            phenotypes=dict(d["phenotypes"]),
            classification=d.get("classification"),
            population=d.get("population"),
            text=d["text"],
            implications=tuple(d.get("implications") or ()),
            actionable=bool(d["actionable"]),
            alternate_drug=bool(d.get("alternate_drug")),
            dosing_information=bool(d.get("dosing_information")),
            phenoconverted=bool(d.get("phenoconverted")),
        )


@dataclass(frozen=True, slots=True)
class DrugReport:
    """Everything the results say about one drug for one patient.

    ``genotype_recommendations`` (optional) is set only when co-medication changed the
    selection: the recommendations the genotype alone would select, shown beside the
    phenoconverted ones in ``recommendations``.
    """

    drug: str
    rxnorm: str | None
    genes: tuple[str, ...]  # genes any guideline for this drug uses
    status: Status
    reason: str  # one plain sentence: why this status
    recommendations: tuple[MatchedRecommendation, ...] = ()
    doses: tuple[DoseCalculation, ...] = ()
    genotype_recommendations: tuple[MatchedRecommendation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "drug": self.drug,
            "rxnorm": self.rxnorm,
            "genes": list(self.genes),
            "status": self.status,
            "reason": self.reason,
            "recommendations": [r.to_json() for r in self.recommendations],
            "doses": [d.to_json() for d in self.doses],
            "genotype_recommendations": [r.to_json() for r in self.genotype_recommendations],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> DrugReport:
        return DrugReport(
            drug=d["drug"],
            rxnorm=d.get("rxnorm"),
            genes=tuple(d["genes"]),
            status=d["status"],
            reason=d["reason"],
            recommendations=tuple(MatchedRecommendation.from_json(r) for r in d["recommendations"]),
            doses=tuple(DoseCalculation.from_json(x) for x in d.get("doses") or ()),
            genotype_recommendations=tuple(
                MatchedRecommendation.from_json(r) for r in d.get("genotype_recommendations") or ()
            ),
        )


@dataclass(frozen=True, slots=True)
class PatientFactors:
    """Clinical inputs some calculations need (warfarin: IWPC algorithm)."""

    age_years: float | None = None
    height_cm: float | None = None
    weight_kg: float | None = None
    race: str | None = (
        None  # IWPC categories: "Asian", "Black or African American", "White", "Other/Mixed"
    )
    african_ancestry: bool | None = None  # CPIC 2017 rs12777823 adjustment applies
    enzyme_inducer: bool = False  # carbamazepine, phenytoin, rifampin/rifampicin
    amiodarone: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "age_years": self.age_years,
            "height_cm": self.height_cm,
            "weight_kg": self.weight_kg,
            "race": self.race,
            "african_ancestry": self.african_ancestry,
            "enzyme_inducer": self.enzyme_inducer,
            "amiodarone": self.amiodarone,
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> PatientFactors:
        return PatientFactors(**d)


@dataclass(frozen=True, slots=True)
class Interpretation:
    """One sample's full result: calls, phenotypes, drug reports and limitations.

    This is what reports, FHIR export and CDS cards are built from. ``limitations`` are
    plain sentences every report must show (genes not tested, missing positions, CYP2D6
    structural variants not assessed from VCF, knowledge-base gaps). ``medications`` are
    the lines as given; ``resolved_medications`` what the one resolver
    (:func:`tailormed.medications.resolve_medication`) read in each, in the same order.
    """

    sample: str
    kb_version: str
    calls: tuple[GeneCall, ...]
    phenotypes: tuple[GenePhenotype, ...]
    drugs: tuple[DrugReport, ...]
    medications: tuple[str, ...] = ()
    factors: PatientFactors = field(default_factory=PatientFactors)
    limitations: tuple[str, ...] = ()
    resolved_medications: tuple[ResolvedMedication, ...] = ()

    def on_medication_list(self, drug: str) -> bool:
        """Whether a recognised medication line names ``drug`` (alone or in a combination)."""
        return any(m.names(drug) for m in self.resolved_medications)

    def call(self, gene: str) -> GeneCall | None:
        return next((c for c in self.calls if c.gene == gene), None)

    def phenotype(self, gene: str) -> GenePhenotype | None:
        return next((p for p in self.phenotypes if p.gene == gene), None)

    def drug(self, name: str) -> DrugReport | None:
        return next((d for d in self.drugs if d.drug.lower() == name.lower()), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "sample": self.sample,
            "kb_version": self.kb_version,
            "calls": [c.to_json() for c in self.calls],
            "phenotypes": [p.to_json() for p in self.phenotypes],
            "drugs": [d.to_json() for d in self.drugs],
            "medications": list(self.medications),
            "factors": self.factors.to_json(),
            "limitations": list(self.limitations),
            "resolved_medications": [m.to_json() for m in self.resolved_medications],
        }

    @staticmethod
    def from_json(d: dict[str, Any]) -> Interpretation:
        sample = d["sample"]
        return Interpretation(
            sample=sample,
            kb_version=d["kb_version"],
            calls=tuple(GeneCall.from_json(sample, c) for c in d["calls"]),
            phenotypes=tuple(GenePhenotype.from_json(p) for p in d["phenotypes"]),
            drugs=tuple(DrugReport.from_json(x) for x in d["drugs"]),
            medications=tuple(d.get("medications") or ()),
            factors=PatientFactors.from_json(d.get("factors") or {}),
            limitations=tuple(d.get("limitations") or ()),
            resolved_medications=tuple(
                ResolvedMedication.from_json(m) for m in d.get("resolved_medications") or ()
            ),
        )
