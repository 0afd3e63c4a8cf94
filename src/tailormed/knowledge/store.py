"""Load the bundled knowledge base into one immutable, queryable object.

>>> kb = load_kb()
>>> kb.gene("CYP2C19").reference_allele.name
'*38'
>>> kb.phenotypes("CYP2C19").lookup("*1", "*2").phenotype
'Intermediate Metabolizer'
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from tailormed.errors import KnowledgeError
from tailormed.knowledge.build import BUNDLE_NAME, SCHEMA_VERSION
from tailormed.knowledge.medicines import (
    DoseTables,
    DrugNames,
    InhibitorTable,
    dose_tables,
    inhibitor_table,
)
from tailormed.knowledge.models import (
    AlleleFunction,
    Alternative,
    Citation,
    DefiningVariant,
    DiplotypePhenotype,
    Drug,
    GeneDefinition,
    GeneExemptions,
    GenePhenotypes,
    Guideline,
    LookupValue,
    Manifest,
    NamedAllele,
    Recommendation,
    SourceInfo,
    UnphasedPriority,
)

# Genes that cannot be called from a VCF here: called by outside tools and supplied as
# outside calls (CYP2D6 needs copy number and hybrids; HLA needs typing; MT-RNR1 is
# mitochondrial and has no definition file).
OUTSIDE_CALL_GENES = ("CYP2D6", "HLA-A", "HLA-B", "MT-RNR1")


def _variant(d: Mapping[str, Any]) -> DefiningVariant:
    return DefiningVariant(
        chrom=d["chrom"],
        position=d["position"],
        rsid=d["rsid"],
        ref=d["ref"],
        alts=tuple(d["alts"]),
        hgvs=d["hgvs"],
        cpic_alleles=tuple(d["cpic_alleles"]),
        cpic_to_vcf=MappingProxyType(dict(d["cpic_to_vcf"])),
    )


def _phenotypes(d: Mapping[str, Any]) -> GenePhenotypes:
    alleles = {
        name: AlleleFunction(name, a["function"], a["activity_value"], a["lookup_key"])
        for name, a in d["alleles"].items()
    }
    rows: dict[frozenset[tuple[str, int]], DiplotypePhenotype] = {}
    for diplotype, phenotype, score, lookup, key in d["diplotypes"]:
        rows[frozenset(key.items())] = DiplotypePhenotype(diplotype, phenotype, score, lookup)
    return GenePhenotypes(
        gene=d["gene"].replace("_", "-"),
        source=d["source"],
        version=d["version"],
        alleles=MappingProxyType(alleles),
        diplotypes=MappingProxyType(rows),
    )


class KnowledgeBase:
    """The compiled PGx knowledge: definitions, phenotypes, guidelines, drugs.

    Build one with :func:`load_kb` (cached) and pass it explicitly to the stages that
    need it. Every stage output records :attr:`version`.
    """

    def __init__(self, raw: Mapping[str, Any], origin: str) -> None:
        if raw.get("schema") != SCHEMA_VERSION:
            raise KnowledgeError(
                f"bundle schema {raw.get('schema')!r}, this Tailormed reads {SCHEMA_VERSION}",
                path=origin,
            )
        self.origin = origin
        m = raw["manifest"]
        self.manifest = Manifest(
            kb_version=m["kb_version"],
            schema=m["schema"],
            built_at=m["built_at"],
            sources=tuple(SourceInfo(**s) for s in m["sources"]),
            counts=MappingProxyType(dict(m["counts"])),
            notes=tuple(m.get("notes") or ()),
        )
        self.version: str = raw["kb_version"]
        self._raw_phenotypes: Mapping[str, Any] = raw["phenotypes"]
        self._raw_dpwg: Mapping[str, Any] = raw["dpwg_phenotypes"]
        self._genes = {sym: self._gene(g) for sym, g in sorted(raw["genes"].items())}
        self._phenotype_cache: dict[tuple[str, str], GenePhenotypes] = {}
        self._guidelines = tuple(self._guideline(g) for g in raw["guidelines"])
        self._drugs = {
            d["name"].lower(): Drug(
                name=d["name"],
                pharmgkb_id=d["pharmgkb_id"],
                rxnorm=d["rxnorm"],
                guidelines=tuple(d["guidelines"]),
                genes=tuple(d["genes"]),
            )
            for d in raw["drugs"]
        }
        self.cpic_2022: tuple[Mapping[str, Any], ...] = tuple(raw["cpic_2022"])
        self.messages: tuple[Mapping[str, Any], ...] = tuple(raw["messages"])
        self._raw_names: Mapping[str, Any] = raw["drug_names"]
        self._drug_names: DrugNames | None = None
        self.inhibitors: InhibitorTable = inhibitor_table(raw["inhibitors"])
        self.dose_tables: DoseTables = dose_tables(raw["dose_tables"])

    @property
    def drug_names(self) -> DrugNames:
        """The medication name index (built on first use, then kept on this object)."""
        if self._drug_names is None:
            self._drug_names = DrugNames(self._raw_names)
        return self._drug_names

    # ---------------------------------------------------------------- construction
    def _gene(self, g: Mapping[str, Any]) -> GeneDefinition:
        ex = g["exemptions"]
        exemptions = GeneExemptions(
            ignored_alleles=frozenset(ex.get("ignored_alleles", ())),
            ignored_positions=frozenset(ex.get("ignored_positions", ())),
            extra_positions=tuple(_variant(v) for v in ex.get("extra_positions", ())),
            required_positions=frozenset(ex.get("required_positions", ())),
            unphased_priorities=tuple(
                UnphasedPriority(tuple(p["candidates"]), p["pick"])
                for p in ex.get("unphased_priorities", ())
            ),
            amp1_alleles=frozenset(ex.get("amp1_alleles", ())),
        )
        return GeneDefinition(
            symbol=g["symbol"],
            chrom=g["chrom"],
            genome_build=g["genome_build"],
            version=g["version"],
            variants=tuple(_variant(v) for v in g["variants"]),
            named_alleles=tuple(
                NamedAllele(
                    name=a["name"],
                    id=a["id"],
                    alleles=tuple(a["alleles"]),
                    reference=a["reference"],
                    structural_variant=a["structural_variant"],
                    **self._function_of(g["symbol"], a["name"]),
                )
                for a in g["named_alleles"]
            ),
            exemptions=exemptions,
            suballeles=MappingProxyType(dict(g.get("suballeles", {}))),
        )

    def _function_of(self, gene: str, allele: str) -> dict[str, str | None]:
        key = self._table_key(self._raw_phenotypes, gene)
        entry = (self._raw_phenotypes.get(key) or {} if key else {}).get("alleles", {}).get(allele)
        if not entry:
            return {"function": None, "activity_value": None}
        return {"function": entry["function"], "activity_value": entry["activity_value"]}

    @staticmethod
    def _guideline(g: Mapping[str, Any]) -> Guideline:
        recs = tuple(
            Recommendation(
                id=r["id"],
                source=r["source"],
                guideline_id=r["guideline_id"],
                drugs=tuple(r["drugs"]),
                lookup_key=MappingProxyType(
                    {
                        gene: (MappingProxyType(dict(v)) if isinstance(v, dict) else v)
                        for gene, v in r["lookup_key"].items()
                    }
                ),
                population=r["population"],
                classification=r["classification"],
                text_html=r["text_html"],
                text=r["text"],
                implications=tuple(r["implications"]),
                dosing_information=r["dosing_information"],
                alternate_drug=r["alternate_drug"],
                other_guidance=r["other_guidance"],
                alternatives=tuple(Alternative(**a) for a in r.get("alternatives") or ()),
            )
            for r in g["recommendations"]
        )
        return Guideline(
            id=g["id"],
            name=g["name"],
            source=g["source"],
            version=g["version"],
            url=g["url"],
            drugs=tuple(g["drugs"]),
            genes=tuple(g["genes"]),
            citations=tuple(Citation(**c) for c in g["citations"]),
            recommendations=recs,
        )

    # ---------------------------------------------------------------------- genes
    @property
    def genes(self) -> tuple[str, ...]:
        """Genes with allele definitions (callable from a VCF, CYP2D6 in research mode)."""
        return tuple(self._genes)

    @property
    def vcf_callable_genes(self) -> tuple[str, ...]:
        """Genes called from a VCF by default (every defined gene but the outside-call ones)."""
        return tuple(g for g in self._genes if g not in OUTSIDE_CALL_GENES)

    def gene(self, symbol: str) -> GeneDefinition:
        try:
            return self._genes[symbol.upper()]
        except KeyError:
            raise KnowledgeError(
                f"unknown gene {symbol!r}; known: {', '.join(self._genes)}"
            ) from None

    def defining_positions(self, symbol: str) -> tuple[DefiningVariant, ...]:
        return self.gene(symbol).variants

    # ----------------------------------------------------------------- phenotypes
    @property
    def phenotype_genes(self) -> tuple[str, ...]:
        return tuple(sorted(g.replace("_", "-") for g in self._raw_phenotypes))

    @staticmethod
    def _table_key(table: Mapping[str, Any], symbol: str) -> str | None:
        """Tables are keyed by the source's gene name (``MT-RNR1`` in its file ``MT_RNR1``)."""
        for key in (
            symbol.upper(),
            symbol.upper().replace("-", "_"),
            symbol.upper().replace("_", "-"),
        ):
            if key in table:
                return key
        return None

    def phenotypes(self, symbol: str, source: str = "CPIC") -> GenePhenotypes:
        """The diplotype → phenotype map of a gene; ``source="DPWG"`` for DPWG's own names."""
        table = self._raw_dpwg if source.upper() == "DPWG" else self._raw_phenotypes
        key = self._table_key(table, symbol)
        if key is None:
            raise KnowledgeError(f"no {source} phenotype map for {symbol}")
        cached = self._phenotype_cache.get((key, source))
        if cached is None:
            cached = _phenotypes(table[key])
            self._phenotype_cache[(key, source)] = cached
        return cached

    def has_phenotypes(self, symbol: str, source: str = "CPIC") -> bool:
        table = self._raw_dpwg if source.upper() == "DPWG" else self._raw_phenotypes
        return self._table_key(table, symbol) is not None

    # ------------------------------------------------------------ recommendations
    @property
    def guidelines(self) -> tuple[Guideline, ...]:
        return self._guidelines

    def guidelines_for(self, drug: str) -> tuple[Guideline, ...]:
        name = self.drug(drug).name
        return tuple(g for g in self._guidelines if name in g.drugs)

    def recommendations(
        self,
        *,
        drug: str | None = None,
        source: str | None = None,
        lookup: Mapping[str, LookupValue] | None = None,
    ) -> list[Recommendation]:
        """Recommendations filtered by drug, source (CPIC/DPWG) and exact lookup-key map.

        With ``lookup``, a recommendation matches when every gene in its key is in
        ``lookup`` with an equal value (multi-gene keys need all their genes).
        """
        name = self.drug(drug).name if drug else None
        out = []
        for g in self._guidelines:
            if source and g.source != source.upper():
                continue
            for r in g.recommendations:
                if name and name not in r.drugs:
                    continue
                if lookup is not None and not _key_matches(r.lookup_key, lookup):
                    continue
                out.append(r)
        return out

    def guideline(self, guideline_id: str) -> Guideline:
        for g in self._guidelines:
            if g.id == guideline_id:
                return g
        raise KnowledgeError(f"unknown guideline {guideline_id!r}")

    # ---------------------------------------------------------------------- drugs
    @property
    def drugs(self) -> tuple[Drug, ...]:
        return tuple(self._drugs.values())

    def drug(self, name_or_rxnorm: str) -> Drug:
        """A drug by name (case-insensitive) or RxNorm code (``"RxNorm:32968"`` or ``"32968"``)."""
        q = name_or_rxnorm.strip()
        hit = self._drugs.get(q.lower())
        if hit:
            return hit
        code = q.split(":", 1)[1] if q.lower().startswith("rxnorm:") else q
        for d in self._drugs.values():
            if d.rxnorm == code:
                return d
        raise KnowledgeError(f"no guideline covers drug {name_or_rxnorm!r}")


def _key_matches(key: Mapping[str, LookupValue], lookup: Mapping[str, LookupValue]) -> bool:
    for gene, value in key.items():
        if gene not in lookup:
            return False
        have = lookup[gene]
        if isinstance(value, Mapping) or isinstance(have, Mapping):
            if not (isinstance(value, Mapping) and isinstance(have, Mapping)):
                return False
            if {k: int(v) for k, v in value.items()} != {k: int(v) for k, v in have.items()}:
                return False
        elif value != have:
            return False
    return True


def bundled_path() -> Path:
    return Path(str(resources.files("tailormed.knowledge") / "data" / BUNDLE_NAME))


def read_bundle(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data: dict[str, Any] = json.load(fh)
    except FileNotFoundError:
        raise KnowledgeError(
            "knowledge bundle is missing; run `tailormed kb build`", path=path
        ) from None
    except (OSError, EOFError, json.JSONDecodeError) as exc:
        raise KnowledgeError(f"knowledge bundle is corrupt ({exc})", path=path) from None
    return data


@cache
def load_kb(path: str | None = None) -> KnowledgeBase:
    """Load (once per process) the bundled knowledge base, or the one at ``path``."""
    bundle = Path(path) if path else bundled_path()
    return KnowledgeBase(read_bundle(bundle), str(bundle))
