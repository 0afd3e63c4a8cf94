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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class ScoringFile:
    path: Path
    pgs_id: str
    build: str
    harmonised: bool
    header: dict[str, str]
    variants: tuple[ScoreVariant, ...]
    format_version: str | None = None
    notes: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.variants)

    @property
    def name(self) -> str | None:
        return self.header.get("pgs_name")

    @property
    def trait(self) -> str | None:
        return self.header.get("trait_reported")


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
    rows: list[ScoreVariant] = []
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
        rows.append(reader.row(line, number))
    if columns is None or reader is None:
        raise InputError("no column header line found (not a PGS Catalog scoring file?)", path=path)
    if not rows:
        raise InputError("the scoring file has no variants", path=path)
    _check_duplicates(path, rows)
    stated = header.get("variants_number", "")
    if stated.isdigit() and int(stated) != len(rows):
        reader.notes.append(f"the header says {stated} variants; the file has {len(rows)}")
    pgs_id = header.get("pgs_id") or path.name.split(".")[0].split("_")[0]
    return ScoringFile(
        path=path,
        pgs_id=pgs_id,
        build=reader.build,
        harmonised=reader.harmonised,
        header=header,
        variants=tuple(rows),
        format_version=header.get("format_version"),
        notes=tuple(reader.notes),
    )


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

    def _get(self, cells: list[str], name: str) -> str:
        i = self.index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def row(self, line: str, number: int) -> ScoreVariant:
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
        pos: int | None = None
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
        return ScoreVariant(
            line=number,
            chrom=chrom,
            pos=pos,
            effect_allele=effect,
            other_alleles=others,
            weight=weight,
            effect_type=self._effect_type(cells, number),
            rsid=self._get(cells, "hm_rsID") or self._get(cells, "rsID") or None,
        )

    def _others(self, cells: list[str], number: int) -> tuple[str, ...]:
        text = self._get(cells, "other_allele") or self._get(cells, "hm_inferOtherAllele")
        if not text:
            return ()
        alleles = tuple(a.strip().upper() for a in text.split("/") if a.strip())
        for a in alleles:
            if not ALLELE.match(a):
                raise InputError(
                    f"other allele {a!r} is not a DNA allele (A, C, G, T)",
                    path=self.path,
                    line=number,
                )
        return alleles

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


def _check_duplicates(path: Path, rows: list[ScoreVariant]) -> None:
    seen: dict[tuple[str, int, str], int] = {}
    for v in rows:
        if v.chrom is None or v.pos is None:
            continue
        key = (v.chrom, v.pos, v.effect_allele)
        first = seen.get(key)
        if first is not None:
            raise InputError(
                f"{v.chrom}:{v.pos} effect allele {v.effect_allele} appears twice "
                f"(lines {first} and {v.line})",
                path=path,
                line=v.line,
            )
        seen[key] = v.line
