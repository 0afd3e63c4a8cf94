"""Anchoring the audit chain: what someone with write access to the database cannot hide.

The plain hash chain only shows clumsy tampering: whoever can write to the database can
edit an event and recompute every later hash, or delete the newest events, and the
chain still verifies. Two anchors close that:

* every event carries a MAC (HMAC-SHA256 under a key derived from the data key, which
  lives outside the database): an edited, inserted or re-hashed event no longer
  verifies without the key;
* a head recorded elsewhere (``tailormed admin audit-head``) and passed back as
  ``verify-audit --expect-head ID:HASH`` shows events deleted from the end.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.record import (
    Keyring,
    audit_head,
    check_audit_chain,
    get_patient,
    open_database,
    rotate_keys,
    session_factory,
    verify_audit_chain,
)
from tailormed.record.audit import event_hash
from tailormed.record.models import AuditEvent
from tests.record.conftest import World
from tests.record.test_audit import _activity, triggers_off

runner = CliRunner()


def _rows(conn: Any) -> list[dict[str, Any]]:
    table = AuditEvent.__table__
    return [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]


def _rehash_from(conn: Any, start: int, edit: dict[str, Any]) -> None:
    """What an attacker with the database but not the key does: change event ``start``
    and recompute the hash chain from there to the end (the MACs they cannot redo)."""
    rows = _rows(conn)
    prev = rows[start - 2]["hash"] if start > 1 else "0" * 64
    for row in rows[start - 1 :]:
        if row["id"] == start:
            row.update(edit)
        row["prev_hash"] = prev
        row["hash"] = event_hash(type("Row", (), row)())
        conn.execute(
            text(
                "UPDATE audit_event SET detail = :detail, outcome = :outcome, "
                "prev_hash = :prev_hash, hash = :hash WHERE id = :id"
            ),
            row,
        )
        prev = row["hash"]


def test_every_event_carries_a_mac(engine: Engine, session: Session, world: World) -> None:
    _activity(session, world)
    with engine.connect() as conn:
        rows = _rows(conn)
    assert rows and all(r["mac"] and len(r["mac"]) == 64 for r in rows)
    assert len({r["mac"] for r in rows}) == len(rows)
    check = check_audit_chain(session)
    assert check.valid and check.first_bad_id is None and check.events == len(rows)


def test_edited_event_with_recomputed_chain_is_caught_by_its_mac(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with triggers_off(engine, backend) as conn:
        _rehash_from(conn, 4, {"detail": "nothing to see", "outcome": "success"})
    check = check_audit_chain(session)
    assert not check.valid and check.first_bad_id == 4
    assert "MAC" in check.problem
    assert verify_audit_chain(session) == (False, 4)


def test_appended_forged_event_is_caught(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with triggers_off(engine, backend) as conn:
        last = _rows(conn)[-1]
        forged = {**last, "id": last["id"] + 1, "prev_hash": last["hash"], "detail": "forged"}
        forged["hash"] = event_hash(type("Row", (), forged)())
        conn.execute(insert(AuditEvent.__table__).values(**forged))
    assert verify_audit_chain(session) == (False, forged["id"])


def test_removed_mac_is_caught(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with triggers_off(engine, backend) as conn:
        conn.execute(text("UPDATE audit_event SET mac = NULL WHERE id = 2"))
    check = check_audit_chain(session)
    assert (check.valid, check.first_bad_id) == (False, 2)


def test_a_different_key_cannot_verify_the_head(db_url: str, key: bytes, world: World) -> None:
    """A copy of the database opened with another key is not taken for the real log."""
    engine = open_database(db_url, keyring=Keyring([key]))
    engine.dispose()
    # an attacker's copy with its own key: every stored MAC fails, so does the head
    from tailormed.record.crypto import bind_keyring
    from tailormed.record.db import build_engine

    other = build_engine(db_url)
    bind_keyring(other, Keyring([secrets.token_bytes(32)]))
    try:
        with session_factory(other)() as s:
            check = check_audit_chain(s)
        assert not check.valid and "not configured" in check.problem
    finally:
        other.dispose()


def test_events_sealed_with_a_retired_key_stay_anchored_by_the_head(
    db_url: str, key: bytes, world: World, session: Session
) -> None:
    """After a key rotation the old key is removed; events it sealed are still pinned by
    the hash chain up to a head whose MAC the current key verifies."""
    _activity(session, world)
    new_key = secrets.token_bytes(32)
    rotate_keys(session, new_key)
    engine = open_database(db_url, keyring=Keyring([new_key]))  # old key retired
    try:
        with session_factory(engine)() as s:
            get_patient(s, world.user_a, "treatment", world.pat_a)
            check = check_audit_chain(s)
            assert check.valid, check.problem
            assert check.unverified > 0  # sealed with the retired key, pinned by the chain
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- CLI
@pytest.fixture()
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Engine]:
    key_file = tmp_path / "data.key"
    assert runner.invoke(app, ["admin", "generate-key", str(key_file)]).exit_code == 0
    monkeypatch.setenv("TAILORMED_KEY_FILE", str(key_file))
    monkeypatch.delenv("TAILORMED_DATA_KEY", raising=False)
    url = f"sqlite:///{tmp_path / 'record.db'}"
    return url, open_database(url)


def _populate(engine: Engine) -> None:
    from tailormed.record import bootstrap_admin, create_patient

    with session_factory(engine)() as s:
        admin, _ = bootstrap_admin(s)
        for n in range(5):
            create_patient(s, admin.actor, "operations", display_name=f"P{n}")


def test_cli_audit_head_then_expect_head_catches_deleted_newest_events(
    cli_db: tuple[str, Engine],
) -> None:
    url, engine = cli_db
    _populate(engine)
    head = runner.invoke(app, ["admin", "audit-head", "--database-url", url])
    assert head.exit_code == 0, head.output
    anchor = head.stdout.strip().splitlines()[-1]
    head_id, head_hash = anchor.split(":")
    assert int(head_id) == 6 and len(head_hash) == 64
    ok = runner.invoke(
        app, ["admin", "verify-audit", "--database-url", url, "--expect-head", anchor]
    )
    assert ok.exit_code == 0, ok.output

    with triggers_off(engine, "sqlite") as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id >= 5"))
    plain = runner.invoke(app, ["admin", "verify-audit", "--database-url", url])
    assert plain.exit_code == 0  # a shorter chain is a valid chain: the README says so
    assert "--expect-head" in plain.output  # and the command reminds the operator
    anchored = runner.invoke(
        app, ["admin", "verify-audit", "--database-url", url, "--expect-head", anchor]
    )
    assert anchored.exit_code == 1
    assert "event 5" in anchored.output and "missing" in anchored.output
    engine.dispose()


def test_cli_verify_audit_catches_an_edited_and_rehashed_event(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    _populate(engine)
    with triggers_off(engine, "sqlite") as conn:
        _rehash_from(conn, 3, {"detail": "edited"})
    result = runner.invoke(app, ["admin", "verify-audit", "--database-url", url])
    assert result.exit_code == 1
    assert "first bad event id 3" in result.output and "MAC" in result.output
    engine.dispose()


def test_cli_expect_head_must_be_id_colon_hash(cli_db: tuple[str, Engine]) -> None:
    url, engine = cli_db
    engine.dispose()
    result = runner.invoke(
        app, ["admin", "verify-audit", "--database-url", url, "--expect-head", "12"]
    )
    assert result.exit_code != 0
    assert "ID:HASH" in result.output
    assert "Traceback" not in result.output


def test_audit_head_matches_the_api_of_the_record(session: Session, world: World) -> None:
    head = audit_head(session)
    assert head is not None
    with session.begin():
        last = session.get(AuditEvent, head[0])
        assert last is not None and last.hash == head[1]
