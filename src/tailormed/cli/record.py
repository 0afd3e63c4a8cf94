"""``tailormed record``: put data into a patient's record from a terminal.

Data commands act as a real user of the record, never as the operator (who administers
but reads no patient data): they take that user's access token from ``--token`` or
``$TAILORMED_TOKEN`` — the patient themselves, or a clinician with a treatment consent of
scope ``all`` — and every call is audited with that user. ``escalate-alerts`` is the
scheduled check, run by the operator (cron): it reads no PHI.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tailormed.cli.admin import DatabaseOption, _engine, _operator
from tailormed.cli.common import console, err_console, handle_errors

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from tailormed.record import Actor

app = typer.Typer(
    help="Patient record: import device data, run alert checks.", no_args_is_help=True
)

TokenOption = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="TAILORMED_TOKEN",
        help="Your access token (patient, or clinician with consent); default $TAILORMED_TOKEN",
        show_default=False,
    ),
]


def _actor(session: Session, token: str | None) -> Actor:
    from tailormed.errors import InputError
    from tailormed.record.users import authenticate

    if not token:
        raise InputError(
            "give your access token with --token or $TAILORMED_TOKEN: data commands act as "
            "a user of the record (the operator reads no patient data)"
        )
    return authenticate(session, token.strip())


def _patient(session: Session, actor: Actor, value: str) -> uuid.UUID:
    from tailormed.record import find_patient

    try:
        return uuid.UUID(value)
    except ValueError:
        return find_patient(session, actor, "treatment", value).id


@app.command("import-observations")
@handle_errors
def import_observations_cmd(
    files: Annotated[
        list[Path],
        typer.Argument(help="Fitbit CSVs, Open mHealth JSON(L), FHIR JSON, Apple export.xml"),
    ],
    patient: Annotated[str, typer.Option("--patient", help="Patient id (UUID) or MRN")],
    source_id: Annotated[
        str | None, typer.Option("--source-id", help="The Fitbit user Id to import")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option("--timezone", help="IANA zone of zone-less times (Fitbit), e.g. Europe/Paris"),
    ] = None,
    token: TokenOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Import device / app observations into a patient's record (encrypted, one audited
    batch; importing the same files again changes nothing), then run the care rules."""
    from tailormed.digital.read import read_files
    from tailormed.record import session_factory
    from tailormed.record.digital import content_hash, import_observations

    observations = read_files(files, source_id, timezone)
    digest = content_hash(
        [f"{source_id or ''}|{timezone or ''}".encode(), *(f.read_bytes() for f in files)]
    )
    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            actor = _actor(session, token)
            pid = _patient(session, actor, patient)
            report = import_observations(
                session, actor, "treatment", pid, observations, content_sha256=digest
            )
    finally:
        engine.dispose()
    for c in observations.files:
        kept = ", ".join(f"{k} {v}" for k, v in sorted(c.kept.items())) or "nothing kept"
        err_console.print(f"{c.path}: {c.rows} rows ({c.format}): {kept}", highlight=False)
    for note in observations.notes:
        err_console.print(f"note: {note}", highlight=False)
    if report.duplicate:
        console.print(f"Already imported (batch {report.batch_id}): nothing changed.")
        return
    console.print(
        f"Batch {report.batch_id}: {report.points} points ({report.new_points} new) on "
        f"{report.days} days in {report.chunks} chunks, {report.responses} questionnaire(s).",
        highlight=False,
    )
    for a in report.alerts:
        console.print(f"ALERT [{a.severity}] {a.day} {a.title}", highlight=False)


@app.command("check-alerts")
@handle_errors
def check_alerts_cmd(
    patient: Annotated[str, typer.Option("--patient", help="Patient id (UUID) or MRN")],
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of this date (default today)")
    ] = None,
    token: TokenOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Run every care rule as of a date (the time-driven ones: overdue questionnaires,
    the 8-week response check)."""
    from tailormed.errors import InputError
    from tailormed.record import session_factory
    from tailormed.record.digital import check_rules

    try:
        when = date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise InputError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            actor = _actor(session, token)
            alerts = check_rules(
                session, actor, "treatment", _patient(session, actor, patient), as_of=when
            )
    finally:
        engine.dispose()
    console.print(f"{len(alerts)} new alert(s).")
    for a in alerts:
        console.print(f"ALERT [{a.severity}] {a.day} {a.title}", highlight=False)


@app.command("escalate-alerts")
@handle_errors
def escalate_alerts_cmd(
    critical_minutes: Annotated[
        int, typer.Option("--critical-minutes", min=1, help="Escalate critical alerts after")
    ] = 30,
    high_hours: Annotated[
        int, typer.Option("--high-hours", min=1, help="Escalate high alerts after")
    ] = 24,
    database_url: DatabaseOption = None,
) -> None:
    """The scheduled check (run it from cron every few minutes): open alerts nobody
    acknowledged in time become escalated (audited as the operator; no PHI read)."""
    from tailormed.record import session_factory
    from tailormed.record.digital import escalate_overdue

    after = {"critical": timedelta(minutes=critical_minutes), "high": timedelta(hours=high_hours)}
    engine = _engine(database_url)
    try:
        with session_factory(engine)() as session:
            done = escalate_overdue(session, _operator(), after=after)
    finally:
        engine.dispose()
    console.print(f"{len(done)} alert(s) escalated.")
    for e in done:
        console.print(
            f"ESCALATED [{e.severity}] alert {e.id} of patient {e.patient_id}, raised "
            f"{e.created_at:%Y-%m-%d %H:%M} UTC",
            highlight=False,
        )
