"""The loaded rare-disease bundle: HPO graph and annotations as immutable NumPy arrays.

Terms are addressed by *index* (position in :attr:`Ontology.ids`, the sorted numeric parts of
the live HPO ids); diseases by index into :attr:`RareKnowledge.disease_ids`.

>>> kb = RareKnowledge.load()
>>> kb.hpo_release
'2025-01-16'
>>> kb.ontology.resolve("HP:0004715").term_id  # an alt_id of Multicystic kidney dysplasia
'HP:0000003'
>>> kb.ontology.label(kb.ontology.index("HP:0000118"))
'Phenotypic abnormality'
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tailormed.errors import KnowledgeError
from tailormed.knowledge.bundles import Bundle, load_bundle

IntArray = npt.NDArray[np.int32]
FloatArray = npt.NDArray[np.float64]

ROOT = "HP:0000001"
PHENOTYPIC_ABNORMALITY = "HP:0000118"
Status = Literal["current", "alt_id", "obsolete", "unknown", "newer"]


def _readonly(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    a.setflags(write=False)
    return a


def hpo_id(number: int) -> str:
    """``118`` → ``'HP:0000118'``."""
    return f"HP:{number:07d}"


@dataclass(frozen=True, slots=True)
class Resolution:
    """How an HPO id given by a user maps onto this release.

    ``status``: ``current``; ``alt_id`` or ``obsolete`` (mapped to ``term_id``, the live
    replacement; an obsolete term without one has ``index`` -1); ``unknown`` (not in this
    release) or ``newer`` (a number above every id of this release: created after it).
    """

    given: str
    status: Status
    index: int
    term_id: str | None
    note: str


@dataclass(frozen=True, slots=True)
class Ontology:
    """The HPO term graph. ``ancestors`` is a CSR closure (each term includes itself)."""

    release: str
    ids: IntArray
    names: tuple[str, ...]
    synonyms: tuple[tuple[str, ...], ...]
    parent_ptr: IntArray
    parent_idx: IntArray
    anc_ptr: IntArray
    anc_idx: IntArray
    alt: Mapping[int, int]
    obsolete: Mapping[int, tuple[int, str, tuple[int, ...]]]

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, term_id: str) -> int:
        """Index of a live term id; ``-1`` if it is not a live term of this release."""
        if len(term_id) != 10 or not term_id.startswith("HP:") or not term_id[3:].isdigit():
            return -1
        number = int(term_id[3:])
        i = int(np.searchsorted(self.ids, number))
        return i if i < len(self.ids) and int(self.ids[i]) == number else -1

    def term_id(self, index: int) -> str:
        return hpo_id(int(self.ids[index]))

    def label(self, index: int) -> str:
        return self.names[index]

    def parents(self, index: int) -> IntArray:
        return self.parent_idx[self.parent_ptr[index] : self.parent_ptr[index + 1]]

    def ancestors(self, index: int) -> IntArray:
        """The term and all its ancestors (indices)."""
        return self.anc_idx[self.anc_ptr[index] : self.anc_ptr[index + 1]]

    def is_ancestor(self, ancestor: int, term: int) -> bool:
        """True when ``ancestor`` is ``term`` or one of its ancestors."""
        return bool(np.any(self.ancestors(term) == ancestor))

    def resolve(self, given: str) -> Resolution:
        """Map a user's HPO id (current, alt, obsolete, unknown, newer) onto this release."""
        given = given.strip()
        if len(given) != 10 or not given.startswith("HP:") or not given[3:].isdigit():
            return Resolution(given, "unknown", -1, None, f"{given!r} is not an HPO id")
        i = self.index(given)
        if i >= 0:
            return Resolution(given, "current", i, given, "")
        number = int(given[3:])
        if number in self.alt:
            j = self.alt[number]
            tid = self.term_id(j)
            return Resolution(given, "alt_id", j, tid, f"{given} is an alt_id of {tid}")
        if number in self.obsolete:
            repl, name, consider = self.obsolete[number]
            if repl >= 0:
                tid = self.term_id(repl)
                return Resolution(
                    given, "obsolete", repl, tid, f"{given} ({name}) is obsolete, replaced by {tid}"
                )
            hint = ", ".join(self.term_id(c) for c in consider)
            extra = f" (consider {hint})" if hint else ""
            note = f"{given} ({name}) is obsolete with no replacement{extra}; ignored"
            return Resolution(given, "obsolete", -1, None, note)
        if number > int(self.ids[-1]):
            return Resolution(
                given,
                "newer",
                -1,
                None,
                f"{given} is newer than HPO release {self.release}; ignored",
            )
        return Resolution(
            given, "unknown", -1, None, f"{given} is not in HPO release {self.release}; ignored"
        )

    def search(self, text: str, limit: int = 20) -> list[tuple[str, str, str]]:
        """Terms whose label or a synonym contains ``text`` (case-insensitive).

        Returns ``(term id, label, the label or synonym that matched)``, labels first,
        shorter matches first.
        """
        needle = text.strip().lower()
        if not needle:
            return []
        hits: list[tuple[int, int, str, int]] = []
        for i, name in enumerate(self.names):
            if needle in name.lower():
                hits.append((0, len(name), name, i))
                continue
            for syn in self.synonyms[i]:
                if needle in syn.lower():
                    hits.append((1, len(syn), syn, i))
                    break
        hits.sort()
        return [(self.term_id(i), self.names[i], m) for _, _, m, i in hits[:limit]]


def _ints(text: str) -> IntArray:
    return np.frombuffer(base64.b64decode(text), dtype="<i4").astype(np.int32)


def _floats(text: str) -> FloatArray:
    return np.frombuffer(base64.b64decode(text), dtype="<f4").astype(np.float64)


def _strings(text: str) -> tuple[str, ...]:
    return tuple(text.split("\n"))


def closure(parents: Sequence[Sequence[int]]) -> tuple[IntArray, IntArray]:
    """Ancestor closure (self included) in topological order (Kahn), as CSR arrays."""
    n = len(parents)
    children: list[list[int]] = [[] for _ in range(n)]
    waiting = [len(ps) for ps in parents]
    for t, ps in enumerate(parents):
        for p in ps:
            children[p].append(t)
    anc: list[frozenset[int]] = [frozenset()] * n
    ready = [t for t in range(n) if waiting[t] == 0]
    done = 0
    while ready:
        t = ready.pop()
        done += 1
        anc[t] = frozenset((t,)).union(*(anc[p] for p in parents[t]))
        for c in children[t]:
            waiting[c] -= 1
            if waiting[c] == 0:
                ready.append(c)
    if done != n:
        raise KnowledgeError("the HPO is_a graph has a cycle")
    ptr = np.zeros(n + 1, dtype=np.int32)
    ptr[1:] = np.cumsum([len(a) for a in anc])
    idx = np.fromiter((i for a in anc for i in sorted(a)), dtype=np.int32, count=int(ptr[-1]))
    return ptr, idx


def _ontology(h: Mapping[str, Any]) -> Ontology:
    parents: list[list[int]] = h["parents"]
    pptr = np.zeros(len(parents) + 1, dtype=np.int32)
    pptr[1:] = np.cumsum([len(p) for p in parents])
    pidx = np.fromiter((p for ps in parents for p in ps), dtype=np.int32)
    aptr, aidx = _ints(h["ancestors_ptr"]), _ints(h["ancestors"])
    if len(aptr) != len(parents) + 1 or int(aptr[-1]) != len(aidx):
        raise KnowledgeError("rare bundle: ancestor closure does not fit the term list")
    return Ontology(
        release=h["release"],
        ids=_readonly(_ints(h["ids"])),
        names=_strings(h["names"]),
        synonyms=tuple(tuple(s.split("\t")) if s else () for s in _strings(h["synonyms"])),
        parent_ptr=_readonly(pptr),
        parent_idx=_readonly(pidx),
        anc_ptr=_readonly(aptr),
        anc_idx=_readonly(aidx),
        alt=MappingProxyType({a: i for a, i in h["alt_ids"]}),
        obsolete=MappingProxyType({o: (r, n, tuple(c)) for o, r, n, c in h["obsolete"]}),
    )


@dataclass(frozen=True, slots=True)
class Annotations:
    """Disease–phenotype annotations (one row per disease, term, NOT qualifier and sex).

    ``freq``: 0..1, or -1 when the source gives none; ``patients``: the ``m`` of pooled
    ``n/m`` frequencies (-1 for frequency terms and percentages); ``neg``: ``NOT`` rows;
    ``sex``: one character per row, ``-`` (both), ``M`` or ``F``; ``onset``: term index or
    -1; ``text``: the source's own frequency strings.
    """

    disease: IntArray
    term: IntArray
    freq: FloatArray
    patients: IntArray
    neg: npt.NDArray[np.bool_]
    sex: str
    onset: IntArray
    text: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class GeneCoords:
    """GRCh38 protein-coding gene intervals (1-based, closed), as in the source file.

    Compared and hashed by identity (part of the loaded knowledge)."""

    symbol: tuple[str, ...]
    chrom: tuple[str, ...]
    start: IntArray
    end: IntArray

    def genes_at(self, chrom: str, pos: int) -> list[str]:
        """Genes whose interval holds ``chrom:pos`` (``chr`` prefix optional; M/MT alike)."""
        c = chrom if chrom.startswith("chr") else f"chr{chrom}"
        if c == "chrM":
            c = "chrMT"
        return [
            self.symbol[i]
            for i in range(len(self.symbol))
            if self.chrom[i] == c and self.start[i] <= pos <= self.end[i]
        ]


@dataclass(frozen=True, slots=True, eq=False)
class RareKnowledge:
    """The ``rare`` bundle, loaded: ontology, diseases, annotations, genes, coordinates.

    Compared and hashed by identity (it is loaded once per process).
    """

    version: str
    bundle: Bundle
    ontology: Ontology
    disease_ids: tuple[str, ...]
    disease_names: tuple[str, ...]
    annotations: Annotations
    inheritance: Mapping[int, tuple[int, ...]]
    disease_onset: Mapping[int, tuple[int, ...]]
    gene_symbols: tuple[str, ...]
    disease_genes: Mapping[int, tuple[int, ...]]
    coords: GeneCoords
    gene_ncbi: Mapping[str, int] = field(default_factory=dict)

    @property
    def hpo_release(self) -> str:
        return self.ontology.release

    @classmethod
    def load(cls, path: str | None = None) -> RareKnowledge:
        """The bundled ``rare`` knowledge (loaded once per process), or the file at ``path``."""
        return _load(path)

    def disease_index(self, disease_id: str) -> int:
        try:
            return self._disease_lookup()[disease_id]
        except KeyError:
            return -1

    def _disease_lookup(self) -> Mapping[str, int]:
        return _disease_lookup(self.disease_ids)

    def genes_of(self, disease: int) -> tuple[str, ...]:
        return tuple(self.gene_symbols[g] for g in self.disease_genes.get(disease, ()))

    def ncbi_gene(self, symbol: str) -> int | None:
        """The NCBI Gene id of a gene symbol linked to a disease (genes_to_phenotype)."""
        return self.gene_ncbi.get(symbol)


@cache
def _disease_lookup(ids: tuple[str, ...]) -> Mapping[str, int]:
    return MappingProxyType({d: i for i, d in enumerate(ids)})


def _group(pairs: Sequence[Sequence[int]]) -> Mapping[int, tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    for a, b in pairs:
        out.setdefault(a, []).append(b)
    return MappingProxyType({k: tuple(v) for k, v in out.items()})


@cache
def _load(path: str | None) -> RareKnowledge:
    bundle = load_bundle("rare", path)
    p = bundle.payload
    d = p["diseases"]
    a = d["annotations"]
    g = p["genes"]
    c = p["coords"]
    ann = Annotations(
        disease=_readonly(_ints(a["disease"])),
        term=_readonly(_ints(a["term"])),
        freq=_readonly(_floats(a["freq"])),
        patients=_readonly(_ints(a["patients"])),
        neg=_readonly(_ints(a["neg"]).astype(np.bool_)),
        sex=a["sex"],
        onset=_readonly(_ints(a["onset"])),
        text=_strings(a["text"]),
    )
    return RareKnowledge(
        version=bundle.version,
        bundle=bundle,
        ontology=_ontology(p["hpo"]),
        disease_ids=_strings(d["ids"]),
        disease_names=_strings(d["names"]),
        annotations=ann,
        inheritance=_group(d["inheritance"]),
        disease_onset=_group(d["onset"]),
        gene_symbols=tuple(g["symbols"]),
        disease_genes=_group(list(zip(g["disease"], g["gene"], strict=True))),
        coords=GeneCoords(
            symbol=_strings(c["symbol"]),
            chrom=_strings(c["chrom"]),
            start=_readonly(_ints(c["start"])),
            end=_readonly(_ints(c["end"])),
        ),
        gene_ncbi=MappingProxyType(dict(zip(g["symbols"], g["ncbi"], strict=True))),
    )
