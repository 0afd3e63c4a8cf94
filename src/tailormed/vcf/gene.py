"""One gene's part of a read: its region's records routed to its defining positions.

A :class:`GeneReader` keeps every record touching a defining position as a
:class:`~tailormed.vcf.sites.Statement` (decoding its genotypes only then), notes the
span of records around the gene (what the input covers, :mod:`.regions`), checks REF
against the definition, and builds the gene's :class:`GenotypeMatrix`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.knowledge.models import DefiningVariant
from tailormed.vcf.build import BuildEvidence
from tailormed.vcf.models import (
    ABSENT_HAPLOTYPE,
    MISSING,
    GenePanel,
    GenotypeMatrix,
    PositionSource,
)
from tailormed.vcf.normalize import canonical
from tailormed.vcf.records import LazyGenotypes, check_alts
from tailormed.vcf.regions import COVERAGE_FLANK, CoveredRegions, RecordSpan
from tailormed.vcf.sites import REF, SiteState, Statement

# Region padding: an indel record may start a few bases before the position it changes.
PAD = 60
GVCF_ALTS = frozenset({"<NON_REF>", "<*>"})

Where = Callable[[], str]  # a record's place in its file, for statements' labels


class GeneReader:
    """Routes the records of one gene's region to its defining positions."""

    def __init__(self, panel: GenePanel, n_samples: int) -> None:
        self.panel = panel
        self.n = n_samples
        self.by_pos: dict[int, int] = {v.position: i for i, v in enumerate(panel.variants)}
        self.by_key: dict[tuple[int, str, str], tuple[int, int]] = {}
        for i, v in enumerate(panel.variants):
            for k, alt in enumerate(v.alts, start=1):
                self.by_key.setdefault(canonical(v.position, v.ref, alt), (i, k))
        self.states = [SiteState(n_samples) for _ in panel.variants]
        self.ref_checks = 0
        self.ref_mismatches: list[str] = []
        first = min(v.position for v in panel.variants)
        last = max(v.position + len(v.ref) - 1 for v in panel.variants)
        self.lo, self.hi = first - PAD, last + PAD
        self.cov_lo, self.cov_hi = max(first - COVERAGE_FLANK, 1), last + COVERAGE_FLANK
        self.first, self.last = first, last
        self.span = RecordSpan()
        self.gvcf = False

    def reads(self, pos: int, end: int) -> bool:
        return pos <= self.hi and end >= self.lo

    def note(self, pos: int, end: int) -> None:
        """A record overlapping the gene's region: it shows what the input covers."""
        if pos <= self.cov_hi and end >= self.cov_lo:
            self.span.add(pos, end)

    def add(self, rec: Any, lazy: LazyGenotypes, where: Where, evidence: BuildEvidence) -> None:
        pos: int = rec.POS
        ref: str = rec.REF
        alts: list[str] = rec.ALT
        if (alts and all(a in GVCF_ALTS for a in alts)) or (not alts and rec.INFO.get("END")):
            self._add_block(rec, lazy.gt())
            return
        # What each record allele is at each defining position it touches.
        anchored = self.by_pos.get(pos)
        hits = [self.by_key.get(canonical(pos, ref, alt)) for alt in alts]
        if anchored is None and not any(hits):
            return  # most records of a region: nothing to decode
        identities = [REF] + [f"x:{a}" for a in alts]
        targets: dict[int, list[str]] = {}  # variant index -> identity per record allele
        if anchored is not None:
            targets[anchored] = list(identities)
        for j, (alt, hit) in enumerate(zip(alts, hits, strict=True), start=1):
            if hit is not None:
                targets.setdefault(hit[0], list(identities))[j] = f"d{hit[1]}"
            elif anchored is not None and _changes_base(
                pos, ref, alt, self.panel.variants[anchored]
            ):
                targets[anchored][j] = f"u:{alt}"
        if not targets:
            return
        check_alts(ref, alts)
        if any(a.startswith("d") for ids in targets.values() for a in ids):
            evidence.grch38_hits += 1
        label = f"{ref}>{','.join(alts) or '.'}{where()}"
        for i, ids in targets.items():
            # genotypes are decoded only for records that touch a defining position
            st = self.states[i]
            if anchored == i and not self._check_ref(self.panel.variants[i], ref):
                st.ref_mismatch = True
            gt = lazy.gt()
            st.statements.append(
                Statement(gt[:, :2], gt[:, 2].astype(bool), lazy.ps(), tuple(ids), label)
            )

    def _add_block(self, rec: Any, gt: npt.NDArray[np.int16]) -> None:
        self.gvcf = True
        end = int(rec.INFO.get("END") or rec.POS)
        for i, v in enumerate(self.panel.variants):
            if rec.POS <= v.position <= end:
                self.states[i].blocks.append(gt[:, :2])

    def _check_ref(self, variant: DefiningVariant, vcf_ref: str) -> bool:
        """Count the check; on a mismatch note it and return False."""
        if not variant.is_snv or len(vcf_ref) != 1:
            first_def, first_vcf = variant.ref[:1].upper(), vcf_ref[:1].upper()
        else:
            first_def, first_vcf = variant.ref.upper(), vcf_ref.upper()
        self.ref_checks += 1
        if first_def != first_vcf:
            self.ref_mismatches.append(
                f"REF mismatch at {variant.chrom}:{variant.position} ({variant.label}): "
                f"input has {vcf_ref}, the definition has {variant.ref}; the position is "
                "treated as missing"
            )
            return False
        return True

    # ------------------------------------------------------------------ coverage

    def covered(self, missing_to_ref: bool, bed: CoveredRegions | None) -> bool:
        if not self.span.empty:
            return True
        chrom = self.panel.chrom
        return bool(
            missing_to_ref
            and bed is not None
            and any(bed.contains(chrom, v.position) for v in self.panel.variants)
        )

    def _covers(self, pos: int, bed: CoveredRegions | None) -> bool:
        if bed is not None:
            return bed.contains(self.panel.chrom, pos)
        return not self.gvcf and self.span.contains(pos)

    def _coverage_text(self, bed: CoveredRegions | None) -> str:
        if bed is not None:
            return f"the regions of {bed.path.name}"
        if self.gvcf:
            return "the gVCF's reference blocks and records"
        return f"records span {self.panel.chrom}:{self.span.lo}-{self.span.hi}"

    def matrix(
        self,
        samples: tuple[str, ...],
        missing_to_ref: bool,
        bed: CoveredRegions | None,
        notes: Sequence[str],
    ) -> GenotypeMatrix:
        p = len(self.panel.variants)
        codes = np.full((self.n, 2, p), MISSING, dtype=np.int8)
        phased = np.zeros((self.n, p), dtype=bool)
        phase_set = np.zeros((self.n, p), dtype=np.int64)
        haploid = np.zeros((self.n, p), dtype=bool)
        conflicts: npt.NDArray[np.bool_] | None = None
        conflict_records = [""] * p
        unknown: list[str | None] = [None] * p
        sources: list[PositionSource] = []
        outside: list[str] = []
        for i, (v, st) in enumerate(zip(self.panel.variants, self.states, strict=True)):
            if st.ref_mismatch:  # a genotype against another REF says nothing here
                sources.append("ref-mismatch")
            elif st.present:
                got = st.combine()
                codes[:, :, i] = got.codes
                phased[:, i] = got.phased
                phase_set[:, i] = got.phase_set
                haploid[:, i] = got.haploid
                unknown[i] = got.unknown_allele
                sources.append("vcf" if st.statements else "gvcf-block")
                if got.conflict is not None:
                    if conflicts is None:
                        conflicts = np.zeros((self.n, p), dtype=bool)
                    conflicts[:, i] = got.conflict
                    conflict_records[i] = f"{v.chrom}:{v.position} " + (
                        "(" + "; ".join(s.label for s in st.statements) + ")"
                    )
            elif missing_to_ref and self._covers(v.position, bed):
                codes[:, :, i] = 0
                phased[:, i] = True
                sources.append("missing-to-ref")
            elif missing_to_ref:
                sources.append("outside-coverage")
                outside.append(v.label)
            else:
                sources.append("absent")
        # Haploid samples (chrX in males): absent second haplotype at every position
        # once any record shows them haploid.
        male: npt.NDArray[np.bool_] = np.asarray(haploid.any(axis=1), dtype=bool)
        mixed: npt.NDArray[np.bool_] | None = None
        if male.any():
            # A diploid call in a sample called haploid elsewhere in the gene cannot be
            # read either way: that position is a no-call for the sample.
            read = np.array([s in ("vcf", "gvcf-block") for s in sources], dtype=bool)
            called: npt.NDArray[np.bool_] = codes[:, 0, :] != MISSING
            diploid = called & ~haploid & read[None, :] & male[:, None]
            if diploid.any():
                mixed = diploid
                codes[:, 0, :][diploid] = MISSING
            codes[male, 1, :] = ABSENT_HAPLOTYPE
            phased[male, :] = True
        warnings = list(notes) + self.ref_mismatches
        covered = self.covered(missing_to_ref, bed)
        if outside and covered:
            warnings.append(
                f"{len(outside)} defining position(s) lie outside the region the input "
                f"covers ({self._coverage_text(bed)}) and were not assumed reference "
                f"(--missing-to-ref): {', '.join(outside[:12])}"
                + (" ..." if len(outside) > 12 else "")
            )
        note = ""
        if not covered:
            note = (
                f"not covered: the input holds no record in {self.panel.gene}'s region "
                f"({self.panel.chrom}:{self.cov_lo}-{self.cov_hi})"
                + (f" and {bed.path.name} does not cover it" if bed is not None else "")
            )
        return GenotypeMatrix(
            gene=self.panel.gene,
            samples=samples,
            variants=self.panel.variants,
            codes=codes,
            phased=phased,
            phase_set=phase_set,
            sources=tuple(sources),
            warnings=tuple(warnings),
            unknown_alleles=tuple(unknown),
            covered=covered,
            coverage_note=note,
            conflicts=conflicts,
            conflict_records=tuple(conflict_records) if conflicts is not None else (),
            mixed_ploidy=mixed,
        )


def _changes_base(pos: int, ref: str, alt: str, variant: DefiningVariant) -> bool:
    """Whether an unmatched ALT alters the base(s) a defining variant is about."""
    start, deleted, _inserted = canonical(pos, ref, alt)
    if not deleted:
        return not variant.is_snv and start == variant.position + 1
    return start <= variant.position < start + len(deleted) or (
        not variant.is_snv and start == variant.position + 1
    )
