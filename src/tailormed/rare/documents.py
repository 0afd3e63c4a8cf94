"""Record document bodies of the rare-disease domain (pydantic, validated at the boundary).

* ``rare.phenotype`` (:class:`PhenotypeBody`): what a clinician enters: observed and
  excluded HPO terms (each with an optional onset), the patient's sex, and the HPO release
  the terms were picked in. :meth:`PhenotypeBody.to_case` maps it onto the bundled release
  exactly as a phenopacket is read (alt and obsolete ids replaced, unknown and newer ids
  listed as ignored), so entry in the web UI and a phenopacket file rank the same way.
* ``rare.ranking`` (:class:`RankingBody`): a stored ranking, the same JSON as the per-case
  explanation ``tailormed rare rank`` writes (schema ``tailormed.rare.ranking/1``), so a
  report made later shows what was computed then, with the knowledge version of then.
  :meth:`RankingBody.to_ranking` rebuilds the typed :class:`~tailormed.rare.models.Ranking`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tailormed.findings import Section
from tailormed.knowledge.rare.loader import Ontology
from tailormed.rare.models import (
    Candidate,
    Case,
    ExcludedEvidence,
    GenotypeEvidence,
    IgnoredTerm,
    MatchKind,
    Ranking,
    Sex,
    Term,
    TermMatch,
    Variant,
    Zygosity,
)
from tailormed.rare.output import ranking_to_json
from tailormed.rare.read import case_from_phenopacket, parse_phenopacket

PHENOTYPE_KIND = "rare.phenotype"
RANKING_KIND = "rare.ranking"
HPO_ID = r"^HP:\d{7}$"
# an HPO onset term, or an ISO 8601 age such as P2Y6M or P3W
ONSET = r"^(HP:\d{7}|P(\d+Y)?(\d+M)?(\d+W)?(\d+D)?)$"
MAX_TERMS = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TermEntry(_Strict):
    """One HPO term of an entry: its id, the label shown when it was picked, its onset."""

    id: str = Field(pattern=HPO_ID)
    label: str | None = Field(default=None, max_length=500)
    onset: str | None = Field(default=None, pattern=ONSET)

    @model_validator(mode="after")
    def _age(self) -> TermEntry:
        if self.onset == "P":
            raise ValueError("onset 'P' is not an age (write e.g. P2Y or P3M)")
        return self


class PhenotypeBody(_Strict):
    """Body of a ``rare.phenotype`` document."""

    observed: list[TermEntry] = Field(default_factory=list, max_length=MAX_TERMS)
    excluded: list[TermEntry] = Field(default_factory=list, max_length=MAX_TERMS)
    sex: Sex = "UNKNOWN_SEX"
    hpo_release: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _distinct(self) -> PhenotypeBody:
        seen: set[str] = set()
        for t in (*self.observed, *self.excluded):
            if t.id in seen:
                both = t.id in {o.id for o in self.observed} and t.id in {
                    x.id for x in self.excluded
                }
                raise ValueError(
                    f"{t.id} is given both as observed and as excluded"
                    if both
                    else f"{t.id} is given twice"
                )
            seen.add(t.id)
        return self

    def to_phenopacket(self, case_id: str, subject_id: str = "") -> dict[str, Any]:
        """A minimal Phenopacket v2 object (no interpretations) holding this entry."""
        features: list[dict[str, Any]] = []
        for excluded, terms in ((False, self.observed), (True, self.excluded)):
            for t in terms:
                f: dict[str, Any] = {"type": {"id": t.id}}
                if t.label:
                    f["type"]["label"] = t.label
                if excluded:
                    f["excluded"] = True
                if t.onset and not excluded:
                    f["onset"] = (
                        {"ontologyClass": {"id": t.onset}}
                        if t.onset.startswith("HP:")
                        else {"age": {"iso8601duration": t.onset}}
                    )
                features.append(f)
        return {
            "id": case_id,
            "subject": {"id": subject_id or case_id, "sex": self.sex},
            "phenotypicFeatures": features,
            "metaData": {"phenopacketSchemaVersion": "2.0"},
        }

    def to_case(self, ontology: Ontology, case_id: str, subject_id: str = "") -> Case:
        """The entry mapped onto ``ontology`` (as :func:`~tailormed.rare.read` maps a file)."""
        packet = parse_phenopacket(self.to_phenopacket(case_id, subject_id), PHENOTYPE_KIND)
        return case_from_phenopacket(packet, ontology, PHENOTYPE_KIND)

    @classmethod
    def from_case(cls, case: Case, hpo_release: str | None = None) -> PhenotypeBody:
        """The entry of a read case (current ids; ignored ids kept as given)."""

        def entry(t: Term) -> TermEntry:
            onset = t.onset.split(" ", 1)[0] if t.onset else None
            return TermEntry(id=t.term_id, label=t.label, onset=onset)

        observed = [entry(t) for t in case.observed]
        excluded = [entry(t) for t in case.excluded]
        taken = {t.id for t in (*observed, *excluded)}
        for ig in case.ignored:
            if ig.given not in taken and _is_hpo_id(ig.given):
                (excluded if ig.excluded else observed).append(TermEntry(id=ig.given))
                taken.add(ig.given)
        return cls(observed=observed, excluded=excluded, sex=case.sex, hpo_release=hpo_release)


def _is_hpo_id(text: str) -> bool:
    return len(text) == 10 and text.startswith("HP:") and text[3:].isdigit()


# ------------------------------------------------------------------ rare.ranking


class TermModel(_Strict):
    given: str
    term_id: str
    label: str
    note: str = ""
    onset: str | None = None


class IgnoredModel(_Strict):
    given: str
    reason: str
    excluded: bool


class TermMatchModel(_Strict):
    observed: str
    annotation: str
    annotation_label: str
    kind: MatchKind
    frequency: str
    log10_lr: float


class ExcludedModel(_Strict):
    excluded: str
    annotation: str
    frequency: str
    log10_lr: float


class VariantModel(_Strict):
    chrom: str
    pos: int
    ref: str
    alt: str
    gene: str
    consequence: str
    zygosity: Zygosity
    pathogenicity: float
    allele_frequency: float | None = None
    clinvar: str | None = None
    hgvs: str | None = None


class GenotypeModel(_Strict):
    log10_lr: float
    compatible: bool
    modes: list[str]
    variants: list[VariantModel]
    summary: str


class CandidateModel(_Strict):
    rank: float
    gene: str
    disease_id: str
    disease_name: str
    score: float
    phenotype_score: float
    matched_terms: list[str]
    matches: list[TermMatchModel] = []
    excluded_against: list[ExcludedModel] = []
    genotype: GenotypeModel | None = None
    inheritance: list[str] = []


class KnowledgeModel(_Strict):
    rare: str
    hpo_release: str


class RankingBody(_Strict):
    """Body of a ``rare.ranking`` document (the ``tailormed.rare.ranking/1`` JSON)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    schema_: Literal["tailormed.rare.ranking/1"] = Field(alias="schema")
    case_id: str
    subject_id: str
    sex: Sex
    onset: str | None = None
    source: str = ""
    method: str
    disease_set: str
    knowledge: KnowledgeModel
    citation: str
    observed_terms: list[TermModel]
    excluded_terms: list[TermModel]
    ignored_terms: list[IgnoredModel]
    warnings: list[str]
    variants: str | None = None
    candidates: list[CandidateModel] = Field(max_length=5000)
    limitations: list[str]

    @classmethod
    def of(cls, ranking: Ranking) -> RankingBody:
        return cls.model_validate(ranking_to_json(ranking))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def to_ranking(self) -> Ranking:
        """The typed ranking (term indices are not stored: they are -1)."""

        def terms(ts: Sequence[TermModel]) -> tuple[Term, ...]:
            return tuple(Term(t.given, t.term_id, t.label, -1, t.note, t.onset) for t in ts)

        def variant(v: VariantModel) -> Variant:
            return Variant(**v.model_dump())

        case = Case(
            case_id=self.case_id,
            subject_id=self.subject_id,
            sex=self.sex,
            observed=terms(self.observed_terms),
            excluded=terms(self.excluded_terms),
            ignored=tuple(IgnoredTerm(i.given, i.reason, i.excluded) for i in self.ignored_terms),
            onset=self.onset,
            source=self.source,
        )
        candidates = tuple(
            Candidate(
                rank=c.rank,
                gene=c.gene,
                disease_id=c.disease_id,
                disease_name=c.disease_name,
                score=c.score,
                phenotype_score=c.phenotype_score,
                matched_terms=tuple(c.matched_terms),
                matches=tuple(TermMatch(**m.model_dump()) for m in c.matches),
                excluded_against=tuple(
                    ExcludedEvidence(**e.model_dump()) for e in c.excluded_against
                ),
                genotype=None
                if c.genotype is None
                else GenotypeEvidence(
                    c.genotype.log10_lr,
                    c.genotype.compatible,
                    tuple(c.genotype.modes),
                    tuple(variant(v) for v in c.genotype.variants),
                    c.genotype.summary,
                ),
                inheritance=tuple(c.inheritance),
            )
            for c in self.candidates
        )
        return Ranking(
            case=case,
            candidates=candidates,
            method=self.method,
            knowledge_version=self.knowledge.rare,
            hpo_release=self.knowledge.hpo_release,
            disease_set=self.disease_set,
            warnings=tuple(self.warnings),
            variant_source=self.variants,
            limitations=tuple(self.limitations),
        )


BODY_MODELS: dict[str, type[BaseModel]] = {
    PHENOTYPE_KIND: PhenotypeBody,
    RANKING_KIND: RankingBody,
}


class _Inputs(Protocol):
    @property
    def subject(self) -> str: ...


def entry_matches(body: PhenotypeBody, ranking: Ranking) -> bool:
    """True when ``ranking`` was computed from exactly this entry (terms as given, sex)."""
    case = ranking.case
    observed = {t.given for t in case.observed} | {i.given for i in case.ignored if not i.excluded}
    excluded = {t.given for t in case.excluded} | {i.given for i in case.ignored if i.excluded}
    return (
        observed == {t.id for t in body.observed}
        and excluded - observed == {t.id for t in body.excluded}
        and case.sex == body.sex
    )


def ranking_from_documents(documents: Mapping[str, Any], case_id: str) -> Ranking | None:
    """The patient's ranking: the stored one (``rare.ranking``) when it was computed from
    the current entry (``rare.phenotype``), so a report says what was computed then, with
    that knowledge version; otherwise the entry ranked now. None without either."""
    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.run import rank_entry

    entry = documents.get(PHENOTYPE_KIND)
    stored = documents.get(RANKING_KIND)
    body = PhenotypeBody.model_validate(entry) if entry is not None else None
    ranking = RankingBody.model_validate(stored).to_ranking() if stored is not None else None
    if body is not None and (ranking is None or not entry_matches(body, ranking)):
        ranking = rank_entry(body, case_id, kb=RareKnowledge.load())
    return ranking


def sections_from_documents(documents: Mapping[str, Any], inputs: _Inputs) -> list[Section]:
    """The service's section provider for the rare domain (see
    :func:`ranking_from_documents`). No entry and no ranking: no section."""
    from tailormed.rare.sections import section

    ranking = ranking_from_documents(documents, inputs.subject)
    return [] if ranking is None else [section(ranking, subject=inputs.subject)]
