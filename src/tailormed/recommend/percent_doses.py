"""Fluoropyrimidine and thiopurine starting doses as a percentage of the standard dose.

* fluorouracil, capecitabine: CPIC, by DPYD activity score (2.0 → 100 %, 1.5 and 1.0 →
  50 %, 0.5 → avoid or < 25 % with early drug monitoring, 0 → avoid);
* tegafur: DPWG, by DPYD activity score (2.0 → 100 %, lower → avoid or start low);
* azathioprine, mercaptopurine, thioguanine: CPIC, by TPMT and NUDT15 phenotype, the two
  combined as CPIC's two-gene recommendations combine them.

The numbers and the guideline words they come from are the knowledge base's dose
tables (``kb.dose_tables``, compiled from ``knowledge/curated/dose_tables.json``). A
missing, uncalled or indeterminate gene gives ``value=None`` and names what is missing.

>>> from tailormed.knowledge import load_kb
>>> from tailormed.phenotype.models import GenePhenotype
>>> dpyd = GenePhenotype("DPYD", "S1", "Reference/c.1905+1G>A (*2A)", (),
...                      "Intermediate Metabolizer", "1.0", ("1.0",))
>>> from tailormed.recommend.dosing import DoseInput
>>> tables = load_kb().dose_tables
>>> (dose,) = fluoropyrimidine_dose(DoseInput("capecitabine", {"DPYD": dpyd}, {}, tables=tables))
>>> dose.value, dose.kind
(50.0, 'percent_of_standard')
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tailormed.knowledge.medicines import PercentDose
from tailormed.phenotype.models import GenePhenotype
from tailormed.recommend.match import unknown_gene
from tailormed.recommend.models import DoseCalculation

if TYPE_CHECKING:
    from tailormed.recommend.dosing import DoseInput

_CLASS = {
    "Normal Metabolizer": "normal",
    "Intermediate Metabolizer": "decreased",
    "Possible Intermediate Metabolizer": "decreased",
    "Poor Metabolizer": "poor",
}


def fluoropyrimidine_dose(data: DoseInput) -> tuple[DoseCalculation, ...]:
    drug = data.drug.lower()
    t = data.tables
    table, source, method = (
        (t.tegafur, t.tegafur_source, "DPWG: % of the standard dose by DPYD activity score")
        if drug == "tegafur"
        else (
            t.fluoropyrimidine,
            t.fluoropyrimidine_source,
            "CPIC: % of the standard starting dose by DPYD activity score",
        )
    )
    dpyd = data.phenotypes.get("DPYD")
    score = _score(dpyd)
    row = table.get(score) if score is not None else None
    if row is None:
        why = _missing("DPYD", dpyd) or f"DPYD activity score {score} is not in the table"
        return (
            DoseCalculation(
                drug=drug,
                kind="percent_of_standard",
                value=None,
                text=f"No dose can be computed: {why}.",
                method=method,
                source=source,
                inputs=_inputs({"DPYD": dpyd}),
                missing_inputs=("DPYD activity score",),
            ),
        )
    return (_calculation(drug, row, method, source, _inputs({"DPYD": dpyd})),)


def thiopurine_dose(data: DoseInput) -> tuple[DoseCalculation, ...]:
    drug = data.drug.lower()
    method = "CPIC: % of the normal starting dose by TPMT and NUDT15 phenotype"
    genes = {g: data.phenotypes.get(g) for g in ("TPMT", "NUDT15")}
    classes = {g: _CLASS.get(p.phenotype) if p is not None else None for g, p in genes.items()}
    missing = [g for g, c in classes.items() if c is None]
    if missing:
        why = "; ".join(_missing(g, genes[g]) or f"{g} has no dose row" for g in missing)
        return (
            DoseCalculation(
                drug=drug,
                kind="percent_of_standard",
                value=None,
                text=f"No dose can be computed: {why}.",
                method=method,
                source=data.tables.thiopurine_source,
                inputs=_inputs(genes),
                missing_inputs=tuple(f"{g} phenotype" for g in missing),
            ),
        )
    tpmt, nudt15 = classes["TPMT"], classes["NUDT15"]
    if tpmt == "poor":
        key = (drug, "poor", "*")
    elif nudt15 == "poor":
        key = (drug, "*", "poor")
    elif tpmt == nudt15 == "normal":
        key = (drug, "normal", "normal")
    else:
        key = (drug, "decreased", "decreased")
    row = data.tables.thiopurine[key]
    calc = _calculation(drug, row, method, data.tables.thiopurine_source, _inputs(genes))
    if tpmt != "normal" and nudt15 != "normal":
        both = (
            "TPMT and NUDT15 are both not normal: CPIC's two-gene recommendation for this "
            "combination applies"
        )
        calc = replace(calc, notes=(*calc.notes, both))
    return (calc,)


def _calculation(
    drug: str, row: PercentDose, method: str, source: str, inputs: dict[str, str]
) -> DoseCalculation:
    return DoseCalculation(
        drug=drug,
        kind="percent_of_standard",
        value=row.value,
        text=row.text[:1].upper() + row.text[1:] + f' (guideline: "{row.quote}").',
        method=method,
        source=source,
        inputs=inputs,
        value_range=row.value_range,
        avoid=row.avoid,
        notes=row.notes,
    )


def _score(p: GenePhenotype | None) -> str | None:
    if p is None or _missing(p.gene, p) is not None:
        return None
    return p.activity_score


def _missing(gene: str, p: GenePhenotype | None) -> str | None:
    u = unknown_gene(gene, p)
    return u.sentence if u is not None else None


def _inputs(genes: dict[str, GenePhenotype | None]) -> dict[str, str]:
    out: dict[str, str] = {}
    for gene, p in genes.items():
        if p is None:
            out[gene] = "not tested"
            continue
        out[gene] = f"{p.diplotype}: {p.phenotype}"
        if p.activity_score is not None:
            out[f"{gene} activity score"] = p.activity_score
    return out
