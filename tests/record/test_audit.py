"""The audit log: one event per access, append-only, and a hash chain that shows tampering."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tailormed.record import (
    add_result,
    audit_head,
    get_patient,
    grant_consent,
    list_results,
    verify_audit_chain,
)
from tailormed.record.audit import event_hash
from tailormed.record.models import AuditEvent
from tests.record import builders
from tests.record.conftest import World


@contextmanager
def triggers_off(engine: Engine, backend: str) -> Iterator[Connection]:
    """A raw connection on which the append-only triggers do not fire (an attacker's view)."""
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield conn
            return
        ddl = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_event'"
        ).all()
        for name, _ in ddl:
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        yield conn
        for _, sql in ddl:
            conn.exec_driver_sql(sql)


def _activity(session: Session, world: World) -> None:
    add_result(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        builders.interpretation(),
        builders.upload(),
    )
    grant_consent(
        session, world.user_a, "treatment", world.pat_a, grantee_user_id=world.clin_a.user_id
    )
    list_results(session, world.clin_a, "treatment", world.pat_a)
    get_patient(session, world.user_b, "treatment", world.pat_b)


def _events(session: Session) -> list[AuditEvent]:
    with session.begin():
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_every_call_is_audited_and_the_chain_verifies(session: Session, world: World) -> None:
    before = len(_events(session))
    _activity(session, world)
    events = _events(session)
    assert len(events) == before + 4
    assert [e.id for e in events] == list(range(1, len(events) + 1))
    read = events[-2]
    assert (read.action, read.entity_type, read.actor_id, read.purpose, read.outcome) == (
        "read",
        "result",
        world.clin_a.user_id,
        "treatment",
        "success",
    )
    assert read.patient_id == world.pat_a
    assert verify_audit_chain(session) == (True, None)
    assert audit_head(session) == (events[-1].id, events[-1].hash)


def test_audit_events_hold_no_phi(engine: Engine, session: Session, world: World) -> None:
    _activity(session, world)
    with engine.connect() as conn:
        dump = str(conn.execute(text("SELECT * FROM audit_event")).all())
    for phi in ("Jane Doe", "John Roe", "MRN-A1", "*2/*17", "CYP2C19", "jane_doe.vcf"):
        assert phi not in dump


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_event SET detail = 'edited' WHERE id = 1",
        "DELETE FROM audit_event WHERE id = 1",
        "DELETE FROM audit_event",
    ],
)
def test_database_refuses_update_and_delete(
    engine: Engine, backend: str, world: World, sql: str
) -> None:
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(sql))
    if backend == "postgresql":  # SQLite has no TRUNCATE (its DELETE-all is refused above)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))


def test_orm_refuses_update_and_delete(session: Session, world: World) -> None:
    with session.begin():
        ev = session.get(AuditEvent, 1)
        assert ev is not None
        ev.detail = "edited"
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()
        session.rollback()
    with session.begin():
        ev = session.get(AuditEvent, 1)
        session.delete(ev)
        with pytest.raises(RuntimeError, match="append-only"):
            session.flush()
        session.rollback()


def test_modified_event_is_detected(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with triggers_off(engine, backend) as conn:
        conn.execute(text("UPDATE audit_event SET outcome = 'success' WHERE id = 3"))
        conn.execute(text("UPDATE audit_event SET purpose = 'research' WHERE id = 5"))
    assert verify_audit_chain(session) == (False, 5)


def test_modified_event_with_recomputed_hash_breaks_the_next_link(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with session.begin():
        ev = session.get(AuditEvent, 4)
        assert ev is not None
        fields: dict[str, Any] = {c.name: getattr(ev, c.name) for c in AuditEvent.__table__.c}
    fields["detail"] = "nothing to see"
    forged = event_hash(type("Row", (), fields)())
    with triggers_off(engine, backend) as conn:
        conn.execute(
            text("UPDATE audit_event SET detail = :d, hash = :h WHERE id = 4"),
            {"d": "nothing to see", "h": forged},
        )
    # The re-hashed event itself fails now: its MAC no longer matches (the MAC anchor of
    # tests/record/test_audit_anchor.py); before MACs, the break showed at the next link.
    assert verify_audit_chain(session) == (False, 4)


def test_deleted_event_is_detected(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    with triggers_off(engine, backend) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = 6"))
    assert verify_audit_chain(session) == (False, 7)


def test_reordered_events_are_detected(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    cols = [c.name for c in AuditEvent.__table__.c if c.name != "id"]
    with triggers_off(engine, backend) as conn:
        rows = {
            r.id: r._mapping
            for r in conn.execute(text("SELECT * FROM audit_event WHERE id IN (4, 8)"))
        }
        # Swap the contents of events 4 and 8 (hashes move with them).
        conn.execute(text("UPDATE audit_event SET hash = 'x4' WHERE id = 4"))
        for target, source in ((8, 4), (4, 8)):
            sets = ", ".join(f"{c} = :{c}" for c in cols)
            conn.execute(
                text(f"UPDATE audit_event SET {sets} WHERE id = :id"),
                {**{c: rows[source][c] for c in cols}, "id": target},
            )
    assert verify_audit_chain(session) == (False, 4)


def test_truncated_tail_is_caught_with_an_anchored_head(
    engine: Engine, backend: str, session: Session, world: World
) -> None:
    _activity(session, world)
    head = audit_head(session)
    assert head is not None
    with triggers_off(engine, backend) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": head[0]})
    assert verify_audit_chain(session) == (True, None)  # a shorter chain is still a chain...
    assert verify_audit_chain(session, expected_head=head) == (False, head[0])  # ...but not ours


def test_concurrent_calls_keep_one_chain(
    sessions: sessionmaker[Session], session: Session, world: World
) -> None:
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with sessions() as s:
                start.wait()
                for _ in range(5):
                    get_patient(s, world.user_a, "treatment", world.pat_a)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert verify_audit_chain(session) == (True, None)
    assert [e.id for e in _events(session)] == list(range(1, len(_events(session)) + 1))


def test_cds_reads_are_audited_as_cds(session: Session, world: World) -> None:
    _activity(session, world)
    list_results(session, world.clin_a, "treatment", world.pat_a, audit_action="cds")
    last = _events(session)[-1]
    assert (last.action, last.entity_type, last.actor_id) == ("cds", "result", world.clin_a.user_id)
