"""DPYD HapB3: two named alleles called by their own rule instead of by matching.

DPYD's HapB3 is defined by two variants: the intronic rs75017182 (c.1129-5923C>G,
chr1:97579893 G>C), thought to cause the decreased function, and the exonic rs56038477
(c.1236G>A, chr1:97573863 C>T) that travels with it. The definition has an allele for
each situation: ``c.1129-5923C>G, c.1236G>A (HapB3)`` (both) and ``c.1129-5923C>G``
(intronic only). Matched like any other allele, a haplotype with the exonic variant but
not the intronic one (or with one of the two positions missing) would fit the wrong one,
or none. PharmCAT therefore calls them with a rule of its own, which this module
reproduces (facts: PharmGKB/PharmCAT @ 5431bf11, ``haplotype/DpydHapB3Matcher`` and its
use in ``NamedAlleleMatcher.callLowestFunctionGene``; expected behaviour: ``DpydTest`` and
``src/test/resources/.../haplotype/DPYD/hapb3.tsv``):

* The rule applies when the sample carries either variant. The two alleles are then left
  out of matching, and neither position gives a partial (``g.97573863C>T``).
* **The intronic variant decides.** On one haplotype: intronic and exonic variant → HapB3;
  intronic variant without the exonic one (reference or missing) → ``c.1129-5923C>G``;
  exonic variant with the intronic position reference → nothing (message
  ``pcat-dpyd-hapB3-intronic-mismatch-exonic``); exonic variant with the intronic
  position missing → HapB3 (message ``pcat-dpyd-hapB3-exonic-only``).
* **Phased data** (or phase sets): the rest of the gene is named as usual (combinations,
  every orientation of the phase blocks), then each haplotype's HapB3 call is merged in:
  a reference haplotype becomes the HapB3 allele, any other becomes ``[X + HapB3]``.
  As in PharmCAT, the merged haplotype is named from its alleles only: partials on it
  (``g.<pos>?`` of a half-missing genotype) are not carried over.
* **Unphased data**: which copy carries which variant is unknown, so the alleles are
  counted from the two genotypes: as many HapB3 as copies carrying both, an extra
  ``c.1129-5923C>G`` for each intronic copy beyond the exonic ones; more exonic than
  intronic copies add nothing beyond the intronic count (mismatch message); a half-missing
  genotype at one position while the other is called gives nothing; with the exonic
  position absent every intronic copy is ``c.1129-5923C>G``, with the intronic position
  absent every exonic copy is HapB3 (exonic-only message). These calls join the list of
  haplotypes found, count towards the "more than two found → drop Reference" rule, and
  the reference is then never listed twice.

A genotype PharmCAT discards (``./.``, or a half call ``0/.`` with no variant) counts as
absent here too. The recommendation diplotype then follows the gene's lowest-function
rule (:func:`tailormed.calling.rules.lowest_function_diplotype` /
:func:`~tailormed.calling.rules.lowest_function_pair`). :data:`DPYD_HAPB3` is the rule as
data; :mod:`tailormed.calling.rules` attaches it to DPYD's policy.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tailormed.calling.combination import HaplotypeName, combination_diplotypes, name_haplotype
from tailormed.calling.compiled import CompiledGene
from tailormed.calling.models import allele_sort_key
from tailormed.errors import KnowledgeError
from tailormed.vcf.models import NOT_IN_DEFINITION

Combos = list[tuple[tuple[str, ...], int]]


@dataclass(frozen=True, slots=True)
class _Sites:
    """What the rule needs from one compiled gene."""

    exon: int  # matching-position index of the exonic variant
    intron: int  # ... of the intronic variant
    exon_bits: int  # allele bits the combined allele accepts there
    intron_bits: int
    combined_defined: npt.NDArray[np.bool_]  # (P,) positions the combined allele defines
    intronic_defined: npt.NDArray[np.bool_]
    matching: CompiledGene  # the gene without the two alleles


_CACHE: OrderedDict[tuple[int, str], tuple[CompiledGene, _Sites]] = OrderedDict()
_CACHE_SIZE = 16


def _carries(code: int, bits: int) -> bool:
    return code > 0 and bool((bits >> code) & 1)


def _called(code: int) -> bool:
    return code >= 0 or code == NOT_IN_DEFINITION


def _site(column: npt.NDArray[np.int8], bits: int) -> list[bool] | None:
    """The called alleles at one site (True: carries the variant), or None when the
    genotype is one PharmCAT discards (no call, or a half call without the variant)."""
    carries = [_carries(int(c), bits) for c in column if _called(int(c))]
    if len(carries) < 2 and not any(carries):
        return None
    return carries


@dataclass(frozen=True, slots=True)
class HapB3Rule:
    """A combined allele (``combined``: both variants) and its leading allele
    (``intronic``: the intronic variant alone), called from two positions by rsid."""

    combined: str
    intronic: str
    exonic_rsid: str
    intronic_rsid: str

    # ------------------------------------------------------------------ gene data

    def _sites(self, cg: CompiledGene) -> _Sites:
        key = (id(cg), self.combined)
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is cg:
            _CACHE.move_to_end(key)
            return hit[1]
        sites = self._compile(cg)
        _CACHE[key] = (cg, sites)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
        return sites

    def _compile(self, cg: CompiledGene) -> _Sites:
        symbol = cg.gene.symbol

        def position(rsid: str) -> int:
            for p, vi in enumerate(cg.match_index):
                if cg.gene.variants[int(vi)].rsid == rsid:
                    return p
            raise KnowledgeError(f"{symbol} definition has no {rsid} (needed for HapB3)")

        def allele(name: str) -> int:
            for a, named in enumerate(cg.alleles):
                if named.name == name:
                    return a
            raise KnowledgeError(f"{symbol} definition has no allele {name!r}")

        exon, intron = position(self.exonic_rsid), position(self.intronic_rsid)
        combined, intronic = allele(self.combined), allele(self.intronic)
        keep = [a for a in range(len(cg.alleles)) if a not in (combined, intronic)]
        matching = CompiledGene(
            gene=cg.gene,
            match_index=cg.match_index,
            alleles=tuple(cg.alleles[a] for a in keep),
            allowed=cg.allowed[keep],
            filled=cg.filled[keep],
            wobble=cg.wobble[keep],
            differs_from_ref=cg.differs_from_ref[keep],
            reference_index=keep.index(cg.reference_index),
        )
        defined = cg.allowed != 0
        return _Sites(
            exon=exon,
            intron=intron,
            exon_bits=int(cg.allowed[combined, exon]),
            intron_bits=int(cg.allowed[combined, intron]),
            combined_defined=defined[combined],
            intronic_defined=defined[intronic],
            matching=matching,
        )

    # ------------------------------------------------------------------- the rule

    def applies(self, cg: CompiledGene, codes: npt.NDArray[np.int8]) -> bool:
        """The sample carries the exonic or the intronic variant."""
        s = self._sites(cg)
        return any(
            _carries(int(c), bits)
            for p, bits in ((s.exon, s.exon_bits), (s.intron, s.intron_bits))
            for c in codes[:, p]
        )

    def matching_gene(self, cg: CompiledGene) -> CompiledGene:
        """The gene without the two alleles (what the rest of the gene is matched with)."""
        return self._sites(cg).matching

    def phased_diplotypes(
        self, cg: CompiledGene, codes: npt.NDArray[np.int8], labels: npt.NDArray[np.int64]
    ) -> tuple[Combos, tuple[str, ...]]:
        """Combination diplotypes of the rest of the gene, each haplotype's HapB3 call
        merged in, over every orientation of the phase blocks; and the notes raised."""
        s = self._sites(cg)
        intron_present = _site(codes[:, s.intron], s.intron_bits) is not None
        raised: set[str] = set()

        def namer(hap: npt.NDArray[np.int8], absent: npt.NDArray[np.bool_]) -> list[HaplotypeName]:
            rest = hap.copy()
            rest[[s.exon, s.intron]] = 0  # no partials there: the rule names them
            names = name_haplotype(s.matching, rest, absent)
            call = self._strand_call(s, hap, intron_present, raised)
            if call is None:
                return names
            defined = s.combined_defined if call == self.combined else s.intronic_defined
            return [self._merge(s, n, call, int((defined & ~absent).sum())) for n in names]

        combos = combination_diplotypes(s.matching, codes, labels, namer=namer)
        return combos, self._notes(cg, raised)

    def unphased_calls(
        self, cg: CompiledGene, codes: npt.NDArray[np.int8]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Unphased data: the HapB3 alleles counted from the two genotypes (see the
        module docstring), and the notes raised."""
        s = self._sites(cg)
        exon = _site(codes[:, s.exon], s.exon_bits)
        intron = _site(codes[:, s.intron], s.intron_bits)
        combined = leading = 0
        raised: set[str] = set()
        if intron is None:
            if exon is not None:  # intronic position absent: the exonic variant alone
                combined = sum(exon)
                if combined:
                    raised.add("exonic-only")
        elif exon is None:
            leading = sum(intron)
        elif len(intron) < 2 or len(exon) < 2:
            # a half call at one position, the other called: copies cannot be paired
            if any(intron) or any(exon):
                raised.add("half-call")
        else:
            n_intron, n_exon = sum(intron), sum(exon)
            combined = min(n_intron, n_exon)
            leading = n_intron - combined
            if n_exon > n_intron:
                raised.add("mismatch")
        calls = (self.combined,) * combined + (self.intronic,) * leading
        return calls, self._notes(cg, raised)

    # ------------------------------------------------------------------ internals

    def _strand_call(
        self, s: _Sites, hap: npt.NDArray[np.int8], intron_present: bool, raised: set[str]
    ) -> str | None:
        """One phased haplotype's HapB3 allele (the intronic variant decides)."""
        intron = int(hap[s.intron])
        intron_called = intron_present and _called(intron)
        exonic = _carries(int(hap[s.exon]), s.exon_bits)
        if intron_called and _carries(intron, s.intron_bits):
            return self.combined if exonic else self.intronic
        if not exonic:
            return None
        if intron_called:
            raised.add("mismatch")
            return None
        raised.add("exonic-only")
        return self.combined

    def _merge(self, s: _Sites, h: HaplotypeName, call: str, call_size: int) -> HaplotypeName:
        """``h`` with ``call`` added: the call alone on a reference haplotype, else
        ``[components + call]`` in name order (partials are not carried over)."""
        if not h.components:
            return HaplotypeName(call, (), (), call_size)
        parts = sorted(
            [*(s.matching.alleles[a].name for a in h.components), call], key=allele_sort_key
        )
        name = "[" + " + ".join(parts) + "]"
        return HaplotypeName(name, h.components, (), h.score + len(h.partials) + call_size)

    def _notes(self, cg: CompiledGene, raised: set[str]) -> tuple[str, ...]:
        gene, exon, intron = cg.gene.symbol, self.exonic_rsid, self.intronic_rsid
        text = {
            "mismatch": (
                f"{gene} HapB3: the exonic {exon} variant was found without the intronic "
                f"{intron} variant on the same haplotype; the intronic variant decides, so no "
                "HapB3 allele is called for it (PharmCAT message "
                "pcat-dpyd-hapB3-intronic-mismatch-exonic)"
            ),
            "exonic-only": (
                f"{gene} HapB3 was called from the exonic {exon} variant alone: the intronic "
                f"{intron} position is missing; genotype it to confirm HapB3 and its decreased "
                "function (PharmCAT message pcat-dpyd-hapB3-exonic-only)"
            ),
            "half-call": (
                f"{gene} HapB3: a half-missing genotype at {exon} or {intron} in unphased data "
                "leaves the HapB3 variants unpaired; no HapB3 allele is called (as PharmCAT)"
            ),
        }
        return tuple(text[k] for k in ("mismatch", "exonic-only", "half-call") if k in raised)


# PharmCAT DpydHapB3Matcher: HAPB3_ALLELE, HAPB3_INTRONIC_ALLELE, HAPB3_EXONIC_RSID,
# HAPB3_INTRONIC_RSID.
DPYD_HAPB3 = HapB3Rule(
    combined="c.1129-5923C>G, c.1236G>A (HapB3)",
    intronic="c.1129-5923C>G",
    exonic_rsid="rs56038477",
    intronic_rsid="rs75017182",
)
