"""From VCF files to :class:`CallSet`: read once, match every gene, explain every call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from tailormed.calling.combination import combination_diplotypes
from tailormed.calling.compiled import CompiledGene, compile_gene
from tailormed.calling.matcher import (
    MatchResult,
    block_labels,
    distinct_genotypes,
    match_genotype,
)
from tailormed.calling.models import (
    CallOptions,
    CallSet,
    Diplotype,
    GeneCall,
    VariantEvidence,
    allele_sort_key,
)
from tailormed.calling.rules import (
    GenePolicy,
    lowest_function_diplotype,
    lowest_function_pair,
    missing_required,
    policy_for,
    strand_components,
    unphased_haplotypes,
    unphased_priority,
)
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
from tailormed.vcf.regions import CoveredRegions

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


GeneResult = tuple[list[GeneCall], npt.NDArray[np.int64]]  # templates, sample -> template


def _call_genes(
    vcfs: VcfSet, kb: KnowledgeBase, options: CallOptions, genes: Sequence[str]
) -> dict[str, GeneResult]:
    """Read the genes' positions (once) and call them: per-genotype templates."""
    panels = [panel_for(kb.gene(g)) for g in genes]
    bed = CoveredRegions.read(options.covered_regions) if options.covered_regions else None
    matrices = vcfs.read(panels, missing_to_ref=options.missing_to_ref, covered=bed)
    return {
        g: call_gene_templates(compile_gene(kb.gene(g)), matrices[g], kb.version, options)
        for g in genes
    }


def _worker(args: tuple[list[Path], str | None, CallOptions, list[str]]) -> dict[str, GeneResult]:
    paths, kb_path, options, genes = args
    from tailormed.knowledge import load_kb

    # a worker opens the files itself: open htslib handles do not survive a fork
    return _call_genes(VcfSet(paths, options.samples), load_kb(kb_path), options, genes)


def _split(kb: KnowledgeBase, genes: Sequence[str], parts: int) -> list[list[str]]:
    """Genes in ``parts`` groups of similar size (by number of defining positions)."""
    groups: list[list[str]] = [[] for _ in range(parts)]
    load = [0] * parts
    for g in sorted(genes, key=lambda g: -len(kb.gene(g).variants)):
        i = load.index(min(load))
        groups[i].append(g)
        load[i] += len(kb.gene(g).variants) + 50
    return [grp for grp in groups if grp]


def call_files(paths: Sequence[Path], kb: KnowledgeBase, options: CallOptions) -> CallSet:
    """Call every requested gene for every sample of the input files (read as one).

    With ``options.jobs > 1`` and indexed inputs, gene groups are called in parallel
    processes; each region is still read once. Unindexed inputs are streamed once, in
    this process.
    """
    genes = select_genes(kb, options)
    if options.covered_regions is not None and not options.missing_to_ref:
        raise InputError(
            "--covered-regions says where absent positions may be read as reference: "
            "use it together with --missing-to-ref",
            path=options.covered_regions,
        )
    vcfs = VcfSet([Path(p) for p in paths], options.samples)  # validates every file now
    samples = vcfs.samples
    results: dict[str, GeneResult] = {}
    if options.jobs > 1 and len(genes) > 1 and vcfs.indexed:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        groups = _split(kb, genes, options.jobs)
        work = [([Path(p) for p in paths], kb.origin, options, grp) for grp in groups]
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=len(groups), mp_context=context) as pool:
            for part in pool.map(_worker, work):
                results.update(part)
    else:
        results = _call_genes(vcfs, kb, options, genes)
    calls: dict[tuple[str, str], GeneCall] = {}
    for gene in genes:
        templates, inverse = results[gene]
        for sample, group in zip(samples, inverse, strict=True):
            calls[(sample, gene)] = _with_sample(templates[group], sample)
    return CallSet(
        samples=vcfs.samples,
        genes=genes,
        calls=calls,
        kb_version=kb.version,
        inputs=tuple(str(p) for p in paths),
        options=options,
    )


@dataclass(frozen=True, slots=True)
class Decision:
    """What the calling strategy concluded for one distinct genotype."""

    result: MatchResult
    diplotypes: tuple[Diplotype, ...]
    haplotypes: tuple[str, ...] = ()
    function_diplotype: Diplotype | None = None
    notes: tuple[str, ...] = ()
    # nothing to call from: the gene is not covered, or no defining position has data
    no_data: bool = False


def call_gene(
    cg: CompiledGene, matrix: GenotypeMatrix, kb_version: str, options: CallOptions
) -> list[GeneCall]:
    """Calls for all samples of one gene, in sample order."""
    templates, inverse = call_gene_templates(cg, matrix, kb_version, options)
    return [
        _with_sample(templates[group], sample)
        for sample, group in zip(matrix.samples, inverse, strict=True)
    ]


def call_gene_templates(
    cg: CompiledGene, matrix: GenotypeMatrix, kb_version: str, options: CallOptions
) -> GeneResult:
    """One call per distinct genotype (sample left blank) and each sample's genotype group.

    Where the gene's policy reads undocumented alleles as the reference, that happens
    before phase blocks are worked out (a site that becomes homozygous needs no phase),
    as PharmCAT does when it reads the VCF; the evidence still shows what was read.
    """
    policy = policy_for(cg.gene.symbol)
    as_reference = policy.undocumented_as_reference and (
        not options.combinations or policy.undocumented_as_reference_in_combinations
    )
    codes_all = matrix.codes
    if not matrix.covered:  # nothing in the gene's region: one no-call for everyone
        every = tuple(range(len(cg.match_index)))
        result = MatchResult(pairs=(), score=0, possible=(), missing=every, phased=False)
        decision = Decision(result, (), notes=(matrix.coverage_note,), no_data=True)
        template = _explain(cg, matrix, 0, decision, kb_version)
        return [template], np.zeros(len(matrix.samples), dtype=np.int64)
    if as_reference and (codes_all == NOT_IN_DEFINITION).any():
        codes_all = np.where(codes_all == NOT_IN_DEFINITION, 0, codes_all).astype(np.int8)
    labels_all = block_labels(codes_all, matrix.phased, matrix.phase_set)
    grouping = matrix.codes
    for flags in (matrix.conflicts, matrix.mixed_ploidy):  # no-calls with their own reason
        if flags is not None:
            grouping = np.where(flags[:, None, :], np.int8(CONFLICT), grouping)
    reps, inverse = distinct_genotypes(grouping, labels_all)
    templates = []
    for rep in reps:
        codes = codes_all[rep][:, cg.match_index]
        labels = labels_all[rep][cg.match_index]
        unknown = (
            tuple(matrix.unknown_alleles[i] for i in cg.match_index)
            if matrix.unknown_alleles
            else ()
        )
        decision = decide(cg, codes, labels, options, unknown)
        if as_reference and (matrix.codes[rep] == NOT_IN_DEFINITION).any():
            note = "an allele not in the definition was read as the reference allele"
            decision = replace(decision, notes=(note, *decision.notes))
        templates.append(_explain(cg, matrix, int(rep), decision, kb_version))
    return templates, inverse


# Grouping code for a position whose records conflict (never a real allele code).
CONFLICT = -4


def _names(cg: CompiledGene, pair: tuple[int, ...], score: int) -> Diplotype:
    report = cg.gene.reported_name
    return Diplotype.of(*(report(cg.alleles[a].name) for a in pair), score=score)


def _ordered(diplotypes: list[Diplotype]) -> tuple[Diplotype, ...]:
    """Best score first, then natural name order; duplicates removed."""
    unique = dict.fromkeys(diplotypes)
    return tuple(sorted(unique, key=lambda d: (-d.score, _diplotype_order(d))))


def decide(
    cg: CompiledGene,
    codes: npt.NDArray[np.int8],
    labels: npt.NDArray[np.int64],
    options: CallOptions,
    unknown: tuple[str | None, ...] = (),
) -> Decision:
    """The calling strategy: standard match, the gene's policy, exemptions, fallbacks.

    ``codes`` (2, P) and ``labels`` (P,) are over the gene's matching positions.
    """
    policy = policy_for(cg.gene.symbol)
    notes: list[str] = []
    result = match_genotype(cg, codes, labels)
    if len(result.missing) == len(cg.match_index):  # judged per position: nothing here
        return Decision(
            replace(result, possible=()),  # every allele "could not be excluded": say less
            (),
            notes=(
                f"no call: no genotype at any of the {len(cg.match_index)} defining "
                f"position(s) of {cg.gene.symbol}",
            ),
            no_data=True,
        )
    missing_pos = tuple(cg.gene.variants[cg.match_index[i]].position for i in result.missing)
    required = missing_required(cg, missing_pos)
    if required:
        return Decision(
            result,
            (),
            notes=(
                *notes,
                f"cannot call {cg.gene.symbol}: required position(s) missing: "
                + ", ".join(str(p) for p in required),
            ),
        )
    if policy.lowest_function is not None:
        return _decide_lowest_function(cg, codes, labels, result, policy, notes)

    pairs, note = unphased_priority(cg, result)
    if note:
        notes.append(note)
    ranked = dict(result.ranked)
    if options.all_matches and not note:
        chosen = [_names(cg, pair, score) for pair, score in result.ranked]
    else:
        chosen = [_names(cg, pair, ranked.get(pair, result.score)) for pair in pairs]
    if not chosen and options.combinations:
        combos = combination_diplotypes(cg, codes, labels, unknown)
        chosen = [Diplotype.of(*names, score=score) for names, score in combos]
        if chosen:
            notes.append(
                "combination call: no single named allele explains a haplotype; the "
                "components are listed in brackets and unexplained variants by position"
            )
    return Decision(result, _ordered(chosen), notes=tuple(notes))


def _decide_lowest_function(
    cg: CompiledGene,
    codes: npt.NDArray[np.int8],
    labels: npt.NDArray[np.int64],
    result: MatchResult,
    policy: GenePolicy,
    notes: list[str],
) -> Decision:
    """DPYD / RYR1: exact diplotypes when phased, else the haplotypes found, reduced to the
    two lowest-function alleles for interpretation.

    Where the gene's special alleles apply (DPYD HapB3), they are left out of matching
    and called by their rule: merged into each haplotype of the combination diplotypes
    (phased data, phase sets) or added to the unphased haplotype list.
    """
    uses_phase_sets = bool((labels > 1).any())
    special = policy.special_alleles
    if special is not None and not special.applies(cg, codes):
        special = None
    if special is None and result.phased and result.ranked:
        diplotypes = _ordered([_names(cg, pair, score) for pair, score in result.ranked])
    elif result.phased or uses_phase_sets:
        if special is not None:
            combos, rule_notes = special.phased_diplotypes(cg, codes, labels)
            notes.extend(rule_notes)
        else:
            combos = combination_diplotypes(cg, codes, labels)
        diplotypes = _ordered([Diplotype.of(*n, score=s) for n, s in combos])
    else:
        calls: tuple[str, ...] = ()
        matching = cg
        if special is not None:
            calls, rule_notes = special.unphased_calls(cg, codes)
            notes.extend(rule_notes)
            matching = special.matching_gene(cg)
        haplotypes = tuple(unphased_haplotypes(matching, codes, calls))
        assert policy.lowest_function is not None
        pair = lowest_function_pair(cg, list(haplotypes), policy.lowest_function)
        notes.append(
            f"unphased {cg.gene.symbol}: haplotypes found: {', '.join(haplotypes)}; the two "
            "lowest-function alleles are used for interpretation (CPIC / PharmCAT rule)"
        )
        return Decision(result, (pair,), haplotypes, pair, tuple(notes))
    function = lowest_function_diplotype(cg, diplotypes, policy)
    if function is not None and diplotypes and function != diplotypes[0]:
        notes.append(
            f"for interpretation each haplotype is reduced to its lowest-function allele: "
            f"{function.text}"
        )
    return Decision(result, diplotypes, (), function, tuple(notes))


def _with_sample(call: GeneCall, sample: str) -> GeneCall:
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
    cg: CompiledGene, matrix: GenotypeMatrix, rep: int, decision: Decision, kb_version: str
) -> GeneCall:
    """Turn a match into a GeneCall with its evidence, warnings and limitations."""
    gene = cg.gene
    result = decision.result
    variants = matrix.variants
    codes = matrix.codes[rep]
    phased_flags = matrix.phased[rep]
    warnings: list[str] = list(matrix.warnings)
    present = np.array(
        [s not in ("absent", "outside-coverage") for s in matrix.sources], dtype=bool
    )
    # "phased" means the input was phased: unphased homozygous genotypes need no phase,
    # but the call still says the data was unphased, as PharmCAT does.
    input_phased = bool(phased_flags[present].all()) if present.any() else False
    phased = result.phased and input_phased

    # Every non-reference or missing position, as read (the rest are reference).
    genotypes = tuple(
        _evidence(v, codes[:, i], bool(phased_flags[i]), matrix.sources[i])
        for i, v in enumerate(variants)
        if not decision.no_data
        and (codes[:, i] != 0).any()
        and not (codes[:, i] == ABSENT_HAPLOTYPE).all()
        and not (codes[0, i] == 0 and codes[1, i] == ABSENT_HAPLOTYPE)
    )
    if matrix.conflicts is not None:
        for i in np.flatnonzero(matrix.conflicts[rep]):
            warnings.append(
                f"conflicting records at {matrix.conflict_records[i]}: they state different "
                "genotypes for this sample, so the position is a no-call"
            )
    if matrix.mixed_ploidy is not None and matrix.mixed_ploidy[rep].any():
        mixed = [variants[i].label for i in np.flatnonzero(matrix.mixed_ploidy[rep])]
        warnings.append(
            f"diploid genotype(s) at {', '.join(mixed[:12])} in a sample with haploid "
            f"genotypes elsewhere on {gene.chrom}: those positions are no-calls"
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

    diplotypes = decision.diplotypes
    uncertain = tuple(
        sorted(
            {gene.reported_name(cg.alleles[a].name) for a in result.possible}, key=allele_sort_key
        )
    )
    if uncertain:
        warnings.append(
            "could not be excluded because a position they define is missing: "
            + ", ".join(uncertain[:12])
            + (" ..." if len(uncertain) > 12 else "")
        )
    if decision.no_data:  # why there is no call comes first
        warnings[:0] = decision.notes
    else:
        warnings.extend(decision.notes)
    if not diplotypes and not decision.no_data:
        warnings.append(
            "no call: no combination of named alleles explains the genotype"
            + (" at the available positions" if missing_positions else "")
        )
    elif len(diplotypes) > 1:
        top = [d for d in diplotypes if d.score == diplotypes[0].score]
        if len(top) > 1:
            warnings.append(
                f"ambiguous: {len(top)} diplotypes fit equally well "
                f"({'; '.join(d.text for d in top)})"
            )
        if len(top) < len(diplotypes):
            warnings.append(
                f"{len(diplotypes) - len(top)} lower-scoring diplotype(s) also fit "
                "(listed as alternatives)"
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
            positions = sorted(
                {
                    int(p)
                    for ai in _allele_indices(cg, name)
                    for p in np.flatnonzero(cg.differs_from_ref[ai])
                }
            )
            evidence[name] = tuple(
                _evidence(
                    match_pos[p],
                    codes[:, cg.match_index[p]],
                    bool(phased_flags[cg.match_index[p]]),
                    matrix.sources[cg.match_index[p]],
                )
                for p in positions
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
        haplotypes=decision.haplotypes,
        function_diplotype=decision.function_diplotype,
        source=source,
        kb_version=kb_version,
    )


def _allele_indices(cg: CompiledGene, name: str) -> list[int]:
    """Named alleles behind a reported name: itself, a core name's sub-alleles, or the
    components of a combination (``[*2 + *17]``); partials (``g.…``) have none."""
    report = cg.gene.reported_name
    out: list[int] = []
    for part in strand_components(name):
        out.extend(i for i, a in enumerate(cg.alleles) if part in (a.name, report(a.name)))
    return out


def _diplotype_order(d: Diplotype) -> tuple[object, ...]:
    return tuple(allele_sort_key(a) for a in d.alleles)


def _unexplained(
    cg: CompiledGene, codes: npt.NDArray[np.int8], diplotypes: tuple[Diplotype, ...]
) -> list[str]:
    """Non-reference alleles at matching positions that no called allele defines."""
    if not diplotypes:
        return []
    explained = np.zeros(len(cg.match_index), dtype=bool)
    for name in diplotypes[0].alleles:
        for ai in _allele_indices(cg, name):
            explained |= cg.differs_from_ref[ai]
    sub = codes[:, cg.match_index]
    nonref = ((sub > 0) | (sub == NOT_IN_DEFINITION)).any(axis=0)
    variants = cg.gene.variants
    return [variants[cg.match_index[p]].label for p in np.flatnonzero(nonref & ~explained)]
