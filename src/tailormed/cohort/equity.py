"""Equity summary: frequencies per population with Wilson 95 % intervals.

For each population and superpopulation of a sample → population table (and for the
whole cohort): per gene, allele frequencies (over called haplotypes) and phenotype
frequencies (over samples); the share of haplotypes that match no named allele, carry a
named allele with no assigned function, or are not covered (where the knowledge base or
the data under-represent a population); and the share of samples with at least one
actionable drug result. With ``unrelated``, children of trios (samples with a father or
mother listed) are left out of every count.

Counting units: a haplotype is one of a sample's two gene copies (one for a haploid call:
chrX in males). A no-call gives two haplotypes of its kind: "unmatched" when no
combination of named alleles explains the genotype, else "not covered" (missing data).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.errors import InputError

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal


def wilson(count: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) for ``count`` successes out of ``n``.

    Newcombe (1998, Stat Med 17:857, table I, method 3) gives 81/263 → 0.2553–0.3662:

    >>> [round(x, 4) for x in wilson(81, 263)]
    [0.2553, 0.3662]
    >>> wilson(0, 0)
    (0.0, 1.0)
    """
    if n <= 0:
        return (0.0, 1.0)
    if not 0 <= count <= n:
        raise ValueError(f"count {count} outside 0..{n}")
    p = count / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = 0.0 if count == 0 else max(0.0, centre - half)  # exact at the ends (no rounding)
    high = 1.0 if count == n else min(1.0, centre + half)
    return (low, high)


def share(count: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(count, n)
    return {
        "count": count,
        "n": n,
        "share": round(count / n, 6) if n else None,
        "ci95": [round(lo, 6), round(hi, 6)],
    }


@dataclass(frozen=True, slots=True)
class Populations:
    """Sample → population and superpopulation, and each sample's listed parents."""

    path: Path
    population: Mapping[str, str]
    superpopulation: Mapping[str, str]
    parents: Mapping[str, tuple[str, str]]
    pedigree: bool  # parent columns were given

    @property
    def children(self) -> frozenset[str]:
        return frozenset(s for s, (f, m) in self.parents.items() if f or m)


_SAMPLE = ("sample", "#iid", "iid", "sample_id", "sample id")
_POP = ("population", "pop")
_SUPER = ("superpopulation", "superpop", "super_population", "super population")
_FATHER = ("father", "pat", "paternal_id")
_MOTHER = ("mother", "mat", "maternal_id")


def _column(header: list[str], names: Iterable[str]) -> int | None:
    low = [h.strip().lower() for h in header]
    for name in names:
        if name in low:
            return low.index(name)
    return None


def read_table(path: Path, pedigree: Path | None = None) -> Populations:
    """A tab-separated table with a header: sample (or #IID), population, superpopulation
    (optional), and optionally father/mother (or PAT/MAT, ``0`` = none). A pedigree file in
    the same form (e.g. a plink2 ``.psam``) may add the parents."""
    population: dict[str, str] = {}
    superpop: dict[str, str] = {}
    parents: dict[str, tuple[str, str]] = {}
    has_parents = False
    for source, need_pop in ((path, True), (pedigree, False)):
        if source is None:
            continue
        try:
            lines = Path(source).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError("population/pedigree table does not exist", path=source) from None
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", path=source) from None
        if not lines:
            raise InputError("empty table", path=source, line=1)
        header = lines[0].split("\t")
        cs = _column(header, _SAMPLE)
        cp = _column(header, _POP)
        csp = _column(header, _SUPER)
        cf, cm = _column(header, _FATHER), _column(header, _MOTHER)
        if cs is None or (need_pop and cp is None):
            raise InputError(
                "the header must name a sample column (sample or #IID)"
                + (" and a population column" if need_pop else ""),
                path=source,
                line=1,
            )
        if cf is not None and cm is not None:
            has_parents = True
        for number, line in enumerate(lines[1:], start=2):
            if not line.strip() or line.startswith("##"):
                continue
            cells = line.split("\t")
            if len(cells) != len(header):
                raise InputError(
                    f"{len(cells)} columns, the header has {len(header)}", path=source, line=number
                )
            sample = cells[cs].strip()
            if need_pop and cp is not None:
                if sample in population:
                    raise InputError(f"sample {sample} listed twice", path=source, line=number)
                population[sample] = cells[cp].strip()
                if csp is not None:
                    superpop[sample] = cells[csp].strip()
            if cf is not None and cm is not None:
                f, m = cells[cf].strip(), cells[cm].strip()
                parents[sample] = ("" if f in ("0", "") else f, "" if m in ("0", "") else m)
    return Populations(Path(path), population, superpop, parents, has_parents)


class EquityCounter:
    """Accumulates the counts block by block (the tables are never held whole)."""

    def __init__(self, groups: Mapping[str, tuple[str, ...]]) -> None:
        # sample -> the groups it counts in ("all", "superpopulation:EUR", "population:GBR")
        self.groups = groups
        self.samples: Counter[str] = Counter()
        self.actionable: Counter[str] = Counter()
        self.alleles: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.allele_n: dict[str, Counter[str]] = defaultdict(Counter)
        self.phenotypes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.phenotype_n: dict[str, Counter[str]] = defaultdict(Counter)
        self.haplotypes: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
        self.haplotype_n: dict[str, Counter[str]] = defaultdict(Counter)

    def add_drugs(self, table: Any) -> None:
        """One block's drug rows (an Arrow table with ``sample`` and ``status``)."""
        import pyarrow.compute as pc

        samples = pc.unique(table["sample"]).to_pylist()
        hit = pc.equal(table["status"], "actionable")
        actionable = set(pc.unique(pc.filter(table["sample"], hit)).to_pylist())
        for s in samples:
            for g in self.groups.get(s, ()):
                self.samples[g] += 1
                if s in actionable:
                    self.actionable[g] += 1

    def add_haplotypes(self, table: Any) -> None:
        """One block's haplotype rows (Arrow: sample, gene, alleles, status, phenotype),
        counted with Arrow group-bys per group level (all, superpopulation, population)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        samples = table["sample"].to_pylist()
        levels = max((len(v) for v in self.groups.values()), default=0)
        for level in range(levels):
            labels = []
            for s in samples:
                mine = self.groups.get(s, ())
                labels.append(mine[level] if level < len(mine) else None)
            group = pa.array(labels, pa.string())
            keep = pc.is_valid(group)
            base = pa.table(
                {"group": group, "gene": table["gene"], "phenotype": table["phenotype"]}
            ).filter(keep)
            for row in (
                base.group_by(["group", "gene", "phenotype"])
                .aggregate([("gene", "count")])
                .to_pylist()
            ):
                self.phenotypes[row["gene"]][(row["group"], row["phenotype"])] += row["gene_count"]
                self.phenotype_n[row["gene"]][row["group"]] += row["gene_count"]
            for column, counts, totals in (
                ("status", self.haplotypes, self.haplotype_n),
                ("alleles", self.alleles, self.allele_n),
            ):
                values = table[column].combine_chunks()
                parent = pc.list_parent_indices(values)
                flat = pa.table(
                    {
                        "group": group.take(parent),
                        "gene": table["gene"].take(parent),
                        "value": pc.list_flatten(values),
                    }
                )
                flat = flat.filter(pc.is_valid(flat["group"]))
                for row in (
                    flat.group_by(["group", "gene", "value"])
                    .aggregate([("gene", "count")])
                    .to_pylist()
                ):
                    counts[row["gene"]][(row["group"], row["value"])] += row["gene_count"]
                    totals[row["gene"]][row["group"]] += row["gene_count"]

    def result(self) -> dict[str, Any]:
        groups = sorted(self.samples, key=_group_order)
        out_groups = [
            {
                "group": g,
                "samples": self.samples[g],
                "actionable": share(self.actionable[g], self.samples[g]),
            }
            for g in groups
        ]
        genes: dict[str, Any] = {}
        for gene in sorted(set(self.phenotypes) | set(self.alleles)):
            genes[gene] = {
                "alleles": _nested(self.alleles[gene], self.allele_n[gene]),
                "phenotypes": _nested(self.phenotypes[gene], self.phenotype_n[gene]),
                "haplotypes": _nested(self.haplotypes[gene], self.haplotype_n[gene]),
            }
        return {"groups": out_groups, "genes": genes}


def _group_order(g: str) -> tuple[int, str]:
    level = g.split(":", 1)[0]
    return ({"all": 0, "superpopulation": 1, "population": 2}.get(level, 3), g)


def _nested(counts: Counter[tuple[str, str]], totals: Counter[str]) -> dict[str, Any]:
    out: dict[str, dict[str, Any]] = {}
    for (group, value), c in sorted(
        counts.items(), key=lambda kv: (_group_order(kv[0][0]), -kv[1], kv[0][1])
    ):
        out.setdefault(group, {})[value] = share(c, totals[group])
    return {g: out[g] for g in sorted(out, key=_group_order)}


def sample_groups(
    samples: Iterable[str], table: Populations | None, unrelated: bool
) -> tuple[dict[str, tuple[str, ...]], dict[str, int]]:
    """Each sample's groups, and what was left out (relatives, samples not in the table)."""
    children = table.children if (table is not None and unrelated) else frozenset()
    groups: dict[str, tuple[str, ...]] = {}
    left = {"relatives_excluded": 0, "not_in_population_table": 0}
    for s in samples:
        if s in children:
            left["relatives_excluded"] += 1
            continue
        mine = ["all"]
        if table is not None:
            pop = table.population.get(s)
            if pop is None:
                left["not_in_population_table"] += 1
            else:
                sp = table.superpopulation.get(s)
                if sp:
                    mine.append(f"superpopulation:{sp}")
                mine.append(f"population:{pop}")
        groups[s] = tuple(mine)
    return groups, left


def check_populations(populations: Path | None, pedigree: Path | None, unrelated: bool) -> None:
    """Read the tables once before any work starts (errors name file and line)."""
    table = read_table(populations, pedigree) if populations is not None else None
    if unrelated and (table is None or not table.pedigree):
        raise InputError(
            "--unrelated needs parents: a population table with father/mother (PAT/MAT) "
            "columns, or --pedigree FILE (e.g. a plink2 .psam)",
            path=populations,
        )
