"""``tailormed admin``: data keys and the audit log of the patient record."""

from __future__ import annotations

import base64
import re
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


def _head_option(value: str | None) -> tuple[int, str] | None:
    if value is None:
        return None
    head_id, _, head_hash = value.strip().partition(":")
    if not head_id.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", head_hash):
        raise typer.BadParameter(
            "give the head as ID:HASH, as `tailormed admin audit-head` prints it"
        )
    return int(head_id), head_hash


@app.command("audit-head")
@handle_errors
def audit_head_cmd(database_url: DatabaseOption = None) -> None:
    """Print the audit log's newest event as ID:HASH, to record somewhere else.

    Keep the line where the database's writers cannot change it (a ticket, a log
    server, a signed e-mail); `verify-audit --expect-head ID:HASH` later shows whether
    events were deleted from the end since.
    """
    from tailormed.record import audit_head, open_database, session_factory

    engine = open_database(database_url)
    try:
        with session_factory(engine)() as session:
            head = audit_head(session)
    finally:
        engine.dispose()
    if head is None:
        err_console.print("the audit log is empty")
        raise typer.Exit(1)
    err_console.print("Record this line outside the database (it anchors the audit log):")
    typer.echo(f"{head[0]}:{head[1]}")


@app.command("verify-audit")
@handle_errors
def verify_audit_cmd(
    database_url: DatabaseOption = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            metavar="ID:HASH",
            help="A head printed earlier by `tailormed admin audit-head`: the log must still "
            "hold that event, unchanged (catches events deleted from the end)",
        ),
    ] = None,
) -> None:
    """Verify the audit log: hash chain, MACs and (optionally) a head recorded elsewhere.

    Exit 1 and name the first bad event if it was tampered with.
    """
    from tailormed.record import check_audit_chain, open_database, session_factory

    expected = _head_option(expect_head)
    engine = open_database(database_url)
    try:
        with session_factory(engine)() as session:
            check = check_audit_chain(session, expected_head=expected)
    finally:
        engine.dispose()
    if not check.valid:
        err_console.print(
            f"[bold red]audit log tampered:[/] first bad event id {check.first_bad_id} "
            f"({check.problem})"
        )
        raise typer.Exit(1)
    where = f"head event {check.head[0]}, hash {check.head[1]}" if check.head else "empty log"
    console.print(f"[green]audit chain intact[/] ({check.events} events, MACs verified; {where})")
    if check.unverified:
        console.print(
            f"{check.unverified} older events are sealed with retired keys; the chain up to "
            "the verified newest event pins them."
        )
    if expected is None:
        console.print(
            "Events deleted from the end are only caught against a head recorded elsewhere: "
            "record `tailormed admin audit-head` and pass it back with --expect-head ID:HASH."
        )
