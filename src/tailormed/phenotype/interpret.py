"""From a :class:`GeneCall` to a :class:`GenePhenotype`: the phenotype stage's entry point.

Rules, in order (evidence in the package docstring and the tests):

1. Genes with their own rules (HLA-A, HLA-B) go to their module via ``GENE_RULES``.
2. An outside call that supplies a phenotype or activity score uses it
   (:mod:`.outside`).
3. No diplotype called → phenotype and lookup key ``"No Result"``.
4. No phenotype table for the gene (e.g. CYP4F2; IFNL3's table is empty) → ``"n/a"``.
5. Otherwise the table decides (:mod:`.resolve`): the diplotype's row if it has one,
   Indeterminate with a reason if an allele has no function, the diplotype is not listed,
   tied diplotypes disagree, or an allele that could not be excluded would change it.
6. Where a DPWG map lists the diplotype and answers differently, its phenotype and key
   are added; a diplotype the (older) DPWG map does not list keeps the CPIC result.

>>> from tailormed.calling.models import Diplotype, GeneCall
>>> from tailormed.knowledge import load_kb
>>> call = GeneCall("S1", "DPYD", (Diplotype.of("Reference", "c.1905+1G>A (*2A)"),), False)
>>> r = interpret(call, load_kb())
>>> r.phenotype, r.activity_score, r.lookup_key, r.dpwg_lookup_key
('Intermediate Metabolizer', '1.0', '1.0', '1.0 (Intermediate Metabolizer)')
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.medications import resolve_medication
from tailormed.phenotype.hla import interpret_hla
from tailormed.phenotype.models import (
    NO_RESULT,
    NOT_AVAILABLE,
    AlleleInterpretation,
    DiplotypeOutcome,
    GenePhenotype,
)
from tailormed.phenotype.outside import interpret_outside
from tailormed.phenotype.phenoconversion import phenoconvert
from tailormed.phenotype.resolve import resolve
from tailormed.phenotype.tables import TableView, table_view

GeneRule = Callable[[GeneCall, KnowledgeBase], GenePhenotype]

# Genes whose phenotype is not a table lookup. Everything else is generic.
GENE_RULES: Mapping[str, GeneRule] = MappingProxyType(
    {"HLA-A": interpret_hla, "HLA-B": interpret_hla}
)


def interpret(call: GeneCall, kb: KnowledgeBase) -> GenePhenotype:
    """The phenotype, activity score and lookup key(s) of one gene call.

    Lowest-function genes (DPYD, RYR1) are interpreted from the call's
    ``function_diplotype`` (the two lowest-function alleles), as CPIC directs.
    """
    if call.function_diplotype is not None and call.called:
        call = replace(call, diplotypes=(call.function_diplotype,))
    rule = GENE_RULES.get(call.gene.upper())
    if rule is not None:
        return _with_version_note(rule(call, kb), call, kb)
    view = table_view(kb, call.gene)
    if call.source == "outside" and (call.phenotype or call.activity_score):
        return _with_version_note(interpret_outside(call, kb, view), call, kb)
    if not call.called:
        result = _no_result(call, kb, view)
    elif view is None:
        result = _not_available(call, kb)
    else:
        result = _from_table(call, kb, view)
    return _with_version_note(result, call, kb)


def interpret_all(
    calls: Iterable[GeneCall], kb: KnowledgeBase, medications: Iterable[str] = ()
) -> list[GenePhenotype]:
    """:func:`interpret` every call, then apply phenoconversion for ``medications``
    (lines as written, read by :func:`tailormed.medications.resolve_medication`)."""
    meds = tuple(resolve_medication(m, kb, suggest=False) for m in medications)
    results = [interpret(c, kb) for c in calls]
    return [phenoconvert(r, meds, kb) for r in results] if meds else results


def _from_table(call: GeneCall, kb: KnowledgeBase, view: TableView) -> GenePhenotype:
    res = resolve(view, call.diplotypes, call.uncertain_alleles)
    dpwg_phenotype, dpwg_key, dpwg_notes = _dpwg(call, kb, res.outcome)
    every_allele = [a for d in call.diplotypes for a in d.alleles]
    return GenePhenotype(
        gene=call.gene,
        sample=call.sample,
        diplotype=call.diplotype,
        alleles=tuple(view.allele(a) for a in call.diplotypes[0].alleles),
        phenotype=res.outcome.phenotype,
        activity_score=res.outcome.activity_score,
        lookup_keys=(res.outcome.lookup_key,),
        dpwg_phenotype=dpwg_phenotype,
        dpwg_lookup_key=dpwg_key,
        reason=res.reason,
        notes=(*view.mapped_names(every_allele), *res.notes, *dpwg_notes),
        alternatives=res.alternatives,
        call_source=call.source,
        phenotype_source=view.source_text,
        kb_version=kb.version,
    )


def _dpwg(
    call: GeneCall, kb: KnowledgeBase, cpic: DiplotypeOutcome
) -> tuple[str | None, str | None, tuple[str, ...]]:
    view = table_view(kb, call.gene, "DPWG")
    if view is None:
        return None, None, ()
    res = resolve(view, call.diplotypes, call.uncertain_alleles)
    if not res.complete:
        # The DPWG map predates many alleles; like PharmCAT since it dropped these maps
        # (Oct 2025), DPWG advice then uses the CPIC result.
        return None, None, (f"not covered by the {view.label}: the CPIC result applies to DPWG",)
    if res.outcome.key == cpic.key:
        return None, None, ()
    notes = (f"DPWG: {res.reason}",) if res.reason else ()
    return res.outcome.phenotype, res.outcome.lookup_key, notes


def _no_result(call: GeneCall, kb: KnowledgeBase, view: TableView | None) -> GenePhenotype:
    why = "; ".join(call.warnings) if call.warnings else "no diplotype was called"
    return GenePhenotype(
        gene=call.gene,
        sample=call.sample,
        diplotype=call.diplotype,
        alleles=(),
        phenotype=NO_RESULT,
        activity_score=None,
        lookup_keys=(NO_RESULT,),
        reason=why,
        call_source=call.source,
        phenotype_source=view.source_text if view else "",
        kb_version=kb.version,
    )


def _not_available(call: GeneCall, kb: KnowledgeBase) -> GenePhenotype:
    if kb.has_phenotypes(call.gene):
        table = kb.phenotypes(call.gene)
        why = f"the {table.source} phenotype map ({table.version}) lists no diplotypes"
        alleles = tuple(
            AlleleInterpretation(
                a,
                table.alleles[a].function if a in table.alleles else None,
                table.alleles[a].activity_value if a in table.alleles else None,
            )
            for a in call.diplotypes[0].alleles
        )
    else:
        why = f"the knowledge base ({kb.version}) has no phenotype map for {call.gene}"
        alleles = tuple(AlleleInterpretation(a) for a in call.diplotypes[0].alleles)
    return GenePhenotype(
        gene=call.gene,
        sample=call.sample,
        diplotype=call.diplotype,
        alleles=alleles,
        phenotype=NOT_AVAILABLE,
        activity_score=None,
        lookup_keys=(NOT_AVAILABLE,),
        reason=why,
        call_source=call.source,
        kb_version=kb.version,
    )


def _with_version_note(result: GenePhenotype, call: GeneCall, kb: KnowledgeBase) -> GenePhenotype:
    if not call.kb_version or call.kb_version == kb.version:
        return result
    note = f"called with KB {call.kb_version}, interpreted with KB {kb.version}"
    return replace(result, notes=(*result.notes, note))
