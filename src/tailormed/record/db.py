"""Engines, sessions and schema migrations for the patient record.

``open_database()`` is what a program calls at startup: it builds the engine
(:func:`engine_from_url`), brings the schema to the newest Alembic revision
(:func:`upgrade`) and refuses to go on when stored data cannot be decrypted with the
configured keys (:func:`tailormed.record.keys.check_keys`). Nothing here calls
``create_all``: the migrations in ``tailormed/record/migrations`` are the schema.

Backends:

* SQLite (default): ``$TAILORMED_DATABASE_URL`` or ``tailormed.db`` in the instance
  folder (``$TAILORMED_HOME``, default ``~/.local/share/tailormed``), created owner-only (0600, its
  folder 0700; a looser existing file is tightened). Each connection runs in WAL mode
  with foreign keys, ``synchronous=FULL`` and ``secure_delete`` on, and every
  transaction starts with ``BEGIN IMMEDIATE`` (each repository call writes an audit
  event, so each is a write transaction; taking the lock up front avoids deadlocks).
* PostgreSQL: ``postgresql+psycopg://user@host/db`` (psycopg 3).

Sessions: one per request from :func:`session_factory`; each repository function is one
transaction on it (see :mod:`tailormed.record.access`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from tailormed.record.crypto import Keyring, bind_keyring, load_keyring

DEFAULT_HOME = Path("~/.local/share/tailormed")
SQLITE_NAME = "tailormed.db"
DEFAULT_SQLITE = DEFAULT_HOME / SQLITE_NAME
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any constant: the PostgreSQL advisory lock that serialises concurrent migrations.
_MIGRATION_LOCK = 0x7A11_0001


def instance_dir() -> Path:
    """The instance folder: ``$TAILORMED_HOME``, else ``~/.local/share/tailormed``."""
    home = os.environ.get("TAILORMED_HOME")
    return Path(home).expanduser() if home else DEFAULT_HOME.expanduser()


def default_url() -> str:
    """``$TAILORMED_DATABASE_URL``, else the SQLite file in the instance folder."""
    env = os.environ.get("TAILORMED_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{instance_dir() / SQLITE_NAME}"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (``None`` for other backends and memory)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, issue BEGIN (see the "begin" listener).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "foreign_keys=ON",
            "synchronous=FULL",
            "secure_delete=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def private_sqlite_file(path: Path) -> None:
    """Create the database file owner-only (0600) before SQLite does (it would follow the
    umask, often world-readable), and tighten an existing one; its folder is made 0700.
    SQLite gives its ``-wal`` / ``-shm`` files the database file's permissions."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name != "posix":  # pragma: no cover - permissions are POSIX
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        st = path.stat()
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            path.chmod(0o600)
        return
    os.close(fd)


def build_engine(url: str) -> Engine:
    """An engine configured for the record (no keys bound: migrations only need this)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database).expanduser()
            private_sqlite_file(path)
            parsed = parsed.set(database=str(path))
        engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})
        _sqlite_setup(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(parsed, pool_pre_ping=True)
    raise ValueError(f"unsupported database backend {parsed.get_backend_name()!r}")


def engine_from_url(url: str | None = None, *, keyring: Keyring | None = None) -> Engine:
    """The record's engine for ``url`` (default: :func:`default_url`), with its data keys.

    ``keyring`` defaults to the keys configured in the environment, or for a SQLite
    record the ``data.key`` in its folder (:func:`tailormed.record.crypto.load_keyring`);
    without any, this raises :class:`~tailormed.record.errors.KeyConfigError`.
    """
    url = url or default_url()
    if keyring is None:
        path = sqlite_path(url)
        keyring = load_keyring(instance=None if path is None else path.parent)
    engine = build_engine(url)
    bind_keyring(engine, keyring)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for ``engine``; objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations shipped in the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` in one transaction (safe to call at every start)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (``None`` when empty)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def open_database(url: str | None = None, *, keyring: Keyring | None = None) -> Engine:
    """Startup: engine, migrations, then a check that every stored value can be decrypted."""
    from tailormed.record.keys import check_keys

    engine = engine_from_url(url, keyring=keyring)
    try:
        upgrade(engine)
        check_keys(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
