"""Patient-reported outcomes: PHQ-9, PHQ-2 and GAD-7 as FHIR Questionnaires, and scoring.

The questionnaires are data in the digital bundle (LOINC panel, item and answer codes,
severity bands with their citations). :func:`questionnaire` builds the FHIR R4
Questionnaire (validated with ``fhir.resources.R4B``); its item ``linkId`` is the item's
LOINC code, as in the LOINC-derived LHC-Forms. :func:`read_response` reads a
QuestionnaireResponse: the instrument from ``questionnaire`` (a canonical ending in
``PHQ-9``/``PHQ-2``/``GAD-7`` or in the panel LOINC code), answers by ``linkId`` (the
item's LOINC code, a leading ``/`` allowed) as a LOINC answer ``valueCoding``
(LA6568-5 … LA6571-9) or a ``valueInteger`` 0-3.

Scoring (:func:`score`): the total is the sum of the item scores, only when every item
is answered (no pro-rating); the band is the published one for the total. A PHQ-9 also
gives its PHQ-2 (items 1 + 2). PHQ-9 item 9 is read on its own: any answer above 0 is
the safety signal, whatever the total (rule ``phq9-item9``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from pydantic import ValidationError

from tailormed.digital.iso import parse_iso
from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge

LOINC = "http://loinc.org"
QUESTIONNAIRE_BASE = "https://tailormed.org/fhir/Questionnaire/"


@dataclass(frozen=True)
class Response:
    """One answered questionnaire: item number → score (0-3), when, and its identity."""

    instrument: str
    authored: str  # ISO date-time as written
    day: str  # local date (YYYY-MM-DD) of ``authored``
    answers: Mapping[int, int]
    key: str
    source: str = "FHIR QuestionnaireResponse"


@dataclass(frozen=True)
class Score:
    """A scored response: total (None when incomplete), band, item scores, codes."""

    instrument: str
    day: str
    authored: str
    total: int | None
    band: str | None
    answers: Mapping[int, int]
    total_code: str
    positive: bool | None
    safety_item_score: int | None = None  # PHQ-9 item 9
    missing: tuple[int, ...] = ()
    citation: str = ""
    derived_from: str | None = None  # "PHQ-9" for a PHQ-2 computed from a PHQ-9
    key: str = ""
    notes: tuple[str, ...] = field(default=())


def questionnaire(instrument: str, kb: DigitalKnowledge | None = None) -> dict[str, Any]:
    """The FHIR R4 Questionnaire of ``instrument`` (validated)."""
    kb = kb or DigitalKnowledge.load()
    spec = kb.instrument(instrument)
    options = [
        {
            "valueCoding": {"system": LOINC, "code": a["code"], "display": a["display"]},
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                    "valueDecimal": a["score"],
                }
            ],
        }
        for a in kb.answers
    ]
    items: list[dict[str, Any]] = [
        {
            "linkId": it["code"],
            "code": [{"system": LOINC, "code": it["code"], "display": it["text"]}],
            "prefix": f"{it['n']}.",
            "text": it["text"],
            "type": "choice",
            "required": True,
            "answerOption": options,
        }
        for it in spec["items"]
    ]
    items.append(
        {
            "linkId": spec["total"]["code"],
            "code": [{"system": LOINC, "code": spec["total"]["code"]}],
            "text": spec["total"]["display"],
            "type": "integer",
            "readOnly": True,
        }
    )
    if "function_item" in spec:
        f = spec["function_item"]
        items.append(
            {
                "linkId": f["code"],
                "code": [{"system": LOINC, "code": f["code"]}],
                "text": f["text"],
                "type": "choice",
                "required": False,
                "answerOption": [
                    {"valueCoding": {"system": LOINC, "code": a["code"], "display": a["display"]}}
                    for a in f["answers"]
                ],
            }
        )
    resource = {
        "resourceType": "Questionnaire",
        "id": spec["id"].lower(),
        "url": QUESTIONNAIRE_BASE + spec["id"],
        "version": kb.version,
        "name": spec["id"].replace("-", ""),
        "title": spec["title"],
        "status": "active",
        "subjectType": ["Patient"],
        "code": [
            {"system": LOINC, "code": spec["panel"]["code"], "display": spec["panel"]["display"]}
        ],
        "description": f"{spec['stem']} Scoring and bands: {spec['citation']}",
        "item": [{"linkId": "stem", "text": spec["stem"], "type": "display"}, *items],
    }
    Questionnaire.model_validate(resource)
    return resource


def _instrument_of(res: Mapping[str, Any], kb: DigitalKnowledge) -> str | None:
    ref = str(res.get("questionnaire") or "")
    for name, spec in kb.instruments.items():
        if ref.rstrip("/").endswith((name, name.replace("-", ""), spec["panel"]["code"])):
            return name
    return None


def _answer_score(answer: Mapping[str, Any], kb: DigitalKnowledge) -> int | None:
    if "valueInteger" in answer:
        return int(answer["valueInteger"])
    coding = answer.get("valueCoding")
    if isinstance(coding, dict):
        for a in kb.answers:
            if coding.get("code") == a["code"]:
                return int(a["score"])
    return None


def read_response(
    res: Mapping[str, Any], path: str, where: str, kb: DigitalKnowledge | None = None
) -> Response | None:
    """A QuestionnaireResponse of PHQ-9/PHQ-2/GAD-7, or None for another questionnaire."""
    kb = kb or DigitalKnowledge.load()
    try:
        QuestionnaireResponse.model_validate(res)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise InputError(
            f"invalid QuestionnaireResponse: {loc}: {first['msg']}", path=path, record=where
        ) from None
    instrument = _instrument_of(res, kb)
    if instrument is None:
        return None
    if res.get("status") not in ("completed", "amended"):
        raise InputError(
            f"QuestionnaireResponse status {res.get('status')!r}: only "
            "completed or amended responses are scored",
            path=path,
            record=where,
        )
    authored = res.get("authored")
    if not authored:
        raise InputError("QuestionnaireResponse has no authored time", path=path, record=where)
    if "T" in str(authored):
        ns, off = parse_iso(str(authored), path, where)
        day = (date(1970, 1, 1) + timedelta(seconds=(ns // 1_000_000_000) + off)).isoformat()
    else:
        day = str(authored)[:10]
    numbers = {it["code"]: it["n"] for it in kb.instrument(instrument)["items"]}
    answers: dict[int, int] = {}
    for item in _flat_items(res.get("item") or []):
        link = str(item.get("linkId", "")).lstrip("/")
        if link not in numbers:
            continue
        given = item.get("answer") or []
        if len(given) != 1:
            raise InputError(f"item {link} has {len(given)} answers", path=path, record=where)
        value = _answer_score(given[0], kb)
        if value is None or not 0 <= value <= 3:
            raise InputError(
                f"item {link}: the answer is not a 0-3 choice", path=path, record=where
            )
        answers[numbers[link]] = value
    ident = res.get("id") or ""
    identifier = res.get("identifier")
    if isinstance(identifier, dict) and identifier.get("value"):
        ident = f"{identifier.get('system', '')}|{identifier['value']}"
    key = f"fhir|QuestionnaireResponse|{ident or authored}|{instrument}"
    return Response(instrument, str(authored), day, answers, key)


def _flat_items(items: list[Any]) -> list[Mapping[str, Any]]:
    out: list[Mapping[str, Any]] = []
    for item in items:
        if isinstance(item, dict):
            out.append(item)
            out.extend(_flat_items(item.get("item") or []))
    return out


def band_of(total: int, spec: Mapping[str, Any]) -> str:
    for b in spec["bands"]:
        if b["min"] <= total <= b["max"]:
            return str(b["label"])
    raise ValueError(f"total {total} outside the bands of {spec['id']}")


def score(response: Response, kb: DigitalKnowledge | None = None) -> list[Score]:
    """The score of a response (and, for a PHQ-9, its PHQ-2)."""
    kb = kb or DigitalKnowledge.load()
    spec = kb.instrument(response.instrument)
    out = [_score(response, spec, None)]
    if response.instrument == "PHQ-9" and {1, 2} <= set(response.answers):
        phq2 = Response(
            "PHQ-2",
            response.authored,
            response.day,
            {1: response.answers[1], 2: response.answers[2]},
            response.key + "|PHQ-2",
        )
        out.append(_score(phq2, kb.instrument("PHQ-2"), "PHQ-9"))
    return out


def _score(response: Response, spec: Mapping[str, Any], derived: str | None) -> Score:
    wanted = [int(it["n"]) for it in spec["items"]]
    missing = tuple(n for n in wanted if n not in response.answers)
    total = None if missing else sum(response.answers[n] for n in wanted)
    safety = next((int(it["n"]) for it in spec["items"] if it.get("safety")), None)
    notes: tuple[str, ...] = ()
    if missing:
        notes = (f"items {', '.join(map(str, missing))} not answered: no total (not pro-rated)",)
    return Score(
        instrument=spec["id"],
        day=response.day,
        authored=response.authored,
        total=total,
        band=band_of(total, spec) if total is not None else None,
        answers=dict(response.answers),
        total_code=spec["total"]["code"],
        positive=None if total is None else total >= int(spec["positive_at"]),
        safety_item_score=response.answers.get(safety) if safety else None,
        missing=missing,
        citation=spec["citation"],
        derived_from=derived,
        key=response.key,
        notes=notes,
    )


def score_observation(s: Score, patient: str) -> dict[str, Any]:
    """The total as a FHIR Observation (LOINC total code, valueInteger, band as text)."""
    from fhir.resources.R4B.observation import Observation

    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": LOINC, "code": s.total_code}],
            "text": f"{s.instrument} total",
        },
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": s.authored,
    }
    if s.total is None:
        resource["dataAbsentReason"] = {"text": "; ".join(s.notes) or "incomplete"}
    else:
        resource["valueInteger"] = s.total
        resource["interpretation"] = [{"text": s.band}]
    Observation.model_validate(resource)
    return resource


def due_dates(schedule: Mapping[str, Any], start: date) -> list[date]:
    """The dates a schedule asks for its questionnaire after a trigger on ``start``."""
    return [start + timedelta(days=int(d)) for d in schedule["offsets_days"]]
