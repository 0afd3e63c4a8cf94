"""What the records at one defining position say, combined into one genotype per sample.

Each record touching a position is kept as a *statement*: its GT columns and, for each of
its alleles, the allele it stands for at this position (the reference, a definition
allele, an allele the definition does not list, or an allele that does not change this
position). One record: its genotype is read directly. Several records (duplicates, a
split multiallelic site, a joined record beside its split form): every genotype made of
the alleles they name is tried against every record, and a sample gets the genotype
that fits all of them:

* a record fits a genotype when each of its GT alleles is the record's index of that
  allele (0 when the record does not name it: in a split record "0" means "not my
  ALT"); ``.`` fits anything;
* where every record is phased for the sample, the haplotypes keep their order (two
  records showing their ALT on the same haplotype claim two alleles for it: no genotype
  fits); otherwise each record may be oriented either way;
* exactly one fitting genotype: that is the call; none: the records *conflict*, the
  position is a no-call for that sample and the call names the records; several (a
  ``.`` leaves it open): the position is missing, as for a lone ``./.``.

gVCF reference blocks count only where no record touches the position.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from tailormed.vcf.models import ABSENT_HAPLOTYPE, MISSING, NOT_IN_DEFINITION

REF = "ref"


@dataclass(frozen=True, slots=True)
class Statement:
    """One record's word on one position.

    ``gt`` (samples, 2) record allele indices (-1 missing, -2 no second allele);
    ``alleles[j]`` what record allele ``j`` is here: ``"ref"``, ``"d<k>"`` (definition
    allele ``k``), ``"u:<ALT>"`` (changes the position, not in the definition) or
    ``"x:<ALT>"`` (does not touch the position).
    """

    gt: npt.NDArray[np.int16]
    phased: npt.NDArray[np.bool_]
    phase_set: npt.NDArray[np.int64] | None
    alleles: tuple[str, ...]
    label: str


def allele_code(identity: str) -> int:
    if identity == REF:
        return 0
    if identity.startswith("d"):
        return int(identity[1:])
    if identity.startswith("u:"):
        return NOT_IN_DEFINITION
    return MISSING  # an allele that leaves this position as it is: not read as evidence


@dataclass(slots=True)
class Combined:
    codes: npt.NDArray[np.int8]  # (samples, 2)
    phased: npt.NDArray[np.bool_]
    phase_set: npt.NDArray[np.int64]
    haploid: npt.NDArray[np.bool_]
    conflict: npt.NDArray[np.bool_] | None
    unknown_allele: str | None


@dataclass(slots=True)
class SiteState:
    n: int
    statements: list[Statement] = field(default_factory=list)
    blocks: list[npt.NDArray[np.int16]] = field(default_factory=list)
    ref_mismatch: bool = False

    @property
    def present(self) -> bool:
        return bool(self.statements or self.blocks)

    def combine(self) -> Combined:
        if self.statements:
            if len(self.statements) == 1:
                return _single(self.statements[0])
            return _several(self.statements, self.n)
        return _blocks(self.blocks, self.n)


def _haploid(gt: npt.NDArray[np.int16]) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_] = (gt[:, 1] == -2) & (gt[:, 0] != -1)
    return out


def _unknown_allele(st: Statement, gt: npt.NDArray[np.int16]) -> str | None:
    for j, identity in enumerate(st.alleles):
        if identity.startswith("u:") and (gt == j).any():
            return identity[2:]
    return None


def _single(st: Statement) -> Combined:
    lut = np.array([allele_code(a) for a in st.alleles], dtype=np.int8)
    gt = st.gt
    safe = np.clip(gt, 0, len(lut) - 1)
    codes = np.where(gt >= 0, lut[safe], np.int8(MISSING)).astype(np.int8)
    haploid = _haploid(gt)
    codes[haploid, 1] = ABSENT_HAPLOTYPE
    ps = st.phase_set if st.phase_set is not None else np.zeros(len(gt), dtype=np.int64)
    return Combined(codes, st.phased.copy(), ps, haploid, None, _unknown_allele(st, gt))


def _blocks(blocks: list[npt.NDArray[np.int16]], n: int) -> Combined:
    saw_ref = np.zeros((n, 2), dtype=bool)
    haploid = np.zeros(n, dtype=bool)
    for gt in blocks:
        saw_ref |= gt == 0
        haploid |= _haploid(gt)
    codes = np.where(saw_ref, np.int8(0), np.int8(MISSING)).astype(np.int8)
    codes[haploid, 1] = ABSENT_HAPLOTYPE
    # a homozygous reference block needs no phase
    return Combined(codes, np.ones(n, dtype=bool), np.zeros(n, dtype=np.int64), haploid, None, None)


def _fits(g: npt.NDArray[np.int16], want: int) -> npt.NDArray[np.bool_]:
    out: npt.NDArray[np.bool_] = (g == want) | (g == -1)
    return out


def _several(statements: list[Statement], n: int) -> Combined:
    """Genotype per sample that fits every record (see the module docstring)."""
    universe = [REF, *sorted({a for st in statements for a in st.alleles if a != REF})]
    index = [{a: j for j, a in enumerate(st.alleles)} for st in statements]
    proj = np.array([[idx.get(a, 0) for a in universe] for idx in index], dtype=np.int16)
    phased_all = np.logical_and.reduce([st.phased for st in statements])
    haploid = np.logical_or.reduce([_haploid(st.gt) for st in statements])
    u = len(universe)
    # ordered[a, b, s]: genotype (a on haplotype 0, b on haplotype 1) fits every record
    # kept in order; either[a, b, s]: fits every record oriented freely.
    ordered = np.ones((u, u, n), dtype=bool)
    either = np.ones((u, u, n), dtype=bool)
    single = np.ones((u, n), dtype=bool)
    for r, st in enumerate(statements):
        g0, g1 = st.gt[:, 0], st.gt[:, 1]
        fit0 = [_fits(g0, int(proj[r, a])) for a in range(u)]
        fit1 = [_fits(g1, int(proj[r, a])) for a in range(u)]
        for a, b in itertools.product(range(u), repeat=2):
            direct = fit0[a] & fit1[b]
            ordered[a, b] &= direct
            either[a, b] &= direct | (fit0[b] & fit1[a])
        for a in range(u):
            single[a] &= fit0[a]
    upper = np.triu(np.ones((u, u), dtype=bool))
    n_ordered = ordered.reshape(u * u, n).sum(axis=0)
    n_unordered = (either & upper[:, :, None]).reshape(u * u, n).sum(axis=0)
    n_single = single.sum(axis=0)
    count = np.where(haploid, n_single, np.where(phased_all, n_ordered, n_unordered))
    lut = np.array([allele_code(a) for a in universe], dtype=np.int8)
    pair = np.where(
        phased_all,
        ordered.reshape(u * u, n).argmax(axis=0),
        (either & upper[:, :, None]).reshape(u * u, n).argmax(axis=0),
    )
    first = np.where(haploid, single.argmax(axis=0), pair // u)
    second = np.where(haploid, 0, pair % u)
    codes = np.stack([lut[first], lut[second]], axis=1).astype(np.int8)
    codes[haploid, 1] = ABSENT_HAPLOTYPE
    codes[count != 1] = MISSING
    codes[haploid & (count != 1), 1] = ABSENT_HAPLOTYPE
    conflict = count == 0
    phase_set = np.zeros(n, dtype=np.int64)
    for st in statements:
        if st.phase_set is not None:
            phase_set = np.where(phase_set > 0, phase_set, st.phase_set)
    unknown = next(
        (a[2:] for a in universe if a.startswith("u:") and (codes == NOT_IN_DEFINITION).any()),
        None,
    )
    return Combined(
        codes, phased_all, phase_set, haploid, conflict if conflict.any() else None, unknown
    )
