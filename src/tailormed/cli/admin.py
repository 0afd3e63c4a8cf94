"""``tailormed admin``: data keys, accounts and the audit log of the patient record.

Run at the server by its operator, who holds the data key: account commands act as the
``operator`` (audited with the OS user name). Clinician and admin accounts get an
activation code to hand to the person, never a token; patients enrol with a code from
their clinician (the web UI, or ``POST /api/v1/patients/{id}/enrolment``).
"""

from __future__ import annotations

import base64
import getpass
import os
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tailormed.cli.common import console, err_console, handle_errors
from tailormed.record.access import Operator

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from tailormed.record import IssuedCode

app = typer.Typer(
    help="Record administration: data keys, accounts and the audit log.", no_args_is_help=True
)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Record database (default: $TAILORMED_DATABASE_URL or per-user SQLite)",
    ),
]


def _operator() -> Operator:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name (containers)
        who = f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return Operator(who)


def _engine(database_url: str | None) -> Engine:
    from tailormed.record import open_database

    return open_database(database_url)


def _user_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        hint = "see `tailormed admin list-users`"
        raise typer.BadParameter(f"{value!r} is not a user id ({hint})") from None


def _print_code(issued: IssuedCode, who: str) -> None:
    console.print(
        f"Activation code for {who} (single use, valid until {issued.expires_at:%Y-%m-%d %H:%M} "
        "UTC; give it to the person, who redeems it at /ui/enrol or POST /api/v1/activate for "
        "their own token):",
        highlight=False,
        soft_wrap=True,
    )
    typer.echo(issued.code)


@app.command("create-user")
@handle_errors
def create_user_cmd(
    role: Annotated[str, typer.Option(help="clinician or admin")],
    name: Annotated[str, typer.Option(help="The person's name, as patients will see it")],
    organisation: Annotated[
        str | None, typer.Option(help="Organisation (consents to it cover its clinicians)")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create a clinician or admin account and print its activation code."""
    from tailormed.record import create_user, session_factory

    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            view, issued = create_user(
                session,
                _operator(),
                "operations",
                role=role,  # type: ignore[arg-type]  # the record refuses other roles
                display_name=name,
                organisation=organisation,
            )
    finally:
        engine.dispose()
    org = f" ({view.organisation})" if view.organisation else ""
    console.print(
        f"Created {view.role} {view.display_name}{org}, user id {view.id}", highlight=False
    )
    _print_code(issued, view.display_name or str(view.id))


@app.command("list-users")
@handle_errors
def list_users_cmd(database_url: DatabaseOption = None) -> None:
    """List every account: id, role, name, organisation, state (no tokens)."""
    from tailormed.record import list_users, session_factory

    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            users = list_users(session, _operator(), "operations")
    finally:
        engine.dispose()
    # one line per account, id first and whole (to copy into disable-user / reset-user)
    console.print(f"{'id':36}  {'role':9}  {'state':8}  {'created':10}  name (organisation)")
    for u in users:
        state = "disabled" if not u.active else ("active" if u.activated else "pending")
        name = u.display_name or ("(patient)" if u.role == "patient" else "—")
        org = f" ({u.organisation})" if u.organisation else ""
        console.print(
            f"{u.id!s:36}  {u.role:9}  {state:8}  {u.created_at:%Y-%m-%d}  {name}{org}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )


@app.command("disable-user")
@handle_errors
def disable_user_cmd(
    user_id: Annotated[str, typer.Argument(help="The user's id (`tailormed admin list-users`)")],
    database_url: DatabaseOption = None,
) -> None:
    """Disable an account: its token and open codes stop working at once."""
    from tailormed.record import deactivate_user, session_factory

    uid = _user_id(user_id)
    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            deactivate_user(session, _operator(), "operations", uid)
    finally:
        engine.dispose()
    console.print(f"[green]disabled[/] user {uid}", highlight=False)


@app.command("reset-user")
@handle_errors
def reset_user_cmd(
    user_id: Annotated[str, typer.Argument(help="The user's id (`tailormed admin list-users`)")],
    database_url: DatabaseOption = None,
) -> None:
    """A clinician or admin lost their token: void it and print a new activation code."""
    from tailormed.record import reset_activation, session_factory

    uid = _user_id(user_id)
    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            issued = reset_activation(session, _operator(), "operations", uid)
    finally:
        engine.dispose()
    console.print(f"Token of user {uid} voided.", highlight=False)
    _print_code(issued, f"user {uid}")


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
