"""The recommendation stage: phenotypes → CPIC and DPWG recommendations for every drug.

Owns selecting guideline recommendations by lookup key (multi-gene keys included), the
status of every drug (actionable / no change / no result / no guideline), computed doses
(warfarin IWPC + CPIC 2017, fluoropyrimidines from the DPYD activity score, thiopurines
from TPMT + NUDT15), phenoconverted selection, medication review, and the per-sample
:class:`Interpretation` that reports, FHIR and CDS cards are built from.

Modules: :mod:`.interpretation` (the entry point), :mod:`.sources` (which guidelines),
:mod:`.match` (lookup keys), :mod:`.advice` (the actionable rule), :mod:`.status`,
:mod:`.dosing` with :mod:`.warfarin` and :mod:`.percent_doses` (tables in the knowledge
base), :mod:`.limitations` and :mod:`.review` (medication lists, read by the one resolver
:func:`tailormed.medications.resolve_medication`, re-exported here).
"""

from tailormed.medications import ResolvedMedication, resolve_medication
from tailormed.recommend.advice import classify, is_actionable
from tailormed.recommend.interpretation import build_interpretation
from tailormed.recommend.models import (
    DoseCalculation,
    DrugReport,
    Interpretation,
    MatchedRecommendation,
    PatientFactors,
)
from tailormed.recommend.review import MedicationReview, review_medications

__all__ = [
    "DoseCalculation",
    "DrugReport",
    "Interpretation",
    "MatchedRecommendation",
    "MedicationReview",
    "PatientFactors",
    "ResolvedMedication",
    "build_interpretation",
    "classify",
    "is_actionable",
    "resolve_medication",
    "review_medications",
]
