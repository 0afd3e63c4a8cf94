"""``tailormed serve``: the point-of-care service (REST API, CDS Hooks, web UI) on uvicorn.

Configuration comes from the environment (see :mod:`tailormed.service.settings`):
``TAILORMED_DATABASE_URL``, ``TAILORMED_DATA_KEY`` / ``TAILORMED_KEY_FILE``,
``TAILORMED_MAX_UPLOAD_MB``, ``TAILORMED_CORS_ORIGINS``, ``TAILORMED_PUBLIC_URL``.

First start::

    tailormed serve --create-admin      # prints the first admin's bearer token, once
    tailormed serve                     # http://127.0.0.1:8000, API docs at /docs

Further users (clinicians, patients) are made by an admin through ``POST /api/v1/users``.
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


def create_first_admin(database_url: str | None, organisation: str | None) -> str:
    """Create the first admin in the database (migrating it first); returns its token."""
    from tailormed.record import bootstrap_admin, open_database, session_factory

    engine = open_database(database_url)
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
            help="Record database (default: $TAILORMED_DATABASE_URL, else a per-user SQLite)",
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
    if database_url:
        # the app (in every worker) reads its settings from the environment
        os.environ["TAILORMED_DATABASE_URL"] = database_url
    if create_admin:
        token = create_first_admin(database_url, organisation)
        console.print("Admin created. Its bearer token (shown only now, keep it secret):")
        typer.echo(token)
        return
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
