"""Warfarin: the IWPC pharmacogenetic algorithm, then the CPIC 2017 genotype adjustments.

**IWPC** (coefficients and sources in the knowledge base's dose tables,
``kb.dose_tables.iwpc_terms``)::

    sqrt(mg/week) = 5.6044 − 0.2614·age_decades + 0.0087·height_cm + 0.0128·weight_kg
                    − 0.8677·[VKORC1 A/G] − 1.6974·[A/A] − 0.4854·[VKORC1 unknown]
                    − 0.5211·[*1/*2] − 0.9357·[*1/*3] − 1.0616·[*2/*2] − 1.9206·[*2/*3]
                    − 2.3312·[*3/*3] − 0.2188·[CYP2C9 unknown]
                    − 0.1092·[Asian] − 0.2760·[Black or African American]
                    − 0.1032·[race missing or mixed] + 1.1816·[enzyme inducer]
                    − 0.5503·[amiodarone]
    mg/week = (sqrt(mg/week))²

``age_decades`` is the decade of age (``age // 10``: 65 years → 6), as in the IWPC data.
VKORC1 −1639G>A is rs9923231 C>T on the reference strand: the call's
``rs9923231 variant (T)`` alleles are the −1639 A alleles. CYP2C9 alleles other than *1,
*2, *3 are outside the algorithm: the genotype is then "unknown" (coefficient −0.2188),
except CPIC's African-ancestry alleles (*5, *6, *8, *11), which CPIC handles by a
percentage (below). An untested VKORC1 or CYP2C9 uses the algorithm's "unknown" term;
missing age, height or weight gives no value and lists what is missing.

**CPIC 2017** (Figure 2; ``kb.dose_tables.cpic_warfarin_adjustments``): without African
ancestry, CYP4F2 *3 carriers +5–10 %. With African ancestry: if CYP2C9 *5, *6, *8, *11
were not all tested, dose clinically (no value); carriers −15–30 % (homozygotes −20–40 %);
rs12777823 A carriers (a CYP2C9 extra position the caller reports at chr10:94645745)
−10–25 %. Adjustments multiply; the result is a range whose midpoint is ``value``. CPIC
also advises considering an alternative agent for CYP2C9 poor metabolizers (*2/*3,
*3/*3) or increased sensitivity combined with poor metabolism (note added).

African ancestry is ``PatientFactors.african_ancestry`` or, when that is not given, race
"Black or African American". Enzyme inducer and amiodarone status are taken from the
factors or the medication list's ingredients, as the one resolver read them
(``kb.dose_tables.enzyme_inducers``: carbamazepine, phenytoin, fosphenytoin, rifampin;
amiodarone).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tailormed.calling.models import GeneCall
from tailormed.knowledge.medicines import DoseTables, WarfarinAdjustment
from tailormed.recommend.models import DoseCalculation

if TYPE_CHECKING:
    from tailormed.recommend.dosing import DoseInput

_IWPC_CYP2C9 = frozenset({"*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"})
_RACE = {
    "asian": "Asian race",
    "black or african american": "Black or African American",
    "black": "Black or African American",
    "african american": "Black or African American",
    "white": None,
}
METHOD = "IWPC pharmacogenetic algorithm (mg/week) with CPIC 2017 genotype adjustments"


def warfarin_dose(data: DoseInput) -> tuple[DoseCalculation, ...]:
    f = data.factors
    t = data.tables
    iwpc = t.iwpc
    inputs: dict[str, str] = {}
    notes: list[str] = []
    missing = [
        name
        for name, v in (
            ("age_years", f.age_years),
            ("height_cm", f.height_cm),
            ("weight_kg", f.weight_kg),
        )
        if v is None
    ]
    african = (
        f.african_ancestry
        if f.african_ancestry is not None
        else _race_term(f.race) == ("Black or African American")
    )
    inputs["african_ancestry"] = "yes" if african else "no"
    vkorc1 = _vkorc1(data.calls.get("VKORC1"))
    cyp2c9, other = _cyp2c9(data.calls.get("CYP2C9"), african, notes, t.cpic_african_cyp2c9)
    inputs["VKORC1 -1639"] = vkorc1
    inputs["CYP2C9 (IWPC)"] = cyp2c9
    if african and other is None:
        missing.append("CYP2C9 *5, *6, *8, *11 (not all tested)")
        notes.append(
            "CPIC 2017: with African ancestry, if CYP2C9 *5, *6, *8 and *11 were not "
            "tested, dose warfarin clinically"
        )
    if missing:
        return (_none(inputs, missing, notes, t),)
    assert f.age_years is not None and f.height_cm is not None and f.weight_kg is not None
    inducer = f.enzyme_inducer or bool(data.medications & t.enzyme_inducers)
    amiodarone = f.amiodarone or bool(data.medications & t.amiodarone)
    race = _race_term(f.race)
    decades = math.floor(f.age_years / 10)
    inputs.update(
        age_years=_num(f.age_years),
        age_decades=str(decades),
        height_cm=_num(f.height_cm),
        weight_kg=_num(f.weight_kg),
        race=f.race or "missing",
        enzyme_inducer="yes" if inducer else "no",
        amiodarone="yes" if amiodarone else "no",
    )
    root = (
        iwpc("intercept")
        + iwpc("age") * decades
        + iwpc("height") * f.height_cm
        + iwpc("weight") * f.weight_kg
        + (iwpc(f"VKORC1 {vkorc1}") if vkorc1 != "G/G" else 0.0)
        + (iwpc(f"CYP2C9 {cyp2c9}") if cyp2c9 != "*1/*1" else 0.0)
        + (iwpc(race) if race is not None else 0.0)
        + (iwpc("enzyme inducer") if inducer else 0.0)
        + (iwpc("amiodarone") if amiodarone else 0.0)
    )
    weekly = root * root
    inputs["IWPC sqrt(mg/week)"] = f"{root:.4f}"
    inputs["IWPC mg/week"] = f"{weekly:.2f}"
    adjustments = _adjustments(data, african, other or (), notes)
    if cyp2c9 in ("*2/*3", "*3/*3"):
        notes.append(
            "CPIC 2017: consider an alternative agent for CYP2C9 poor metabolism "
            "(e.g. *2/*3, *3/*3), especially with VKORC1 A/G or A/A"
        )
    text = f"{weekly:.1f} mg/week ({weekly / 7:.2f} mg/day) by the IWPC pharmacogenetic algorithm"
    value, value_range = round(weekly, 2), None
    if adjustments:
        low, high = weekly, weekly
        for a in adjustments:
            low *= 1 + a.low / 100
            high *= 1 + a.high / 100
            inputs[f"CPIC adjustment: {a.name}"] = f"{a.low:+.0f}% to {a.high:+.0f}%"
        value_range = (round(low, 2), round(high, 2))
        value = round((low + high) / 2, 2)
        names = "; ".join(f"{a.name} {a.low:+.0f} to {a.high:+.0f} %" for a in adjustments)
        text += f"; CPIC 2017 ({names}): {low:.1f}-{high:.1f} mg/week"
    return (
        DoseCalculation(
            drug="warfarin",
            kind="mg_per_week",
            value=value,
            text=text + ".",
            method=METHOD,
            source=f"{t.iwpc_source}; {t.cpic_warfarin_source}",
            inputs=inputs,
            value_range=value_range,
            notes=tuple(notes),
        ),
    )


def _adjustments(
    data: DoseInput, african: bool, other: Sequence[str], notes: list[str]
) -> list[WarfarinAdjustment]:
    out: list[WarfarinAdjustment] = []
    warfarin_adjustment = data.tables.warfarin_adjustment
    if not african:
        cyp4f2 = data.calls.get("CYP4F2")
        if cyp4f2 is None or not cyp4f2.called:
            notes.append(
                "CYP4F2 not tested: the CPIC +5-10 % adjustment for *3 carriers is not applied"
            )
        elif any("*3" in d.alleles for d in cyp4f2.diplotypes[:1]):
            out.append(warfarin_adjustment("CYP4F2 *3 carrier"))
        return out
    if other:
        homozygous = len(other) == 2
        out.append(
            warfarin_adjustment(
                "CYP2C9 *5/*6/*8/*11 variant homozygote"
                if homozygous
                else "CYP2C9 *5/*6/*8/*11 carrier"
            )
        )
    a_alleles = _rs12777823_a(data.calls.get("CYP2C9"), data.tables.rs12777823_position)
    if a_alleles is None:
        notes.append("rs12777823 not genotyped: the CPIC -10-25 % adjustment could not be assessed")
    elif a_alleles > 0:
        out.append(warfarin_adjustment("rs12777823 A carrier"))
    return out


def _vkorc1(call: GeneCall | None) -> str:
    """``"G/G"``, ``"A/G"``, ``"A/A"`` (−1639) or ``"unknown"``."""
    if call is None or not call.called or len({d.alleles for d in call.diplotypes}) > 1:
        return "unknown"
    variants = sum("variant" in a for a in call.diplotypes[0].alleles)
    return ("G/G", "A/G", "A/A")[variants] if len(call.diplotypes[0].alleles) == 2 else "unknown"


def _cyp2c9(
    call: GeneCall | None, african: bool, notes: list[str], cpic_african: frozenset[str]
) -> tuple[str, tuple[str, ...] | None]:
    """The IWPC genotype term and the CPIC African-ancestry alleles carried.

    The second value is ``None`` when *5/*6/*8/*11 status is unknown (not tested, no call,
    or one of them could not be excluded).
    """
    if call is None or not call.called:
        return "unknown", None
    if set(call.uncertain_alleles) & cpic_african:
        status: tuple[str, ...] | None = None
    else:
        status = tuple(a for a in call.diplotypes[0].alleles if a in cpic_african)
    terms = {_iwpc_term(d.alleles, african, cpic_african) for d in call.diplotypes}
    if len(terms) > 1:
        notes.append(
            f"CYP2C9 tied diplotypes ({', '.join(d.text for d in call.diplotypes)}) differ"
        )
        return "unknown", status
    term = terms.pop()
    if term == "unknown":
        notes.append(f"CYP2C9 {call.diplotype} is outside the IWPC algorithm (*1, *2, *3 only)")
    return term, status


def _iwpc_term(alleles: tuple[str, ...], african: bool, cpic_african: frozenset[str]) -> str:
    mapped = []
    for a in alleles:
        if a in ("*1", "*2", "*3"):
            mapped.append(a)
        elif african and a in cpic_african:
            mapped.append("*1")  # CPIC: algorithm with *2/*3, then the percentage
        else:
            return "unknown"
    text = "/".join(sorted(mapped))
    return text if text in _IWPC_CYP2C9 else "unknown"


def _rs12777823_a(call: GeneCall | None, position: int) -> int | None:
    if call is None:
        return None
    for g in call.genotypes:
        if g.position == position:
            if any(a is None for a in g.call) or not g.call:
                return None
            return sum(a == "A" for a in g.call)
    return None


def _race_term(race: str | None) -> str | None:
    if race is None:
        return "Missing or Mixed race"
    return _RACE.get(race.strip().lower(), "Missing or Mixed race")


def _num(x: float) -> str:
    return f"{x:g}"


def _none(
    inputs: dict[str, str], missing: list[str], notes: list[str], t: DoseTables
) -> DoseCalculation:
    return DoseCalculation(
        drug="warfarin",
        kind="mg_per_week",
        value=None,
        text=f"No dose can be computed: missing {', '.join(missing)}.",
        method=METHOD,
        source=f"{t.iwpc_source}; {t.cpic_warfarin_source}",
        inputs=inputs,
        missing_inputs=tuple(missing),
        notes=tuple(notes),
    )
