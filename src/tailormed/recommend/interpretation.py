"""Building a sample's :class:`Interpretation`: phenotypes, then a report for every KB drug.

Steps (each in its own module):

1. medication lines are read by the one resolver
   (:func:`tailormed.medications.resolve_medication`: names, brands, combination
   products, dose text, RxNorm codes), kept in ``resolved_medications``;
   phenotypes from the calls (:func:`tailormed.phenotype.interpret`); with medications,
   phenoconversion (:func:`tailormed.phenotype.phenoconvert`) gives the adjusted
   phenotypes shown in the interpretation, each keeping its genotype result. A gene that
   was not tested but is inhibited by a *strong* inhibitor becomes the poor-metabolizer
   equivalent, as the phenotype stage does for an uncalled gene;
2. for each drug, its guidelines (:mod:`.sources`) are evaluated (:mod:`.match`) with the
   phenotypes adjusted for every medication *except the drug itself* (paroxetine's own
   CYP2D6 advice already accounts for paroxetine); recommendations selected through an
   adjusted phenotype say ``phenoconverted=True`` and the genotype-only selection is kept
   in ``genotype_recommendations`` when it differs; identical advice selected under
   several keys of one result (an outside CYP2D6 phenotype without a score has one key per
   score) is shown once;
3. each selected recommendation is judged (:mod:`.advice`), the drug gets a status and a
   reason (:mod:`.status`) and any computed dose (:mod:`.dosing`);
4. limitations (:mod:`.limitations`).

>>> from tailormed.calling.models import Diplotype, GeneCall
>>> from tailormed.knowledge import load_kb
>>> call = GeneCall("S1", "CYP2C19", (Diplotype.of("*2", "*2"),), False)
>>> interp = build_interpretation([call], load_kb())
>>> report = interp.drug("clopidogrel")
>>> report.status, [r.source for r in report.recommendations]
('actionable', ['CPIC', 'CPIC', 'CPIC', 'DPWG'])
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.knowledge.models import Drug, Guideline, Recommendation
from tailormed.medications import ResolvedMedication, drug_parts, ingredients_of, resolve_all
from tailormed.phenotype import interpret, phenoconvert_ingredients
from tailormed.phenotype.models import NO_RESULT, GenePhenotype
from tailormed.recommend.advice import Advice, advise
from tailormed.recommend.dosing import DoseInput, doses_for
from tailormed.recommend.limitations import limitations
from tailormed.recommend.match import GuidelineOutcome, Match, evaluate
from tailormed.recommend.models import (
    DrugReport,
    Interpretation,
    MatchedRecommendation,
    PatientFactors,
)
from tailormed.recommend.sources import drug_guidelines
from tailormed.recommend.status import Judged, drug_status


def build_interpretation(
    calls: Sequence[GeneCall],
    kb: KnowledgeBase,
    *,
    medications: Sequence[str] = (),
    factors: PatientFactors = PatientFactors(),  # noqa: B008 (frozen, immutable default)
    drugs: Collection[str] | None = None,
) -> Interpretation:
    """One sample's interpretation: phenotypes, a :class:`DrugReport` per KB drug, limitations.

    ``drugs`` limits the drug reports to those drugs (each built exactly as in the full
    interpretation; the CDS service needs only the ordered drugs and their alternatives).
    """
    calls = _first_per_gene(calls)
    sample = calls[0].sample if calls else ""
    meds = tuple(m.strip() for m in medications if m.strip())
    resolved = resolve_all(meds, kb)
    ctx = _Context(kb, sample, calls, resolved, factors)
    wanted = None if drugs is None else {d.lower() for d in drugs}
    reports = tuple(
        _drug_report(ctx, drug)
        for drug in kb.drugs
        if wanted is None or drug.name.lower() in wanted
    )
    return Interpretation(
        sample=sample,
        kb_version=kb.version,
        calls=tuple(calls),
        phenotypes=tuple(ctx.phenotypes(()).values()),
        drugs=reports,
        medications=meds,
        factors=factors,
        limitations=limitations(calls, ctx.phenotypes(()), kb, resolved),
        resolved_medications=resolved,
    )


@dataclass
class _Context:
    kb: KnowledgeBase
    sample: str
    calls: list[GeneCall]
    medications: tuple[ResolvedMedication, ...]
    factors: PatientFactors
    ingredients: frozenset[str] = frozenset()
    _genotype: dict[str, GenePhenotype] = field(default_factory=dict)
    _cache: dict[frozenset[str], dict[str, GenePhenotype]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._genotype = {c.gene: interpret(c, self.kb) for c in self.calls}
        self.ingredients = ingredients_of(self.medications)

    @property
    def genotype(self) -> dict[str, GenePhenotype]:
        return self._genotype

    def calls_by_gene(self) -> dict[str, GeneCall]:
        return {c.gene: c for c in self.calls}

    def phenotypes(self, exclude: tuple[str, ...]) -> dict[str, GenePhenotype]:
        """Phenotypes adjusted for every ingredient taken but those in ``exclude``."""
        taken = self.ingredients - {e.lower() for e in exclude}
        if taken not in self._cache:
            self._cache[taken] = _adjusted(self._genotype, taken, self.sample, self.kb)
        return self._cache[taken]


def _adjusted(
    genotype: Mapping[str, GenePhenotype], taken: frozenset[str], sample: str, kb: KnowledgeBase
) -> dict[str, GenePhenotype]:
    if not taken:
        return dict(genotype)
    table = kb.inhibitors
    out = {gene: phenoconvert_ingredients(p, taken, table) for gene, p in genotype.items()}
    for gene in table.rules:
        if gene in out:
            continue
        untested = GenePhenotype(
            gene=gene,
            sample=sample,
            diplotype="not tested",
            alleles=(),
            phenotype=NO_RESULT,
            activity_score=None,
            lookup_keys=(NO_RESULT,),
            reason="not tested",
            kb_version=kb.version,
        )
        converted = phenoconvert_ingredients(untested, taken, table)
        if converted.phenoconversion is not None and converted.phenoconversion.adjusted:
            out[gene] = converted
    return out


def _drug_report(ctx: _Context, drug: Drug) -> DrugReport:
    # The drug's own guideline accounts for the drug itself (paroxetine and CYP2D6).
    phenotypes = ctx.phenotypes(drug_parts(drug.name))
    guidelines = drug_guidelines(ctx.kb, drug.name)
    judged = [_judge(drug.name, g, recs, phenotypes) for g, recs in guidelines]
    status, reason = drug_status(drug.name, judged)
    selected = tuple(m for j in judged for m, _ in j.selected)
    genotype_only: tuple[MatchedRecommendation, ...] = ()
    if any(m.phenoconverted for m in selected):
        plain = [_judge(drug.name, g, recs, ctx.genotype) for g, recs in guidelines]
        genotype_only = tuple(m for j in plain for m, _ in j.selected)
    doses = doses_for(
        DoseInput(
            drug=drug.name,
            phenotypes=phenotypes,
            calls=ctx.calls_by_gene(),
            factors=ctx.factors,
            medications=ctx.ingredients,
            tables=ctx.kb.dose_tables,
        )
    )
    return DrugReport(
        drug=drug.name,
        rxnorm=drug.rxnorm,
        genes=drug.genes,
        status=status,
        reason=reason,
        recommendations=selected,
        doses=doses,
        genotype_recommendations=genotype_only,
    )


def _judge(
    drug: str,
    guideline: Guideline,
    recs: tuple[Recommendation, ...],
    phenotypes: Mapping[str, GenePhenotype],
) -> Judged:
    outcome = evaluate(guideline, recs, phenotypes)
    selected: list[tuple[MatchedRecommendation, Advice]] = []
    shown: set[tuple[str | None, str]] = set()
    for m in outcome.matches:
        # Several keys of one result (an outside CYP2D6 phenotype gives every score of it)
        # can select the same advice under different keys: show it once.
        same = (m.recommendation.population, m.recommendation.text)
        if same in shown:
            continue
        shown.add(same)
        advice = advise(m.recommendation)
        selected.append((_matched(drug, outcome, m, phenotypes, advice), advice))
    described = ", ".join(
        f"{g} {_shown(phenotypes.get(g), guideline.source, None, recs, g)}" for g in outcome.genes
    )
    return Judged(outcome, tuple(selected), described)


def _matched(
    drug: str,
    outcome: GuidelineOutcome,
    m: Match,
    phenotypes: Mapping[str, GenePhenotype],
    advice: Advice,
) -> MatchedRecommendation:
    g, rec = outcome.guideline, m.recommendation
    genes = tuple(x for x in outcome.genes if x in rec.lookup_key)
    converted = any(
        (p := phenotypes.get(x)) is not None
        and p.phenoconversion is not None
        and p.phenoconversion.adjusted
        for x in genes
    )
    return MatchedRecommendation(
        drug=drug,
        source=g.source,
        recommendation_id=rec.id,
        guideline_id=g.id,
        guideline_name=g.name,
        guideline_url=g.url,
        genes=genes,
        lookup_key=dict(m.keys),
        phenotypes={
            x: _shown(phenotypes.get(x), g.source, m.keys.get(x), (rec,), x) for x in genes
        },
        classification=rec.classification,
        population=rec.population,
        text=rec.text,
        implications=rec.implications,
        actionable=advice == "change",
        alternate_drug=rec.alternate_drug,
        dosing_information=rec.dosing_information,
        phenoconverted=converted,
    )


def _shown(
    p: GenePhenotype | None,
    source: str,
    key: str | None,
    recs: tuple[Recommendation, ...],
    gene: str,
) -> str:
    """The patient's result for ``gene`` as a reader should see it next to a guideline."""
    if p is None:
        return "not tested"
    if p.gene.startswith("HLA-"):
        if key is not None and key != NO_RESULT:
            return key
        wanted = {v for r in recs if isinstance(v := r.lookup_key.get(gene), str)}
        keys = [k for k in p.lookup_keys if k in wanted]
        return "; ".join(keys) if keys else p.phenotype
    phenotype = p.dpwg_phenotype if source == "DPWG" and p.dpwg_phenotype else p.phenotype
    text = phenotype
    if p.activity_score is not None and p.activity_score not in phenotype:
        text += f" (activity score {p.activity_score})"
    pc = p.phenoconversion
    if pc is not None and pc.adjusted:
        text += f", phenoconverted from {pc.genotype_phenotype} by {', '.join(pc.caused_by)}"
    return text


def _first_per_gene(calls: Sequence[GeneCall]) -> list[GeneCall]:
    seen: dict[str, GeneCall] = {}
    for c in calls:
        seen.setdefault(c.gene, c)
    return list(seen.values())
