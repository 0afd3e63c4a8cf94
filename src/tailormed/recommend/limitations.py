"""The limitations every report must show, as plain sentences.

In order: genes any guideline needs that were not tested; genes without a call; missing
defining positions per gene (and the alleles they leave open); indeterminate phenotypes;
CYP2D6 structural variants (not assessed when CYP2D6 comes from a VCF in research mode or
is absent); the knowledge base's data dates (from its manifest: guideline annotations,
CPIC export, fallback phenotype maps); medication lines that were not recognised; the
draft status of the inhibitor list when a listed medication is an inhibitor.

>>> from tailormed.knowledge import load_kb
>>> lines = limitations([], {}, load_kb(), ())
>>> any(line.startswith("CYP2D6 structural variants not assessed from VCF") for line in lines)
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tailormed.calling.models import GeneCall
from tailormed.knowledge import KnowledgeBase
from tailormed.medications import ResolvedMedication
from tailormed.phenotype.models import INDETERMINATE, NOT_AVAILABLE, GenePhenotype

_SHOWN_POSITIONS = 8


def guideline_genes(kb: KnowledgeBase) -> tuple[str, ...]:
    """Every gene a drug in the knowledge base has guidance for."""
    return tuple(sorted({g for d in kb.drugs for g in d.genes}))


def limitations(
    calls: Sequence[GeneCall],
    phenotypes: Mapping[str, GenePhenotype],
    kb: KnowledgeBase,
    medications: Sequence[ResolvedMedication],
) -> tuple[str, ...]:
    out: list[str] = []
    tested = {c.gene for c in calls}
    untested = [g for g in guideline_genes(kb) if g not in tested]
    if untested:
        out.append(
            f"Not tested: {', '.join(untested)}. Drugs whose guidelines need these genes are "
            "reported as 'no result' unless the guideline gives advice for an untested gene."
        )
    for c in calls:
        if not c.called:
            why = "; ".join(c.warnings) or "no diplotype fits the genotypes"
            out.append(f"{c.gene}: no call ({why}).")
    for c in calls:
        if c.missing_positions:
            out.append(_missing_positions(c, kb))
    for gene, p in phenotypes.items():
        if p.phenotype in (INDETERMINATE, NOT_AVAILABLE) and gene in tested and p.reason:
            if p.phenotype == NOT_AVAILABLE and not any(gene in d.genes for d in kb.drugs):
                continue
            out.append(f"{gene}: phenotype {p.phenotype} ({p.reason}).")
    cyp2d6 = next((c for c in calls if c.gene == "CYP2D6"), None)
    if cyp2d6 is None or cyp2d6.source == "vcf-research":
        how = "not tested" if cyp2d6 is None else "called from the VCF in research mode"
        out.append(
            "CYP2D6 structural variants not assessed from VCF: gene deletion (*5), "
            "duplications (xN) and hybrid alleles need copy-number analysis or an outside "
            f"call (CYP2D6 {how})."
        )
    out.extend(_kb_dates(kb))
    unrecognised = [m.line for m in medications if not m.recognised]
    if unrecognised:
        out.append(
            "Medications not recognised (no advice or phenoconversion could be checked for "
            f"them): {'; '.join(unrecognised)}."
        )
    table = kb.inhibitors
    if any(table.of(i) for m in medications for i in m.ingredients):
        out.append(
            f"Phenoconversion used the inhibitor list compiled {table.compiled} "
            f"({table.status}); a clinical pharmacist should review inhibitor strengths "
            "before clinical use."
        )
    return tuple(out)


def _missing_positions(call: GeneCall, kb: KnowledgeBase) -> str:
    chrom = kb.gene(call.gene).chrom if call.gene in kb.genes else ""
    shown = ", ".join(
        f"{chrom}:{p}" if chrom else str(p) for p in call.missing_positions[:_SHOWN_POSITIONS]
    )
    more = len(call.missing_positions) - _SHOWN_POSITIONS
    text = (
        f"{call.gene}: {len(call.missing_positions)} defining position(s) missing from the "
        f"input ({shown}{f', and {more} more' if more > 0 else ''})"
    )
    if call.uncertain_alleles:
        text += f"; alleles that could not be ruled out: {', '.join(call.uncertain_alleles)}"
    return text + "."


def _kb_dates(kb: KnowledgeBase) -> list[str]:
    sources = {s.name: s for s in kb.manifest.sources}
    out: list[str] = []
    if (s := sources.get("clinpgx-guideline-annotations")) is not None:
        out.append(
            f"Guideline recommendations are the ClinPGx annotations of CPIC and DPWG "
            f"guidelines as of {s.date}; guideline updates after that date are not included "
            f"(knowledge base {kb.version})."
        )
    if (s := sources.get("cpic-database-export")) is not None:
        out.append(
            f"CPIC recommendations for drugs those annotations do not cover (G6PD guideline "
            f"drugs such as aspirin) come from the CPIC database export of {s.date}."
        )
    if (s := sources.get("pharmcat-phenotype-fallbacks")) is not None:
        out.append(
            f"Phenotype maps for CYP2D6, G6PD and RYR1 are older fallbacks ({s.version}); "
            "alleles named since then have no function assigned and give an indeterminate "
            "phenotype."
        )
    if (s := sources.get("pharmcat-dpwg-phenotypes")) is not None:
        out.append(
            f"DPWG-specific phenotypes use PharmCAT's legacy DPWG maps ({s.version}); where "
            "they do not list a diplotype, the CPIC phenotype is used for DPWG advice."
        )
    return out
