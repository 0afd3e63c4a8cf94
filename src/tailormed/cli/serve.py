"""``tailormed serve``: the point-of-care service (REST API, CDS Hooks, web UI) on uvicorn.

Configuration comes from the environment (see :mod:`tailormed.service.settings`):
``TAILORMED_HOME`` (the instance folder, ``--home``), ``TAILORMED_DATABASE_URL``,
``TAILORMED_DATA_KEY`` / ``TAILORMED_KEY_FILE``, ``TAILORMED_MAX_UPLOAD_MB``,
``TAILORMED_CORS_ORIGINS``, ``TAILORMED_PUBLIC_URL``.

First start::

    tailormed serve --create-admin      # prints the first admin's bearer token, once
    tailormed serve                     # http://127.0.0.1:8000, API docs at /docs

Before uvicorn starts, :func:`prepare_record` makes sure the record can be opened, so
problems end in one line, not a traceback from a worker: with the default SQLite record
and no key anywhere, the first start creates ``data.key`` (0600) in the instance folder
and says so (back it up); a SQLite record whose key is gone, or PostgreSQL without a
key, is refused with what to do. Clinician and admin accounts come from
``tailormed admin create-user`` (or ``POST /api/v1/users``), patients enrol with a code
from their clinician.
The service listens on loopback by default; to serve a network, put it behind a TLS
proxy or pass ``--ssl-keyfile`` / ``--ssl-certfile``. Access logs never show share
tokens (``/share/<token>`` is logged as ``/share/…``).
"""

from __future__ import annotations

import copy
import ipaddress
import logging
import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer

from tailormed.cli.common import console, err_console, handle_errors

_SHARE_TOKEN = re.compile(r"/share/[^/?\s\"]+")


class RedactShareTokens(logging.Filter):
    """Hide share tokens in uvicorn's access log lines (they are credentials)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SHARE_TOKEN.sub("/share/…", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the share-token filter on the access log."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_share_tokens"] = {
        "()": f"{__name__}.RedactShareTokens"
    }
    config["handlers"]["access"]["filters"] = ["redact_share_tokens"]
    return config


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _has_records(path: Path) -> bool:
    """Whether a SQLite file exists with something in it (an empty file is a fresh start)."""
    return path.is_file() and path.stat().st_size > 0


def ensure_data_key(url: str) -> Path | None:
    """Make sure the record at ``url`` has a data key; returns a key file created now.

    Only a SQLite record that does not exist yet gets a new key (``data.key`` beside it,
    0600). A record that exists without its key, or PostgreSQL without one, is refused:
    a new key could not read what is stored.
    """
    from tailormed.record.crypto import INSTANCE_KEY_FILE, NO_KEY_HINT, generate_key, key_source
    from tailormed.record.db import sqlite_path
    from tailormed.record.errors import KeyConfigError

    db = sqlite_path(url)
    instance = None if db is None else db.parent
    if key_source(instance=instance) is not None:
        return None
    if db is None:
        raise KeyConfigError(
            f"no data key configured for the record at {_safe_url(url)}: {NO_KEY_HINT}"
        )
    key = db.parent / INSTANCE_KEY_FILE
    if _has_records(db):
        raise KeyConfigError(
            f"the record {db} exists but its data key is missing: restore {key} from your "
            "backup (or set TAILORMED_KEY_FILE); a new key could not read it"
        )
    db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    generate_key(key)
    return key


def _safe_url(url: str) -> str:
    from sqlalchemy import make_url

    return make_url(url).render_as_string(hide_password=True)


def prepare_record(database_url: str | None) -> tuple[str, Path | None, bool]:
    """Open the record once before serving: key, migrations, key check.

    Returns ``(url, key file created now or None, whether an admin exists)``; problems
    raise a :class:`~tailormed.errors.TailormedError` (one line from the CLI).
    """
    from sqlalchemy import select

    from tailormed.record import open_database, session_factory
    from tailormed.record.db import default_url
    from tailormed.record.models import User

    url = database_url or default_url()
    created = ensure_data_key(url)
    engine = open_database(url)
    try:
        with session_factory(engine)() as session, session.begin():
            admin = session.scalar(select(User.id).where(User.role == "admin").limit(1))
    finally:
        engine.dispose()
    return url, created, admin is not None


def _announce_key(key: Path) -> None:
    err_console.print(
        f"[bold]First start:[/] created the data key [bold]{key}[/] (readable by you only).\n"
        "Back it up now, somewhere other than the database's backups: without it nothing in "
        "the record can be read, and anyone who has both can read everything.",
        highlight=False,
        soft_wrap=True,
    )


def create_first_admin(database_url: str | None, organisation: str | None) -> str:
    """Create the first admin in the database (migrating it first); returns its token."""
    from tailormed.record import bootstrap_admin, open_database, session_factory

    url, created, _ = prepare_record(database_url)
    if created is not None:
        _announce_key(created)
    engine = open_database(url)
    try:
        with session_factory(engine)() as session:
            _user, token = bootstrap_admin(session, organisation=organisation)
    finally:
        engine.dispose()
    return token


@handle_errors
def serve_cmd(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default)")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="Record database (default: $TAILORMED_DATABASE_URL, else tailormed.db in "
            "the instance folder)",
        ),
    ] = None,
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Instance folder for the SQLite record and its data key (default: "
            "$TAILORMED_HOME, else ~/.local/share/tailormed)",
        ),
    ] = None,
    create_admin: Annotated[
        bool,
        typer.Option(
            "--create-admin",
            help="Create the first admin, print its bearer token once, and exit",
        ),
    ] = False,
    organisation: Annotated[
        str | None, typer.Option(help="Organisation of the admin made by --create-admin")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    ssl_keyfile: Annotated[Path | None, typer.Option(help="TLS private key (PEM)")] = None,
    ssl_certfile: Annotated[Path | None, typer.Option(help="TLS certificate (PEM)")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level")] = "info",
) -> None:
    """Serve the REST API, CDS Hooks and web UI (OpenAPI docs at /docs)."""
    # the app (in every worker) reads its settings from the environment
    if home is not None:
        os.environ["TAILORMED_HOME"] = str(home.expanduser().resolve())
    if database_url:
        os.environ["TAILORMED_DATABASE_URL"] = database_url
    if create_admin:
        token = create_first_admin(database_url, organisation)
        console.print("Admin created. Its bearer token (shown only now, keep it secret):")
        typer.echo(token)
        return
    url, created, has_admin = prepare_record(database_url)
    if created is not None:
        _announce_key(created)
    if not has_admin:
        err_console.print(
            "No admin yet: run `tailormed serve --create-admin` (another terminal will do) for "
            "the first admin's token; add clinicians with `tailormed admin create-user`.",
            highlight=False,
            soft_wrap=True,
        )
    err_console.print(
        f"Record: {_safe_url(url)}. Web UI http://{host}:{port}/ui, API docs /docs.",
        highlight=False,
        soft_wrap=True,
    )
    import uvicorn

    if not _loopback(host) and not (ssl_keyfile and ssl_certfile):
        err_console.print(
            f"[bold yellow]warning:[/] serving {host} without TLS: put a TLS proxy in front "
            "(genetic data and bearer tokens must never cross a network in clear text)"
        )
    uvicorn.run(
        "tailormed.service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        ssl_keyfile=str(ssl_keyfile) if ssl_keyfile else None,
        ssl_certfile=str(ssl_certfile) if ssl_certfile else None,
        log_level=log_level,
        log_config=log_config(),
        proxy_headers=False,
        server_header=False,
    )
