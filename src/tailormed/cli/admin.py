"""``tailormed admin``: data keys and the audit log of the patient record."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated

import typer

from tailormed.cli.common import console, err_console, handle_errors

app = typer.Typer(help="Record administration: data keys and audit log.", no_args_is_help=True)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Record database (default: $TAILORMED_DATABASE_URL or per-user SQLite)",
    ),
]


@app.command("generate-key")
@handle_errors
def generate_key_cmd(
    path: Annotated[Path, typer.Argument(help="Key file to create (mode 0600)")],
    prepend: Annotated[
        bool,
        typer.Option("--prepend", help="Add a new primary key on top of an existing key file"),
    ] = False,
) -> None:
    """Create a data key file (or add a new primary key to it, first step of a rotation)."""
    from tailormed.record.crypto import generate_key

    generate_key(path, prepend=prepend)
    console.print(f"[green]key written[/] to {path}; set TAILORMED_KEY_FILE={path}")


@app.command("rotate-keys")
@handle_errors
def rotate_keys_cmd(
    new_key_file: Annotated[
        Path, typer.Argument(help="File whose first line is the new key (base64, 32 bytes)")
    ],
    database_url: DatabaseOption = None,
) -> None:
    """Re-encrypt every stored value under a new key, in one transaction (audited)."""
    from tailormed.errors import InputError
    from tailormed.record import open_database, rotate_keys, session_factory

    try:
        first = new_key_file.read_text().split()[0]
        key = base64.b64decode(first, validate=True)
    except (OSError, IndexError, ValueError):
        raise InputError(
            "cannot read a base64 key from the first line", path=new_key_file
        ) from None
    if len(key) != 32:
        raise InputError("the key must be 32 bytes (AES-256)", path=new_key_file)
    engine = open_database(database_url)
    with session_factory(engine)() as session:
        report = rotate_keys(session, key)
    console.print(f"[green]re-encrypted[/] {report.total} values under key {report.key_id}")
    console.print("Keep the old key configured until every process uses the new one.")


@app.command("verify-audit")
@handle_errors
def verify_audit_cmd(database_url: DatabaseOption = None) -> None:
    """Verify the hash-chained audit log; exit 1 and name the first bad event if tampered."""
    from tailormed.record import audit_head, open_database, session_factory, verify_audit_chain

    engine = open_database(database_url)
    with session_factory(engine)() as session:
        ok, bad = verify_audit_chain(session)
        head = audit_head(session)
    if not ok:
        err_console.print(f"[bold red]audit log tampered:[/] first bad event id {bad}")
        raise typer.Exit(1)
    where = f"head event {head[0]}, hash {head[1]}" if head else "empty log"
    console.print(f"[green]audit chain intact[/] ({where}); store the head hash elsewhere")
