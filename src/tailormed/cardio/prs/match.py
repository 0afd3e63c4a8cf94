"""Matching scoring-file variants to genotype records, the way pgsc_calc does.

A variant matches a record at the same position when its effect allele is the record's REF
or one of its ALTs and, when the scoring file gives an other allele, that allele is another
allele of the record. When nothing matches directly, the complementary strand is tried
(single-base alleles only): a *flipped* match. Palindromic variants (A/T, C/G) cannot be
told apart from their flip, so they are *ambiguous* and excluded unless asked for (then they
are taken as written, on the forward strand, as pgsc_calc's ``--keep_ambiguous`` does).

Multiallelic sites are scored with the dosage of the matched allele: in a multiallelic
record directly; when the site is split over several records (``bcftools norm -m-``), an
ALT effect allele comes from its own record, and a REF effect allele at a split SNV site is
counted on the haplotypes that carry no ALT in any of the site's SNV records.

>>> g = (Record("A", ("G",)),)
>>> match_variant("A", ("G",), g).allele, match_variant("T", ("C",), g).flipped
(0, True)
>>> match_variant("A", ("T",), (Record("A", ("T",)),)).status
'ambiguous'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Status = Literal["matched", "ambiguous", "allele_mismatch", "duplicate"]
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


def complement(allele: str) -> str:
    return allele.translate(_COMPLEMENT)


def palindromic(a: str, b: str) -> bool:
    """A/T or C/G: the pair reads the same on both strands."""
    return len(a) == 1 and len(b) == 1 and a != b and complement(a) == b


@dataclass(frozen=True, slots=True)
class Record:
    """The alleles of one genotype record at a scored position."""

    ref: str
    alts: tuple[str, ...]

    @property
    def alleles(self) -> tuple[str, ...]:
        return (self.ref, *self.alts)

    @property
    def is_snv_site(self) -> bool:
        return len(self.ref) == 1 and all(len(a) == 1 for a in self.alts)


@dataclass(frozen=True, slots=True)
class Match:
    """How one scoring-file variant relates to the records at its position.

    ``records``: the record(s) the effect-allele dosage comes from (indices into the
    position's records; several only for a REF allele at a split multiallelic site);
    ``allele``: the allele index within the record (0 = REF).
    """

    status: Status
    records: tuple[int, ...] = ()
    allele: int = -1
    flipped: bool = False
    multiallelic: bool = False
    palindromic: bool = False


def _hits(effect: str, others: tuple[str, ...], record: Record) -> bool:
    alleles = record.alleles
    if effect not in alleles:
        return False
    return not others or any(o != effect and o in alleles for o in others)


def _snv(effect: str, others: tuple[str, ...]) -> bool:
    return len(effect) == 1 and all(len(o) == 1 for o in others)


@lru_cache(maxsize=65536)
def match_variant(
    effect: str,
    others: tuple[str, ...],
    records: Sequence[Record],
    keep_ambiguous: bool = False,
) -> Match:
    """Match one variant (effect allele, other alleles) to the records at its position.

    Pure, so cached: biallelic SNVs repeat a handful of allele patterns."""
    direct = [i for i, r in enumerate(records) if _hits(effect, others, r)]
    flipped = False
    if not direct and _snv(effect, others):
        comp_effect = complement(effect)
        comp_others = tuple(complement(o) for o in others)
        direct = [
            i for i, r in enumerate(records) if r.is_snv_site and _hits(comp_effect, comp_others, r)
        ]
        if direct:
            flipped = True
            effect, others = comp_effect, comp_others
    if not direct:
        return Match("allele_mismatch")
    if others:
        # palindromic when the other allele that fits the record complements the effect
        is_pal = any(
            palindromic(effect, o) for i in direct for o in others if o in records[i].alleles
        )
    else:
        # no other allele given: palindromic when the record's alleles are a complementary pair
        is_pal = any(
            len(records[i].alts) == 1 and palindromic(records[i].ref, records[i].alts[0])
            for i in direct
        )
    if is_pal and not keep_ambiguous:
        return Match("ambiguous", palindromic=True)
    split = len(records) > 1
    # an ALT effect allele: exactly one record must carry it
    alt_hits = [i for i in direct if records[i].alleles.index(effect) > 0]
    if alt_hits:
        if len(alt_hits) > 1:
            return Match("duplicate", palindromic=is_pal)
        i = alt_hits[0]
        return Match(
            "matched",
            records=(i,),
            allele=records[i].alleles.index(effect),
            flipped=flipped,
            multiallelic=split or len(records[i].alts) > 1,
            palindromic=is_pal,
        )
    # a REF effect allele
    i = direct[0]
    if split and records[i].is_snv_site:
        same_site = tuple(
            j for j, r in enumerate(records) if r.is_snv_site and r.ref == records[i].ref
        )
        return Match(
            "matched",
            records=same_site,
            allele=0,
            flipped=flipped,
            multiallelic=True,
            palindromic=is_pal,
        )
    return Match(
        "matched",
        records=(i,),
        allele=0,
        flipped=flipped,
        multiallelic=split or len(records[i].alts) > 1,
        palindromic=is_pal,
    )
