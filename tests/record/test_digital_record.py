"""Digital health in the record: encrypted chunks, idempotent import, questionnaires,
alerts (acknowledge, escalate), device tokens — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tailormed.digital.aggregate import aggregate
from tailormed.digital.models import DAY_NS, NS, Observations, Series
from tailormed.digital.read import read_files
from tailormed.digital.read.common import keys_from_ints, namespace
from tailormed.record import AuthorizationError, ConsentError, Operator, clock, grant_consent
from tailormed.record import digital as rd
from tailormed.record.models import AuditEvent, DigitalChunk

from .conftest import World

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "digital"
USER = "2022484408"  # a Fitbit user with heart rate, steps and sleep in the bundled export


def _consent(session: Session, world: World) -> None:
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.clin_a.user_id,
        consent_purpose="treatment",
        scope="all",
    )


def hr(first_day: int, days: int, step_s: int, bpm: float, tag: str = "hr") -> Series:
    """Synthetic heart rate every ``step_s`` seconds (UTC), constant ``bpm``."""
    n = days * 86_400 // step_s
    start = first_day * DAY_NS + np.arange(n, dtype=np.int64) * step_s * NS
    return Series(
        "heart_rate",
        "/min",
        "/min",
        "synthetic watch",
        "synthetic",
        "UTC",
        start,
        start.copy(),
        np.zeros(n, np.int32),
        np.full(n, bpm),
        keys_from_ints(namespace("test", tag), start),
    )


def phq9(answers: list[int], when: datetime) -> dict[str, object]:
    return rd.new_questionnaire_response("PHQ-9", dict(enumerate(answers, start=1)), authored=when)


def test_chunk_codec_round_trips_and_keeps_sources() -> None:
    a = hr(19000, 1, 5, 70.0)
    b = hr(19000, 1, 60, 80.0, tag="other")
    b = Series(**{**b.__dict__, "source": "second device", "stream": "x"})
    body = rd.encode_chunk("heart_rate", [a, b])
    back = rd.decode_chunk(body)
    assert sorted(s.source for s in back) == ["second device", "synthetic watch"]
    got = {s.source: s for s in back}
    assert np.array_equal(got["synthetic watch"].start, a.start)
    assert np.array_equal(got["synthetic watch"].value, a.value)
    assert np.array_equal(got["synthetic watch"].key, a.key)
    assert got["second device"].stream == "x"
    assert len(body) < 17280 * 46 / 4  # compact: well under the raw column bytes


def test_fitbit_import_is_stored_encrypted_idempotent_and_audited_per_batch(
    session: Session, world: World, backend: str
) -> None:
    if not DATA.is_dir():
        pytest.skip("needs ../shared/data/digital")
    files = [DATA / "dailyActivity_merged.csv", DATA / "hourlySteps_merged.csv"]
    files += [DATA / "sleepDay_merged.csv", next(DATA.glob("heartrate_seconds_*.csv"))]
    obs = read_files(files, USER, "America/Chicago")
    digest = rd.content_hash(f.read_bytes() for f in files)
    with session.begin():
        before = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    report = rd.import_observations(
        session, world.user_a, "treatment", world.pat_a, obs, content_sha256=digest
    )
    total = sum(len(s) for s in obs.series)
    assert report.points == total and report.new_points == total and not report.duplicate
    # one audit event for the whole batch, not one per point
    with session.begin():
        events = session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
        got = [(e.action, e.entity_type, e.outcome) for e in events]
    assert got == [("create", "digital_import", "success")]
    # the stored per-day table equals the one computed from the files in memory
    table = rd.read_daily(session, world.user_a, "treatment", world.pat_a)
    expect = aggregate(list(obs.series))
    assert np.array_equal(table.days, expect.days)
    for col in ("steps", "sleep_min", "hr_mean", "resting_hr"):
        assert np.allclose(table.column(col), expect.column(col), equal_nan=True), col
    # daily totals and hourly rows of one export are alternatives: never added up
    assert np.nanmax(table.column("steps")) < 40_000
    # ciphertext at rest: no magic, no JSON header visible
    with session.begin():
        raw = session.execute(text("SELECT body FROM digital_chunk LIMIT 1")).scalar_one()
    raw = bytes(raw)
    assert rd.MAGIC not in raw and b"heart_rate" not in raw and b"steps" not in raw
    # the same content again: nothing changes
    again = rd.import_observations(
        session, world.user_a, "treatment", world.pat_a, obs, content_sha256=digest
    )
    assert again.duplicate and again.points == 0
    # one file again in another batch: points already stored are not new
    one = read_files([files[1]], USER, "America/Chicago")
    third = rd.import_observations(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        one,
        content_sha256=rd.content_hash([files[1].read_bytes(), b"x"]),
    )
    assert third.points == sum(len(s) for s in one.series) and third.new_points == 0
    # merged with what was stored: the days' aggregates are unchanged
    after = rd.read_daily(session, world.user_a, "treatment", world.pat_a)
    for col in ("steps", "sleep_min", "hr_mean", "resting_hr"):
        assert np.allclose(after.column(col), table.column(col), equal_nan=True), col
    with session.begin():
        stored = sum(session.scalars(select(DigitalChunk.points)).all())
    assert stored == total


def test_import_needs_write_access_and_reads_need_consent(session: Session, world: World) -> None:
    obs = Observations((hr(19000, 1, 60, 70.0),))
    with pytest.raises(AuthorizationError):
        rd.import_observations(
            session, world.user_b, "treatment", world.pat_a, obs, content_sha256="a" * 64
        )
    with pytest.raises(ConsentError):
        rd.read_daily(session, world.clin_a, "treatment", world.pat_a)
    _consent(session, world)
    rd.import_observations(
        session, world.clin_a, "treatment", world.pat_a, obs, content_sha256="b" * 64
    )
    assert len(rd.read_daily(session, world.clin_a, "treatment", world.pat_a)) == 1
    with pytest.raises(ConsentError):
        rd.read_daily(session, world.clin_b, "treatment", world.pat_a)
    series = rd.read_series(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        "heart_rate",
        date(2022, 1, 1),
        date(2022, 12, 31),
    )
    assert sum(len(s) for s in series) == 1440


def test_phq9_item9_alerts_at_once_is_acknowledged_and_escalates(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _consent(session, world)
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(clock, "utcnow", lambda: t0)
    low = rd.submit_questionnaire(
        session, world.user_a, "treatment", world.pat_a, phq9([1, 1, 0, 0, 0, 0, 0, 0, 0], t0)
    )
    assert not low.crisis and low.alerts == ()
    assert [s.total for s in low.scores] == [2, 2]  # PHQ-9 and its PHQ-2
    # total 1 (minimal) but item 9 = 1: the safety rule fires whatever the total
    res = rd.submit_questionnaire(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        phq9([0, 0, 0, 0, 0, 0, 0, 0, 1], t0 + timedelta(minutes=1)),
    )
    assert res.crisis
    assert [(a.rule_id, a.severity, a.state) for a in res.alerts] == [
        ("phq9-item9", "critical", "open")
    ]
    assert "988" in res.alerts[0].patient_text
    # the alert is there for the clinician; the patient cannot acknowledge it
    shown = rd.list_alerts(session, world.clin_a, "treatment", world.pat_a, open_only=True)
    assert [a.id for a in shown] == [res.alerts[0].id]
    with pytest.raises(AuthorizationError):
        rd.acknowledge_alert(session, world.user_a, "treatment", world.pat_a, shown[0].id)
    # not acknowledged after 31 minutes: escalated (audited, no PHI read)
    monkeypatch.setattr(clock, "utcnow", lambda: t0 + timedelta(minutes=10))
    assert rd.escalate_overdue(session, Operator("cron")) == []
    monkeypatch.setattr(clock, "utcnow", lambda: t0 + timedelta(minutes=32))
    up = rd.escalate_overdue(session, Operator("cron"))
    assert [(e.id, e.severity) for e in up] == [(shown[0].id, "critical")]
    assert rd.escalate_overdue(session, Operator("cron")) == []  # once only
    with pytest.raises(AuthorizationError):
        rd.escalate_overdue(session, world.clin_a)
    ack = rd.acknowledge_alert(
        session, world.clin_a, "treatment", world.pat_a, shown[0].id, note="called the patient"
    )
    assert ack.state == "acknowledged" and ack.acknowledged_by == world.clin_a.user_id
    assert ack.note == "called the patient"
    assert rd.list_alerts(session, world.clin_a, "treatment", world.pat_a, open_only=True) == []
    # the same response again is stored once and raises nothing new
    again = rd.submit_questionnaire(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        {**phq9([0] * 8 + [1], t0), "id": "fixed"},
    )
    dup = rd.submit_questionnaire(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        {**phq9([0] * 8 + [1], t0), "id": "fixed"},
    )
    assert not again.duplicate and dup.duplicate and dup.alerts == ()
    with session.begin():
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type == "digital_alert")
        ).all()
        kinds = [(e.actor_role, e.action, e.outcome) for e in events]
    assert ("operator", "update", "success") in kinds
    assert ("clinician", "update", "success") in kinds
    assert ("patient", "update", "failure") in kinds


def test_device_tokens_are_granted_and_revoked_by_the_patient(
    session: Session, world: World
) -> None:
    view, token = rd.grant_device_token(
        session, world.user_a, "treatment", world.pat_a, label="watch"
    )
    who = rd.authenticate_device(session, token)
    assert who.patient_id == world.pat_a and who.actor == world.user_a
    with pytest.raises(AuthorizationError):
        rd.grant_device_token(session, world.user_b, "treatment", world.pat_a, label="x")
    rd.revoke_device_token(session, world.user_a, "treatment", world.pat_a, view.id)
    with pytest.raises(AuthorizationError):
        rd.authenticate_device(session, token)
    with pytest.raises(AuthorizationError):
        rd.authenticate_device(session, "tmd_wrong")
    with session.begin():
        stored = session.execute(text("SELECT token_hash FROM device_token")).scalar_one()
    assert token not in stored


def test_rules_run_per_batch_on_stored_days(session: Session, world: World) -> None:
    """Resting heart rate up by 10/min for a week after a 4-week baseline: the rise
    alert fires once, from the second batch, over the days stored by the first."""
    d0 = (date(2025, 1, 1) - date(1970, 1, 1)).days
    first = Observations((hr(d0, 28, 300, 60.0, tag="a"),))
    second = Observations((hr(d0 + 28, 7, 300, 70.0, tag="b"),))
    r1 = rd.import_observations(
        session, world.user_a, "treatment", world.pat_a, first, content_sha256="1" * 64
    )
    assert r1.alerts == ()
    r2 = rd.import_observations(
        session, world.user_a, "treatment", world.pat_a, second, content_sha256="2" * 64
    )
    assert [a.rule_id for a in r2.alerts] == ["hr-rise"]
    r3 = rd.import_observations(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        Observations((hr(d0 + 35, 1, 300, 71.0, tag="c"),)),
        content_sha256="3" * 64,
    )
    assert r3.alerts == ()  # the same episode: not raised twice


def test_export_holds_the_digital_record(session: Session, world: World) -> None:
    from tailormed.record import export_patient

    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    rd.submit_questionnaire(
        session, world.user_a, "treatment", world.pat_a, phq9([0] * 8 + [2], t0)
    )
    rd.import_observations(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        Observations((hr(19000, 1, 60, 70.0),)),
        content_sha256="e" * 64,
    )
    out = export_patient(session, world.user_a, "treatment", world.pat_a)["digital"]
    assert [d["hr_samples"] for d in out["daily"]] == [1440.0]
    assert out["questionnaire_responses"][0]["resource"]["resourceType"] == "QuestionnaireResponse"
    assert [a["rule_id"] for a in out["alerts"]] == ["phq9-item9"]
    assert out["imports"][0]["points"] == 1440


def test_every_bundled_fitbit_file_keeps_units_sources_and_zone(
    session: Session, world: World
) -> None:
    """All six merged Fitbit files for one user (the one with weights): the stored chunks
    give back every point with its unit, source, stream and zone rule; the stored day's
    steps are the export's own daily total (hourly rows are an alternative, not added)."""
    if not DATA.is_dir():
        pytest.skip("needs ../shared/data/digital")
    user = "6962181067"
    files = sorted(DATA.glob("*_merged.csv"))
    assert len(files) == 6
    obs = read_files(files, user, "America/Chicago")
    rd.import_observations(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        obs,
        content_sha256=rd.content_hash(f.read_bytes() for f in files),
    )
    for kind in {s.kind for s in obs.series}:
        back = rd.read_series(
            session,
            world.user_a,
            "treatment",
            world.pat_a,
            kind,
            date(2016, 1, 1),
            date(2016, 12, 31),
        )
        assert sum(len(s) for s in back) == obs.count(kind), kind
        assert {(s.unit, s.original_unit, s.source, s.timezone, s.stream) for s in back} == {
            (s.unit, s.original_unit, s.source, s.timezone, s.stream) for s in obs.of_kind(kind)
        }
        assert all(s.timezone == "America/Chicago (given)" for s in back)
    # the export's own numbers, read from the CSV text (not from our reader)
    row = next(
        line.split(",")
        for line in (DATA / "dailyActivity_merged.csv").read_text().splitlines()
        if line.startswith(f"{user},4/13/16,")
    )
    weights = [
        float(line.split(",")[2])
        for line in (DATA / "weightLogInfo_merged.csv").read_text().splitlines()
        if line.startswith(f"{user},4/13/2016")
    ]
    table = rd.read_daily(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        first=date(2016, 4, 13),
        last=date(2016, 4, 13),
    )
    assert table.column("steps")[0] == float(row[2])
    assert weights  # a weight at 11:59:59 PM, so it is that local day's
    assert table.column("weight_kg")[0] == pytest.approx(sum(weights) / len(weights))
