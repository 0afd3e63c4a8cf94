"""Readers of device and app data, each validating at the boundary (InputError naming the
file and the line or record), all producing :class:`~tailormed.digital.models.Series`.

:func:`read_files` recognises each file by its content: a CSV with a Fitbit export header
(:mod:`.fitbit`), an XML ``HealthData`` document (Apple Health, :mod:`.apple`), JSON with
a ``resourceType`` (FHIR R4 Observations and QuestionnaireResponses, :mod:`.fhir`,
:mod:`tailormed.digital.pro`), or Open mHealth data points as JSON, a JSON array or JSON
lines (:mod:`.omh`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from tailormed.digital.models import FileCount, Observations, Series
from tailormed.digital.pro import Response, read_response
from tailormed.digital.read.apple import is_apple_export, read_apple
from tailormed.digital.read.fhir import read_fhir_observations, resources_of
from tailormed.digital.read.fitbit import detect, read_fitbit
from tailormed.digital.read.omh import read_omh
from tailormed.errors import InputError
from tailormed.jsonsafe import json_problem
from tailormed.knowledge.digital_kb import DigitalKnowledge


def ranges() -> dict[str, list[float]]:
    return {k: list(v["plausible"]) for k, v in DigitalKnowledge.load().kinds.items()}


def read_file(
    path: Path, source_id: str | None = None, timezone: str | None = None
) -> tuple[list[Series], list[Response], FileCount, list[str]]:
    """One file's series, questionnaire responses, counts and notes."""
    if not path.is_file():
        raise InputError("file does not exist", path=path)
    notes: list[str] = []
    limits = ranges()
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), [])
        spec = detect(header)
        if spec is None:
            raise InputError(
                f"not a known Fitbit export (header {','.join(header[:4])}...)", path=path, line=1
            )
        series, count = read_fitbit(path, spec, source_id, timezone, limits, notes)
        return series, [], count, notes
    if suffix == ".xml":
        if not is_apple_export(path):
            raise InputError("XML that is not an Apple Health export", path=path)
        series, count = read_apple(path, limits, notes)
        return series, [], count, notes
    if suffix in (".json", ".jsonl", ".ndjson"):
        return read_json_bytes(path.read_bytes(), path, lines=suffix != ".json")
    raise InputError("unknown file type (expected .csv, .xml, .json, .jsonl)", path=path)


def read_json_bytes(
    data: bytes, path: Path, *, lines: bool = False
) -> tuple[list[Series], list[Response], FileCount, list[str]]:
    """FHIR R4 (a resource or Bundle: Observations, QuestionnaireResponses) or Open mHealth
    data points (JSON, a JSON array, or JSON lines when ``lines``), from untrusted bytes:
    checked with :func:`tailormed.jsonsafe.json_problem` before anything is parsed.
    ``path`` names the input in messages (a file, or a request)."""
    problem = json_problem(data)
    if problem is not None:
        raise InputError(problem[0], path=path, line=problem[1])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    notes: list[str] = []
    limits = ranges()
    if '"resourceType"' in text[:4096] and not lines:
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise InputError(f"not JSON ({exc})", path=path) from None
        series, count = read_fhir_observations(path, doc, limits, notes)
        responses = []
        for where, res in resources_of(doc, path):
            if res.get("resourceType") == "QuestionnaireResponse":
                r = read_response(res, str(path), where)
                if r is None:
                    notes.append(f"{path} {where}: not a PHQ-9, PHQ-2 or GAD-7 response")
                else:
                    responses.append(r)
        count = FileCount(
            count.path,
            count.format,
            count.rows + len(responses),
            count.kept | ({"questionnaires": len(responses)} if responses else {}),
            count.other_rows,
        )
        return series, responses, count, notes
    series, count = read_omh(path, limits, notes, text=text, lines=lines)
    return series, [], count, notes


def read_files(
    paths: Sequence[Path], source_id: str | None = None, timezone: str | None = None
) -> Observations:
    """Everything in ``paths`` for one person (``source_id`` picks the Fitbit user)."""
    series: list[Series] = []
    responses: list[Response] = []
    counts: list[FileCount] = []
    notes: list[str] = []
    for path in paths:
        s, r, c, n = read_file(Path(path), source_id, timezone)
        series.extend(s)
        responses.extend(r)
        counts.append(c)
        notes.extend(n)
    fitbit = [c for c in counts if c.format.startswith("fitbit:")]
    if source_id is not None and fitbit and not any(c.kept for c in fitbit):
        raise InputError(f"Fitbit user {source_id} has no rows in any of the files given")
    return Observations(tuple(series), tuple(responses), tuple(counts), tuple(notes))


__all__ = ["read_file", "read_files", "read_json_bytes"]
