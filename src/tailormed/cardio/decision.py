"""The statin decision: the 2026 ACC/AHA dyslipidemia pathway joined with the CPIC statin guideline.

:func:`decide` is pure. It takes the patient's factors, the PREVENT result, the FH result,
the recommendation stage's statin reports (CPIC 2022 SLCO1B1/ABCG2/CYP2C9, read from the PGx
knowledge base by :mod:`tailormed.recommend`, never re-typed) and any polygenic scores, and
returns one answer: the pathway (secondary prevention, FH, severe hypercholesterolaemia, or
the PREVENT-ASCVD category), the statin intensity, and which statins and doses reach that
intensity within the CPIC advice for this genotype. Every threshold used carries the
verification status recorded in the cardio bundle; one that could not be verified is shown
as such and not applied. A polygenic score is information beside the algorithm, never in it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tailormed.cardio.fh import FhResult
from tailormed.cardio.risk import PreventEstimate, RiskResult
from tailormed.factors import PatientFactors
from tailormed.knowledge.cardio import CardioKnowledge
from tailormed.recommend.models import DrugReport

MODEL_PRIORITY = ("full", "uacr", "hba1c", "sdi", "base")
DOSE_CAP = re.compile(r"(?:≤|<=)\s*(\d+(?:\.\d+)?)\s*mg")


@dataclass(frozen=True, slots=True)
class StatinOption:
    """One statin at the required intensity, as the CPIC advice for this genotype allows."""

    drug: str
    cpic_status: str  # the recommendation stage's status (no change, actionable, no result ...)
    cpic_text: str | None
    cpic_strength: str | None
    cpic_id: str | None
    dose_cap_mg: float | None  # CPIC's starting-dose limit for this genotype
    alternative_advised: bool  # CPIC advises another statin first
    doses_mg: tuple[float, ...]  # the intensity's doses within that limit
    fits: bool

    @property
    def dose_text(self) -> str:
        if not self.doses_mg:
            return ""
        lo, hi = min(self.doses_mg), max(self.doses_mg)
        return f"{lo:g} mg" if lo == hi else f"{lo:g}–{hi:g} mg"


@dataclass(frozen=True, slots=True)
class PolygenicInfo:
    pgs_id: str
    trait: str | None
    sum: float
    percentile: float | None
    z: float | None
    population: str | None
    variants_matched: int
    variants_total: int
    caveats: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StatinDecision:
    sample: str
    pathway: str
    category: str | None
    ascvd_10y: float | None
    prevent_model: str | None
    intensity: str | None  # "high" | "moderate" | None
    statin_indicated: bool | None  # None: the guideline's advice could not be verified
    goals: tuple[str, ...]
    risk_enhancers: tuple[str, ...]
    options: tuple[StatinOption, ...]
    answer: str
    verification: tuple[str, ...]
    prs: tuple[PolygenicInfo, ...]
    limitations: tuple[str, ...]
    citations: Mapping[str, str]
    knowledge: Mapping[str, str]

    @property
    def fitting(self) -> tuple[StatinOption, ...]:
        return tuple(o for o in self.options if o.fits)


def category_of(percent: float, kn: CardioKnowledge) -> str:
    for c in kn.section("guideline_2026")["categories"]:
        if c["below"] is None or percent < c["below"]:
            return str(c["name"])
    raise AssertionError("categories end with an open bound")


def _ascvd(risk: RiskResult | None) -> PreventEstimate | None:
    if risk is None:
        return None
    for model in MODEL_PRIORITY:
        e = risk.estimate(model, 10)
        if e is not None:
            return e
    return None


def _status(item: Mapping[str, Any]) -> str:
    sources = ", ".join(item.get("sources", ()))
    return f"{item['status']}" + (f" ({sources})" if sources else "")


def _goal_lines(item: Mapping[str, Any], label: str) -> list[str]:
    goals = item.get("goals")
    if not goals:
        return [f"{label}: LDL-C / non-HDL-C goals could not be verified"]
    if goals["status"] == "conflicting":
        parts = [
            f"{src}: LDL-C < {v['ldl_mg_dl']} mg/dL"
            + (f", non-HDL-C < {v['non_hdl_mg_dl']} mg/dL" if "non_hdl_mg_dl" in v else "")
            for src, v in goals.items()
            if src != "status"
        ]
        return [
            f"{label}: the summaries of the guideline disagree on the goals ({'; '.join(parts)}); "
            "none is applied — check the guideline text"
        ]
    text = (
        f"{label}: LDL-C < {goals['ldl_mg_dl']} mg/dL, non-HDL-C < {goals['non_hdl_mg_dl']} mg/dL"
    )
    if "very_high_risk_ldl_mg_dl" in goals:
        text += (
            f" (very high risk: LDL-C < {goals['very_high_risk_ldl_mg_dl']}, non-HDL-C < "
            f"{goals['very_high_risk_non_hdl_mg_dl']} mg/dL)"
        )
    return [f"{text} [{goals['status']}]"]


def statin_options(
    intensity: str, reports: Mapping[str, DrugReport], kn: CardioKnowledge
) -> tuple[StatinOption, ...]:
    """Each statin that can reach ``intensity``, with the doses CPIC allows for the genotype."""
    table = kn.section("statin_intensity")[intensity]
    order = {d: i for i, d in enumerate(kn.section("cpic_statin")["drugs"])}
    out = []
    for drug, doses in sorted(table.items(), key=lambda kv: order.get(kv[0], len(order))):
        report = reports.get(drug)
        cpic = None
        if report is not None:
            cpic = next((r for r in report.recommendations if r.source == "CPIC"), None)
        text = cpic.text.strip() if cpic else None
        cap = None
        alternative = False
        if text:
            first = text.split("\n")[0]
            match = DOSE_CAP.search(first)
            cap = float(match.group(1)) if match else None
            alternative = first.lower().startswith("prescribe an alternative statin")
        allowed = tuple(float(d) for d in doses if cap is None or d <= cap)
        status = report.status if report else "no result"
        fits = (
            cpic is not None
            and status in ("no change", "actionable")
            and not alternative
            and bool(allowed)
        )
        out.append(
            StatinOption(
                drug=drug,
                cpic_status=status,
                cpic_text=text,
                cpic_strength=cpic.classification if cpic else None,
                cpic_id=cpic.recommendation_id if cpic else None,
                dose_cap_mg=cap,
                alternative_advised=alternative,
                doses_mg=allowed if not alternative else (),
                fits=fits,
            )
        )
    return tuple(out)


def polygenic_info(
    pgs_id: str,
    trait: str | None,
    total: float,
    percentile: float | None,
    z: float | None,
    population: str | None,
    matched: int,
    variants_total: int,
) -> PolygenicInfo:
    caveats = [
        "Polygenic scores are not part of the 2026 ACC/AHA risk algorithm: shown for "
        "information only; they do not change the category or the statin advice above.",
        f"{matched} of {variants_total} scoring-file variants were used.",
    ]
    if percentile is None:
        caveats.append(
            "No percentile: no reference panel of the patient's ancestry group was available "
            "(no group is ever assumed)."
        )
    else:
        caveats.append(
            f"Percentile relative to the {population} samples of the reference panel; most "
            "scores were derived in European-ancestry studies and predict less well in others."
        )
    return PolygenicInfo(
        pgs_id, trait, total, percentile, z, population, matched, variants_total, tuple(caveats)
    )


def decide(
    sample: str,
    factors: PatientFactors,
    risk: RiskResult | None,
    fh: FhResult | None,
    statins: Mapping[str, DrugReport] | None,
    prs: Sequence[PolygenicInfo] = (),
    *,
    kn: CardioKnowledge | None = None,
    pgx_version: str | None = None,
) -> StatinDecision:
    """One statin answer for one patient (see the module text)."""
    kn = kn or CardioKnowledge.load()
    g = kn.section("guideline_2026")
    verification: list[str] = [f"guideline thresholds: {g['verification']}"]
    limitations: list[str] = []
    goals: list[str] = []
    enhancers: list[str] = []
    estimate = _ascvd(risk)
    ascvd = estimate.ascvd if estimate else None
    category = category_of(ascvd, kn) if ascvd is not None else None
    ldl = factors.ldl_cholesterol_mg_dl
    severe = g["severe_hypercholesterolaemia_ldl_mg_dl"]
    hefh = g["heterozygous_fh"]
    intensity: str | None = None
    indicated: bool | None
    if factors.clinical_ascvd:
        pathway = "secondary prevention (established ASCVD)"
        item = g["secondary_prevention"]
        intensity, indicated = item["statin"], True
        verification.append(f"secondary prevention, high-intensity statin: {_status(item)}")
        goals += _goal_lines(item, "secondary prevention")
        limitations.append("PREVENT estimates apply to people without ASCVD; not used here")
    elif fh is not None and (fh.monogenic or fh.dlcn.category in ("definite", "probable")):
        basis = "genetic" if fh.monogenic else f"clinical (DLCN {fh.dlcn.category})"
        pathway = f"heterozygous familial hypercholesterolaemia ({basis})"
        intensity, indicated = "high", True
        verification.append(f"statin at diagnosis of heterozygous FH: {_status(hefh)}")
        verification.append(
            "statin intensity for FH: not verified from the 2026 text (the 2018 guideline: "
            "maximally tolerated statin); high-intensity options are shown"
        )
    elif ldl is not None and ldl >= severe["value"]:
        pathway = f"severe hypercholesterolaemia (LDL-C ≥ {severe['value']} mg/dL)"
        intensity, indicated = "high", True
        verification.append(f"LDL-C ≥ {severe['value']} mg/dL: {_status(severe)}; {severe['note']}")
    elif category is not None:
        pathway = "primary prevention (PREVENT-ASCVD 10-year risk)"
        item = g["treatment"][category]
        verification.append(f"risk categories: {_status(g['categories_status'])}")
        verification.append(f"{category} risk treatment: {_status(item)}")
        intensity = item.get("statin")
        indicated = True if intensity else None
        if intensity is None:
            goals.append(f"{category} risk: {item['note']}")
        else:
            goals += _goal_lines(item, f"{category} risk")
        if ldl is not None and ldl < 70:
            limitations.append(
                "the risk-based algorithm is for LDL-C 70–189 mg/dL; LDL-C "
                f"{ldl:g} mg/dL is below it"
            )
    else:
        pathway = "not assessable"
        indicated = None
        limitations.append(
            "no PREVENT estimate (factors missing or age outside 30–79) and no FH, severe "
            "hypercholesterolaemia or established ASCVD: the guideline pathway cannot be chosen"
        )
    for e in g["risk_enhancers"]:
        if e["name"] == "lpa" and factors.lpa_nmol_l is not None:
            if factors.lpa_nmol_l >= e["threshold"]:
                enhancers.append(
                    f"Lp(a) {factors.lpa_nmol_l:g} nmol/L ≥ {e['threshold']} nmol/L: "
                    f"risk-enhancing factor [{e['status']}]"
                )
        elif e["name"] == "lpa":
            limitations.append(f"Lp(a) not given: {g['lpa_measure_once']['note']}")
    options: tuple[StatinOption, ...] = ()
    if intensity and statins is not None:
        options = statin_options(intensity, statins, kn)
    elif intensity:
        limitations.append(
            "no SLCO1B1/ABCG2/CYP2C9 results: the CPIC genotype-guided statin choice was not made"
        )
    answer = _answer(pathway, category, ascvd, estimate, intensity, indicated, options, enhancers)
    citations = {
        "guideline": g["citation"],
        "cpic": kn.section("cpic_statin")["citation"],
        "prevent": "Khan SS et al. Circulation 2024;149:430-449",
        "statin_intensity": kn.section("statin_intensity")["_source"],
    }
    knowledge = {"cardio": kn.version}
    if pgx_version:
        knowledge["pgx"] = pgx_version
    return StatinDecision(
        sample=sample,
        pathway=pathway,
        category=category,
        ascvd_10y=ascvd,
        prevent_model=estimate.model if estimate else None,
        intensity=intensity,
        statin_indicated=indicated,
        goals=tuple(goals),
        risk_enhancers=tuple(enhancers),
        options=options,
        answer=answer,
        verification=tuple(verification),
        prs=tuple(prs),
        limitations=tuple(limitations),
        citations=citations,
        knowledge=knowledge,
    )


def _answer(
    pathway: str,
    category: str | None,
    ascvd: float | None,
    estimate: PreventEstimate | None,
    intensity: str | None,
    indicated: bool | None,
    options: Sequence[StatinOption],
    enhancers: Sequence[str],
) -> str:
    if category is not None and ascvd is not None and estimate is not None:
        why = (
            f"{category.capitalize()} 10-year ASCVD risk (PREVENT {estimate.model} model "
            f"{ascvd:.1f} %)"
        )
        if not pathway.startswith("primary"):
            why = f"{pathway[0].upper()}{pathway[1:]}; {why.lower()}"
    else:
        why = f"{pathway[0].upper()}{pathway[1:]}"
    if indicated is None and intensity is None:
        tail = "; the statin advice for this category could not be verified from the guideline"
        if enhancers:
            tail += " (a risk-enhancing factor is present)"
        return why + tail + "."
    fitting = [o for o in options if o.fits]
    start = f"{why}: a {intensity}-intensity statin (2026 ACC/AHA)"
    if not options:
        return start + "."
    if all(o.cpic_status == "no result" for o in options):
        usual = _either([f"{o.drug} {o.dose_text}" for o in options])
        return (
            start + f" ({usual}); the genotypes CPIC needs were not called, so no "
            "genotype-guided choice could be made."
        )
    if not fitting:
        return (
            start + "; no statin reaches this intensity within the CPIC advice for this "
            "genotype — consider combination therapy (see the CPIC recommendations)."
        )
    names = _either([f"{o.drug} {o.dose_text}" for o in fitting])
    return start + f": {names} fit this genotype (CPIC 2022)."


def _either(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
