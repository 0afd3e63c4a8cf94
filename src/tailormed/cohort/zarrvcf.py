"""Read gene panels from VCF Zarr (the ``bio2zarr vcf2zarr`` layout that sgkit reads).

A store holds ``sample_id`` (samples), ``contig_id`` (contigs), ``variant_contig`` /
``variant_position`` / ``variant_allele`` (one row per record: contig index, 1-based
position, REF then ALTs padded with ``""``), ``call_genotype`` (records x samples x ploidy,
``-1`` missing, ``-2`` no second allele) and ``call_genotype_phased``; ``call_PS`` is used
when present. Convert a VCF with ``vcf2zarr convert in.vcf.gz out.vcz``.

The records are handed to the same :class:`~tailormed.vcf.gene.GeneReader` the VCF reader
uses, in the same order and with the same region rules (every record overlapping the
gene's padded region; for the coverage span, the first record of each flank), so a VCF
and its VCF Zarr conversion give identical genotype matrices. Genotypes are read only
for the records that touch a defining position, and only for the requested samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError
from tailormed.vcf.build import (
    LIFTOVER_HINT,
    BuildEvidence,
    grch37_sites,
    header_build,
    refuse,
    unstated_warning,
)
from tailormed.vcf.gene import GeneReader
from tailormed.vcf.models import GenePanel, GenotypeMatrix
from tailormed.vcf.records import LazyGenotypes, check_genotypes
from tailormed.vcf.regions import CoveredRegions, chrom_key

REQUIRED = (
    "sample_id",
    "contig_id",
    "variant_contig",
    "variant_position",
    "variant_allele",
    "call_genotype",
)
# GRCh37 detection, as in the VCF reader
BUILD_MISMATCH_MIN = 5
BUILD_MISMATCH_SHARE = 0.5


def is_vcf_zarr(path: Path) -> bool:
    """A folder holding a Zarr group (v2 ``.zgroup`` or v3 ``zarr.json``)."""
    return path.is_dir() and ((path / "zarr.json").exists() or (path / ".zgroup").exists())


class _Record:
    """The few fields of a record the gene reader uses."""

    __slots__ = ("ALT", "CHROM", "INFO", "POS", "REF", "end")

    def __init__(self, chrom: str, pos: int, alleles: Sequence[str]) -> None:
        self.CHROM = chrom
        self.POS = pos
        self.REF = alleles[0]
        self.ALT = [a for a in alleles[1:] if a]
        self.end = pos + max(len(self.REF), 1) - 1
        self.INFO: dict[str, Any] = {}


class _ZarrGenotypes(LazyGenotypes):
    """One record's genotypes for the requested samples, read from the store on first use."""

    def __init__(self, store: ZarrVcf, row: int, rec: _Record, samples: Any) -> None:
        super().__init__(rec, None, store.names_for(samples), None)
        self.store = store
        self.row = row
        self.samples = samples

    def gt(self) -> npt.NDArray[np.int16]:
        if self._gt is None:
            gt, phased = self.store.genotypes(self.row, self.samples)
            check_genotypes(
                np.column_stack([gt, phased]).astype(np.int16),
                self.rec.CHROM,
                len(self.rec.ALT),
                self.names,
            )
            self._gt = np.column_stack([gt[:, 0], gt[:, 1], phased]).astype(np.int16)
        return self._gt

    def ps(self) -> npt.NDArray[np.int64] | None:
        if not self._ps_done:
            self._ps_done = True
            self._ps = self.store.phase_sets(self.row, self.samples)
        return self._ps


class ZarrVcf:
    """One VCF Zarr store: its samples, and genotype matrices for gene panels."""

    def __init__(self, path: Path) -> None:
        import zarr

        self.path = Path(path)
        if not self.path.exists():
            raise InputError("VCF Zarr store does not exist", path=self.path)
        try:
            group: Any = zarr.open_group(str(self.path), mode="r")
        except Exception as exc:
            raise InputError(f"not a readable Zarr store ({exc})", path=self.path) from None
        missing = [k for k in REQUIRED if k not in group]
        if missing:
            raise InputError(
                "not a VCF Zarr store (bio2zarr vcf2zarr layout): missing " + ", ".join(missing),
                path=self.path,
            )
        self.group: Any = group
        self.samples: tuple[str, ...] = tuple(str(s) for s in group["sample_id"][:])
        if not self.samples:
            raise InputError("the VCF Zarr store has no samples", path=self.path)
        self.contigs: tuple[str, ...] = tuple(str(c) for c in group["contig_id"][:])
        self._contig = np.asarray(group["variant_contig"][:], dtype=np.int64)
        self._position = np.asarray(group["variant_position"][:], dtype=np.int64)
        self._rows: dict[int, npt.NDArray[np.int64]] = {}
        self._index = {s: i for i, s in enumerate(self.samples)}
        self.build = header_build(self._header_text())
        if self.build.build not in (None, "GRCh38"):
            raise refuse(self.path, self.build)

    def _header_text(self) -> str:
        lines = []
        meta = self.group.attrs.get("vcf_meta_information") or []
        for item in meta:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                lines.append(f"##{item[0]}={item[1]}")
        if "contig_length" in self.group:
            lengths = self.group["contig_length"][:]
            for name, length in zip(self.contigs, lengths, strict=True):
                if int(length) > 0:
                    lines.append(f"##contig=<ID={name},length={int(length)}>")
        return "\n".join(lines)

    # ------------------------------------------------------------------ samples

    def sample_index(self, samples: Sequence[str]) -> npt.NDArray[np.int64]:
        unknown = [s for s in samples if s not in self._index]
        if unknown:
            raise InputError(
                f"sample(s) not in the input: {', '.join(unknown[:10])}", path=self.path
            )
        return np.array([self._index[s] for s in samples], dtype=np.int64)

    def names_for(self, samples: Any) -> list[str]:
        if isinstance(samples, slice):
            return list(self.samples[samples])
        return [self.samples[int(i)] for i in samples]

    def genotypes(
        self, row: int, samples: Any
    ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_]]:
        gt = np.asarray(self._select(self.group["call_genotype"], row, samples), dtype=np.int8)
        if gt.ndim == 1:  # a haploid-only store
            gt = np.column_stack([gt, np.full(len(gt), -2, dtype=np.int8)])
        if gt.shape[1] > 2:
            extra = (gt[:, 2:] != -2).any(axis=1)
            if extra.any():
                i = int(np.flatnonzero(extra)[0])
                raise InputError(
                    f"sample {self.names_for(samples)[i]}: genotype with ploidy above 2; "
                    "Tailormed reads diploid genotypes (haploid ones on chrX, chrY and chrM)",
                    path=self.path,
                )
            gt = gt[:, :2]
        if "call_genotype_phased" in self.group:
            phased = np.asarray(
                self._select(self.group["call_genotype_phased"], row, samples), dtype=bool
            )
        else:
            phased = np.zeros(len(gt), dtype=bool)
        return gt, phased

    def phase_sets(self, row: int, samples: Any) -> npt.NDArray[np.int64] | None:
        if "call_PS" not in self.group:
            return None
        ps = np.asarray(self._select(self.group["call_PS"], row, samples))
        if ps.ndim > 1:
            ps = ps[:, 0]
        return np.where(ps < 0, 0, ps).astype(np.int64)

    @staticmethod
    def _select(array: Any, row: int, samples: Any) -> Any:
        if isinstance(samples, slice):
            return array[row, samples]
        return array.oindex[row, samples]

    # ------------------------------------------------------------------ records

    def _contig_rows(self, chrom: str) -> tuple[str, npt.NDArray[np.int64]] | None:
        for candidate in (chrom, chrom.removeprefix("chr"), "chr" + chrom.removeprefix("chr")):
            if candidate in self.contigs:
                cid = self.contigs.index(candidate)
                if cid not in self._rows:
                    rows = np.flatnonzero(self._contig == cid)
                    order = np.argsort(self._position[rows], kind="stable")
                    self._rows[cid] = rows[order]
                return candidate, self._rows[cid]
        return None

    def records(self, chrom: str, lo: int, hi: int) -> list[tuple[int, _Record]]:
        """Records overlapping ``chrom:lo-hi`` in position order, as a tabix query returns
        them (a record starting before ``lo`` that reaches into it included)."""
        found = self._contig_rows(chrom)
        if found is None:
            return []
        name, rows = found
        positions = self._position[rows]
        # records may start up to the longest REF before lo; read a margin and filter
        start = int(np.searchsorted(positions, max(lo - 1000, 1), side="left"))
        stop = int(np.searchsorted(positions, hi, side="right"))
        if stop <= start:
            return []
        chosen = rows[start:stop]
        alleles = self.group["variant_allele"].oindex[chosen, :] if len(chosen) else []
        out = []
        for row, values in zip(chosen, alleles, strict=True):
            rec = _Record(name, int(self._position[row]), [str(a) for a in values])
            if hi >= rec.POS and rec.end >= lo:
                out.append((int(row), rec))
        return out

    def read(
        self,
        readers: Sequence[GeneReader],
        samples: Any,
        evidence: BuildEvidence,
        sites: dict[tuple[str, int], list[Any]],
    ) -> None:
        """Feed this store's records of every reader's region to it (as the VCF reader does)."""
        for reader in readers:
            chrom = reader.panel.chrom

            def feed(
                lo: int, hi: int, first_only: bool, reader: GeneReader = reader, chrom: str = chrom
            ) -> None:
                for row, rec in self.records(chrom, max(lo, 1), hi):
                    reader.note(rec.POS, rec.end)
                    if first_only:
                        return
                    if reader.reads(rec.POS, rec.end):
                        lazy = _ZarrGenotypes(self, row, rec, samples)
                        reader.add(rec, lazy, lambda: "", evidence)

            feed(reader.lo, reader.hi, False)
            span = reader.span
            if span.empty or (span.lo or 0) > reader.first:
                feed(reader.cov_lo, max(reader.lo - 1, 1), True)
            if span.empty or (span.hi or 0) < reader.last:
                feed(reader.hi + 1, reader.cov_hi, True)
        if self.build.build is None:  # nothing stated: look where GRCh37 puts variants
            for chrom_name, pos in sites:
                for _row, rec in self.records(chrom_name, pos, pos):
                    evidence.check_record(sites, rec.CHROM, rec.POS, rec.REF, rec.ALT)


class ZarrSet:
    """One or more VCF Zarr stores holding (regions of) the same samples."""

    def __init__(self, paths: Sequence[Path]) -> None:
        self.stores = [ZarrVcf(Path(p)) for p in paths]
        first = self.stores[0]
        for s in self.stores[1:]:
            if s.samples != first.samples:
                raise InputError(
                    f"holds different samples (or another order) from {first.path}; stores "
                    "read together must hold the same samples in the same order",
                    path=s.path,
                )
        self.samples = first.samples

    def read(
        self,
        panels: Sequence[GenePanel],
        samples: Sequence[str],
        missing_to_ref: bool = False,
        covered: CoveredRegions | None = None,
    ) -> dict[str, GenotypeMatrix]:
        """Every panel's genotype matrix for ``samples`` (a subset, in the given order)."""
        index = self.stores[0].sample_index(samples)
        selector: Any = index
        if len(index) and bool((np.diff(index) == 1).all()):
            selector = slice(int(index[0]), int(index[-1]) + 1)
        readers = [GeneReader(p, len(samples)) for p in panels]
        sites = grch37_sites(p.gene for p in panels)
        for store in self.stores:
            evidence = BuildEvidence()
            store.read(readers, selector, evidence, sites)
            refusal = evidence.verdict(store.path)
            if refusal is not None:
                raise refusal
        checks = sum(r.ref_checks for r in readers)
        mismatches = [m for r in readers for m in r.ref_mismatches]
        if (
            len(mismatches) >= BUILD_MISMATCH_MIN
            and len(mismatches) >= BUILD_MISMATCH_SHARE * checks
        ):
            raise InputError(
                f"REF differs from GRCh38 at {len(mismatches)} of {checks} defining positions: "
                f"the coordinates look like another genome build (GRCh37?). {LIFTOVER_HINT}. "
                f"First: {mismatches[0]}",
                path=self.stores[0].path,
            )
        unstated = [s.path for s in self.stores if s.build.build is None]
        notes = [unstated_warning(unstated)] if unstated else []
        names = tuple(samples)
        return {r.panel.gene: r.matrix(names, missing_to_ref, covered, notes) for r in readers}


__all__ = ["ZarrSet", "ZarrVcf", "chrom_key", "is_vcf_zarr"]
