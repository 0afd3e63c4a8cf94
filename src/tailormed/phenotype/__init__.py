"""The phenotype stage: star-allele calls → function, activity score, phenotype, lookup key.

Owns everything between a :class:`~tailormed.calling.models.GeneCall` and the keys that
select guideline recommendations: per-allele function and activity value, the activity
score, the CPIC phenotype (the table's ``generesult``), the DPWG phenotype where DPWG's
map answers differently, the recommendation lookup key(s) exactly as the KB tables and
guidelines write them, the reason whenever the answer is Indeterminate or No Result,
HLA allele-presence keys, outside-call phenotypes and activity scores, and
phenoconversion by CYP2D6 / CYP2C19 inhibitors. It reads the knowledge base and the
calling stage's models; it does not choose recommendations (that is the next stage).

``"No Result"`` vs ``"Indeterminate"`` (see :mod:`.models`): an uncalled gene is
``"No Result"`` (PharmCAT's phenotyper and CPIC's guideline keys use exactly this); a
called gene whose phenotype cannot be pinned down is ``"Indeterminate"`` with the table's
own indeterminate key and a reason. Nothing is guessed: a diplotype the table lists gets
the table's row, anything else is Indeterminate.

>>> from tailormed.calling.models import Diplotype, GeneCall
>>> from tailormed.knowledge import load_kb
>>> kb = load_kb()
>>> r = interpret(GeneCall("S1", "CYP2C19", (Diplotype.of("*1", "*2"),), False), kb)
>>> r.phenotype, r.lookup_key
('Intermediate Metabolizer', 'Intermediate Metabolizer')
>>> phenoconvert(r, ["fluvoxamine 50 mg"], kb).phenotype
'Poor Metabolizer'
"""

from tailormed.phenotype.interpret import GENE_RULES, interpret, interpret_all
from tailormed.phenotype.models import (
    INDETERMINATE,
    NO_RESULT,
    NOT_AVAILABLE,
    AlleleInterpretation,
    DiplotypeOutcome,
    GenePhenotype,
    InhibitorExposure,
    Phenoconversion,
)
from tailormed.phenotype.phenoconversion import phenoconvert, phenoconvert_ingredients

__all__ = [
    "GENE_RULES",
    "INDETERMINATE",
    "NOT_AVAILABLE",
    "NO_RESULT",
    "AlleleInterpretation",
    "DiplotypeOutcome",
    "GenePhenotype",
    "InhibitorExposure",
    "Phenoconversion",
    "interpret",
    "interpret_all",
    "phenoconvert",
    "phenoconvert_ingredients",
]
