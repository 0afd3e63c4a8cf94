"""Computed doses: one dispatch table from drug to its dose calculator.

Calculators are pure functions of a :class:`DoseInput` and return
:class:`~tailormed.recommend.models.DoseCalculation` records (value, the inputs used,
what was missing, method and citation). Adding a drug means adding a row here and a
calculator module; the interpretation builder never names a drug.

* warfarin: IWPC pharmacogenetic algorithm + CPIC 2017 adjustments (:mod:`.warfarin`);
* fluorouracil, capecitabine (CPIC) and tegafur (DPWG): % of the standard starting dose
  from the DPYD activity score (:mod:`.percent_doses`);
* azathioprine, mercaptopurine, thioguanine: % of the normal starting dose from TPMT and
  NUDT15 (:mod:`.percent_doses`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from tailormed.calling.models import GeneCall
from tailormed.knowledge.medicines import DoseTables
from tailormed.phenotype.models import GenePhenotype
from tailormed.recommend.models import DoseCalculation, PatientFactors


@dataclass(frozen=True, slots=True)
class DoseInput:
    """What a dose calculator may use: results per gene, clinical factors, medications.

    ``phenotypes`` are the ones used for the drug's recommendations (phenoconverted where
    co-medication applies); ``medications`` holds the ingredients the medication list
    names, as the one resolver read them (``"amiodarone"`` for "Cordarone 200 mg",
    ``"rifampin"`` for "rifampicin"); ``tables`` are the knowledge base's dose tables.
    """

    drug: str
    phenotypes: Mapping[str, GenePhenotype]
    calls: Mapping[str, GeneCall]
    factors: PatientFactors = field(default_factory=PatientFactors)
    medications: frozenset[str] = frozenset()
    tables: DoseTables = field(kw_only=True)


DoseRule = Callable[[DoseInput], tuple[DoseCalculation, ...]]


def _rules() -> Mapping[str, DoseRule]:
    from tailormed.recommend.percent_doses import fluoropyrimidine_dose, thiopurine_dose
    from tailormed.recommend.warfarin import warfarin_dose

    return MappingProxyType(
        {
            "warfarin": warfarin_dose,
            "fluorouracil": fluoropyrimidine_dose,
            "capecitabine": fluoropyrimidine_dose,
            "tegafur": fluoropyrimidine_dose,
            "azathioprine": thiopurine_dose,
            "mercaptopurine": thiopurine_dose,
            "thioguanine": thiopurine_dose,
        }
    )


DOSE_RULES: Mapping[str, DoseRule] = _rules()


def doses_for(data: DoseInput) -> tuple[DoseCalculation, ...]:
    """The dose calculations for ``data.drug`` (empty for drugs without a calculator)."""
    rule = DOSE_RULES.get(data.drug.lower())
    return rule(data) if rule is not None else ()
