"""FHIR R4 Observations (vital signs, activity, sleep): single resources and Bundles.

Each Observation is validated with the ``fhir.resources.R4B`` model (the models the rest
of Tailormed uses); a Bundle's QuestionnaireResponses go to :mod:`tailormed.digital.pro`.
Observations are recognised by LOINC code (the digital bundle's observation kinds):
heart rate 8867-4, resting heart rate 40443-4, steps 41950-7 (24 h) and 55423-8, sleep
duration 93832-4, body weight 29463-7, calories 41979-6, and the blood-pressure panel
85354-9 with systolic 8480-6 and diastolic 8462-4 components. Status ``entered-in-error``
and ``cancelled`` are skipped; other codes are counted as not used. The value is
``valueQuantity`` (the UCUM ``code``, else ``unit``); the time ``effectiveDateTime`` /
``effectiveInstant`` or ``effectivePeriod``. A date without a time covers that whole day
in UTC (FHIR gives it no zone). The idempotency key is the first identifier
(system|value), else the resource id, else the canonical JSON of the resource.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, cast

from fhir.resources.R4B.observation import Observation
from pydantic import ValidationError

from tailormed.digital.models import DAY_NS, FileCount, Kind, Series
from tailormed.digital.read.common import parse_iso, series_of_groups
from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge

LOINC = "http://loinc.org"
BP_PANEL = "85354-9"
_SKIP = {"entered-in-error", "cancelled"}


def resources_of(data: Any, path: Path) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(where, resource)`` of a resource or of every Bundle entry."""
    if not isinstance(data, dict) or "resourceType" not in data:
        raise InputError("not a FHIR resource (no resourceType)", path=path)
    if data["resourceType"] == "Bundle":
        for i, entry in enumerate(data.get("entry") or []):
            res = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(res, dict):
                raise InputError("entry without a resource", path=path, record=f"entry[{i}]")
            yield f"entry[{i}]", res
    else:
        yield data.get("resourceType", "resource"), data


def _codes(concept: Mapping[str, Any] | None) -> list[str]:
    if not concept:
        return []
    return [
        str(c.get("code"))
        for c in concept.get("coding") or []
        if c.get("system") == LOINC and c.get("code")
    ]


def _time(res: Mapping[str, Any], path: str, where: str) -> tuple[int, int, int]:
    for key in ("effectiveDateTime", "effectiveInstant"):
        if key in res:
            text = str(res[key])
            if "T" not in text:
                start, _ = parse_iso(text + "T00:00:00+00:00", path, where)
                return start, start + DAY_NS, 0
            at, off = parse_iso(text, path, where)
            return at, at, off
    period = res.get("effectivePeriod")
    if isinstance(period, dict) and period.get("start"):
        start, off = parse_iso(str(period["start"]), path, where)
        end = parse_iso(str(period["end"]), path, where)[0] if period.get("end") else start
        if end < start:
            raise InputError("effectivePeriod ends before it starts", path=path, record=where)
        return start, end, off
    raise InputError("the Observation has no effective time", path=path, record=where)


def _quantity(q: Any, path: str, where: str) -> tuple[float, str]:
    if not isinstance(q, dict) or q.get("value") is None:
        raise InputError("no valueQuantity value", path=path, record=where)
    unit = q.get("code") or q.get("unit")
    if not unit:
        raise InputError("the quantity has no unit", path=path, record=where)
    return float(q["value"]), str(unit)


def _key(res: Mapping[str, Any]) -> str:
    ids = res.get("identifier") or []
    if ids and isinstance(ids[0], dict) and ids[0].get("value"):
        return f"fhir|id|{ids[0].get('system', '')}|{ids[0]['value']}"
    if res.get("id"):
        return f"fhir|Observation/{res['id']}"
    return "fhir|json|" + json.dumps(res, sort_keys=True, separators=(",", ":"))


def read_fhir_observations(
    path: Path,
    data: Any,
    ranges: dict[str, list[float]],
    notes: list[str],
) -> tuple[list[Series], FileCount]:
    kb = DigitalKnowledge.load()
    where_file = str(path)
    groups: dict[tuple[Kind, str, str], list[tuple[int, int, int, float, str]]] = {}
    rows = unused = 0
    for where, res in resources_of(data, path):
        if res.get("resourceType") != "Observation":
            continue
        rows += 1
        try:
            Observation.model_validate(res)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise InputError(
                f"invalid FHIR R4 Observation: {loc}: {first['msg']}", path=path, record=where
            ) from None
        if res.get("status") in _SKIP:
            unused += 1
            continue
        codes = _codes(res.get("code"))
        start, end, off = _time(res, where_file, where)
        source = _source(res)
        key = _key(res)
        found: list[tuple[Kind, float, str, str]] = []
        if BP_PANEL in codes:
            for comp in res.get("component") or []:
                for code in _codes(comp.get("code")):
                    kind = kb.loinc_kind(code)
                    if kind in ("systolic_bp", "diastolic_bp"):
                        value, unit = _quantity(comp.get("valueQuantity"), where_file, where)
                        found.append((cast(Kind, kind), value, unit, f"{key}|{code}"))
            if len(found) != 2:
                raise InputError(
                    "blood-pressure panel without systolic and diastolic values",
                    path=path,
                    record=where,
                )
        else:
            kind = next((k for c in codes if (k := kb.loinc_kind(c)) is not None), None)
            if kind is None:
                unused += 1
                continue
            value, unit = _quantity(res.get("valueQuantity"), where_file, where)
            found.append((cast(Kind, kind), value, unit, key))
        for kind, value, unit, k in found:
            groups.setdefault((kind, source, unit), []).append((start, end, off, value, k))
    out, kept = series_of_groups(
        groups,
        fmt="fhir-r4",
        source_suffix="",
        ranges=ranges,
        path=where_file,
        notes=notes,
    )
    if unused:
        notes.append(f"{path}: {unused} Observation(s) not used (other codes, or withdrawn)")
    return out, FileCount(where_file, "fhir-r4", rows, kept, unused)


def _source(res: Mapping[str, Any]) -> str:
    device = res.get("device")
    if isinstance(device, dict) and device.get("display"):
        return f"{device['display']} (FHIR)"
    meta = res.get("meta")
    if isinstance(meta, dict) and meta.get("source"):
        return f"{meta['source']} (FHIR)"
    return "FHIR Observation"
