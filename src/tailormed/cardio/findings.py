"""Cardio results as shared :class:`~tailormed.findings.Finding` objects (a pure function).

One finding each for the PREVENT estimates, the PCE estimate (LOINC 79423-0), the FH
assessment, the statin decision and every polygenic score. Reports, FHIR, the record and
CDS render findings generically; everything a clinician needs to check a result — values,
evidence, sources with versions, limitations — travels in the finding.
"""

from __future__ import annotations

from collections.abc import Sequence

from tailormed.cardio.decision import PolygenicInfo, StatinDecision
from tailormed.cardio.fh import FhResult
from tailormed.cardio.risk import RiskResult
from tailormed.findings import Coding, Evidence, Finding, Source
from tailormed.findings.models import Severity, Value

LOINC = "http://loinc.org"
PCE_LOINC = Coding(LOINC, "79423-0", "10-year ASCVD risk, ACC/AHA Pooled Cohort Equations")
CATEGORY_SEVERITY: dict[str | None, Severity] = {
    "high": "high",
    "intermediate": "moderate",
    "borderline": "low",
    "low": "info",
    None: "info",
}


def _risk_findings(sample: str, risk: RiskResult) -> list[Finding]:
    from tailormed.cardio.decision import MODEL_PRIORITY

    knowledge = {"cardio": risk.knowledge_version}
    out = []
    if risk.prevent:
        values: dict[str, Value] = {}
        for e in risk.prevent:
            for outcome in ("total_cvd", "ascvd", "heart_failure", "chd", "stroke"):
                values[f"{e.model}_{e.horizon_years}y_{outcome}_percent"] = getattr(e, outcome)
        main = next(
            (
                e
                for m in MODEL_PRIORITY
                for e in risk.prevent
                if e.model == m and e.horizon_years == 10
            ),
            risk.prevent[0],
        )
        out.append(
            Finding(
                domain="cardio",
                code="cardio.prevent",
                title="Cardiovascular risk (AHA PREVENT)",
                severity="info",
                summary=(
                    f"10-year risk (PREVENT {main.model} model): ASCVD {main.ascvd:.1f} %, total "
                    f"CVD {main.total_cvd:.1f} %, heart failure {main.heart_failure:.1f} %."
                ),
                subject=sample,
                patient_summary=(
                    f"Your estimated chance of a heart attack or stroke in the next 10 years is "
                    f"about {main.ascvd:.0f} in 100."
                ),
                values=values,
                sources=(
                    Source(
                        "PREVENT",
                        risk.knowledge_version,
                        citation="Khan SS et al. Circulation 2024;149:430-449. "
                        "doi:10.1161/CIRCULATIONAHA.123.067626",
                    ),
                ),
                limitations=risk.notes,
                knowledge=knowledge,
            )
        )
    if risk.pce is not None:
        out.append(
            Finding(
                domain="cardio",
                code="cardio.pce",
                title="10-year ASCVD risk (2013 Pooled Cohort Equations)",
                severity="info",
                summary=(
                    f"PCE 10-year ASCVD risk {risk.pce.ascvd_10yr:.1f} % "
                    f"({risk.pce.equation.replace('_', ' ')} equation), for comparison with "
                    "older records; the 2026 guideline uses PREVENT."
                ),
                subject=sample,
                values={"ascvd_10yr_percent": risk.pce.ascvd_10yr, "equation": risk.pce.equation},
                codes=(PCE_LOINC,),
                sources=(
                    Source(
                        "Pooled Cohort Equations",
                        risk.knowledge_version,
                        citation="Goff DC Jr et al. Circulation 2014;129(25 Suppl 2):S49-73",
                    ),
                ),
                knowledge=knowledge,
            )
        )
    return out


def _fh_finding(fh: FhResult) -> Finding:
    dlcn = fh.dlcn
    severity: Severity = "info"
    if fh.monogenic or dlcn.category in ("definite", "probable"):
        severity = "high"
    elif dlcn.category == "possible":
        severity = "moderate"
    if fh.monogenic:
        summary = (
            f"Monogenic familial hypercholesterolaemia: {'; '.join(h.label for h in fh.carriers)}. "
            f"Dutch Lipid Clinic score {dlcn.points} ({dlcn.category})."
        )
    else:
        summary = (
            f"No listed FH variant found. Dutch Lipid Clinic score {dlcn.points} "
            f"({dlcn.category} FH)."
        )
    evidence = tuple(
        Evidence(
            "variant",
            h.label,
            "no call" if h.no_call else ("homozygous" if h.copies >= 2 else "heterozygous"),
            codes=(Coding("https://www.ncbi.nlm.nih.gov/clinvar", h.clinvar),),
        )
        for h in fh.hits
    ) + tuple(
        Evidence("score item", f"{grp}: {item}", pts, "points") for grp, item, pts in dlcn.items
    )
    return Finding(
        domain="cardio",
        code="cardio.fh",
        title="Familial hypercholesterolaemia",
        severity=severity,
        summary=summary,
        subject=fh.sample,
        recommendations=fh.advice,
        evidence=evidence,
        sources=(
            Source("ClinVar (LDLR, PCSK9) and curated APOB", fh.knowledge_version),
            Source(
                "Dutch Lipid Clinic Network",
                fh.knowledge_version,
                citation="Nordestgaard BG et al. Eur Heart J 2013;34:3478-3490, Table 1",
            ),
        ),
        limitations=fh.limitations + dlcn.notes,
        values={
            "dlcn_points": dlcn.points,
            "dlcn_category": dlcn.category,
            "monogenic": fh.monogenic,
            "ldl_mmol_l": dlcn.ldl_mmol_l,
        },
        knowledge={"cardio": fh.knowledge_version},
    )


def _decision_finding(d: StatinDecision) -> Finding:
    severity: Severity = "info"
    if d.statin_indicated and d.intensity == "high":
        severity = "high"
    elif d.statin_indicated:
        severity = "moderate"
    elif d.statin_indicated is None and d.category is not None:
        severity = CATEGORY_SEVERITY[d.category]
    recs = [d.answer, *d.risk_enhancers]
    for o in d.options:
        if o.cpic_text:
            recs.append(
                f"{o.drug} (CPIC {o.cpic_strength or 'n/a'}): {o.cpic_text.splitlines()[0]}"
            )
    recs += list(d.goals)
    sources = [
        Source(
            "2026 ACC/AHA dyslipidemia guideline",
            d.knowledge["cardio"],
            citation=d.citations["guideline"],
        ),
    ]
    for o in d.options:
        if o.cpic_id:
            sources.append(
                Source(
                    "CPIC", d.knowledge.get("pgx", ""), id=o.cpic_id, citation=d.citations["cpic"]
                )
            )
    evidence = [Evidence("risk", f"PREVENT 10-year ASCVD ({d.prevent_model})", d.ascvd_10y, "%")]
    evidence += [Evidence("risk enhancer", e) for e in d.risk_enhancers]
    values: dict[str, Value] = {
        "pathway": d.pathway,
        "category": d.category,
        "ascvd_10y_percent": d.ascvd_10y,
        "intensity": d.intensity,
        "statin_indicated": d.statin_indicated,
    }
    for o in d.options:
        values[f"{o.drug}_doses_mg"] = o.dose_text or None
        values[f"{o.drug}_fits"] = o.fits
    return Finding(
        domain="cardio",
        code="cardio.statin",
        title="Statin decision (2026 ACC/AHA with CPIC SLCO1B1/ABCG2/CYP2C9)",
        severity=severity,
        summary=d.answer,
        subject=d.sample,
        recommendations=tuple(recs),
        evidence=tuple(evidence),
        sources=tuple(sources),
        limitations=d.limitations + d.verification,
        values=values,
        knowledge=dict(d.knowledge),
    )


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``11th``, ``92nd``.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 92, 100)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '92nd', '100th']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _prs_finding(sample: str, p: PolygenicInfo, version: str) -> Finding:
    where = (
        f"{ordinal(round(p.percentile))} percentile among {p.population} reference samples "
        f"(z {p.z:.2f})"
        if p.percentile is not None and p.z is not None
        else "no ancestry-matched percentile"
    )
    return Finding(
        domain="cardio",
        code=f"cardio.prs.{p.pgs_id}",
        title=f"Polygenic score {p.pgs_id}" + (f" ({p.trait})" if p.trait else ""),
        severity="info",
        summary=f"{p.pgs_id}: {where}; information only, outside the guideline's algorithm.",
        subject=sample,
        values={
            "sum": p.sum,
            "percentile": p.percentile,
            "z": p.z,
            "reference_population": p.population,
            "variants_matched": p.variants_matched,
            "variants_total": p.variants_total,
        },
        sources=(Source("PGS Catalog", version, id=p.pgs_id),),
        limitations=p.caveats,
        knowledge={"cardio": version},
    )


def to_findings(
    sample: str,
    *,
    risk: RiskResult | None = None,
    fh: FhResult | None = None,
    decision: StatinDecision | None = None,
    prs: Sequence[PolygenicInfo] = (),
    knowledge_version: str = "",
) -> list[Finding]:
    """Every cardio result for one person as findings (most important first)."""
    out: list[Finding] = []
    if decision is not None:
        out.append(_decision_finding(decision))
    if fh is not None:
        out.append(_fh_finding(fh))
    if risk is not None:
        out += _risk_findings(sample, risk)
    version = knowledge_version or (risk.knowledge_version if risk else "")
    out += [_prs_finding(sample, p, version) for p in prs]
    return out
