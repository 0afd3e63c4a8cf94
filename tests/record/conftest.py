"""Record fixtures: every test runs on SQLite (a temp file) and on PostgreSQL.

PostgreSQL is the local server at 127.0.0.1:5432 (trust auth, database ``test``, user
``postgres`` or ``root``). Each test gets its own schema (``tm_<run>_<n>``, via the
connection's ``search_path``), dropped afterwards; leftovers of this run are dropped at
session end. If the server cannot be reached the PostgreSQL variants are skipped with a
loud warning — except under ``CI``, where that is a failure.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tailormed.record import (
    Actor,
    Keyring,
    bootstrap_admin,
    create_enrolment,
    create_patient,
    create_user,
    open_database,
    redeem_code,
    session_factory,
)

PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
RUN = secrets.token_hex(4)
_counter = iter(range(1_000_000))


class PostgresUnavailableWarning(UserWarning):
    """The PostgreSQL half of the record tests did not run."""


@cache
def pg_user() -> str | None:
    """A user that can connect to the test database, or ``None`` if the server is down."""
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, connect_timeout=3
            ):
                return user
        except psycopg.OperationalError:
            continue
    return None


def _pg_admin() -> psycopg.Connection[tuple[object, ...]]:
    user = pg_user()
    assert user is not None
    return psycopg.connect(host=PG_HOST, port=PG_PORT, dbname=PG_DB, user=user, autocommit=True)


def _require_pg() -> str:
    user = pg_user()
    if user is None:
        msg = (
            f"!!! PostgreSQL at {PG_HOST}:{PG_PORT} (database {PG_DB!r}) is unreachable: "
            "the record tests ran on SQLite ONLY. Start the server to test PostgreSQL. !!!"
        )
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(msg + " (CI is set: this is a failure, not a skip)")
        warnings.warn(msg, PostgresUnavailableWarning, stacklevel=2)
        pytest.skip(msg)
    return user


def drop_schemas(prefix: str) -> None:
    """Drop this run's PostgreSQL schemas whose names start with ``tm_<run>_<prefix>``."""
    if pg_user() is None:
        return
    with _pg_admin() as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (f"tm_{RUN}_{prefix}%",)
        ).fetchall()
        for (name,) in rows:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


# Migrating a new database for every test cost ~0.7 s (SQLite) and ~1.3 s (PostgreSQL) a
# test. The migrations run once per session into a template instead; each test gets a copy
# (the SQLite file copied; the PostgreSQL schema recreated from the template's
# ``pg_dump --schema-only`` and stamped with its Alembic head). An empty migrated database
# holds no key-dependent data, so any test's keyring opens the copy. The migrations
# themselves are still tested from empty (tests/record/test_db.py opens its own databases).


@cache
def _sqlite_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"tm-{RUN}-template-"))
    path = folder / "template.db"
    open_database(f"sqlite:///{path}", keyring=Keyring([secrets.token_bytes(32)])).dispose()
    return path


@cache
def _pg_template() -> tuple[str, str] | None:
    """(DDL with the placeholder schema name, Alembic head) or ``None`` without pg_dump."""
    dump = shutil.which("pg_dump")
    user = pg_user()
    if dump is None or user is None:
        return None
    schema = f"tm_{RUN}_template"
    with _pg_admin() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = (
        f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}?options=-csearch_path%3D{schema}"
    )
    open_database(url, keyring=Keyring([secrets.token_bytes(32)])).dispose()
    out = subprocess.run(
        [
            dump,
            "--schema-only",
            "--no-owner",
            "--no-privileges",
            "-n",
            schema,
            "-h",
            PG_HOST,
            "-p",
            str(PG_PORT),
            "-U",
            user,
            PG_DB,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    with _pg_admin() as conn:
        row = conn.execute(f'SELECT version_num FROM "{schema}".alembic_version').fetchone()
    assert row is not None
    # psql meta-commands (\restrict ...) are not SQL
    ddl = "\n".join(line for line in out.splitlines() if not line.startswith("\\"))
    return ddl.replace(schema, "@SCHEMA@"), str(row[0])


def migrate_from_template(url: str) -> None:
    """Make the empty database at ``url`` (from :func:`database_url`) a migrated one by
    copying the session's template, so that ``open_database`` finds it at the head."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists():
            shutil.copy2(_sqlite_template(), path)
        return
    template = _pg_template()
    if template is None:
        return
    schema = url.rsplit("search_path%3D", 1)[1]
    ddl, head = template
    with _pg_admin() as conn:
        conn.execute(
            ddl.replace("@SCHEMA@", schema)
            .replace(f'CREATE SCHEMA "{schema}";', "")
            .replace(f"CREATE SCHEMA {schema};", "")
            .encode()
        )
        conn.execute(f'INSERT INTO "{schema}".alembic_version VALUES (%s)', (head,))


@contextmanager
def database_url(backend: str, folder: Path, *, name: str = "record") -> Iterator[str]:
    """An empty database of ``backend`` (a SQLite file, or a PostgreSQL schema of its
    own named ``tm_<run>_<name><n>``), removed afterwards; :func:`migrate_from_template`
    makes it a migrated one quickly."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / (name + '.db')}"
        return
    user = _require_pg()
    schema = f"tm_{RUN}_{name}{next(_counter)}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{PG_DB}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="session", autouse=True)
def _drop_leftover_schemas() -> Iterator[None]:
    yield
    drop_schemas("")


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database of the backend, removed after the test."""
    with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def keyring(key: bytes) -> Keyring:
    return Keyring([key])


@pytest.fixture
def engine(db_url: str, keyring: Keyring) -> Iterator[Engine]:
    migrate_from_template(db_url)
    eng = open_database(db_url, keyring=keyring)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@dataclass(frozen=True)
class World:
    """Two patients with their own accounts, clinicians of two organisations, an admin.

    Built the way a clinic does it: the admin creates clinician accounts (each takes up
    theirs with its activation code), a registrar clinician registers the two patients
    and hands each an enrolment code, which the patient redeems for their account.
    ``tokens`` holds every account's bearer token, by field name.
    """

    admin: Actor
    clin_a: Actor  # organisation clinic-a
    clin_a2: Actor  # organisation clinic-a, a colleague
    clin_b: Actor  # organisation clinic-b
    lone: Actor  # clinician without organisation
    pat_a: uuid.UUID
    pat_b: uuid.UUID
    user_a: Actor  # patient A's account
    user_b: Actor  # patient B's account
    registrar: Actor  # clinician (organisation registry) who registered A and B
    tokens: dict[str, str] = field(default_factory=dict)


def make_world(session: Session) -> World:
    admin, admin_token = bootstrap_admin(session, organisation="tailormed-ops")
    adm = admin.actor
    tokens = {"admin": admin_token}

    def clinician(key: str, org: str | None) -> Actor:
        view, issued = create_user(
            session,
            adm,
            "operations",
            role="clinician",
            display_name=f"Dr {key.replace('_', ' ').title()}",
            organisation=org,
        )
        _, tokens[key] = redeem_code(session, issued.code)
        return view.actor

    registrar = clinician("registrar", "registry")

    def patient(key: str, name: str, mrn: str) -> tuple[uuid.UUID, Actor]:
        view = create_patient(session, registrar, "treatment", display_name=name, external_id=mrn)
        issued = create_enrolment(session, registrar, "treatment", view.id)
        user, tokens[key] = redeem_code(session, issued.code)
        return view.id, user.actor

    pa, user_a = patient("user_a", "Jane Doe", "MRN-A1")
    pb, user_b = patient("user_b", "John Roe", "MRN-B2")
    return World(
        admin=adm,
        clin_a=clinician("clin_a", "clinic-a"),
        clin_a2=clinician("clin_a2", "clinic-a"),
        clin_b=clinician("clin_b", "clinic-b"),
        lone=clinician("lone", None),
        pat_a=pa,
        pat_b=pb,
        user_a=user_a,
        user_b=user_b,
        registrar=registrar,
        tokens=tokens,
    )


@pytest.fixture
def world(session: Session) -> World:
    return make_world(session)
