"""Shared pieces of the data migrations (revisions that rewrite stored rows).

Data migrations need the data keys: they run inside :func:`tailormed.record.upgrade`
on an engine that :func:`tailormed.record.open_database` bound a keyring to
(:func:`migration_keyring`). Rewriting audit rows needs the append-only triggers off
for that one statement batch (:func:`audit_triggers_suspended`), inside the migration's
transaction, so a failure leaves them in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from tailormed.record.crypto import Keyring, keyring_for
from tailormed.record.errors import KeyConfigError

PG_AUDIT_TRIGGERS = ("audit_event_no_change", "audit_event_no_truncate")


def migration_keyring(conn: Connection, what: str) -> Keyring:
    """The keyring bound to the migrating engine, or a clear error saying why it is needed."""
    try:
        return keyring_for(conn)
    except KeyConfigError:
        raise KeyConfigError(
            f"this schema upgrade must {what} and needs the data key: run it through "
            "`tailormed serve` (or any `tailormed admin` command) with the key configured"
        ) from None


@contextmanager
def audit_triggers_suspended(conn: Connection) -> Iterator[None]:
    """The audit table's append-only triggers off, restored afterwards."""
    if conn.dialect.name == "postgresql":
        for name in PG_AUDIT_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE audit_event DISABLE TRIGGER {name}")
        yield
        for name in PG_AUDIT_TRIGGERS:
            conn.exec_driver_sql(f"ALTER TABLE audit_event ENABLE TRIGGER {name}")
        return
    ddl = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'"
    ).all()
    for name, _sql in ddl:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    yield
    for _name, sql in ddl:
        conn.exec_driver_sql(sql)
