"""Each care rule fires on a synthetic series made to cross its threshold and stays silent
on one that does not. All series and questionnaire answers here are synthetic."""

from __future__ import annotations

from datetime import date

import pytest

from tailormed.digital.aggregate import aggregate
from tailormed.digital.context import PatientContext, medication_start
from tailormed.digital.findings import to_findings
from tailormed.digital.pro import Response, score
from tailormed.digital.rules import Alert, Engine, evaluate
from tailormed.findings import findings_to_json
from tailormed.knowledge import load_kb
from tailormed.recommend import build_interpretation
from tests.digital.conftest import daily, samples

EMPTY = aggregate([])


def phq9(day: str, items: list[int]) -> Response:
    return Response("PHQ-9", day + "T09:00:00Z", day, dict(enumerate(items, 1)), f"r{day}")


def scores_of(*responses: Response) -> list:  # type: ignore[type-arg]
    return [s for r in responses for s in score(r)]


def fired(alerts: list[Alert], rule: str) -> list[Alert]:
    return [a for a in alerts if a.rule_id == rule]


# ------------------------------------------------------------------ PHQ-9 item 9
@pytest.mark.parametrize(("item9", "fires"), [(0, False), (1, True), (3, True)])
def test_item9_fires_whatever_the_total(item9: int, fires: bool) -> None:
    s = scores_of(phq9("2024-03-01", [0, 0, 0, 0, 0, 0, 0, 0, item9]))
    alerts = fired(evaluate(EMPTY, s, PatientContext("p")), "phq9-item9")
    assert bool(alerts) is fires
    if fires:
        a = alerts[0]
        assert a.severity == "critical" and a.action == "urgent" and a.published
        assert "988" in a.patient_text and "911" in a.patient_text
        assert f"item 9 = {item9}" in a.clinician_text and f"total {item9}" in a.clinician_text


# ------------------------------------------------------------------ 8-week response
CONTEXT_AD = PatientContext(
    "p",
    (medication_start("sertraline 50 mg", "2024-01-10"),),
    {"CYP2C19": "Poor Metabolizer", "CYP2D6": "Normal Metabolizer"},
)


@pytest.mark.parametrize(("week8", "fires"), [(12, True), (10, True), (9, False), (4, False)])
def test_no_50_percent_response_at_8_weeks(week8: int, fires: bool) -> None:
    baseline = phq9("2024-01-08", [3, 3, 2, 2, 2, 2, 2, 2, 0])  # 18
    follow = [min(3, max(0, week8 - 3 * i)) for i in range(8)] + [0]
    s = scores_of(baseline, phq9("2024-03-06", follow))  # 8 weeks + 1 day after the start
    alerts = fired(evaluate(EMPTY, s, CONTEXT_AD), "phq9-no-response-8w")
    # baseline 18: 10 is a 44 % fall (no response), 9 exactly 50 % (response)
    assert bool(alerts) is fires
    if fires:
        a = alerts[0]
        assert a.values["baseline"] == 18 and a.values["latest"] == week8
        assert a.pgx is not None and a.pgx.drug == "sertraline"
        # the advice is the knowledge base's own, selected as `tailormed run` selects it
        from tailormed.calling.models import GeneCall

        interp = build_interpretation(
            [
                GeneCall("x", "CYP2C19", (), False, source="outside", phenotype="Poor Metabolizer"),
                GeneCall(
                    "x", "CYP2D6", (), False, source="outside", phenotype="Normal Metabolizer"
                ),
            ],
            load_kb(),
        )
        report = interp.drug("sertraline")
        assert report is not None and a.pgx.status == report.status == "actionable"
        assert a.pgx.recommendations[0].endswith(report.recommendations[0].text)
        assert any(x.startswith("venlafaxine: no change") for x in a.pgx.alternatives)


def test_response_needs_a_baseline_before_the_start_and_8_weeks() -> None:
    early = scores_of(phq9("2024-01-08", [3] * 6 + [0] * 3), phq9("2024-02-20", [3] * 6 + [0] * 3))
    assert not fired(evaluate(EMPTY, early, CONTEXT_AD), "phq9-no-response-8w")  # < 8 weeks
    late_baseline = scores_of(
        phq9("2024-01-20", [3] * 6 + [0] * 3), phq9("2024-03-10", [3] * 6 + [0] * 3)
    )
    assert not fired(evaluate(EMPTY, late_baseline, CONTEXT_AD), "phq9-no-response-8w")


# ------------------------------------------------------------------ heart rate
@pytest.mark.parametrize(("recent", "fires"), [(68.0, True), (63.0, False)])
def test_resting_heart_rate_rise(recent: float, fires: bool) -> None:
    per_day = [60.0 + (i % 3) * 0.5 for i in range(28)] + [recent] * 3
    table = aggregate([samples("2024-03-01", 31, per_day)])
    assert table.column("night_hr")[0] == 60.0  # median of the 00:00-06:00 samples
    alerts = fired(evaluate(table, [], PatientContext("p")), "hr-rise")
    assert len(alerts) == (1 if fires else 0)
    if fires:
        # the third raised day completes the 3-day window
        assert alerts[0].day == "2024-03-31" and alerts[0].values["metric"] == "night_hr"
        assert not alerts[0].published and "Local rule" in alerts[0].clinician_text


# ------------------------------------------------------------------ activity
@pytest.mark.parametrize(("recent", "fires"), [(4000.0, True), (5000.0, True), (5200.0, False)])
def test_activity_drop(recent: float, fires: bool) -> None:
    table = aggregate([daily("steps", "2024-03-01", [10000.0] * 28 + [recent] * 7, "{steps}")])
    alerts = fired(evaluate(table, [], PatientContext("p")), "activity-drop")
    assert len(alerts) == (1 if fires else 0)  # one alert per episode, not one a day


# ------------------------------------------------------------------ statin
@pytest.mark.parametrize(("after", "fires"), [(5000.0, True), (6000.0, False)])
def test_activity_fall_after_statin(after: float, fires: bool) -> None:
    steps = daily("steps", "2024-03-01", [8000.0] * 28 + [after] * 20, "{steps}")
    context = PatientContext(
        "p", (medication_start("Lipitor 20 mg", "2024-03-29"),), {"SLCO1B1": "Poor Function"}
    )
    table = aggregate([steps])
    alerts = fired(evaluate(table, [], context), "statin-activity-drop")
    assert len(alerts) == (1 if fires else 0)
    if fires:
        a = alerts[0]
        assert a.values["drug"] == "atorvastatin" and a.pgx is not None
        assert a.pgx.phenotypes == (("SLCO1B1", "Poor Function"),) and a.pgx.status == "actionable"
        assert (
            "muscle" in a.patient_text
            and "Local rule, not a published threshold" in a.clinician_text
        )
    unknown = evaluate(table, [], PatientContext("p", context.medications))
    if fires:
        assert "SLCO1B1 not known" in fired(unknown, "statin-activity-drop")[0].clinician_text


# ------------------------------------------------------------------ schedules
def test_overdue_questionnaires_on_a_schedule() -> None:
    context = PatientContext("p", (medication_start("escitalopram", "2024-01-10"),))
    got = fired(evaluate(EMPTY, [], context, as_of="2024-01-30"), "pro-overdue")
    assert {(a.values["instrument"], a.values["due"]) for a in got} == {
        ("PHQ-9", "2024-01-10"),
        ("PHQ-9", "2024-01-24"),
        ("GAD-7", "2024-01-10"),
    }
    answered = scores_of(
        phq9("2024-01-09", [1] * 9),
        phq9("2024-01-25", [1] * 9),
        Response("GAD-7", "2024-01-10", "2024-01-10", dict.fromkeys(range(1, 8), 1), "g"),
    )
    assert not fired(evaluate(EMPTY, answered, context, as_of="2024-01-30"), "pro-overdue")


# ------------------------------------------------------------------ engine
def test_engine_is_incremental_and_idempotent() -> None:
    engine = Engine(PatientContext("p"))
    first = daily("steps", "2024-03-01", [10000.0] * 28, "{steps}")
    assert engine.add([first]) == []
    drop = daily("steps", "2024-03-29", [3000.0] * 7, "{steps}")
    new = engine.add([drop])
    assert [a.rule_id for a in new] == ["activity-drop"]
    assert engine.add([drop]) == []  # the same batch again: nothing new, nothing doubled
    assert engine.table is not None and engine.table.column("steps")[-1] == 3000.0
    assert engine.tick(date(2024, 4, 10)) == []


def test_findings_of_alerts_and_scores() -> None:
    s = scores_of(phq9("2024-03-01", [2, 2, 2, 2, 1, 1, 1, 1, 1]))
    alerts = evaluate(EMPTY, s, PatientContext("p"))
    findings = to_findings(alerts, s, "p", "v1")
    codes = {f.code: f for f in findings}
    assert codes["digital.alert.phq9-item9"].severity == "critical"
    assert codes["digital.pro.phq-9"].codes[0].code == "44261-6"
    assert codes["digital.pro.phq-9"].title.startswith("PHQ-9 13 (moderate)")
    assert findings_to_json(findings)[0]["severity"] == "critical"
