"""`tailormed admin`: key files, key rotation and audit-chain verification from the CLI."""

from __future__ import annotations

import base64
import os
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.record import (
    authenticate,
    bootstrap_admin,
    create_patient,
    open_database,
    session_factory,
)

runner = CliRunner()


@pytest.fixture()
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    key_file = tmp_path / "data.key"
    result = runner.invoke(app, ["admin", "generate-key", str(key_file)])
    assert result.exit_code == 0, result.output
    assert key_file.stat().st_mode & 0o077 == 0  # owner-only
    monkeypatch.setenv("TAILORMED_KEY_FILE", str(key_file))
    monkeypatch.delenv("TAILORMED_DATA_KEY", raising=False)
    db = tmp_path / "record.db"
    url = f"sqlite:///{db}"
    engine = open_database(url)
    with session_factory(engine)() as session:
        _, token = bootstrap_admin(session, organisation="Clinic")
        actor = authenticate(session, token)
        create_patient(session, actor, "operations", display_name="Ada Example")
    engine.dispose()
    return url, db


def test_verify_audit_intact_then_tampered(database: tuple[str, Path]) -> None:
    url, db = database
    result = runner.invoke(app, ["admin", "verify-audit", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    with sqlite3.connect(db) as conn:  # an attacker with file access bypasses the app
        triggers = [
            r[0] for r in conn.execute("select name from sqlite_master where type='trigger'")
        ]
        for name in triggers:
            conn.execute(f'drop trigger "{name}"')
        conn.execute("update audit_event set action = 'read' where id = 1")
    result = runner.invoke(app, ["admin", "verify-audit", "--database-url", url])
    assert result.exit_code == 1
    assert "tampered" in result.output


def test_rotate_keys(database: tuple[str, Path], tmp_path: Path) -> None:
    url, db = database
    key_file = Path(os.environ["TAILORMED_KEY_FILE"])
    runner.invoke(app, ["admin", "generate-key", str(key_file), "--prepend"])
    new_key = key_file.read_text().split()[0]
    assert len(base64.b64decode(new_key)) == 32
    result = runner.invoke(app, ["admin", "rotate-keys", str(key_file), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "re-encrypted" in result.output
    assert b"Ada Example" not in db.read_bytes()
    bad = tmp_path / "bad.key"
    bad.write_text("not-base64!\n")
    result = runner.invoke(app, ["admin", "rotate-keys", str(bad), "--database-url", url])
    assert result.exit_code == 1 and "bad.key" in result.output
