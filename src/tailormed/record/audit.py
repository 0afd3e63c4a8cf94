"""The append-only, hash-chained audit log.

Every repository call appends one :class:`~tailormed.record.models.AuditEvent` in the
same transaction as the read or write it records (denials in a transaction of their
own, see :mod:`tailormed.record.access`). Events carry ids, roles, the action and the
purpose, never PHI: ``patient_id`` is the record's random UUID and stays after the
patient is deleted.

The chain: event ``n`` stores ``prev_hash`` (event ``n-1``'s hash, 64 zeros for the
first) and ``hash = SHA-256(prev_hash + canonical JSON of the event)``, where the
canonical JSON holds every column but ``hash``, ``mac_key`` and ``mac`` with sorted keys
and no spaces. Ids are consecutive from 1, so a modified, deleted or reordered event
breaks the chain at the first affected id (:func:`check_audit_chain`).

Anchors, because whoever can write to the database can also recompute SHA-256:

* **MAC**: each event's ``mac`` is HMAC-SHA256 of its ``hash`` under a key derived from
  the primary data key (``mac_key`` names it), which lives outside the database. An
  event edited, inserted or re-hashed without that key fails its MAC. Events sealed with
  a key retired by a rotation cannot be checked directly; they stay pinned by the hash
  chain as long as the newest event's MAC verifies (changing any of them changes every
  later hash, the newest one's included). The newest event must verify under a
  configured key.
* **Head**: removing events from the *end* leaves a valid, shorter, correctly MACed
  chain. Record :func:`audit_head` somewhere the database's writers cannot reach and
  pass it back as ``expected_head`` to catch that (``tailormed admin audit-head`` /
  ``verify-audit --expect-head``).

Neither protects against someone holding the data key as well as the database (they
can rewrite and re-seal everything after the last head recorded elsewhere).

Appends are serialised: on PostgreSQL with ``LOCK TABLE audit_event IN EXCLUSIVE MODE``
(plain reads still run), on SQLite by the ``BEGIN IMMEDIATE`` write lock.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.record import clock
from tailormed.record.crypto import Keyring, keyring_for
from tailormed.record.models import AuditEvent

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit event as the API returns it."""

    id: int
    ts: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str | None
    patient_id: uuid.UUID | None
    purpose: str | None
    outcome: str
    detail: str | None


def canonical(fields: dict[str, Any]) -> str:
    """The canonical JSON an event's hash covers."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _fields(ev: Any) -> dict[str, Any]:
    """The hashed fields of an event (an ORM object or a row with the same attributes)."""
    return {
        "id": ev.id,
        "ts": clock.as_utc(ev.ts).isoformat(),
        "actor_id": None if ev.actor_id is None else str(ev.actor_id),
        "actor_role": ev.actor_role,
        "action": ev.action,
        "entity_type": ev.entity_type,
        "entity_id": ev.entity_id,
        "patient_id": None if ev.patient_id is None else str(ev.patient_id),
        "purpose": ev.purpose,
        "outcome": ev.outcome,
        "detail": ev.detail,
        "prev_hash": ev.prev_hash,
    }


def event_hash(ev: Any) -> str:
    """The hash ``ev`` must carry, given its fields and ``prev_hash``."""
    return hashlib.sha256((ev.prev_hash + canonical(_fields(ev))).encode()).hexdigest()


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.connection().exec_driver_sql("LOCK TABLE audit_event IN EXCLUSIVE MODE")


def append(
    session: Session,
    *,
    action: str,
    entity_type: str,
    outcome: str,
    actor_id: uuid.UUID | None = None,
    actor_role: str | None = None,
    entity_id: str | None = None,
    patient_id: uuid.UUID | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the session's current transaction."""
    _lock(session)
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    ev = AuditEvent(
        id=1 if last is None else last.id + 1,
        ts=clock.utcnow(),
        actor_id=actor_id,
        actor_role=actor_role,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        patient_id=patient_id,
        purpose=purpose,
        outcome=outcome,
        detail=None if detail is None else detail[:200],
        prev_hash=GENESIS if last is None else last.hash,
    )
    ev.hash = event_hash(ev)
    ev.mac_key, ev.mac = keyring_for(session.get_bind()).audit_mac(ev.hash)
    session.add(ev)
    session.flush()
    return ev


def _reading(session: Session) -> AbstractContextManager[object]:
    """The caller's transaction if one is open, else a short one of our own (on SQLite
    every transaction holds the write lock, so none may be left open)."""
    return nullcontext() if session.in_transaction() else session.begin()


def audit_head(session: Session) -> tuple[int, str] | None:
    """``(id, hash)`` of the newest event, to anchor outside the database."""
    with _reading(session):
        row = session.execute(
            select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
        ).first()
    return None if row is None else (row.id, row.hash)


@dataclass(frozen=True, slots=True)
class AuditCheck:
    """The outcome of :func:`check_audit_chain`.

    ``first_bad_id`` is the first event that fails (for events missing at the end: the
    id after the last one present); ``problem`` says why in one line; ``unverified``
    counts events sealed with retired keys, pinned only through the chain.
    """

    valid: bool
    first_bad_id: int | None
    problem: str
    events: int
    unverified: int
    head: tuple[int, str] | None


def verify_audit_chain(
    session: Session, *, expected_head: tuple[int, str] | None = None
) -> tuple[bool, int | None]:
    """``(True, None)``, or ``(False, id of the first bad event)``; see
    :func:`check_audit_chain`."""
    check = check_audit_chain(session, expected_head=expected_head)
    return check.valid, check.first_bad_id


def check_audit_chain(
    session: Session, *, expected_head: tuple[int, str] | None = None
) -> AuditCheck:
    """Check the whole chain, its MACs and (given one) a head recorded elsewhere.

    An event is bad when its id is not the previous id + 1 (one was deleted or
    renumbered), its ``prev_hash`` is not the previous event's hash (reordered, or one
    before it deleted), its ``hash`` does not match its contents (modified), or its MAC
    is missing or wrong. The newest event's MAC must verify under a configured key. With
    ``expected_head``, a chain that lost events at its end fails at the id after its
    last event.
    """
    ring = keyring_for(session.get_bind())
    with _reading(session):
        return _check(session, ring, expected_head)


def _bad(event_id: int, problem: str, events: int, unverified: int) -> AuditCheck:
    return AuditCheck(False, event_id, f"event {event_id}: {problem}", events, unverified, None)


def _check(session: Session, ring: Keyring, expected_head: tuple[int, str] | None) -> AuditCheck:
    expected_id, prev = 1, GENESIS
    seen_head = False
    unverified = 0
    last: Any = None
    # Rows, not ORM objects: the identity map must not hide what is in the database.
    table = AuditEvent.__table__
    n = 0
    for ev in session.execute(select(table).order_by(table.c.id).execution_options(yield_per=1000)):
        n += 1
        if ev.id != expected_id:
            return _bad(ev.id, f"expected id {expected_id} (events deleted or renumbered)", n, 0)
        if ev.prev_hash != prev:
            return _bad(ev.id, "does not link to the event before it", n, unverified)
        if ev.hash != event_hash(ev):
            return _bad(ev.id, "contents do not match its hash (modified)", n, unverified)
        if not ev.mac or not ev.mac_key:
            return _bad(ev.id, "has no MAC (stripped)", n, unverified)
        sealed = ring.check_audit_mac(ev.hash, ev.mac_key, ev.mac)
        if sealed is False:
            return _bad(ev.id, "MAC does not verify (edited or forged without the key)", n, 0)
        unverified += sealed is None
        if expected_head is not None and ev.id == expected_head[0]:
            if ev.hash != expected_head[1]:
                return _bad(ev.id, "differs from the head recorded elsewhere", n, unverified)
            seen_head = True
        expected_id, prev, last = ev.id + 1, ev.hash, ev
    if last is not None and ring.check_audit_mac(last.hash, last.mac_key, last.mac) is None:
        return _bad(
            last.id,
            f"the newest event is sealed with key {last.mac_key}, which is not configured: "
            "the chain cannot be anchored",
            n,
            unverified,
        )
    if expected_head is not None and not seen_head:
        missing = f"events from event {expected_id} to event {expected_head[0]} are missing"
        if expected_id == expected_head[0]:
            missing = f"event {expected_id} is missing"
        return AuditCheck(
            False,
            expected_id,
            f"{missing}: the log ends before the head recorded elsewhere (deleted)",
            n,
            unverified,
            None,
        )
    head = None if last is None else (last.id, last.hash)
    return AuditCheck(True, None, "", n, unverified, head)


def entry(ev: AuditEvent) -> AuditEntry:
    return AuditEntry(
        id=ev.id,
        ts=ev.ts,
        actor_id=ev.actor_id,
        actor_role=ev.actor_role,
        action=ev.action,
        entity_type=ev.entity_type,
        entity_id=ev.entity_id,
        patient_id=ev.patient_id,
        purpose=ev.purpose,
        outcome=ev.outcome,
        detail=ev.detail,
    )
