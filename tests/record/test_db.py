"""Database set-up: migrations from empty, backend settings, restart durability."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from tailormed.record import (
    KeyConfigError,
    Keyring,
    add_medication,
    add_result,
    current_revision,
    default_url,
    engine_from_url,
    get_patient,
    list_medications,
    list_results,
    open_database,
    session_factory,
    upgrade,
    verify_audit_chain,
)
from tailormed.record.db import alembic_config, build_engine
from tailormed.record.models import Base
from tests.record import builders
from tests.record.conftest import World

TABLES = {
    "patient",
    "user_account",
    "upload",
    "result",
    "medication",
    "family_history",
    "consent",
    "share",
    "audit_event",
}


def test_migrations_from_empty_create_every_table(db_url: str, keyring: Keyring) -> None:
    engine = engine_from_url(db_url, keyring=keyring)
    try:
        assert current_revision(engine) is None
        assert not TABLES & set(inspect(engine).get_table_names())
        upgrade(engine)
        newest = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert current_revision(engine) == newest
        assert set(inspect(engine).get_table_names()) >= TABLES
        upgrade(engine)  # idempotent: every start runs it
        assert current_revision(engine) == newest
    finally:
        engine.dispose()


def test_migrations_match_the_models(engine: Engine) -> None:
    """The hand-written migration and the ORM models describe the same schema."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == []


def test_append_only_triggers_are_installed(engine: Engine, backend: str) -> None:
    with engine.connect() as conn:
        if backend == "sqlite":
            sql = "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_event'"
        else:
            sql = (
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_event'::regclass "
                "AND NOT tgisinternal"
            )
        names = {r[0] for r in conn.execute(text(sql))}
    assert len(names) >= 2


def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path: Path, keyring: Keyring) -> None:
    engine = engine_from_url(f"sqlite:///{tmp_path / 'x.db'}", keyring=keyring)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    finally:
        engine.dispose()


def test_default_url_is_a_user_sqlite_file_unless_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TAILORMED_DATABASE_URL", raising=False)
    url = default_url()
    assert url.startswith("sqlite:///") and url.endswith(".local/share/tailormed/tailormed.db")
    monkeypatch.setenv("TAILORMED_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"


def test_engine_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import base64

    monkeypatch.setenv("TAILORMED_DATABASE_URL", f"sqlite:///{tmp_path / 'sub' / 'env.db'}")
    monkeypatch.setenv("TAILORMED_DATA_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    engine = open_database()
    try:
        assert (tmp_path / "sub" / "env.db").exists()
    finally:
        engine.dispose()


def test_no_key_configured_refuses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TAILORMED_DATA_KEY", raising=False)
    monkeypatch.delenv("TAILORMED_KEY_FILE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(KeyConfigError, match="no data key configured"):
        engine_from_url(f"sqlite:///{tmp_path / 'x.db'}")


def test_unsupported_backend() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        build_engine("mysql://root@localhost/test")


def test_restart_loses_nothing_committed(
    db_url: str, keyring: Keyring, engine: Engine, world: World
) -> None:
    """A new engine on the same database sees every committed row and the same chain."""
    with session_factory(engine)() as s:
        add_result(
            s, world.user_a, "treatment", world.pat_a, builders.interpretation(), builders.upload()
        )
        add_medication(s, world.user_a, "treatment", world.pat_a, name="clopidogrel 75 mg")
    engine.dispose()

    again = open_database(db_url, keyring=keyring)
    try:
        with session_factory(again)() as s:
            assert get_patient(s, world.user_a, "treatment", world.pat_a).display_name == "Jane Doe"
            (result,) = list_results(s, world.user_a, "treatment", world.pat_a)
            assert result.interpretation == builders.interpretation()
            (med,) = list_medications(s, world.user_a, "treatment", world.pat_a)
            assert med.name == "clopidogrel 75 mg"
            assert verify_audit_chain(s) == (True, None)
    finally:
        again.dispose()
