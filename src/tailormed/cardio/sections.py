"""The cardiovascular report section, and the cardio adapters of the integration layer.

:func:`section` turns the typed cardio results — PREVENT and PCE estimates, the familial
hypercholesterolaemia assessment, the statin decision (2026 ACC/AHA category with the CPIC
2022 SLCO1B1/ABCG2/CYP2C9 statin choice) and any polygenic scores — into one
:class:`~tailormed.findings.Section`: the findings of :mod:`tailormed.cardio.findings`, the
tables a clinician checks them with, and a risk chart. :func:`assess` computes those
results for one person, the same way for every entry point:

* ``tailormed run --factors F [--pgs FILE ...]``: :func:`pipeline_sections` (registered in
  :mod:`tailormed.pipeline.domains`), with the run's VCF for FH variants and scores and the
  run's pharmacogenomic interpretation for the statin reports;
* the record and web UI: :func:`record_sections` (registered in
  :mod:`tailormed.service.documents`) from the ``cardio.factors`` and ``cardio.prs``
  documents and the newest stored result (no genome file: FH variants are then said to be
  not examined);
* CDS Hooks ``order-select``: :func:`statin_order_findings` (registered in
  :mod:`tailormed.service.cds_providers`) gives the statin decision finding for a statin
  order, the same sentence as the report.

A polygenic score is shown as information outside the guideline's algorithm, with its
reference population and caveats; it never changes the category or the statin advice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from tailormed.cardio.decision import (
    MODEL_PRIORITY,
    PolygenicInfo,
    StatinDecision,
    decide,
    polygenic_info,
)
from tailormed.cardio.fh import (
    FhResult,
    assess_fh,
    find_fh_variants,
    records_in_fh_regions,
)
from tailormed.cardio.findings import to_findings
from tailormed.cardio.pgx import STATINS
from tailormed.cardio.risk import RiskResult, estimate_risk
from tailormed.charts import Band, Bar, bar_chart
from tailormed.errors import InputError
from tailormed.factors import FIELDS, PGX_FIELDS, PatientFactors, factors_from_mapping
from tailormed.findings import Coding, Evidence, Figure, Finding, Section, Table
from tailormed.knowledge.cardio import CardioKnowledge
from tailormed.recommend import Interpretation, build_interpretation
from tailormed.recommend.models import DrugReport

if TYPE_CHECKING:
    from tailormed.knowledge import KnowledgeBase
    from tailormed.pipeline.domains import ClinicalInputs, Context
    from tailormed.service.cds_providers import CdsContext
    from tailormed.service.documents import SectionInputs

TITLE = "Cardiovascular risk and statin decision"
PGS_SYSTEM = "https://www.pgscatalog.org/score"
NOT_EXAMINED = (
    "No genotypes in the LDLR, APOB and PCSK9 regions were examined (no genome file, or one "
    "without records there, such as a targeted pharmacogenomic panel): FH variants were not "
    "assessed and the DNA item of the Dutch Lipid Clinic score is not counted. Run "
    "`tailormed run` on a genome or exome VCF for the genetic assessment."
)


@dataclass(frozen=True, slots=True)
class CardioResults:
    """Everything the section shows for one person."""

    sample: str
    factors: PatientFactors
    risk: RiskResult | None
    risk_problem: str | None
    fh: FhResult
    dna_examined: bool
    decision: StatinDecision
    prs: tuple[PolygenicInfo, ...]
    prs_problems: tuple[str, ...]
    knowledge_version: str


def wants_cardio(factors: PatientFactors) -> bool:
    """Whether any factor only the cardiovascular models use was given (a PGx-only factors
    file does not ask for a cardiovascular section)."""
    given = factors.given()
    return any(k in given for k in FIELDS if k not in PGX_FIELDS)


def statin_reports(
    interpretation: Interpretation | None, kb: KnowledgeBase | None
) -> dict[str, DrugReport] | None:
    """Each statin's report for the interpretation's calls (built for the statins when the
    interpretation was built for other drugs only, e.g. a CDS call)."""
    if interpretation is None:
        return None
    found = {d: r for d in STATINS if (r := interpretation.drug(d)) is not None}
    if len(found) < len(STATINS) and kb is not None and interpretation.calls:
        full = build_interpretation(
            interpretation.calls,
            kb,
            medications=interpretation.medications,
            factors=interpretation.factors,
            drugs=STATINS,
        )
        found = {d: r for d in STATINS if (r := full.drug(d)) is not None}
    return found or None


def assess(
    sample: str,
    factors: PatientFactors,
    *,
    vcfs: Sequence[Path] = (),
    interpretation: Interpretation | None = None,
    kb: KnowledgeBase | None = None,
    prs: Sequence[PolygenicInfo] = (),
    prs_problems: Sequence[str] = (),
) -> CardioResults:
    """The cardio results of one person (see the module text)."""
    kn = CardioKnowledge.load()
    risk: RiskResult | None
    problem = None
    try:
        risk = estimate_risk(factors, kn)
    except InputError as exc:  # a missing input or one outside PREVENT's published range
        risk, problem = None, exc.problem
    hits = find_fh_variants(list(vcfs), (sample,), kn).get(sample, ()) if vcfs else ()
    examined = bool(vcfs) and records_in_fh_regions(list(vcfs), kn) > 0
    fh = assess_fh(sample, hits, factors, kn)
    statins = statin_reports(interpretation, kb)
    decision = decide(
        sample,
        factors,
        risk,
        fh,
        statins,
        prs,
        kn=kn,
        pgx_version=kb.version if kb is not None else None,
    )
    return CardioResults(
        sample,
        factors,
        risk,
        problem,
        fh,
        examined,
        decision,
        tuple(prs),
        tuple(prs_problems),
        kn.version,
    )


# ------------------------------------------------------------------ the section
def _main_estimate(risk: RiskResult | None) -> Any:
    if risk is None:
        return None
    for model in MODEL_PRIORITY:
        e = risk.estimate(model, 10)
        if e is not None:
            return e
    return None


def _findings(r: CardioResults) -> list[Finding]:
    out = []
    for f in to_findings(
        r.sample,
        risk=r.risk,
        fh=r.fh,
        decision=r.decision,
        prs=r.prs,
        knowledge_version=r.knowledge_version,
    ):
        if f.code == "cardio.fh" and not r.dna_examined:
            f = dataclasses.replace(
                f,
                summary=(
                    f"FH variants not assessed (no genotypes in the FH genes). Dutch Lipid "
                    f"Clinic score {r.fh.dlcn.points} ({r.fh.dlcn.category} FH) from clinical "
                    "items only."
                ),
                limitations=(NOT_EXAMINED, *f.limitations),
            )
        elif f.code == "cardio.prevent":
            main = _main_estimate(r.risk)
            values = {f"{main.model}_10y_ascvd_percent": main.ascvd, **dict(f.values)}
            f = dataclasses.replace(f, values=values)
        elif f.code.startswith("cardio.prs."):
            f = _prs_finding(f, r)
        elif f.code == "cardio.statin":
            f = dataclasses.replace(
                f,
                patient_summary=_statin_plain(r.decision),
                # the answer is the summary; the recommendations are what follows from it
                recommendations=tuple(x for x in f.recommendations if x != f.summary),
                values={"value": _statin_value(r.decision), **dict(f.values)},
            )
        out.append(f)
    if r.risk is None:
        out.append(
            Finding(
                domain="cardio",
                code="cardio.prevent",
                title="Cardiovascular risk (AHA PREVENT)",
                severity="info",
                summary=f"No PREVENT or PCE estimate: {r.risk_problem}.",
                subject=r.sample,
                limitations=(
                    "The guideline's risk category needs a PREVENT estimate; give the missing "
                    "factor (or note that the person is outside the published age range).",
                ),
                knowledge={"cardio": r.knowledge_version},
            )
        )
    return out


def _prs_finding(f: Finding, r: CardioResults) -> Finding:
    info = next(p for p in r.prs if f.code == f"cardio.prs.{p.pgs_id}")
    evidence: tuple[Evidence, ...] = (
        Evidence(
            "score",
            f"{info.pgs_id} weighted sum ({info.variants_matched} of {info.variants_total} "
            "variants)",
            info.sum,
            codes=(Coding(PGS_SYSTEM, info.pgs_id, info.trait),),
        ),
    )
    if info.percentile is not None:
        evidence += (
            Evidence(
                "score",
                f"percentile among {info.population} reference samples",
                info.percentile,
                "percentile",
            ),
        )
    values = {"value": info.sum, **dict(f.values)}
    return dataclasses.replace(
        f,
        codes=(Coding(PGS_SYSTEM, info.pgs_id, info.trait),),
        evidence=evidence,
        values=values,
        patient_summary=None,
    )


def _statin_value(d: StatinDecision) -> str:
    """The decision in a few words (the FHIR Observation's value)."""
    if d.statin_indicated and d.intensity:
        return f"{d.intensity}-intensity statin indicated ({d.pathway})"
    if d.category:
        return f"no statin on risk alone ({d.category} risk)"
    return f"not assessable ({d.pathway})"


def _statin_plain(d: StatinDecision) -> str:
    if d.statin_indicated and d.intensity:
        fitting = [o.drug for o in d.options if o.fits]
        text = (
            f"The guideline advises a {d.intensity}-intensity cholesterol-lowering medicine "
            "(a statin)."
        )
        if fitting:
            text += (
                " Your genes were checked: "
                + ", ".join(fitting)
                + " suit your genetic results at the doses your doctor can choose from."
            )
        return text + " Your doctor will talk this through with you."
    if d.category:
        return (
            f"Your estimated risk is in the {d.category} group; the guideline does not call for "
            "a statin on risk alone. Your doctor will talk this through with you."
        )
    return "Your doctor will talk through what these results mean for you."


def _risk_table(r: CardioResults) -> Table | None:
    if r.risk is None:
        return None
    rows: list[tuple[Any, ...]] = [
        (
            f"PREVENT {e.model}",
            e.horizon_years,
            e.total_cvd,
            e.ascvd,
            e.heart_failure,
            e.chd,
            e.stroke,
        )
        for e in r.risk.prevent
    ]
    if r.risk.pce is not None:
        rows.append(
            (
                f"PCE 2013 ({r.risk.pce.equation.replace('_', ' ')})",
                10,
                None,
                r.risk.pce.ascvd_10yr,
                None,
                None,
                None,
            )
        )
    return Table(
        "Risk estimates (percent)",
        ("model", "years", "total CVD", "ASCVD", "heart failure", "CHD", "stroke"),
        tuple(rows),
        caption="PREVENT: Khan SS et al. Circulation 2024;149:430-449 (sex-specific, race-free; "
        "10-year for ages 30–79, 30-year for 30–59). PCE: Goff DC Jr et al. Circulation "
        "2014;129:S49-73, ASCVD only, for comparison with older records. A dash: not "
        "applicable.",
    )


def _statin_table(d: StatinDecision) -> Table | None:
    if not d.options:
        return None
    return Table(
        f"Statins reaching {d.intensity} intensity, within the CPIC 2022 advice for this genotype",
        ("statin", "CPIC status", "strength", "CPIC dose limit (mg)", "doses (mg)", "fits"),
        tuple(
            (
                o.drug,
                o.cpic_status,
                o.cpic_strength,
                o.dose_cap_mg,
                ", ".join(f"{x:g}" for x in o.doses_mg) or None,
                o.fits,
            )
            for o in d.options
        ),
        caption="Doses: the guideline's statin-intensity table; CPIC: Cooper-DeHoff RM et al. "
        "Clin Pharmacol Ther 2022;111:1007-1021 (SLCO1B1, ABCG2, CYP2C9).",
    )


def _dlcn_table(fh: FhResult) -> Table:
    rows: list[tuple[Any, ...]] = [(g, item, pts) for g, item, pts in fh.dlcn.items]
    rows.append(("total", fh.dlcn.category, fh.dlcn.points))
    return Table(
        "Dutch Lipid Clinic Network score",
        ("group", "item", "points"),
        tuple(rows),
        caption="Nordestgaard BG et al. Eur Heart J 2013;34:3478-3490, Table 1: >8 definite, "
        "6–8 probable, 3–5 possible, <3 unlikely."
        + (f" Not given: {', '.join(fh.dlcn.not_given)}." if fh.dlcn.not_given else ""),
    )


def _prs_table(prs: Sequence[PolygenicInfo]) -> Table | None:
    if not prs:
        return None
    return Table(
        "Polygenic scores (information only, outside the guideline's algorithm)",
        (
            "score",
            "trait",
            "weighted sum",
            "percentile",
            "z",
            "reference population",
            "variants used",
        ),
        tuple(
            (
                p.pgs_id,
                p.trait,
                p.sum,
                p.percentile,
                p.z,
                p.population,
                f"{p.variants_matched} of {p.variants_total}",
            )
            for p in prs
        ),
        caption="PGS Catalog scoring files; percentiles only against reference samples of the "
        "same ancestry group (none is assumed).",
    )


def _chart(r: CardioResults, kn: CardioKnowledge) -> Figure | None:
    main = _main_estimate(r.risk)
    if main is None or r.risk is None:
        return None
    bars = [
        Bar(f"ASCVD (PREVENT {main.model})", main.ascvd, "#b42318"),
        Bar("Total CVD (PREVENT)", main.total_cvd, "#1f4e79"),
        Bar("Heart failure (PREVENT)", main.heart_failure, "#5a2d82"),
    ]
    if r.risk.pce is not None:
        bars.append(Bar("ASCVD (PCE 2013)", r.risk.pce.ascvd_10yr, "#8c8c8c"))
    bands = []
    start = 0.0
    for c in kn.section("guideline_2026")["categories"]:
        bands.append(Band(start, c["below"], str(c["name"])))
        start = float(c["below"]) if c["below"] is not None else start
    top = max(b.value for b in bars)
    svg = bar_chart(
        "Estimated 10-year risk",
        bars,
        unit="%",
        bands=bands,
        x_max=max(15.0, top * 1.15),
        caption="Shaded, for ASCVD (2026 ACC/AHA): " + ", ".join(_band_text(b) for b in bands),
    )
    alt = (
        f"10-year risk: ASCVD {main.ascvd:.1f} % (PREVENT {main.model}, "
        f"{r.decision.category or 'no'} category), total CVD {main.total_cvd:.1f} %, heart "
        f"failure {main.heart_failure:.1f} %"
        + (f", PCE ASCVD {r.risk.pce.ascvd_10yr:.1f} %" if r.risk.pce is not None else "")
        + "."
    )
    return Figure("Estimated 10-year risk", svg, alt, audience="both")


def _band_text(b: Band) -> str:
    if b.start == 0 and b.end is not None:
        return f"{b.label} <{b.end:g}"
    if b.end is None:
        return f"{b.label} ≥{b.start:g} %"
    return f"{b.label} {b.start:g}–<{b.end:g}"


def _patient_table(r: CardioResults) -> Table | None:
    main = _main_estimate(r.risk)
    if main is None:
        return None
    return Table(
        "Your estimated risk in the next 10 years",
        ("what", "chance"),
        (
            ("heart attack or stroke", f"about {main.ascvd:.0f} in 100"),
            ("any heart or circulation disease", f"about {main.total_cvd:.0f} in 100"),
            ("heart failure", f"about {main.heart_failure:.0f} in 100"),
        ),
        caption="These are estimates for people like you, not a prediction for you.",
        audience="patient",
    )


def section(r: CardioResults) -> Section:
    """The cardiovascular section of one person's report."""
    kn = CardioKnowledge.load()
    tables = [
        t
        for t in (
            _risk_table(r),
            _statin_table(r.decision),
            _dlcn_table(r.fh),
            _prs_table(r.prs),
            _patient_table(r),
        )
        if t is not None
    ]
    figure = _chart(r, kn)
    limitations = [
        "Risk equations estimate risk for groups of similar people; they do not predict one "
        "person's outcome and were validated in US cohorts.",
        *r.prs_problems,
    ]
    knowledge = dict(r.decision.knowledge)
    return Section(
        domain="cardio",
        title=TITLE,
        subject=r.sample,
        findings=tuple(_findings(r)),
        tables=tuple(tables),
        figures=(figure,) if figure is not None else (),
        limitations=tuple(limitations),
        knowledge=knowledge,
    )


# ------------------------------------------------------------------ polygenic scores
def score_prs(
    genotypes: Sequence[Path],
    sample: str,
    pgs: Sequence[Path],
    *,
    reference: Path | None = None,
    populations: Path | None = None,
    population: str | None = None,
) -> tuple[list[PolygenicInfo], list[str]]:
    """``sample``'s polygenic scores (and why any score was refused)."""
    from tailormed.cardio.prs import (
        PrsOptions,
        Reference,
        read_populations,
        read_scoring_file,
        score_files,
    )

    if bool(reference) != bool(populations):
        raise InputError("--prs-reference and --prs-populations go together")
    files = [read_scoring_file(p) for p in pgs]
    ref = None
    if reference is not None and populations is not None:
        ref = Reference((reference,), read_populations(populations), population)
    result = score_files(list(genotypes), files, PrsOptions(samples=(sample,)), ref)
    traits = {f.pgs_id: f.trait for f in files}
    infos = [
        polygenic_info(
            s.pgs_id,
            traits.get(s.pgs_id),
            s.sum,
            s.percentile,
            s.z,
            s.reference_population,
            s.variants_matched,
            s.variants_total,
        )
        for s in result.scores
        if s.sample == sample
    ]
    problems = [
        f"Polygenic score {m.pgs_id} was refused: {m.reason}"
        for m in result.reports
        if m.status != "scored"
    ]
    problems += list(result.warnings)
    return infos, problems


# ------------------------------------------------------------------ adapters
def pipeline_sections(inputs: ClinicalInputs, context: Context) -> list[Section]:
    """``tailormed run``: the cardiovascular section when cardio factors or PGS files are
    given (a PGx-only factors file asks for none)."""
    from tailormed.factors import read_factors

    factors = read_factors(inputs.factors) if inputs.factors else PatientFactors()
    if not inputs.pgs and not wants_cardio(factors):
        return []
    prs: list[PolygenicInfo] = []
    problems: list[str] = []
    if inputs.pgs:
        genotypes = tuple(inputs.options.get("cardio.prs_genotypes", ())) or context.vcfs
        prs, problems = score_prs(
            genotypes,
            context.sample,
            inputs.pgs,
            reference=inputs.prs_reference,
            populations=inputs.prs_populations,
            population=inputs.options.get("cardio.prs_population"),
        )
    results = assess(
        context.sample,
        factors,
        vcfs=context.vcfs,
        interpretation=context.interpretation,
        kb=context.kb,
        prs=prs,
        prs_problems=problems,
    )
    return [section(results)]


class FactorsBody(RootModel[dict[str, Any]]):
    """``cardio.factors``: the patient-factors object of :mod:`tailormed.factors`."""

    @field_validator("root")
    @classmethod
    def _valid(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            return factors_from_mapping(value).given()
        except InputError as exc:
            raise ValueError(exc.problem) from None


class PrsScoreBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pgs_id: str = Field(pattern=r"^PGS\d{6}$")
    trait: str | None = Field(default=None, max_length=200)
    sum: float
    percentile: float | None = Field(default=None, ge=0, le=100)
    z: float | None = None
    reference_population: str | None = Field(default=None, max_length=40)
    variants_matched: int = Field(ge=0)
    variants_total: int = Field(gt=0)


class PrsBody(BaseModel):
    """``cardio.prs``: polygenic scores of the patient (from ``tailormed prs`` scores.tsv)."""

    model_config = ConfigDict(extra="forbid")
    scores: list[PrsScoreBody] = Field(max_length=100)


def _record_results(
    documents: Mapping[str, Any], subject: str, interpretation: Interpretation | None, kb: Any
) -> CardioResults | None:
    body = documents.get("cardio.factors")
    if body is None:
        return None
    factors = factors_from_mapping(dict(body))
    prs = [
        polygenic_info(
            s["pgs_id"],
            s.get("trait"),
            s["sum"],
            s.get("percentile"),
            s.get("z"),
            s.get("reference_population"),
            s["variants_matched"],
            s["variants_total"],
        )
        for s in (documents.get("cardio.prs") or {}).get("scores", [])
    ]
    sample = interpretation.sample if interpretation is not None else subject
    return assess(sample, factors, interpretation=interpretation, kb=kb, prs=prs)


def record_sections(documents: Mapping[str, Any], inputs: SectionInputs) -> list[Section]:
    """The record's cardiovascular section (service section provider)."""
    results = _record_results(documents, inputs.subject, inputs.interpretation, inputs.kb)
    return [] if results is None else [section(results)]


def statin_order_findings(
    drugs: Sequence[str], documents: Mapping[str, Any], kb: KnowledgeBase, ctx: CdsContext
) -> list[Finding]:
    """CDS ``order-select`` / ``order-sign``: for a statin order, the statin decision — the
    same finding (and sentence) as the report's cardiovascular section."""
    if not any(d.lower() in STATINS for d in drugs):
        return []
    results = _record_results(documents, ctx.patient_ref, ctx.interpretation, kb)
    if results is None:
        return []
    return [f for f in section(results).findings if f.code == "cardio.statin"]
