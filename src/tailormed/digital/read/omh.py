"""Open mHealth data points (JSON, a JSON array, or JSON lines), validated with ``jsonschema``.

Accepted: data points (``header`` + ``body``, data-point 1.0, header 1.0-1.2) whose
``header.schema_id`` is ``omh:heart-rate`` 1.0/1.1/2.0, ``omh:step-count`` 1.0/2.0/3.0,
``omh:sleep-duration`` 1.0/2.0, ``omh:blood-pressure`` 1.0/2.0/3.0/3.1/4.0 or
``omh:body-weight`` 1.0/2.0/3.0 (the versions of the bundled schemas, openmhealth/schemas
@ 36078a8; the list is read from the digital bundle). The header is validated against the
header schema, the body against the schema its header names (``$ref`` resolved inside the
bundle only; nothing is fetched). ``date-time`` values must be RFC 3339 date-times; one
without an offset is UTC, as the Open mHealth date-time schema says.

Time frames: ``date_time`` (an instant) and ``time_interval`` given by start and end, or by
either with a ``duration``. A ``date`` + ``part_of_day`` interval has no time of day and
is refused. Points carrying a ``descriptive_statistic`` (an average or maximum over a
period, not a measurement) are not used, and counted. The point's source is the header's
``acquisition_provenance.source_name``; its idempotency key the header ``id``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tailormed.digital.models import NS, FileCount, Kind, Series
from tailormed.digital.read.common import parse_iso, series_of_groups
from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge

BASE = "https://w3id.org/openmhealth/schemas/omh/"
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$")
_DURATION = {"ps": 1e-3, "ns": 1, "us": 1e3, "ms": 1e6, "sec": 1e9, "min": 60e9, "h": 3600e9}
_DURATION |= {"d": 86_400e9, "wk": 604_800e9}

FIELDS: Mapping[str, tuple[tuple[str, Kind], ...]] = {
    "heart-rate": (("heart_rate", "heart_rate"),),
    "step-count": (("step_count", "steps"),),
    "sleep-duration": (("sleep_duration", "sleep"),),
    "body-weight": (("body_weight", "body_weight"),),
    "blood-pressure": (
        ("systolic_blood_pressure", "systolic_bp"),
        ("diastolic_blood_pressure", "diastolic_bp"),
    ),
}

formats = FormatChecker()


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    from datetime import datetime

    datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    return True


def _with_id(schema: Mapping[str, Any], file: str) -> dict[str, Any]:
    """The schema with its base URI (``id`` in draft 4, ``$id`` later) where it has none."""
    out = dict(schema)
    key = "id" if "draft-04" in str(out.get("$schema", "draft-04")) else "$id"
    if not isinstance(out.get(key), str):
        out[key] = BASE + file
    return out


@cache
def _registry(version: str) -> Registry:
    schemas = DigitalKnowledge.load().omh["schemas"]
    resources = [
        (BASE + name, Resource.from_contents(_with_id(schema, name), default_specification=DRAFT4))
        for name, schema in schemas.items()
    ]
    registry: Registry = Registry().with_resources(resources)
    return registry


@cache
def validator(name: str, version: str) -> Validator:
    """The validator of schema ``name``-``version`` (from the digital bundle)."""
    kb = DigitalKnowledge.load()
    schemas = kb.omh["schemas"]
    file = f"{name}-{version}.json"
    if file not in schemas:
        raise KeyError(file)
    schema = _with_id(schemas[file], file)
    cls = validator_for(schema)
    v: Validator = cls(schema, registry=_registry(kb.version), format_checker=formats)
    return v


def accepted() -> Mapping[str, list[str]]:
    out: Mapping[str, list[str]] = DigitalKnowledge.load().omh["accepted"]
    return out


def validate_body(name: str, version: str, body: Any) -> str | None:
    """``None`` if ``body`` is valid against the schema, else the first problem."""
    error = next(iter(sorted(validator(name, version).iter_errors(body), key=str)), None)
    return None if error is None else _message(error)


def _message(error: ValidationError) -> str:
    path = "/".join(str(p) for p in error.absolute_path)
    return f"{path or 'document'}: {error.message[:200]}"


def _documents(path: Path, text: str | None, lines: bool) -> Iterator[tuple[str, Any]]:
    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", path=path) from None
    stripped = text.lstrip()
    if stripped.startswith("[") or (stripped.startswith("{") and not lines):
        try:
            data = json.loads(text)
        except ValueError as exc:
            if stripped.startswith("{") and "\n{" in text:
                yield from _lines(path, text)
                return
            raise InputError(f"not JSON ({exc})", path=path) from None
        if isinstance(data, list):
            for i, d in enumerate(data):
                yield f"data point [{i}]", d
        else:
            yield "data point", data
        return
    yield from _lines(path, text)


def _lines(path: Path, text: str) -> Iterator[tuple[str, Any]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except ValueError as exc:
            raise InputError(f"not JSON ({exc})", path=path, line=number) from None


def is_omh(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("header"), dict) and "body" in data


def _frame(body: Mapping[str, Any], path: str, where: str) -> tuple[int, int, int]:
    frame = body.get("effective_time_frame")
    if not isinstance(frame, dict):
        raise InputError("the data point has no effective_time_frame", path=path, record=where)
    if "date_time" in frame:
        at, off = parse_iso(frame["date_time"], path, where)
        return at, at, off
    interval = frame["time_interval"]
    if "date" in interval:
        raise InputError(
            "a date + part_of_day time frame has no time of day: not accepted",
            path=path,
            record=where,
        )
    duration = 0
    if "duration" in interval:
        d = interval["duration"]
        duration = int(float(d["value"]) * _DURATION[d["unit"]])
    if "start_date_time" in interval:
        start, off = parse_iso(interval["start_date_time"], path, where)
        if "end_date_time" in interval:
            end, off = parse_iso(interval["end_date_time"], path, where)
        else:
            end = start + duration
    else:
        end, off = parse_iso(interval["end_date_time"], path, where)
        start = end - duration
    if end < start:
        raise InputError("the time interval ends before it starts", path=path, record=where)
    return start, end, off


def read_omh(
    path: Path,
    ranges: dict[str, list[float]],
    notes: list[str],
    *,
    text: str | None = None,
    lines: bool | None = None,
) -> tuple[list[Series], FileCount]:
    """The series of one file of Open mHealth data points (``text``: its content, already
    read and checked; ``lines``: JSON lines, by default when the file ends in .jsonl)."""
    where_file = str(path)
    frame_version = accepted_frame()
    ok_versions = accepted()
    groups: dict[tuple[Kind, str, str], list[tuple[int, int, int, float, str]]] = {}
    rows = statistics = 0
    as_lines = path.suffix == ".jsonl" if lines is None else lines
    for where, point in _documents(path, text, as_lines):
        rows += 1
        if not is_omh(point):
            raise InputError(
                "not an Open mHealth data point (header + body)", path=path, record=where
            )
        problem = validate_body("data-point", frame_version, point)
        if problem is None:
            header = point["header"]
            hv = header_version(header)
            problem = validate_body("header", hv, header)
        if problem is not None:
            raise InputError(f"invalid data point: {problem}", path=path, record=where)
        sid = header["schema_id"]
        name, version = sid.get("name"), sid.get("version")
        if sid.get("namespace") != "omh" or name not in ok_versions:
            raise InputError(
                f"schema {sid.get('namespace')}:{name} is not accepted "
                f"(accepted: {', '.join(f'omh:{k}' for k in ok_versions)})",
                path=path,
                record=where,
            )
        if version not in ok_versions[name]:
            raise InputError(
                f"omh:{name} version {version} is not accepted ({', '.join(ok_versions[name])})",
                path=path,
                record=where,
            )
        body = point["body"]
        problem = validate_body(name, version, body)
        if problem is not None:
            raise InputError(
                f"invalid omh:{name} {version} body: {problem}", path=path, record=where
            )
        if "descriptive_statistic" in body:
            statistics += 1
            continue
        start, end, off = _frame(body, where_file, where)
        provenance = header.get("acquisition_provenance") or {}
        source = str(provenance.get("source_name") or "Open mHealth")
        for field, kind in FIELDS[name]:
            raw = body[field]
            value, unit = (raw["value"], raw["unit"]) if isinstance(raw, dict) else (raw, "steps")
            ident = f"omh|{header['id']}|{field}"
            groups.setdefault((kind, source, unit), []).append(
                (start, end, off, float(value), ident)
            )
    if statistics:
        notes.append(f"{path}: {statistics} data point(s) with a descriptive statistic not used")
    out, kept = series_of_groups(
        groups,
        fmt="openmhealth",
        source_suffix=" (Open mHealth)",
        ranges=ranges,
        path=where_file,
        notes=notes,
    )
    return out, FileCount(where_file, "openmhealth", rows, kept, statistics)


def accepted_frame() -> str:
    versions: list[str] = DigitalKnowledge.load().omh["frame"]["data-point"]
    return versions[-1]


def header_version(header: Mapping[str, Any]) -> str:
    """The newest header schema (1.2 validates 1.0 and 1.1 headers too: additive)."""
    versions: list[str] = DigitalKnowledge.load().omh["frame"]["header"]
    return versions[-1]


__all__ = ["NS", "accepted", "is_omh", "read_omh", "validate_body", "validator"]
