"""The PGx domain's pure per-block functions, run by the cohort engine.

* :func:`call_block`: one sample block x one gene group → per gene, the distinct calls
  (templates, sample left blank) and each sample's template index, exactly as
  ``tailormed call`` computes them (:func:`tailormed.calling.caller.call_gene_templates`).
* :func:`interpret_block`: one sample block's templates of every gene (plus outside calls)
  → the rows of ``calls.parquet`` and ``drugs.parquet`` and the haplotype categories the
  equity summary counts.

Interpretation is memoised on what it depends on: a gene's phenotype on its distinct
call, a drug's report on the distinct calls of the genes its guidelines and dose
equations read (:func:`drug_genes`). With no medication list and no patient factors (a
cohort run has neither) a drug report depends on nothing else;
``tests/cohort/test_pgx_block.py`` checks the memoised rows against a full
:func:`~tailormed.recommend.build_interpretation` per sample.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.calling.caller import call_gene_templates, panel_for
from tailormed.calling.compiled import compile_gene
from tailormed.calling.models import CallOptions, GeneCall
from tailormed.calling.outside import OutsideCall, to_gene_call
from tailormed.knowledge import KnowledgeBase
from tailormed.phenotype import interpret
from tailormed.phenotype.models import GenePhenotype
from tailormed.recommend import build_interpretation
from tailormed.recommend.sources import drug_guidelines, guideline_genes
from tailormed.vcf.models import GenotypeMatrix

# Dose equations read these calls beyond the guideline genes (warfarin: IWPC + CPIC 2017).
DOSE_GENES: Mapping[str, tuple[str, ...]] = {"warfarin": ("CYP2C9", "VKORC1", "CYP4F2")}

# How a haplotype is counted in the equity summary.
HAP_NAMED = "named"  # a named allele with an assigned function
HAP_NO_FUNCTION = "no function assigned"  # a named allele the phenotype map gives no function
HAP_UNMATCHED = "unmatched"  # no named allele explains it (a no-call for that reason)
HAP_NOT_COVERED = "not covered"  # missing data: the input does not cover the gene/positions
NO_FUNCTION_VALUES = frozenset({"unknown function", "uncertain function"})


@dataclass(frozen=True, slots=True)
class GeneBlock:
    """One gene's calls for a sample block: distinct calls and each sample's index."""

    gene: str
    templates: tuple[GeneCall, ...]
    index: npt.NDArray[np.int64]

    def to_json(self) -> dict[str, Any]:
        return {
            "gene": self.gene,
            "templates": [t.to_json() for t in self.templates],
            "index": self.index.tolist(),
        }

    @staticmethod
    def from_json(d: Mapping[str, Any]) -> GeneBlock:
        return GeneBlock(
            gene=str(d["gene"]),
            templates=tuple(GeneCall.from_json("", t) for t in d["templates"]),
            index=np.asarray(d["index"], dtype=np.int64),
        )


def call_block(
    matrices: Mapping[str, GenotypeMatrix], kb: KnowledgeBase, options: CallOptions
) -> list[GeneBlock]:
    """Call each gene of a block from its genotype matrix (one template per genotype)."""
    out = []
    for gene, matrix in matrices.items():
        templates, inverse = call_gene_templates(
            compile_gene(kb.gene(gene)), matrix, kb.version, options
        )
        out.append(GeneBlock(gene, tuple(templates), np.asarray(inverse, dtype=np.int64)))
    return out


def panels(kb: KnowledgeBase, genes: Sequence[str]) -> list[Any]:
    return [panel_for(kb.gene(g)) for g in genes]


def drug_genes(kb: KnowledgeBase, drug: str) -> tuple[str, ...]:
    """The genes whose calls a drug's report reads (guideline genes, lookup keys, doses)."""
    d = kb.drug(drug)
    genes = set(d.genes)
    for guideline, recs in drug_guidelines(kb, d.name):
        genes.update(guideline.genes)
        genes.update(guideline_genes(guideline, recs))
    genes.update(DOSE_GENES.get(d.name.lower(), ()))
    return tuple(sorted(genes))


def allele_count_genes(kb: KnowledgeBase, drug: str) -> frozenset[str]:
    """Genes some recommendation for the drug keys on allele counts (a diplotype-specific
    map): for them the drug row depends on the alleles, not only on the phenotype."""
    from collections.abc import Mapping as AbstractMapping

    out: set[str] = set()
    for _guideline, recs in drug_guidelines(kb, kb.drug(drug).name):
        for r in recs:
            out.update(g for g, v in r.lookup_key.items() if isinstance(v, AbstractMapping))
    return frozenset(out)


# The GenePhenotype fields a drug row (status, recommendations, reason) reads: the
# recommendation stage (recommend.match / status / interpretation) reads these and, for
# allele-count keys, the allele names; never the diplotype text, notes or alternatives.
# Dose calculations read more, but no drug-row column comes from them.
DRUG_FIELDS = (
    "gene",
    "phenotype",
    "activity_score",
    "lookup_keys",
    "dpwg_phenotype",
    "dpwg_lookup_key",
    "reason",
    "call_source",
    "phenotype_source",
    "phenoconversion",
    "allele_presence",
)


def drug_key(p: GenePhenotype, with_alleles: bool) -> str:
    """What of a phenotype a drug row can depend on, as text (``tests/cohort`` checks the
    rows built from it against full interpretations)."""
    d = p.to_json()
    key = {f: d.get(f) for f in DRUG_FIELDS}
    key["has_alleles"] = bool(p.alleles)
    if with_alleles:
        key["allele_counts"] = sorted(p.allele_counts.items())
    return json.dumps(key, sort_keys=True, default=str)


def _key(call: GeneCall) -> str:
    return json.dumps(call.to_json(), sort_keys=True)


class Interpreter:
    """Memoised phenotypes and drug rows for one knowledge base (one per process)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._ids: dict[str, int] = {}
        self._calls: list[GeneCall] = []
        self._phenotype_of: dict[int, int] = {}
        self._phenotype_ids: dict[str, int] = {}
        self._phenotypes: list[GenePhenotype] = []
        self._first_call: list[int] = []  # phenotype id -> a call that gives it
        # what a drug row reads of a phenotype (see drug_key): id per (call, with alleles)
        self._drug_key_of: dict[tuple[int, bool], int] = {}
        self._drug_key_ids: dict[str, int] = {}
        self._drug_key_call: list[int] = []
        self._reports: dict[tuple[str, tuple[int, ...]], tuple[Any, ...]] = {}
        self.drugs = tuple(d.name for d in kb.drugs)
        self.deps = {name: drug_genes(kb, name) for name in self.drugs}
        self.allele_genes = {name: allele_count_genes(kb, name) for name in self.drugs}

    def intern(self, call: GeneCall) -> int:
        key = _key(call)
        found = self._ids.get(key)
        if found is None:
            found = len(self._calls)
            self._ids[key] = found
            self._calls.append(call)
        return found

    def call(self, cid: int) -> GeneCall:
        return self._calls[cid]

    def phenotype_id(self, cid: int) -> int:
        got = self._phenotype_of.get(cid)
        if got is None:
            p = interpret(self._calls[cid], self.kb)
            key = json.dumps(p.to_json(), sort_keys=True)
            got = self._phenotype_ids.get(key)
            if got is None:
                got = len(self._phenotypes)
                self._phenotype_ids[key] = got
                self._phenotypes.append(p)
                self._first_call.append(cid)
            self._phenotype_of[cid] = got
        return got

    def phenotype(self, cid: int) -> GenePhenotype:
        return self._phenotypes[self.phenotype_id(cid)]

    def drug_key_id(self, cid: int, with_alleles: bool) -> int:
        """One id per distinct :func:`drug_key` of the call's phenotype."""
        memo = (cid, with_alleles)
        got = self._drug_key_of.get(memo)
        if got is None:
            key = drug_key(self.phenotype(cid), with_alleles)
            got = self._drug_key_ids.get(key)
            if got is None:
                got = len(self._drug_key_call)
                self._drug_key_ids[key] = got
                self._drug_key_call.append(cid)
            self._drug_key_of[memo] = got
        return got

    def drug_row(self, drug: str, genes: Sequence[str], key: tuple[int, ...]) -> tuple[Any, ...]:
        """The drug's row values (without sample) for the calls (or phenotypes) ``key``
        of ``genes`` (-1: the gene has no call)."""
        from tailormed.cohort.tables import drug_values

        memo = (drug, key)
        got = self._reports.get(memo)
        if got is None:
            # a drug key stands for every call whose phenotype gives it
            calls = [self._calls[self._drug_key_call[k]] for k in key if k >= 0]
            interp = build_interpretation(calls, self.kb, drugs={drug})
            got = drug_values(interp.drugs[0])
            self._reports[memo] = got
        return got


_INTERPRETERS: dict[str, Interpreter] = {}


def interpreter(kb: KnowledgeBase) -> Interpreter:
    key = f"{kb.origin}|{kb.version}"
    if key not in _INTERPRETERS:
        _INTERPRETERS[key] = Interpreter(kb)
    return _INTERPRETERS[key]


@dataclass(frozen=True, slots=True)
class BlockRows:
    """A block's output tables (see :mod:`tailormed.cohort.tables`)."""

    calls: Any  # pyarrow.Table
    drugs: Any
    haplotypes: Any
    documents: dict[str, dict[str, Any]]  # sample -> per-sample calls JSON (on request)


def haplotype_status(call: GeneCall, phenotype: GenePhenotype) -> tuple[list[str], list[str]]:
    """The alleles of a call and how each haplotype counts in the equity summary."""
    if call.called:
        names = list((call.function_diplotype or call.diplotypes[0]).alleles)
        functions = {a.name: a.function for a in phenotype.alleles}
        out = []
        for name in names:
            function = functions.get(name)
            out.append(
                HAP_NO_FUNCTION
                if function is None or function.strip().lower() in NO_FUNCTION_VALUES
                else HAP_NAMED
            )
        return names, out
    haploid = any(e.genotype.count("|") + e.genotype.count("/") == 0 for e in call.genotypes)
    n = 1 if haploid else 2
    text = " ".join(call.warnings)
    status = HAP_UNMATCHED if "no combination of named alleles" in text else HAP_NOT_COVERED
    return [], [status] * n


def _sample_major(tables: list[Any], present: npt.NDArray[np.bool_]) -> Any:
    """Concatenate per-column tables (column k holds the present samples of column k, in
    sample order) and reorder the rows sample by sample, columns in order."""
    import pyarrow as pa

    s, k = present.shape
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=0))])
    position = np.full((s, k), -1, dtype=np.int64)
    for j in range(k):
        position[present[:, j], j] = offsets[j] + np.arange(int(present[:, j].sum()))
    order = position[present]  # row-major: sample by sample
    return pa.concat_tables(tables).take(pa.array(order))


def interpret_block(
    samples: Sequence[str],
    genes: Sequence[GeneBlock],
    kb: KnowledgeBase,
    *,
    outside: Sequence[OutsideCall] = (),
    outside_path: Path | None = None,
    documents: bool = False,
    document_head: Mapping[str, Any] | None = None,
) -> BlockRows:
    """Tables of one sample block: a call row per sample and gene, a drug row per sample
    and drug, each call's haplotype categories; per-sample calls JSON when ``documents``.

    Work is done once per distinct call (genes) and once per distinct combination of the
    phenotypes a drug reads (drugs), then spread to the samples with Arrow ``take``.
    """
    import pyarrow as pa

    from tailormed.cohort.tables import (
        CALLS_SCHEMA,
        DRUGS_SCHEMA,
        HAPLOTYPES_SCHEMA,
        call_values,
    )

    interp = interpreter(kb)
    n = len(samples)
    order = [g.gene for g in genes]
    order += list(dict.fromkeys(oc.gene for oc in outside if oc.gene not in order))
    col = {g: k for k, g in enumerate(order)}
    ids = np.full((n, len(order)), -1, dtype=np.int64)
    for k, g in enumerate(genes):
        local = np.array([interp.intern(t) for t in g.templates], dtype=np.int64)
        ids[:, k] = local[g.index]
    if outside:
        where = {s: i for i, s in enumerate(samples)}
        for oc in outside:
            targets = (
                range(n) if oc.sample is None else [where[oc.sample]] if oc.sample in where else []
            )
            for i in targets:
                assert outside_path is not None
                call = replace(to_gene_call(oc, samples[i], kb.version, outside_path), sample="")
                k = col[oc.gene]
                if ids[i, k] >= 0 and interp.call(int(ids[i, k])).source != "outside":
                    previous = interp.call(int(ids[i, k])).diplotype
                    call = replace(
                        call, warnings=(*call.warnings, f"overrides the VCF call {previous}")
                    )
                ids[i, k] = interp.intern(call)
    present = ids >= 0
    distinct = np.unique(ids[present])
    pheno_of = {int(c): interp.phenotype_id(int(c)) for c in distinct}
    lookup = np.full(int(ids.max()) + 2 if ids.size else 1, -1, dtype=np.int64)
    for c, p in pheno_of.items():
        lookup[c] = p
    dk = {}
    for flag in (False, True):
        table = np.full(len(lookup), -1, dtype=np.int64)
        for c in pheno_of:
            table[c] = interp.drug_key_id(c, flag)
        dk[flag] = np.where(present, table[ids], -1)
    sample_arr = np.asarray(samples, dtype=object)

    call_tables, hap_tables = [], []
    for k, gene in enumerate(order):
        mask = present[:, k]
        uniq, inverse = np.unique(ids[mask, k], return_inverse=True)
        values = [call_values(interp.call(int(c)), interp.phenotype(int(c))) for c in uniq]
        haps = [haplotype_status(interp.call(int(c)), interp.phenotype(int(c))) for c in uniq]
        take = pa.array(inverse.astype(np.int64))
        names = [f.name for f in CALLS_SCHEMA][2:]
        small = pa.table(
            {name: [v[j] for v in values] for j, name in enumerate(names)},
            schema=pa.schema(list(CALLS_SCHEMA)[2:]),
        ).take(take)
        who = pa.array(sample_arr[mask].tolist(), pa.string())
        call_tables.append(
            small.add_column(0, "gene", pa.array([gene] * int(mask.sum()), pa.string())).add_column(
                0, "sample", who
            )
        )
        hap_small = pa.table(
            {
                "alleles": pa.array([h[0] for h in haps], pa.list_(pa.string())),
                "status": pa.array([h[1] for h in haps], pa.list_(pa.string())),
                "phenotype": pa.array(
                    [interp.phenotype(int(c)).phenotype for c in uniq], pa.string()
                ),
            }
        ).take(take)
        hap_tables.append(
            hap_small.add_column(
                0, "gene", pa.array([gene] * int(mask.sum()), pa.string())
            ).add_column(0, "sample", who)
        )
    calls_table = _sample_major(call_tables, present).cast(CALLS_SCHEMA)
    haps_table = _sample_major(hap_tables, present).cast(HAPLOTYPES_SCHEMA)

    drug_tables = []
    drug_names = [f.name for f in DRUGS_SCHEMA][2:]
    everyone = pa.array(sample_arr.tolist(), pa.string())
    for drug in interp.drugs:
        deps = [g for g in interp.deps[drug] if g in col]
        with_alleles = interp.allele_genes[drug]
        keys = (
            np.column_stack([dk[g in with_alleles][:, col[g]] for g in deps])
            if deps
            else np.zeros((n, 0), dtype=np.int64)
        )
        if keys.shape[1]:
            uniq_keys, inverse = np.unique(keys, axis=0, return_inverse=True)
        else:
            uniq_keys, inverse = np.zeros((1, 0), dtype=np.int64), np.zeros(n, dtype=np.int64)
        values = [interp.drug_row(drug, deps, tuple(int(x) for x in row)) for row in uniq_keys]
        small = pa.table(
            {name: [v[j] for v in values] for j, name in enumerate(drug_names)},
            schema=pa.schema(list(DRUGS_SCHEMA)[2:]),
        ).take(pa.array(np.asarray(inverse).reshape(-1).astype(np.int64)))
        drug_tables.append(
            small.add_column(0, "drug", pa.array([drug] * n, pa.string())).add_column(
                0, "sample", everyone
            )
        )
    drugs_table = (
        _sample_major(drug_tables, np.ones((n, len(drug_tables)), dtype=bool)).cast(DRUGS_SCHEMA)
        if drug_tables
        else DRUGS_SCHEMA.empty_table()
    )
    docs: dict[str, dict[str, Any]] = {}
    if documents:
        for i, sample in enumerate(samples):
            docs[sample] = {
                **(document_head or {}),
                "sample": sample,
                "genes": {
                    g: replace(interp.call(int(ids[i, k])), sample=sample).to_json()
                    for k, g in enumerate(order)
                    if ids[i, k] >= 0
                },
            }
    return BlockRows(calls_table, drugs_table, haps_table, docs)
