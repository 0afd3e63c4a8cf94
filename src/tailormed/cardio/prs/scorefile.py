"""PGS Catalog scoring files (format v2): header, columns and the variants with their weights.

A scoring file is a tab-separated table (``.txt`` or ``.txt.gz``) after ``#`` header lines:
``###`` banners and ``##`` section titles are comments, ``#key=value`` lines are metadata
(``#pgs_id``, ``#genome_build``, and in harmonised files ``#HmPOS_build``).

Positions come from the harmonised ``hm_chr``/``hm_pos`` columns when present (the build is
then ``#HmPOS_build``), otherwise from the author-reported ``chr_name``/``chr_position``
(build ``#genome_build``). Tailormed scores GRCh38 genotypes, so a file in any other build —
or one that does not say — is refused with the build it names. The other allele is
``other_allele``, else the harmonisation's ``hm_inferOtherAllele`` (which may list several,
``A/G``), else unknown. Rows whose harmonised position is empty are kept as *unmapped* (they
count in ``variants_total`` and the match report). Effect types: additive by default,
``is_dominant``/``is_recessive`` or an ``effect_type`` column; interaction and haplotype
terms are not supported and are refused.

>>> sf = read_scoring_file(Path("PGS.txt"), text=(
...     "#pgs_id=PGS0\\n#genome_build=GRCh38\\n"
...     "chr_name\\tchr_position\\teffect_allele\\tother_allele\\teffect_weight\\n"
...     "1\\t100\\tA\\tG\\t0.5\\n"))
>>> sf.pgs_id, sf.build, len(sf), sf.variants[0].other_alleles
('PGS0', 'GRCh38', 1, ('G',))
"""

from __future__ import annotations

import gzip
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

from tailormed.errors import InputError

EffectType = Literal["additive", "dominant", "recessive"]
GRCH38 = frozenset({"grch38", "hg38"})
ALLELE = re.compile(r"^[ACGT]+$")
CHROMS = frozenset([str(i) for i in range(1, 23)] + ["X", "Y", "MT"])
TRUE = frozenset({"true", "t", "1", "yes"})


@dataclass(frozen=True, slots=True)
class ScoreVariant:
    """One row of a scoring file. ``chrom``/``pos`` are ``None`` when harmonisation found no
    GRCh38 position (the row is *unmapped*)."""

    line: int
    chrom: str | None
    pos: int | None
    effect_allele: str
    other_alleles: tuple[str, ...]  # empty: not given
    weight: float
    effect_type: EffectType = "additive"
    rsid: str | None = None


CHROM_NAMES = ("", *(str(i) for i in range(1, 23)), "X", "Y", "MT")  # code 0: unmapped
CHROM_CODE = {name: code for code, name in enumerate(CHROM_NAMES) if name}
EFFECT_TYPES: tuple[EffectType, ...] = ("additive", "dominant", "recessive")


@dataclass(frozen=True, slots=True, eq=False)
class ScoringFile:
    """A scoring file's metadata and its variants as columns (NumPy arrays: a genome-wide
    score of millions of variants stays about 100 bytes a variant). ``chrom`` holds codes
    into :data:`CHROM_NAMES` (0 and ``pos`` 0: unmapped); ``other`` joins the other alleles
    with ``/`` (empty: not given); ``effect_type`` indexes :data:`EFFECT_TYPES`."""

    path: Path
    pgs_id: str
    build: str
    harmonised: bool
    header: dict[str, str]
    line: npt.NDArray[np.int64]
    chrom: npt.NDArray[np.int8]
    pos: npt.NDArray[np.int64]
    effect: npt.NDArray[np.object_]
    other: npt.NDArray[np.object_]
    weight: npt.NDArray[np.float64]
    effect_type: npt.NDArray[np.int8]
    rsid: npt.NDArray[np.object_]
    format_version: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.weight)

    @property
    def name(self) -> str | None:
        return self.header.get("pgs_name")

    @property
    def trait(self) -> str | None:
        return self.header.get("trait_reported")

    def others(self, i: int) -> tuple[str, ...]:
        return _split_others(str(self.other[i]))

    def variant(self, i: int) -> ScoreVariant:
        code = int(self.chrom[i])
        return ScoreVariant(
            line=int(self.line[i]),
            chrom=CHROM_NAMES[code] if code else None,
            pos=int(self.pos[i]) if code else None,
            effect_allele=str(self.effect[i]),
            other_alleles=self.others(i),
            weight=float(self.weight[i]),
            effect_type=EFFECT_TYPES[int(self.effect_type[i])],
            rsid=str(self.rsid[i]) or None,
        )

    @property
    def variants(self) -> tuple[ScoreVariant, ...]:
        """Every row as a :class:`ScoreVariant` (convenient for small files only)."""
        return tuple(self.variant(i) for i in range(len(self)))


@lru_cache(maxsize=4096)
def _split_others(text: str) -> tuple[str, ...]:
    return tuple(a for a in text.split("/") if a)


def _lines(path: Path, text: str | None) -> Iterator[str]:
    if text is not None:
        yield from text.splitlines()
        return
    if not path.exists():
        raise InputError("scoring file does not exist", path=path)
    if path.is_dir():
        raise InputError("is a folder, not a scoring file", path=path)
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    try:
        if gz:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                for line in fh:
                    yield line.rstrip("\r\n")
        else:
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    yield line.rstrip("\r\n")
    except UnicodeDecodeError:
        raise InputError("not a text scoring file (cannot decode as UTF-8)", path=path) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read the compressed file ({exc})", path=path) from None


def parse_header_line(line: str) -> tuple[str, str] | None:
    """``#key=value`` -> (key, value); ``###`` banners and ``##`` titles -> None."""
    if line.startswith("##") or "=" not in line:
        return None
    key, _, value = line[1:].partition("=")
    return key.strip(), value.strip()


def read_header(path: Path) -> tuple[dict[str, str], list[str]]:
    """The ``#key=value`` metadata and the column names, without reading the variants
    (and without refusing a build): for inspecting any scoring file."""
    header: dict[str, str] = {}
    for line in _lines(path, None):
        if not line.strip():
            continue
        if line.startswith("#"):
            kv = parse_header_line(line)
            if kv:
                header[kv[0]] = kv[1]
            continue
        return header, line.split("\t")
    raise InputError("no column header line found (not a PGS Catalog scoring file?)", path=path)


def read_scoring_file(path: Path, *, text: str | None = None) -> ScoringFile:
    """Parse and validate a scoring file; refuses anything not on GRCh38 (naming the build)."""
    header: dict[str, str] = {}
    columns: list[str] | None = None
    reader: _RowReader | None = None
    for number, line in enumerate(_lines(path, text), start=1):
        if not line.strip():
            continue
        if columns is None:
            if line.startswith("#"):
                kv = parse_header_line(line)
                if kv:
                    header[kv[0]] = kv[1]
                continue
            columns = line.split("\t")
            reader = _RowReader(path, columns, header)
            continue
        assert reader is not None
        reader.row(line, number)
    if columns is None or reader is None:
        raise InputError("no column header line found (not a PGS Catalog scoring file?)", path=path)
    if not reader.lines:
        raise InputError("the scoring file has no variants", path=path)
    sf = reader.table(header)
    _check_duplicates(sf)
    stated = header.get("variants_number", "")
    if stated.isdigit() and int(stated) != len(sf):
        object.__setattr__(
            sf, "notes", (*sf.notes, f"the header says {stated} variants; the file has {len(sf)}")
        )
    return sf


class _RowReader:
    """Resolves the columns once (and the genome build), then parses rows."""

    def __init__(self, path: Path, columns: list[str], header: dict[str, str]) -> None:
        self.path = path
        self.index = {name: i for i, name in enumerate(columns)}
        self.width = len(columns)
        self.notes: list[str] = []
        self.harmonised = "hm_pos" in self.index and "hm_chr" in self.index
        if self.harmonised:
            build = header.get("HmPOS_build")
            if not build:
                raise InputError(
                    "harmonised columns (hm_chr, hm_pos) but no #HmPOS_build line", path=path
                )
            self.chrom_col, self.pos_col = "hm_chr", "hm_pos"
            where = "#HmPOS_build"
        else:
            build = header.get("genome_build")
            self.chrom_col, self.pos_col = "chr_name", "chr_position"
            where = "#genome_build"
            if self.pos_col not in self.index or self.chrom_col not in self.index:
                raise InputError(
                    "no positions: the file needs hm_chr/hm_pos or chr_name/chr_position "
                    "columns (rsID-only files must be harmonised first; download the "
                    "PGS Catalog harmonised GRCh38 file)",
                    path=path,
                )
        if not build or build.strip().upper() in ("NR", "NA", "NONE"):
            raise InputError(
                f"the genome build is not reported ({where}={build or 'missing'}); Tailormed "
                "needs GRCh38 positions: use the PGS Catalog harmonised file "
                "(<PGS id>_hmPOS_GRCh38.txt.gz)",
                path=path,
            )
        if build.strip().lower() not in GRCH38:
            raise InputError(
                f"the scoring file is on {build} ({where}={build}); Tailormed scores GRCh38 "
                "genotypes: use the PGS Catalog harmonised GRCh38 file "
                "(<PGS id>_hmPOS_GRCh38.txt.gz)",
                path=path,
            )
        self.build = "GRCh38"
        for required in ("effect_allele", "effect_weight"):
            if required not in self.index:
                raise InputError(f"missing required column {required!r}", path=path)
        for unsupported in ("is_interaction", "is_haplotype"):
            if unsupported in self.index:
                self.notes.append(f"column {unsupported} present; rows marked true are refused")
        self.lines: list[int] = []
        self.chroms: list[int] = []
        self.positions: list[int] = []
        self.effects: list[str] = []
        self.others: list[str] = []
        self.weights: list[float] = []
        self.types: list[int] = []
        self.rsids: list[str] = []

    def table(self, header: dict[str, str]) -> ScoringFile:
        """The rows read, as columns."""
        return ScoringFile(
            path=self.path,
            pgs_id=header.get("pgs_id") or self.path.name.split(".")[0].split("_")[0],
            build=self.build,
            harmonised=self.harmonised,
            header=header,
            line=np.array(self.lines, dtype=np.int64),
            chrom=np.array(self.chroms, dtype=np.int8),
            pos=np.array(self.positions, dtype=np.int64),
            effect=np.array(self.effects, dtype=object),
            other=np.array(self.others, dtype=object),
            weight=np.array(self.weights, dtype=np.float64),
            effect_type=np.array(self.types, dtype=np.int8),
            rsid=np.array(self.rsids, dtype=object),
            format_version=header.get("format_version"),
            notes=tuple(self.notes),
        )

    def _get(self, cells: list[str], name: str) -> str:
        i = self.index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def row(self, line: str, number: int) -> None:
        cells = line.split("\t")
        if len(cells) > self.width:
            raise InputError(
                f"{len(cells)} fields, the header has {self.width}", path=self.path, line=number
            )
        for flag in ("is_interaction", "is_haplotype"):
            if self._get(cells, flag).lower() in TRUE:
                raise InputError(
                    f"{flag} terms are not supported by Tailormed", path=self.path, line=number
                )
        effect = self._get(cells, "effect_allele").upper()
        if not ALLELE.match(effect):
            raise InputError(
                f"effect_allele {effect!r} is not a DNA allele (A, C, G, T)",
                path=self.path,
                line=number,
            )
        others = self._others(cells, number)
        weight_text = self._get(cells, "effect_weight")
        try:
            weight = float(weight_text)
        except ValueError:
            raise InputError(
                f"effect_weight {weight_text!r} is not a number", path=self.path, line=number
            ) from None
        if weight != weight or weight in (float("inf"), float("-inf")):
            raise InputError("effect_weight is not finite", path=self.path, line=number)
        chrom_text = self._get(cells, self.chrom_col)
        pos_text = self._get(cells, self.pos_col)
        chrom: str | None = None
        pos = 0
        if chrom_text or pos_text:
            chrom = _chrom(chrom_text)
            if chrom is None:
                raise InputError(
                    f"{self.chrom_col} {chrom_text!r} is not a chromosome",
                    path=self.path,
                    line=number,
                )
            try:
                pos = int(pos_text)
            except ValueError:
                raise InputError(
                    f"{self.pos_col} {pos_text!r} is not a position", path=self.path, line=number
                ) from None
            if pos < 1:
                raise InputError(f"{self.pos_col} must be ≥ 1", path=self.path, line=number)
        elif not self.harmonised:
            raise InputError(
                f"{self.chrom_col}/{self.pos_col} are empty", path=self.path, line=number
            )
        self.lines.append(number)
        self.chroms.append(CHROM_CODE[chrom] if chrom else 0)
        self.positions.append(pos)
        self.effects.append(sys.intern(effect))
        self.others.append(sys.intern(others))
        self.weights.append(weight)
        self.types.append(EFFECT_TYPES.index(self._effect_type(cells, number)))
        self.rsids.append(self._get(cells, "hm_rsID") or self._get(cells, "rsID"))

    def _others(self, cells: list[str], number: int) -> str:
        text = self._get(cells, "other_allele") or self._get(cells, "hm_inferOtherAllele")
        if not text:
            return ""
        alleles = [a.strip().upper() for a in text.split("/") if a.strip()]
        for a in alleles:
            if not ALLELE.match(a):
                raise InputError(
                    f"other allele {a!r} is not a DNA allele (A, C, G, T)",
                    path=self.path,
                    line=number,
                )
        return "/".join(alleles)

    def _effect_type(self, cells: list[str], number: int) -> EffectType:
        dominant = self._get(cells, "is_dominant").lower() in TRUE
        recessive = self._get(cells, "is_recessive").lower() in TRUE
        named = self._get(cells, "effect_type").lower()
        if named and named not in ("additive", "dominant", "recessive"):
            raise InputError(f"unknown effect_type {named!r}", path=self.path, line=number)
        if dominant and recessive:
            raise InputError(
                "a variant cannot be both dominant and recessive", path=self.path, line=number
            )
        if dominant or named == "dominant":
            return "dominant"
        if recessive or named == "recessive":
            return "recessive"
        return "additive"


def _chrom(text: str) -> str | None:
    name = text.strip()
    if name.lower().startswith("chr"):
        name = name[3:]
    name = name.upper()
    if name == "M":
        name = "MT"
    if name == "23":
        name = "X"
    return name if name in CHROMS else None


def _check_duplicates(sf: ScoringFile) -> None:
    """No two rows may give the same effect allele at the same position."""
    mapped = np.flatnonzero(sf.chrom > 0)
    key = sf.chrom[mapped].astype(np.int64) * 1_000_000_000_000 + sf.pos[mapped]
    order = mapped[np.argsort(key, kind="stable")]
    key = np.sort(key, kind="stable")
    for start in np.flatnonzero(key[1:] == key[:-1]):
        a, b = int(order[start]), int(order[start + 1])
        run = [a, b]
        # rows sharing a position: compare every pair of effect alleles in the run
        j = start + 2
        while j < len(key) and key[j] == key[start]:
            run.append(int(order[j]))
            j += 1
        seen: dict[str, int] = {}
        for i in sorted(run, key=lambda r: int(sf.line[r])):
            first = seen.get(str(sf.effect[i]))
            if first is not None:
                raise InputError(
                    f"{CHROM_NAMES[int(sf.chrom[i])]}:{int(sf.pos[i])} effect allele "
                    f"{sf.effect[i]} appears twice (lines {int(sf.line[first])} and "
                    f"{int(sf.line[i])})",
                    path=sf.path,
                    line=int(sf.line[i]),
                )
            seen[str(sf.effect[i])] = i
