"""Medication lists: one resolver from a line as written to its ingredients.

Depends only on :mod:`tailormed.knowledge`, so every stage (phenotype, recommend,
report, record, service) reads medications the same way:

* :mod:`.lines`: the text format (one a line; ``#`` at the start of a line a comment);
* :mod:`.resolve`: :func:`resolve_medication` (names, brands, combination products,
  dose text, RxNorm codes; "not recognised" with suggestions otherwise);
* :mod:`.suggest`: the closest names for a typo;
* :mod:`.models`: :class:`ResolvedMedication`, the JSON entry reports carry.
"""

from tailormed.medications.lines import clean_medications, medication_lines, read_medication_list
from tailormed.medications.models import MedicationStatus, ResolvedMedication, drug_parts
from tailormed.medications.resolve import (
    guideline_drugs,
    ingredients_of,
    record_line,
    resolve_all,
    resolve_medication,
)
from tailormed.medications.suggest import suggestions

__all__ = [
    "MedicationStatus",
    "ResolvedMedication",
    "clean_medications",
    "drug_parts",
    "guideline_drugs",
    "ingredients_of",
    "medication_lines",
    "read_medication_list",
    "record_line",
    "resolve_all",
    "resolve_medication",
    "suggestions",
]
