"""`tailormed record import-observations / escalate-alerts` against a SQLite record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.record import (
    create_enrolment,
    create_patient,
    create_user,
    open_database,
    redeem_code,
    session_factory,
)
from tailormed.record.access import Operator

runner = CliRunner()
DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "digital"


@pytest.fixture()
def record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path, str, str]:
    key_file = tmp_path / "data.key"
    assert runner.invoke(app, ["admin", "generate-key", str(key_file)]).exit_code == 0
    monkeypatch.setenv("TAILORMED_KEY_FILE", str(key_file))
    monkeypatch.delenv("TAILORMED_DATA_KEY", raising=False)
    monkeypatch.delenv("TAILORMED_TOKEN", raising=False)
    db = tmp_path / "record.db"
    url = f"sqlite:///{db}"
    engine = open_database(url)
    with session_factory(engine)() as session:
        _view, issued = create_user(
            session, Operator("test"), "operations", role="clinician", display_name="Dr X"
        )
        clin, _ = redeem_code(session, issued.code)
        patient = create_patient(
            session, clin.actor, "treatment", display_name="Pat", external_id="MRN-9"
        )
        code = create_enrolment(session, clin.actor, "treatment", patient.id)
        _, token = redeem_code(session, code.code)
    engine.dispose()
    return url, db, token, str(patient.id)


def test_import_fitbit_user_then_again(record: tuple[str, Path, str, str]) -> None:
    if not DATA.is_dir():
        pytest.skip("needs ../shared/data/digital")
    url, db, token, pid = record
    args = ["record", "import-observations", "--patient", pid, "--source-id", "2022484408"]
    args += ["--timezone", "America/Chicago", "--database-url", url]
    files = [str(DATA / "dailyActivity_merged.csv"), str(DATA / "sleepDay_merged.csv")]
    no_token = runner.invoke(app, [*args, *files])
    assert no_token.exit_code == 1 and "--token" in no_token.output
    first = runner.invoke(app, [*args, "--token", token, *files])
    assert first.exit_code == 0, first.output
    assert "points" in first.output and "new" in first.output
    again = runner.invoke(app, [*args, "--token", token, *files])
    assert again.exit_code == 0 and "Already imported" in again.output
    with sqlite3.connect(db) as conn:
        days = conn.execute("select count(*) from digital_day").fetchone()[0]
    assert days == 31  # the user's month of daily activity (2016-04-12 .. 2016-05-12)
    esc = runner.invoke(app, ["record", "escalate-alerts", "--database-url", url])
    assert esc.exit_code == 0 and "0 alert(s) escalated" in esc.output
