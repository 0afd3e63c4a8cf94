"""Code systems, codes and profile URLs of the HL7 Genomics Reporting IG 3.0.0 (FHIR R4).

Every code here was read from the IG's FSH sources at tag ``3.0.0``
(``HL7/genomics-reporting``: ``input/fsh/CG*.fsh`` and ``input/fsh/examples``) or from
``/work/shared/docs/standards.md`` §2 and §5; displays are the ones the IG examples use.
Phenotype answers are LOINC LA codes of the IG's GeneticTherapeuticImplicationsVS; a
phenotype without an exact answer there (``"Likely Poor Metabolizer"``,
``"Possible Decreased Function"``, G6PD ``"Deficient"``) is sent as text only, never
as the nearest code.

>>> phenotype_answer("Poor Metabolizer")
('LA9657-3', 'Poor metabolizer')
>>> phenotype_answer("Likely Poor Metabolizer") is None
True
>>> phenotype_kind("-1639 GG") is None
True
"""

from __future__ import annotations

import re
from typing import Any

IG = "http://hl7.org/fhir/uv/genomics-reporting"
PROFILE_GENOMIC_REPORT = f"{IG}/StructureDefinition/genomic-report"
PROFILE_GENOTYPE = f"{IG}/StructureDefinition/genotype"
PROFILE_THERAPEUTIC_IMPLICATION = f"{IG}/StructureDefinition/therapeutic-implication"
PROFILE_MEDICATION_RECOMMENDATION = f"{IG}/StructureDefinition/medication-recommendation"

EXT_RECOMMENDED_ACTION = f"{IG}/StructureDefinition/recommended-action"
EXT_REPORT_NOTE = f"{IG}/StructureDefinition/genomic-report-note"
EXT_ANNOTATION_CODE = f"{IG}/StructureDefinition/annotation-code"
EXT_RELATED_ARTIFACT = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"

TBD_CODES = f"{IG}/CodeSystem/tbd-codes-cs"
ANNOTATION_TYPES = f"{IG}/CodeSystem/coded-annotation-types-cs"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
DATA_ABSENT_REASON = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

# Tailormed's own identifier system for the sample id carried on every subject reference.
SAMPLE_ID_SYSTEM = "https://tailormed.org/fhir/sample-id"

GENOMIC_REPORT_CODE = "51969-4"  # "Genetic analysis report"
GENOTYPE_CODE = "84413-4"  # "Genotype display name"
GENE_STUDIED_CODE = "48018-6"  # "Gene studied [ID]"
MEDICATION_ASSESSED_CODE = "51963-7"  # "Medication assessed"
EVIDENCE_LEVEL_CODE = "93044-6"  # "Level of evidence"
THERAPEUTIC_IMPLICATION = "therapeutic-implication"  # TBD code (not LOINC)
CONCLUSION_STRING = "conclusion-string"  # TBD code


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"system": system, "code": code}
    if display:
        d["display"] = display
    return d


def concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    d: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        d["text"] = text
    return d


GENOMIC_CATEGORIES: list[dict[str, Any]] = [
    concept(OBSERVATION_CATEGORY, "laboratory", "Laboratory"),
    concept(V2_0074, "GE", "Genetics"),
]

# Phenotype text (lower case, single spaces) -> LOINC answer in GeneticTherapeuticImplicationsVS.
_ANSWERS: dict[str, tuple[str, str]] = {
    "ultrarapid metabolizer": ("LA10315-2", "Ultrarapid metabolizer"),
    "rapid metabolizer": ("LA25390-8", "Rapid metabolizer"),
    "normal metabolizer": ("LA25391-6", "Normal metabolizer"),
    "intermediate metabolizer": ("LA10317-8", "Intermediate metabolizer"),
    "poor metabolizer": ("LA9657-3", "Poor metabolizer"),
    "increased function": ("LA25392-4", "Increased function"),
    "normal function": ("LA25393-2", "Normal function"),
    "decreased function": ("LA25395-7", "Decreased function"),
    "poor function": ("LA25394-0", "Poor function"),
    # susceptibility / increased risk of an adverse reaction -> "High Risk"
    "malignant hyperthermia susceptibility": ("LA19541-4", "High Risk"),
    "increased risk of aminoglycoside-induced hearing loss": ("LA19541-4", "High Risk"),
    "ivacaftor responsive in cf patients": ("LA6677-4", "Responsive"),
}

# Enzyme-activity phenotypes named without "function" (G6PD's CPIC vocabulary).
_ACTIVITY_WORDS = {"normal", "deficient", "deficient with cnsha", "variable"}


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def phenotype_answer(phenotype: str) -> tuple[str, str] | None:
    """The LOINC answer ``(code, display)`` for a phenotype, or ``None`` (send text)."""
    return _ANSWERS.get(_norm(phenotype))


def phenotype_kind(phenotype: str) -> str | None:
    """``"metabolizer"``, ``"function"``, ``"risk"`` or ``"response"`` for a phenotype that
    describes drug handling; ``None`` for No Result / Indeterminate / n/a, genotype-like
    keys (VKORC1 ``"-1639 GG"``) and HLA allele presence (drug-specific, reported only
    through the drug's recommendations)."""
    p = _norm(phenotype)
    if p.endswith("metabolizer"):
        return "metabolizer"
    if p.endswith("function") or p in _ACTIVITY_WORDS:
        return "function"
    if "risk" in p or "susceptibility" in p:
        return "risk"
    if "responsive" in p:
        return "response"
    return None


# Task.code answers of LOINC LL4049-4 seen in the IG 3.0.0 examples.
CONSIDER_ALTERNATIVE = ("LA26421-0", "Consider alternative medication")
DECREASE_DOSE = ("LA26422-8", "Decrease dose")
INCREASE_DOSE = ("LA26423-6", "Increase dose")

_DOWN = re.compile(r"\b(reduc\w*|decreas\w*|lower)\b", re.IGNORECASE)
_UP = re.compile(r"\b(increas\w*|higher)\b", re.IGNORECASE)


def recommendation_action(
    text: str, *, alternate_drug: bool, dosing_information: bool
) -> tuple[str, str] | None:
    """The LL4049-4 answer for a recommendation, or ``None`` when none fits clearly.

    The guideline's own flags decide: an alternate-drug recommendation is "Consider
    alternative medication"; a dosing recommendation is "Decrease dose" / "Increase
    dose" only when its advice (the first line; "Other Considerations" follow) moves the
    dose in one direction. Anything else gets no code (the profile binds Task.code to
    LL4049-4, so a text-only code is not sent).

    >>> recommendation_action("Reduce starting dose by 50%\\nOther Considerations\\n"
    ...     "increased pill number", alternate_drug=False, dosing_information=True)
    ('LA26422-8', 'Decrease dose')
    """
    if alternate_drug:
        return CONSIDER_ALTERNATIVE
    if dosing_information:
        advice = text.strip().split("\n", 1)[0]
        down, up = bool(_DOWN.search(advice)), bool(_UP.search(advice))
        if down and not up:
            return DECREASE_DOSE
        if up and not down:
            return INCREASE_DOSE
    return None
