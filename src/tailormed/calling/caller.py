"""From VCF files to :class:`CallSet`: read once, match every gene, explain every call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.calling.compiled import CompiledGene, compile_gene
from tailormed.calling.matcher import (
    MatchResult,
    block_labels,
    distinct_genotypes,
    match_genotype,
)
from tailormed.calling.models import CallOptions, CallSet, Diplotype, GeneCall, VariantEvidence
from tailormed.calling.rules import apply_gene_rules
from tailormed.errors import InputError
from tailormed.knowledge.models import DefiningVariant, GeneDefinition
from tailormed.knowledge.store import OUTSIDE_CALL_GENES, KnowledgeBase
from tailormed.vcf.models import (
    ABSENT_HAPLOTYPE,
    MISSING,
    NOT_IN_DEFINITION,
    GenePanel,
    GenotypeMatrix,
)
from tailormed.vcf.reader import VcfSet

CYP2D6_RESEARCH_WARNING = (
    "CYP2D6 called from VCF in research mode: copy number, gene deletions (*5), "
    "duplications and CYP2D6/2D7 hybrids were not assessed; not for clinical use"
)


def select_genes(kb: KnowledgeBase, options: CallOptions) -> tuple[str, ...]:
    """The genes to call from VCF, validated against the knowledge base."""
    if options.genes is None:
        genes = list(kb.vcf_callable_genes)
        if options.research_cyp2d6:
            genes.append("CYP2D6")
        return tuple(g for g in kb.genes if g in genes)
    out = []
    for name in options.genes:
        symbol = name.strip().upper()
        if symbol == "CYP2D6" and not options.research_cyp2d6:
            raise InputError(
                "CYP2D6 is not called from VCF (copy number and hybrids cannot be seen): "
                "give it as an outside call, or use the research mode (--research-cyp2d6)"
            )
        if symbol in OUTSIDE_CALL_GENES and symbol not in kb.genes:
            raise InputError(f"{symbol} cannot be called from VCF: give it as an outside call")
        kb.gene(symbol)  # unknown gene -> KnowledgeError naming the known ones
        out.append(symbol)
    return tuple(dict.fromkeys(out))


def panel_for(gene: GeneDefinition) -> GenePanel:
    extra = tuple(
        v
        for v in gene.exemptions.extra_positions
        if v.position not in {x.position for x in gene.variants}
    )
    return GenePanel(gene.symbol, gene.chrom, gene.variants + extra)


def call_files(paths: Sequence[Path], kb: KnowledgeBase, options: CallOptions) -> CallSet:
    """Call every requested gene for every sample of the input files (read as one)."""
    genes = select_genes(kb, options)
    vcfs = VcfSet([Path(p) for p in paths], options.samples)
    panels = [panel_for(kb.gene(g)) for g in genes]
    matrices = vcfs.read(panels, missing_to_ref=options.missing_to_ref)
    calls: dict[tuple[str, str], GeneCall] = {}
    for gene in genes:
        for call in call_gene(compile_gene(kb.gene(gene)), matrices[gene], kb.version, options):
            calls[(call.sample, gene)] = call
    return CallSet(
        samples=vcfs.samples,
        genes=genes,
        calls=calls,
        kb_version=kb.version,
        inputs=tuple(str(p) for p in paths),
        options=options,
    )


def call_gene(
    cg: CompiledGene, matrix: GenotypeMatrix, kb_version: str, options: CallOptions
) -> list[GeneCall]:
    """Calls for all samples of one gene; each distinct genotype is matched once."""
    labels_all = block_labels(matrix.codes, matrix.phased, matrix.phase_set)
    reps, inverse = distinct_genotypes(matrix.codes, labels_all)
    templates = []
    for rep in reps:
        codes = matrix.codes[rep]
        labels = labels_all[rep]
        result = match_genotype(cg, codes[:, cg.match_index], labels[cg.match_index])
        templates.append(_explain(cg, matrix, rep, result, kb_version))
    return [
        _with_sample(templates[group], sample)
        for sample, group in zip(matrix.samples, inverse, strict=True)
    ]


def _with_sample(call: GeneCall, sample: str) -> GeneCall:
    from dataclasses import replace

    return replace(call, sample=sample)


def _genotype_text(variant: DefiningVariant, codes: npt.NDArray[np.int8], phased: bool) -> str:
    def one(code: int) -> str:
        if code == MISSING:
            return "."
        if code == NOT_IN_DEFINITION:
            return "?"
        return variant.alleles[code]

    if codes[1] == ABSENT_HAPLOTYPE:
        return one(int(codes[0]))
    return ("|" if phased else "/").join(one(int(c)) for c in codes)


def _evidence(
    variant: DefiningVariant, codes: npt.NDArray[np.int8], phased: bool, source: str
) -> VariantEvidence:
    call = tuple(
        None if c in (MISSING, NOT_IN_DEFINITION) else variant.alleles[c]
        for c in codes
        if c != ABSENT_HAPLOTYPE
    )
    return VariantEvidence(
        position=variant.position,
        rsid=variant.rsid,
        ref=variant.ref,
        genotype=_genotype_text(variant, codes, phased),
        call=call,
        phased=phased,
        source=source,
    )


def _explain(
    cg: CompiledGene, matrix: GenotypeMatrix, rep: int, result: MatchResult, kb_version: str
) -> GeneCall:
    """Turn a match into a GeneCall with its evidence, warnings and limitations."""
    gene = cg.gene
    variants = matrix.variants
    codes = matrix.codes[rep]
    phased_flags = matrix.phased[rep]
    warnings: list[str] = list(matrix.warnings)
    present = np.array([s != "absent" for s in matrix.sources], dtype=bool)
    # "phased" means the input was phased: unphased homozygous genotypes need no phase,
    # but the call still says the data was unphased, as PharmCAT does.
    input_phased = bool(phased_flags[present].all()) if present.any() else False
    phased = result.phased and input_phased

    # Every non-reference or missing position, as read (the rest are reference).
    genotypes = tuple(
        _evidence(v, codes[:, i], bool(phased_flags[i]), matrix.sources[i])
        for i, v in enumerate(variants)
        if (codes[:, i] != 0).any()
        and not (codes[:, i] == ABSENT_HAPLOTYPE).all()
        and not (codes[0, i] == 0 and codes[1, i] == ABSENT_HAPLOTYPE)
    )
    match_pos = [variants[i] for i in cg.match_index]
    missing_positions = tuple(match_pos[i].position for i in result.missing)
    absent = [
        v.label for v, s in zip(variants, matrix.sources, strict=True) if s == "missing-to-ref"
    ]
    if absent:
        warnings.append(
            f"{len(absent)} of {len(variants)} positions were absent from the input and assumed "
            f"homozygous reference (--missing-to-ref)"
        )
    if missing_positions:
        labels = [match_pos[i].label for i in result.missing]
        warnings.append(
            f"{len(labels)} defining position(s) missing (no call): {', '.join(labels[:12])}"
            + (" ..." if len(labels) > 12 else "")
        )
    unknown = [
        variants[i].label for i in range(len(variants)) if (codes[:, i] == NOT_IN_DEFINITION).any()
    ]
    if unknown:
        warnings.append(f"allele not in the definition at {', '.join(unknown)}")

    diplotypes = tuple(
        Diplotype.of(*(cg.alleles[a].name for a in pair), score=result.score)
        for pair in result.pairs
    )
    diplotypes = tuple(dict.fromkeys(diplotypes))
    diplotypes = tuple(sorted(diplotypes, key=_diplotype_order))
    uncertain = tuple(sorted({cg.alleles[a].name for a in result.possible}))
    diplotypes, rule_warnings = apply_gene_rules(cg, diplotypes, result.phased)
    warnings.extend(rule_warnings)
    if not diplotypes:
        warnings.append(
            "no call: no combination of named alleles explains the genotype"
            + (" at the available positions" if missing_positions else "")
        )
    elif len(diplotypes) > 1:
        warnings.append(
            f"ambiguous: {len(diplotypes)} diplotypes fit equally well "
            f"({'; '.join(d.text for d in diplotypes)})"
        )
    unexplained = _unexplained(cg, codes, diplotypes)
    if unexplained:
        warnings.append(
            "variant(s) at defining positions not part of the called alleles: "
            + ", ".join(unexplained)
        )
    source = "vcf"
    if gene.symbol == "CYP2D6":
        source = "vcf-research"
        warnings.insert(0, CYP2D6_RESEARCH_WARNING)
    evidence = {}
    for d in diplotypes:
        for name in d.alleles:
            if name in evidence:
                continue
            ai = cg.names.index(name)
            evidence[name] = tuple(
                _evidence(
                    match_pos[p],
                    codes[:, cg.match_index[p]],
                    bool(phased_flags[cg.match_index[p]]),
                    matrix.sources[cg.match_index[p]],
                )
                for p in np.flatnonzero(cg.differs_from_ref[ai])
            )
    return GeneCall(
        sample="",
        gene=gene.symbol,
        diplotypes=diplotypes,
        phased=phased,
        missing_positions=missing_positions,
        uncertain_alleles=uncertain,
        warnings=tuple(dict.fromkeys(warnings)),
        evidence=evidence,
        genotypes=genotypes,
        source=source,
        kb_version=kb_version,
    )


def _diplotype_order(d: Diplotype) -> tuple[object, ...]:
    from tailormed.calling.models import allele_sort_key

    return tuple(allele_sort_key(a) for a in d.alleles)


def _unexplained(
    cg: CompiledGene, codes: npt.NDArray[np.int8], diplotypes: tuple[Diplotype, ...]
) -> list[str]:
    """Non-reference alleles at matching positions that no called allele defines."""
    if not diplotypes:
        return []
    explained = np.zeros(len(cg.match_index), dtype=bool)
    for name in diplotypes[0].alleles:
        explained |= cg.differs_from_ref[cg.names.index(name)]
    sub = codes[:, cg.match_index]
    nonref = ((sub > 0) | (sub == NOT_IN_DEFINITION)).any(axis=0)
    variants = cg.gene.variants
    return [variants[cg.match_index[p]].label for p in np.flatnonzero(nonref & ~explained)]
