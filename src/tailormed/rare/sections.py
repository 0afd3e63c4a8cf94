"""A ranking as the report's "Differential diagnosis" section (shared :class:`Section`).

The section holds the top candidates' findings (:func:`~tailormed.rare.findings.to_findings`)
and two tables for the clinician: the differential diagnosis (rank, disease, gene, score,
the observed terms each candidate explains and how, the excluded terms that count against
it, and the variants behind the gene in variant mode) and the case's HPO terms (observed,
excluded, and those that could not be used, with the reason). Its limitations say which
HPO release and disease set ranked the case and whether variants were used. The
differential is not shown in the patient's view: a ranked list of rare diseases needs a
clinician to explain it.
"""

from __future__ import annotations

from tailormed.findings import Section, Table
from tailormed.findings.models import Value
from tailormed.rare.findings import to_findings
from tailormed.rare.models import Candidate, Ranking

TITLE = "Differential diagnosis"
DIFFERENTIAL_COLUMNS = (
    "Rank",
    "Disease",
    "Gene",
    "Score",
    "Observed terms explained",
    "Excluded terms against",
    "Variants",
)
TERMS_TITLE = "HPO terms of the case"
TERM_COLUMNS = ("Status", "HPO term", "Label", "Onset", "Note")
METHOD_TEXT = {
    "lr": "score = sum of log10 likelihood ratios of the observed and excluded terms"
    " (plus the genotype's in variant mode)",
    "ic": "score = sum of the information content of the observed terms the disease has"
    " (baseline method)",
}


def _rank_text(rank: float) -> Value:
    return int(rank) if rank == int(rank) else rank


def _matched(c: Candidate, labels: dict[str, str], n_observed: int) -> str:
    parts = [
        f"{labels.get(m.observed, m.observed)} ({m.observed}"
        + ("" if m.kind == "exact" else f"; {m.kind} {m.annotation} {m.annotation_label}")
        + ")"
        for m in c.matches
    ]
    return f"{len(c.matched_terms)} of {n_observed}: " + "; ".join(parts) if parts else "none"


def _against(c: Candidate, labels: dict[str, str]) -> str:
    return "; ".join(
        f"{labels.get(e.excluded, e.excluded)} ({e.excluded}) excluded, frequency in the "
        f"disease {e.frequency}"
        for e in c.excluded_against
    )


def _variants(c: Candidate, variant_mode: bool) -> str:
    if not variant_mode:
        return "not tested (phenotype only)"
    g = c.genotype
    if g is None or not g.variants:
        return g.summary if g is not None else ""
    listed = "; ".join(
        f"{v.label} {v.consequence} {v.zygosity}"
        + (f" {v.hgvs}" if v.hgvs else "")
        + (f", gnomAD AF {v.allele_frequency:g}" if v.allele_frequency is not None else "")
        + (f", ClinVar {v.clinvar}" if v.clinvar else "")
        for v in g.variants
    )
    fit = "fits" if g.compatible else "does not fit"
    return f"{listed} ({fit} {' or '.join(g.modes)})"


def differential_table(ranking: Ranking, top: int = 10) -> Table:
    """The candidates ranked ``top`` or better (tied candidates at the cut included)."""
    case = ranking.case
    labels = {t.term_id: t.label for t in case.observed} | {
        t.term_id: t.label for t in case.excluded
    }
    variant_mode = ranking.variant_source is not None
    rows: list[tuple[Value, ...]] = []
    for c in ranking.candidates:
        if c.rank > top:
            break
        rows.append(
            (
                _rank_text(c.rank),
                f"{c.disease_name} ({c.disease_id})",
                c.gene or "no gene known",
                round(c.score, 2),
                _matched(c, labels, len(case.observed)),
                _against(c, labels),
                _variants(c, variant_mode),
            )
        )
    caption = (
        f"{ranking.disease_set} diseases of HPO release {ranking.hpo_release}; "
        f"{METHOD_TEXT.get(ranking.method, ranking.method)}; higher is better; tied "
        "candidates share the average of the ranks they span."
    )
    if not rows:
        caption += " No candidate ranks within the top; see the notes on the case's terms."
    return Table(title=TITLE, columns=DIFFERENTIAL_COLUMNS, rows=tuple(rows), caption=caption)


def terms_table(ranking: Ranking) -> Table:
    """The case's HPO terms: observed, excluded, and those ignored (with why)."""
    case = ranking.case
    rows: list[tuple[Value, ...]] = []
    for status, terms in (("observed", case.observed), ("excluded", case.excluded)):
        for t in terms:
            rows.append((status, t.term_id, t.label, t.onset or "", t.note))
    for ig in case.ignored:
        rows.append(("ignored", ig.given, "", "", ig.reason))
    return Table(
        title=TERMS_TITLE,
        columns=TERM_COLUMNS,
        rows=tuple(rows),
        caption=f"Mapped onto HPO release {ranking.hpo_release}; ignored terms did not "
        "take part in the ranking.",
    )


def limitations(ranking: Ranking) -> tuple[str, ...]:
    """What a reader must know: knowledge version, mode, warnings, method limits."""
    out = [
        f"Ranked with HPO release {ranking.hpo_release} (rare knowledge bundle "
        f"{ranking.knowledge_version}), {ranking.disease_set} diseases."
    ]
    if ranking.variant_source is None:
        out.append(
            "Phenotype only: no variants were given, so genes are ranked by the phenotype alone."
        )
    else:
        out.append(f"Variant mode: variants from {ranking.variant_source}.")
    out.extend(ranking.warnings)
    out.extend(ranking.limitations)
    return tuple(dict.fromkeys(out))


def section(
    ranking: Ranking, *, top: int = 10, findings_top: int = 5, subject: str | None = None
) -> Section:
    """The differential-diagnosis section of one ranked case."""
    who = subject or ranking.case.case_id
    return Section(
        domain="rare",
        title=TITLE,
        subject=who,
        findings=tuple(to_findings(ranking, top=findings_top, subject=who)),
        tables=(differential_table(ranking, top), terms_table(ranking)),
        limitations=limitations(ranking),
        knowledge={"rare": ranking.knowledge_version, "hpo": ranking.hpo_release},
    )
