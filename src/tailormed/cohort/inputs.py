"""Cohort inputs: VCF/BCF files or VCF Zarr stores, their samples, and their fingerprint.

The fingerprint is what makes a finished partition reusable. Per input file: its size,
its modification time (nanoseconds) and the SHA-256 of its first 64 KiB (the header and
first records); for an index beside it, its size and modification time. For a VCF Zarr
store: the same for every file in the store (array metadata and chunks). A changed file
changes the fingerprint, and the run starts over; rewriting a file with identical bytes
and the same modification time is the one change this does not see.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tailormed.cohort.zarrvcf import ZarrSet, is_vcf_zarr
from tailormed.errors import InputError
from tailormed.vcf.build import BuildEvidence
from tailormed.vcf.models import GenePanel, GenotypeMatrix
from tailormed.vcf.reader import VcfSet
from tailormed.vcf.regions import CoveredRegions

HEAD_BYTES = 65536


@dataclass(frozen=True, slots=True)
class CohortInput:
    """The input files of a run: all VCF/BCF (``kind="vcf"``) or all VCF Zarr (``"zarr"``)."""

    kind: str
    paths: tuple[Path, ...]

    @staticmethod
    def of(paths: Sequence[Path]) -> CohortInput:
        if not paths:
            raise InputError("no input files given")
        kinds = {"zarr" if is_vcf_zarr(Path(p)) else "vcf" for p in paths}
        if len(kinds) > 1:
            raise InputError(
                "mixes VCF files and VCF Zarr stores: give one kind (convert the VCFs with "
                "`vcf2zarr convert in.vcf.gz out.vcz`)",
                path=Path(paths[0]),
            )
        return CohortInput(kinds.pop(), tuple(Path(p).absolute() for p in paths))

    def samples(self) -> tuple[str, ...]:
        """Every sample, in input order (opening validates every file)."""
        return _open(self, None).samples

    def read(
        self,
        panels: Sequence[GenePanel],
        samples: Sequence[str],
        missing_to_ref: bool,
        covered: CoveredRegions | None,
    ) -> dict[str, GenotypeMatrix]:
        """Genotype matrices of ``panels`` for the sample block ``samples``."""
        opened = _open(self, samples)
        if isinstance(opened, ZarrSet):
            return opened.read(panels, samples, missing_to_ref, covered)
        return opened.read(panels, missing_to_ref=missing_to_ref, covered=covered)

    def fingerprint(self) -> list[dict[str, Any]]:
        return [fingerprint_path(p) for p in self.paths]


# Opened inputs, reused by the tasks a worker runs; keyed on the files' size and
# modification time too, so a file rewritten while a cluster lives is opened again.
_ZARR: dict[Any, ZarrSet] = {}
_VCF: dict[Any, VcfSet] = {}


def stamps(paths: Sequence[Path]) -> tuple[tuple[int, int], ...]:
    """Size and modification time of each file (of a Zarr store: its root metadata)."""
    out = []
    for p in paths:
        meta = next((p / m for m in ("zarr.json", ".zmetadata", ".zgroup") if (p / m).exists()), p)
        st = meta.stat()
        out.append((st.st_size, st.st_mtime_ns))
    return tuple(out)


def _open(source: CohortInput, samples: Sequence[str] | None) -> VcfSet | ZarrSet:
    if source.kind == "zarr":
        zkey = (source.paths, stamps(source.paths))
        if zkey not in _ZARR:  # one open per process: the index arrays are reused
            _ZARR.clear()
            _ZARR[zkey] = ZarrSet(source.paths)
        return _ZARR[zkey]
    key = (source.paths, stamps(source.paths), tuple(samples) if samples is not None else None)
    if key not in _VCF:  # the gene tasks of one block reuse the opened files
        _VCF.clear()
        _VCF[key] = VcfSet(list(source.paths), samples)
    vcfs = _VCF[key]
    for f in vcfs._files:  # build evidence is judged per read, as with a fresh open
        f.evidence = BuildEvidence()
    return vcfs


def _file_print(path: Path, head: bool) -> dict[str, Any]:
    st = path.stat()
    out: dict[str, Any] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
    if head:
        with path.open("rb") as fh:
            out["head_sha256"] = hashlib.sha256(fh.read(HEAD_BYTES)).hexdigest()
    return out


def fingerprint_path(path: Path) -> dict[str, Any]:
    """Size, modification time and head hash of a file (and its index), or of every file
    of a VCF Zarr store (digested into one value)."""
    path = Path(path)
    if not path.exists():
        raise InputError("file does not exist", path=path)
    if path.is_dir():
        digest = hashlib.sha256()
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                p = Path(root) / name
                st = p.stat()
                rel = p.relative_to(path).as_posix()
                digest.update(f"{rel}\t{st.st_size}\t{st.st_mtime_ns}\n".encode())
        return {"path": str(path), "kind": "vcf-zarr", "files_sha256": digest.hexdigest()}
    out = {"path": str(path), "kind": "file", **_file_print(path, True)}
    for ext in (".tbi", ".csi"):
        index = Path(str(path) + ext)
        if index.exists():
            out["index"] = _file_print(index, False)
    return out
