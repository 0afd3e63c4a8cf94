"""Plain-language wording for the patient view, derived from structured results only.

Guideline phenotypes ("Intermediate Metabolizer", "Poor Function", "-1639 AA") are
precise for clinicians and opaque to everyone else. Every sentence here comes from a
structured field of the report: a phenotype term looked up *whole* in the vocabulary of
:mod:`tailormed.report.terms` (never by its first or last word), an HLA gene's
per-allele presence (``GeneResult.allele_presence``), a drug's status, its ``actions``
and its computed doses. A term the vocabulary does not know is quoted and the reader is
sent to the prescriber: nothing is guessed, and an unknown result counts as one to
mention.

>>> phenotype_meaning("CYP2C19", "Poor Metabolizer")
'Your body likely breaks down some medicines much more slowly than most people do.'
>>> phenotype_meaning("HLA-B", "*57:01 positive; *58:01 negative")
'Your HLA-B result is “*57:01 positive; *58:01 negative”. Ask your prescriber what ...'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tailormed.report.schema import DrugResult, GeneResult, Report
from tailormed.report.terms import UNDETERMINED, Meaning, term_meaning


# ----------------------------------------------------------------------------- genes
def is_undetermined_phenotype(phenotype: str | None) -> bool:
    """No result: no phenotype, Indeterminate, No Result or n/a."""
    return phenotype is None or phenotype.strip().casefold() in UNDETERMINED


def phenotype_meaning(gene: str, phenotype: str | None) -> str:
    """One sentence on what a (non-HLA) phenotype term means, in everyday words."""
    if is_undetermined_phenotype(phenotype):
        return f"This test could not determine your {gene} result."
    assert phenotype is not None
    return _term(gene, phenotype).sentence


def _term(gene: str, phenotype: str) -> Meaning:
    found = term_meaning(gene, phenotype)
    if found is not None:
        return found
    return Meaning(
        f"Your {gene} result is “{phenotype}”. Ask your prescriber what this means for you.",
        notable=True,
    )


@dataclass(frozen=True, slots=True)
class GeneMeaning:
    """What one gene result means for the patient.

    ``result`` is the result as the patient should repeat it to a prescriber;
    ``notable`` means it differs from the usual result (or is not understood) and is
    worth telling; ``undetermined`` means the test could not give it.
    """

    gene: str
    result: str
    meaning: str
    notable: bool
    undetermined: bool
    cause: str | None = None  # co-medication that changed the result (phenoconversion)
    hla: bool = False

    @property
    def tell(self) -> str:
        """The words for "what to tell a prescriber"."""
        return self.result if self.hla else f"{self.gene} {self.result}"


def _hla_name(gene: str, allele: str) -> str:
    return f"{gene}{allele}" if allele.startswith("*") else f"{gene} {allele}"


def _names(items: Sequence[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def _hla_drugs(gene: str, allele: str, drugs: Iterable[DrugResult]) -> list[str]:
    """Actionable drugs whose actionable advice was selected by this allele being present."""
    key = f"{allele} positive"
    return [
        d.drug
        for d in drugs
        if d.status == "actionable"
        and any(r.actionable and r.lookup_key.get(gene) == key for r in d.recommendations)
    ]


def _hla_meaning(g: GeneResult, drugs: Sequence[DrugResult]) -> GeneMeaning:
    positive = [p.allele for p in g.allele_presence if p.status == "positive"]
    negative = [p.allele for p in g.allele_presence if p.status == "negative"]
    unknown = [p.allele for p in g.allele_presence if p.status == "undetermined"]
    sentences: list[str] = []
    if positive:
        names = _names([_hla_name(g.gene, a) for a in positive])
        affected = list(dict.fromkeys(d for a in positive for d in _hla_drugs(g.gene, a, drugs)))
        these = "this gene type is" if len(positive) == 1 else "these gene types are"
        sentences.append(
            f"You carry {names}: {these} linked to a much higher risk of a serious reaction "
            "to some medicines"
            + (f" ({_names(affected)})" if affected else "")
            + ". Make sure everyone who prescribes for you knows."
        )
    if negative:
        names = _names([_hla_name(g.gene, a) for a in negative], "or")
        sentences.append(
            f"You do not carry {names}."
            if positive
            else f"You do not carry {names}, the tested gene types linked to serious "
            "reactions to some medicines."
        )
    if unknown:
        names = _names([_hla_name(g.gene, a) for a in unknown], "or")
        sentences.append(f"The test could not show whether you carry {names}.")
    ordered = [*positive, *negative, *unknown]
    status = {p.allele: p.status for p in g.allele_presence}
    result = ", ".join(f"{_hla_name(g.gene, a)} {status[a]}" for a in ordered)
    return GeneMeaning(
        gene=g.gene,
        result=result,
        meaning=" ".join(sentences),
        notable=bool(positive),
        undetermined=bool(unknown),
        hla=True,
    )


def _cause(g: GeneResult) -> str | None:
    pc = g.phenoconversion
    if pc is None or not pc.adjusted or pc.genotype_phenotype == g.phenotype:
        return None
    drugs = _names(pc.inhibitors)
    alone = phenotype_meaning(g.gene, pc.genotype_phenotype)
    return (
        f"This is because you take {drugs}, which slows down the {g.gene} protein. "
        f"From your genes alone: {alone[0].lower()}{alone[1:]}"
    )


def gene_meaning(g: GeneResult, drugs: Sequence[DrugResult] = ()) -> GeneMeaning:
    """What a gene result means; ``drugs`` lets an HLA result name the medicines it affects."""
    if g.allele_presence:
        return _hla_meaning(g, drugs)
    if is_undetermined_phenotype(g.phenotype):
        return GeneMeaning(
            g.gene,
            "no result",
            f"This test could not determine your {g.gene} result.",
            notable=False,
            undetermined=True,
        )
    assert g.phenotype is not None
    term = _term(g.gene, g.phenotype)
    cause = _cause(g)
    pc = g.phenoconversion
    result = g.phenotype
    if cause is not None and pc is not None:
        result += f" (because of {_names(pc.inhibitors)}; genes alone: {pc.genotype_phenotype})"
    return GeneMeaning(
        g.gene,
        result,
        term.sentence,
        notable=term.notable or cause is not None,
        undetermined=False,
        cause=cause,
    )


def is_notable(g: GeneResult) -> bool:
    """A result worth telling a prescriber: it differs from the usual one, an HLA risk
    allele is carried, or the result is one this module does not understand."""
    return gene_meaning(g).notable


def is_undetermined(g: GeneResult) -> bool:
    """The test gave no usable result for this gene (or, for HLA, for one of its alleles)."""
    return gene_meaning(g).undetermined


# ----------------------------------------------------------------------------- drugs
_ACTION_WORDS = {
    "alternative drug": "choose a different medicine",
    "dose change": "change the dose",
    "other change": "watch more closely how it works for you",
}


def needs_attention(d: DrugResult) -> bool:
    """Never "as usual": actionable, or a computed dose other than the standard one."""
    return d.status == "actionable" or d.individual_dose


def drug_meaning(d: DrugResult) -> str:
    """What a drug's results mean for the patient, in one to three sentences."""
    if d.status == "actionable":
        actions = [_ACTION_WORDS[a] for a in d.actions] or [_ACTION_WORDS["other change"]]
        if d.individual_dose and "dose change" not in d.actions:
            actions.append(_ACTION_WORDS["dose change"])
        text = (
            "Your genes may change how this medicine works for you. A prescriber may "
            + " or ".join(actions)
            + "."
        )
        if d.on_medication_list:
            text += (
                " You take it now: do not stop it on your own, and talk to your prescriber soon."
            )
        return text
    if d.individual_dose:
        computed = all(x.value is not None for x in d.doses if not x.standard)
        text = (
            "Your genetic results, together with facts such as your age, height and weight, "
            + (
                "were used to work out a starting dose for you. It may differ from the usual dose."
                if computed
                else "can be used to work out a starting dose for you; this report did not "
                "have everything needed to do it."
            )
            + " Your prescriber decides the dose."
        )
        if d.on_medication_list:
            text += " You take it now: do not change your dose on your own."
        return text
    if d.status == "no change":
        return "Your genes do not call for a change: it can be prescribed as usual."
    if d.status == "no result":
        return (
            "This test could not give an answer for this medicine, because a gene it "
            "depends on was not tested or its result was unclear."
        )
    return "There is no genetic prescribing guideline for this medicine yet."


def attention_group(d: DrugResult) -> str:
    """The one phrase a group of medicines in the patient view is listed under."""
    if "alternative drug" in d.actions:
        return "A prescriber may choose a different medicine"
    if "dose change" in d.actions or d.individual_dose:
        return "A prescriber may change the dose"
    return "A prescriber may watch more closely how the medicine works for you"


# ----------------------------------------------------------------------------- the view
@dataclass(frozen=True, slots=True)
class DrugMeaning:
    drug: str
    status: str
    meaning: str
    because: tuple[str, ...] = ()  # the notable results of the genes its advice uses


@dataclass(frozen=True, slots=True)
class PlainView:
    """Everything the patient view shows, decided here so every page says the same.

    ``glance`` holds the notable genes and every HLA gene (carrier or not); ``tell`` the
    words for a prescriber; ``taken`` every drug on the medication list; ``attention``
    the other drugs that are not "as usual", grouped by what a prescriber may do;
    ``as_usual`` the drugs that can be prescribed as usual (never one with an action or
    an individual computed dose); ``no_result`` the drugs the test could not answer for.
    ``others`` holds the drugs of ``attention`` one by one, for pages with room.
    """

    genes: tuple[GeneMeaning, ...]
    glance: tuple[GeneMeaning, ...]
    tell: tuple[str, ...]
    undetermined: tuple[GeneMeaning, ...]
    taken: tuple[DrugMeaning, ...]
    attention: tuple[tuple[str, tuple[str, ...]], ...]
    others: tuple[DrugMeaning, ...]
    as_usual: tuple[str, ...]
    no_result: tuple[str, ...]

    @property
    def attention_count(self) -> int:
        return sum(len(names) for _, names in self.attention)


_GROUPS = (
    "A prescriber may choose a different medicine",
    "A prescriber may change the dose",
    "A prescriber may watch more closely how the medicine works for you",
)


def plain_view(report: Report) -> PlainView:
    """The patient view of a report."""
    genes = tuple(gene_meaning(g, report.drugs) for g in report.genes)
    by_gene = {m.gene: m for m in genes}
    glance = tuple(m for m in genes if m.notable or m.hla)
    tell = tuple(m.tell for m in glance)

    def meaning(d: DrugResult) -> DrugMeaning:
        because = tuple(by_gene[g].tell for g in d.genes if g in by_gene and by_gene[g].notable)
        return DrugMeaning(d.drug, d.status, drug_meaning(d), because)

    taken = tuple(meaning(d) for d in report.drugs if d.on_medication_list)
    others = [d for d in report.drugs if needs_attention(d) and not d.on_medication_list]
    groups: dict[str, list[str]] = {g: [] for g in _GROUPS}
    for d in others:
        groups[attention_group(d)].append(d.drug)
    return PlainView(
        genes=genes,
        glance=glance,
        tell=tell,
        undetermined=tuple(m for m in genes if m.undetermined),
        taken=taken,
        attention=tuple((g, tuple(sorted(n))) for g, n in groups.items() if n),
        others=tuple(meaning(d) for d in others),
        as_usual=tuple(
            sorted(
                d.drug for d in report.drugs if d.status == "no change" and not needs_attention(d)
            )
        ),
        no_result=tuple(sorted(d.drug for d in report.drugs if d.status == "no result")),
    )
