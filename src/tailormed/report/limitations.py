"""The limitations every report states, after the interpretation's own.

The recommendation stage writes its own limitation sentences; the report adds the ones a
reader must always see (genes not tested, missing positions, CYP2D6 structural variants,
only known variants read, the knowledge-base version, not a diagnosis). A report sentence
is skipped when an upstream sentence already covers its topic, so a reader does not meet
the same limitation twice in different words.

>>> from tailormed.recommend.models import Interpretation
>>> from tailormed.report.schema import Summary
>>> lims = report_limitations(Interpretation("S1", "kb-1", (), (), ()), [], Summary(), None)
>>> lims[-1].startswith("This report is not a diagnosis")
True
"""

from __future__ import annotations

import re

from tailormed.knowledge import KnowledgeBase
from tailormed.recommend.models import Interpretation
from tailormed.report.schema import GeneResult, Summary


def _mentions(existing: list[str], *words: str) -> bool:
    """Whether an upstream limitation already covers a topic (all ``words`` present)."""
    return any(all(w.lower() in text.lower() for w in words) for text in existing)


def _unnamed(existing: list[str], topic: str, genes: list[str]) -> list[str]:
    """The ``genes`` no upstream sentence on ``topic`` names (as a whole symbol). A topic
    word alone never hides the report's own statement, so no gene's limitation is lost
    and none is stated twice."""
    about = [t for t in existing if topic.lower() in t.lower()]
    return [
        g
        for g in genes
        if not any(re.search(rf"(?<![\w-]){re.escape(g)}(?![\w-])", t) for t in about)
    ]


def report_limitations(
    i: Interpretation, genes: list[GeneResult], summary: Summary, kb: KnowledgeBase | None
) -> list[str]:
    """The interpretation's limitations, then the ones every report states.

    A report statement leaves out the genes an upstream sentence on the same topic already
    names, so the reader sees each gene's limitation once, and never loses one.
    """
    out = list(dict.fromkeys(i.limitations))
    upstream = list(out)
    untested = _unnamed(upstream, "not tested", summary.genes_not_tested)
    if untested:
        also = "Also not tested" if len(untested) < len(summary.genes_not_tested) else "Not tested"
        out.append(
            f"{also}: " + ", ".join(untested) + ". Advice for medicines that depend on "
            "these genes cannot be given from this report."
        )
    missing = [g for g in genes if g.missing_positions]
    unstated = set(_unnamed(upstream, "missing", [g.gene for g in missing]))
    if unstated:
        parts = [f"{g.gene} ({len(g.missing_positions)})" for g in missing if g.gene in unstated]
        out.append(
            "Allele-defining positions were missing from the input for "
            + ", ".join(parts)
            + "; alleles defined at those positions could not be ruled out."
        )
    cyp2d6 = next((g for g in genes if g.gene == "CYP2D6"), None)
    if (cyp2d6 is None or cyp2d6.source != "outside") and not _mentions(
        upstream, "CYP2D6", "structural"
    ):
        out.append(
            "CYP2D6 structural variants (gene deletions, duplications and hybrid genes) "
            "cannot be assessed from a VCF file; "
            + (
                "the CYP2D6 result here comes from a research mode that ignores them."
                if cyp2d6 is not None
                else "CYP2D6 needs a separate test (an outside call)."
            )
        )
    if any(g.source != "outside" for g in genes):
        out.append(
            "Only the positions that define known alleles were read. Rare or new variants "
            "are not detected, so a reference (*1) result means none of the tested variants "
            "was found, not that the gene is certainly typical."
        )
    if kb is None:
        out.append(
            f"The source list of knowledge base {i.kb_version} was not available when this "
            "report was written."
        )
    out.append(
        f"Advice reflects knowledge base {i.kb_version}. Guidelines change; check current "
        "CPIC and DPWG guidance before acting on an older report."
    )
    out.append(
        "This report is not a diagnosis. Genes are one factor in how a medicine works; "
        "age, kidney and liver function, other medicines and the condition treated matter "
        "too. Do not start, stop or change a medicine without your prescriber."
    )
    return out
