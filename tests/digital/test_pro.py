"""PHQ-9, PHQ-2, GAD-7: questionnaires and scoring from the published rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailormed.digital.pro import Response, questionnaire, read_response, score, score_observation
from tailormed.digital.read import read_file
from tailormed.errors import InputError

ANSWER = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}
PHQ9 = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
GAD7 = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def response_resource(
    instrument: str, codes: list[str], scores: list[int], when: str, ident: str
) -> dict[str, object]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": ident,
        "questionnaire": f"https://tailormed.org/fhir/Questionnaire/{instrument}",
        "status": "completed",
        "authored": when,
        "item": [
            {
                "linkId": c,
                "answer": [{"valueCoding": {"system": "http://loinc.org", "code": ANSWER[s]}}],
            }
            for c, s in zip(codes, scores, strict=True)
        ],
    }


def resp(instrument: str, scores: list[int], day: str = "2024-03-01") -> Response:
    return Response(instrument, day + "T09:00:00Z", day, dict(enumerate(scores, 1)), f"k{day}")


# Published cut-points: PHQ-9 5/10/15/20 (Kroenke 2001), GAD-7 5/10/15 (Spitzer 2006),
# PHQ-2 >= 3 positive (Kroenke 2003).
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none-minimal"),
        (4, "none-minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands(total: int, band: str) -> None:
    items = [min(3, max(0, total - 3 * i)) for i in range(9)]
    assert sum(items) == total
    s = score(resp("PHQ-9", items))[0]
    assert (s.total, s.band, s.total_code) == (total, band, "44261-6")
    assert s.positive is (total >= 10)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands(total: int, band: str) -> None:
    items = [min(3, max(0, total - 3 * i)) for i in range(7)]
    s = score(resp("GAD-7", items))[0]
    assert (s.total, s.band, s.total_code) == (total, band, "70274-6")


def test_phq9_gives_its_phq2() -> None:
    phq9, phq2 = score(resp("PHQ-9", [2, 1, 0, 0, 0, 0, 0, 0, 0]))
    assert phq9.total == 3
    assert (phq2.instrument, phq2.total, phq2.band, phq2.positive) == (
        "PHQ-2",
        3,
        "positive screen",
        True,
    )
    assert phq2.total_code == "55758-7" and phq2.derived_from == "PHQ-9"
    phq2_neg = score(resp("PHQ-9", [1, 1, 3, 3, 3, 0, 0, 0, 0]))[1]
    assert phq2_neg.positive is False


def test_missing_item_gives_no_total() -> None:
    r = Response("PHQ-9", "2024-03-01T09:00:00Z", "2024-03-01", {n: 1 for n in range(1, 9)}, "k")
    s = score(r)[0]
    assert s.total is None and s.missing == (9,) and s.safety_item_score is None


def test_item9_is_read_on_its_own() -> None:
    s = score(resp("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 1]))[0]
    assert s.total == 1 and s.band == "none-minimal" and s.safety_item_score == 1


@pytest.mark.parametrize(
    ("name", "items", "panel"),
    [("PHQ-9", PHQ9, "44249-1"), ("PHQ-2", PHQ9[:2], "55757-9"), ("GAD-7", GAD7, "69737-5")],
)
def test_questionnaires_are_loinc_coded_fhir(name: str, items: list[str], panel: str) -> None:
    q = questionnaire(name)
    assert q["resourceType"] == "Questionnaire" and q["code"][0]["code"] == panel
    choice = [i for i in q["item"] if i["type"] == "choice" and i["linkId"] in items]
    assert [i["linkId"] for i in choice] == items
    assert [o["valueCoding"]["code"] for o in choice[0]["answerOption"]] == list(ANSWER.values())


def test_response_round_trip_from_a_bundle(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": response_resource(
                    "PHQ-9", PHQ9, [3, 3, 2, 2, 2, 1, 1, 1, 0], "2024-03-01T21:30:00-08:00", "r1"
                )
            },
            {
                "resource": response_resource(
                    "GAD-7", GAD7, [1, 1, 1, 1, 0, 0, 0], "2024-03-01", "r2"
                )
            },
        ],
    }
    path = tmp_path / "pro.json"
    path.write_text(json.dumps(bundle))
    _, responses, _, _ = read_file(path)
    assert [r.instrument for r in responses] == ["PHQ-9", "GAD-7"]
    assert responses[0].day == "2024-03-01"  # local date of 21:30 at -08:00
    phq9 = score(responses[0])[0]
    assert (phq9.total, phq9.band) == (15, "moderately severe")
    obs = score_observation(phq9, "p1")
    assert obs["code"]["coding"][0]["code"] == "44261-6" and obs["valueInteger"] == 15


def test_bad_answer_is_an_error() -> None:
    res = response_resource("PHQ-9", PHQ9[:1], [0], "2024-03-01", "r")
    res["item"][0]["answer"] = [{"valueInteger": 4}]  # type: ignore[index]
    with pytest.raises(InputError, match="not a 0-3 choice"):
        read_response(res, "f.json", "entry[0]")
