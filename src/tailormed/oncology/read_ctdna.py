"""ctDNA series at the boundary: a per-variant TSV or a manifest of annotated VCFs.

Series TSV columns: ``patient date gene hgvs_p chrom pos ref alt vaf alt_reads depth
assay_lod`` (+ optional ``therapy``, ``therapy_start``); one row per tracked variant per
draw; ``vaf`` and ``assay_lod`` are fractions. A variant without a row in a draw was not
tested there; a row with ``vaf`` 0 or below ``assay_lod`` was tested and not detected.
Rows of one patient must come in date order (a clinical series is never silently
re-sorted: an out-of-order date usually means a typing error).

Manifest TSV columns: ``patient date vcf`` (+ optional ``assay_lod``, ``therapy``,
``therapy_start``); each VCF is a VEP/snpEff-annotated call set of one draw. Every
variant seen in any draw of a patient is tracked; a tracked variant missing from a
draw's VCF is read as tested and not detected (the same assay is assumed for every draw).
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from tailormed.errors import InputError
from tailormed.knowledge.protein import short_protein
from tailormed.oncology.models import CtdnaObservation

SERIES = (
    "patient",
    "date",
    "gene",
    "hgvs_p",
    "chrom",
    "pos",
    "ref",
    "alt",
    "vaf",
    "alt_reads",
    "depth",
    "assay_lod",
)
MANIFEST = ("patient", "date", "vcf")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many acyclic objects.

    Reading and classifying a large series allocates hundreds of thousands of small
    frozen objects without reference cycles; the collector's repeated passes over them
    cost about 40 % of the time (measured in benchmarks/bench_oncology.py).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def parse_date(text: str, path: Path, line: int, column: str = "date") -> str:
    text = text.strip()
    if not _DATE.match(text):
        raise InputError(f"{column} {text!r} is not a YYYY-MM-DD date", path=path, line=line)
    try:
        date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"{column} {text!r} is not a calendar date", path=path, line=line
        ) from None
    return text


def _fraction(text: str, path: Path, line: int, column: str, *, optional: bool) -> float | None:
    text = text.strip()
    if text in ("", ".", "NA"):
        if optional:
            return None
        raise InputError(f"{column} is empty", path=path, line=line)
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{column} {text!r} is not a number", path=path, line=line) from None
    if not value == value or value < 0:
        raise InputError(f"{column} {text} is negative or not a number", path=path, line=line)
    if value > 1:
        raise InputError(
            f"{column} {text} is above 1: give allele fractions (0.05), not percentages",
            path=path,
            line=line,
        )
    return value


def _count(text: str, path: Path, line: int, column: str) -> int | None:
    text = text.strip()
    if text in ("", ".", "NA"):
        return None
    if not text.isdigit():
        raise InputError(f"{column} {text!r} is not a non-negative integer", path=path, line=line)
    return int(text)


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError("file does not exist", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not a UTF-8 text file", path=path) from None


def read_series(path: Path) -> list[CtdnaObservation]:
    """Observations of a series TSV or of a manifest's VCFs (detected by the header)."""
    with paused_gc():
        return _read_series(path)


def _read_series(path: Path) -> list[CtdnaObservation]:
    lines = _lines(path)
    header: list[str] | None = None
    start = 0
    for number, raw in enumerate(lines, start=1):
        if raw.strip() and not raw.startswith("#"):
            header, start = raw.rstrip("\r").split("\t"), number
            break
    if header is None:
        raise InputError("empty file: no header line", path=path)
    if all(c in header for c in MANIFEST) and "gene" not in header:
        return _read_manifest(path, lines, header, start)
    missing = [c for c in SERIES if c not in header]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (a series needs {' '.join(SERIES)}; "
            f"a manifest needs {' '.join(MANIFEST)})",
            path=path,
            line=start,
        )
    col = {name: header.index(name) for name in header}
    has_therapy = "therapy" in col
    has_start = "therapy_start" in col
    out: list[CtdnaObservation] = []
    last_date: dict[str, tuple[str, int]] = {}
    seen: set[tuple[str, str, str]] = set()
    dates: dict[str, str] = {}  # each distinct date string is validated once
    proteins: dict[str, str | None] = {}
    for number in range(start + 1, len(lines) + 1):
        raw = lines[number - 1].rstrip("\r")
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} fields, the header has {len(header)}", path=path, line=number
            )
        patient = cells[col["patient"]].strip()
        if not patient:
            raise InputError("patient is empty", path=path, line=number)
        day_text = cells[col["date"]]
        day = dates.get(day_text) or dates.setdefault(day_text, parse_date(day_text, path, number))
        previous = last_date.get(patient)
        if previous and day < previous[0]:
            raise InputError(
                f"dates out of order for patient {patient}: {day} comes after {previous[0]} "
                f"(line {previous[1]}); list each patient's draws in date order",
                path=path,
                line=number,
            )
        last_date[patient] = (day, number)
        gene = cells[col["gene"]].strip()
        protein = cells[col["hgvs_p"]].strip()
        if protein not in proteins:
            proteins[protein] = short_protein(protein) if protein not in ("", ".") else None
        short = proteins[protein]
        pos_text = cells[col["pos"]].strip()
        if not pos_text.isdigit():
            raise InputError(f"pos {pos_text!r} is not a position", path=path, line=number)
        vaf = _fraction(cells[col["vaf"]], path, number, "vaf", optional=False)
        lod = _fraction(cells[col["assay_lod"]], path, number, "assay_lod", optional=True)
        alt_reads = _count(cells[col["alt_reads"]], path, number, "alt_reads")
        depth = _count(cells[col["depth"]], path, number, "depth")
        if alt_reads is not None and depth is not None and alt_reads > depth:
            raise InputError(f"alt_reads {alt_reads} exceeds depth {depth}", path=path, line=number)
        therapy = cells[col["therapy"]].strip() or None if has_therapy else None
        therapy_start = None
        if has_start and cells[col["therapy_start"]].strip():
            text = cells[col["therapy_start"]]
            therapy_start = dates.get(text) or dates.setdefault(
                text, parse_date(text, path, number, "therapy_start")
            )
        obs = CtdnaObservation(
            patient=patient,
            date=day,
            gene=gene,
            hgvs_p=short,
            chrom=cells[col["chrom"]].strip().removeprefix("chr"),
            pos=int(pos_text),
            ref=cells[col["ref"]].strip(),
            alt=cells[col["alt"]].strip(),
            vaf=vaf or 0.0,
            alt_reads=alt_reads,
            depth=depth,
            lod=lod,
            therapy=therapy.lower() if therapy else None,
            therapy_start=therapy_start,
            record=f"line {number}",
        )
        key = (patient, day, obs.key)
        if key in seen:
            raise InputError(
                f"{obs.key} appears twice for patient {patient} on {day}", path=path, line=number
            )
        seen.add(key)
        out.append(obs)
    if not out:
        raise InputError("no observations (only a header)", path=path)
    return out


def _read_manifest(
    path: Path, lines: list[str], header: list[str], start: int
) -> list[CtdnaObservation]:
    from tailormed.oncology.read import is_protein_altering, read_somatic

    col = {name: header.index(name) for name in header}
    out: list[CtdnaObservation] = []
    tracked: dict[str, dict[str, CtdnaObservation]] = {}
    draws: list[tuple[str, str, float | None, str | None, str | None, int]] = []
    last_date: dict[str, str] = {}
    for number in range(start + 1, len(lines) + 1):
        raw = lines[number - 1].rstrip("\r")
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = raw.split("\t")
        if len(cells) != len(header):
            raise InputError(
                f"{len(cells)} fields, the header has {len(header)}", path=path, line=number
            )
        patient = cells[col["patient"]].strip()
        day = parse_date(cells[col["date"]], path, number)
        if patient in last_date and day < last_date[patient]:
            raise InputError(
                f"dates out of order for patient {patient}: {day} comes after {last_date[patient]}",
                path=path,
                line=number,
            )
        last_date[patient] = day
        vcf = Path(cells[col["vcf"]].strip())
        vcf = vcf if vcf.is_absolute() else path.parent / vcf
        lod = (
            _fraction(cells[col["assay_lod"]], path, number, "assay_lod", optional=True)
            if "assay_lod" in col
            else None
        )
        therapy = (cells[col["therapy"]].strip().lower() or None) if "therapy" in col else None
        tstart = None
        if "therapy_start" in col and cells[col["therapy_start"]].strip():
            tstart = parse_date(cells[col["therapy_start"]], path, number, "therapy_start")
        somatic = read_somatic(vcf)
        for call in somatic.calls:
            if not call.passed or not is_protein_altering(call.consequence):
                continue
            obs = CtdnaObservation(
                patient=patient,
                date=day,
                gene=call.gene,
                hgvs_p=call.hgvs_p_short,
                chrom=call.chrom,
                pos=call.pos,
                ref=call.ref,
                alt=call.alt,
                vaf=call.vaf or 0.0,
                alt_reads=call.alt_reads,
                depth=call.depth,
                lod=lod,
                therapy=therapy,
                therapy_start=tstart,
                record=f"{vcf.name} {call.record}",
            )
            tracked.setdefault(patient, {}).setdefault(obs.key, obs)
            out.append(obs)
        draws.append((patient, day, lod, therapy, tstart, number))
    present = {(o.patient, o.date, o.key) for o in out}
    for patient, day, lod, therapy, tstart, number in draws:
        for key, first in tracked.get(patient, {}).items():
            if (patient, day, key) not in present:
                out.append(
                    CtdnaObservation(
                        patient=patient,
                        date=day,
                        gene=first.gene,
                        hgvs_p=first.hgvs_p,
                        chrom=first.chrom,
                        pos=first.pos,
                        ref=first.ref,
                        alt=first.alt,
                        vaf=0.0,
                        alt_reads=None,
                        depth=None,
                        lod=lod,
                        therapy=therapy,
                        therapy_start=tstart,
                        record=f"manifest line {number} (absent: not detected)",
                    )
                )
    out.sort(key=lambda o: (o.patient, o.date))
    return out
