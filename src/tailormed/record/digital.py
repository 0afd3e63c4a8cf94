"""Digital health in the record: observations, questionnaires, alerts and device tokens.

Storage (migration ``0007_digital``):

* **chunks**: one row per patient, kind and local day (``digital_chunk``), its body the
  day's points as compact columns (:func:`encode_chunk`), sealed with AES-256-GCM like
  every encrypted column. A year of 5-second heart rate is 365 rows, not 6 million;
* **per-day aggregates** (``digital_day``, encrypted JSON), recomputed for the days a
  batch touches, so a one-year trend reads 365 small rows (:func:`read_daily`);
* **import batches** (``digital_import``): the keyed hash of the batch's content, so
  importing the same file again changes nothing; within a chunk, points are identified
  by the reader's idempotency key (the same point from two files is stored once, the
  last one read wins);
* **questionnaire responses** (``pro_response``): the FHIR QuestionnaireResponse and its
  scores, sealed;
* **alerts** (``digital_alert``): one per rule firing (the rule's key: one per episode),
  severity, state (open, acknowledged, escalated) and times clear — escalation needs no
  PHI — the rest sealed;
* **device tokens** (``device_token``): granted and revoked by the patient, SHA-256 only.

Every function is one audited transaction (:func:`tailormed.record.access.operation`)
with the real actor: an import is one audit event per batch, not per point. Writing
needs write access (the patient, or a treatment consent with scope ``all``); reading
needs full access (own record or scope ``all``): wearable data and questionnaires are
clinical history. A device posting with a patient-granted token acts as that patient,
and the audit event names the token.

Care rules run on every batch (:func:`import_observations`, :func:`submit_questionnaire`)
over the patient's whole per-day table and every stored score, with the patient's
medication starts (``medication.started_on``) and the newest result's phenotypes as
context; an alert is stored once per rule key. :func:`escalate_overdue` is the scheduled
check: open alerts not acknowledged in time (:data:`ESCALATE_AFTER`) become
``escalated``, one audit event each.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import struct
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from tailormed.digital.aggregate import COLUMNS, DailyTable, aggregate
from tailormed.digital.context import MedicationStart, PatientContext, medication_start
from tailormed.digital.models import KEY_DTYPE, Kind, Observations, Series
from tailormed.digital.pro import Response, Score, read_response, score
from tailormed.digital.rules import Alert, evaluate
from tailormed.errors import InputError
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tailormed.record import audit, clock
from tailormed.record.access import (
    Actor,
    Operation,
    Operator,
    Purpose,
    deny_anonymous,
    operation,
    require_no_transaction,
)
from tailormed.record.crypto import keyring_for
from tailormed.record.errors import NotFoundError
from tailormed.record.models import (
    DeviceToken,
    DigitalAlert,
    DigitalChunk,
    DigitalDay,
    DigitalImport,
    Medication,
    Patient,
    ProResponse,
    Result,
    User,
)

MAGIC = b"TMD1"
SOURCE_FIELDS = ("source", "format", "original_unit", "timezone", "stream")
ESCALATE_AFTER: Mapping[str, timedelta] = {
    "critical": timedelta(minutes=30),
    "high": timedelta(hours=24),
}
SEVERITY_ORDER = {"critical": 0, "high": 1, "moderate": 2, "low": 3, "info": 4}


# ------------------------------------------------------------------ chunk codec
def encode_chunk(kind: str, series: Sequence[Series]) -> bytes:
    """The points of ``series`` (one kind, one day) as compact bytes.

    ``MAGIC | u32 header length | header JSON | zlib(columns)``; the header holds the
    kind, canonical unit, point count and the sources (source, format, original unit,
    time-zone rule); the columns, in time order: start (int64 ns, delta-coded), duration
    (int64 ns), UTC offset (int32 s), value (float64), key (16 bytes), source index
    (uint16).
    """
    sources: list[dict[str, str]] = []
    index: dict[tuple[str, str, str, str, str], int] = {}
    parts = []
    for s in series:
        ident = (s.source, s.format, s.original_unit, s.timezone, s.stream)
        if ident not in index:
            index[ident] = len(sources)
            sources.append(dict(zip(SOURCE_FIELDS, ident, strict=True)))
        parts.append(np.full(len(s), index[ident], np.uint16))
    start = np.concatenate([s.start for s in series])
    order = np.argsort(start, kind="stable")
    start = start[order]
    end = np.concatenate([s.end for s in series])[order]
    offset = np.concatenate([s.offset for s in series])[order]
    value = np.concatenate([s.value for s in series])[order]
    key = np.concatenate([s.key for s in series])[order]
    src = np.concatenate(parts)[order]
    unit = series[0].unit if series else ""
    header = json.dumps(
        {"kind": kind, "unit": unit, "n": len(start), "sources": sources}, separators=(",", ":")
    ).encode()
    delta = np.diff(start, prepend=np.int64(0)) if len(start) else start
    columns = b"".join(
        a.tobytes()
        for a in (
            delta.astype("<i8"),
            (end - start).astype("<i8"),
            offset.astype("<i4"),
            value.astype("<f8"),
            key,
            src.astype("<u2"),
        )
    )
    return MAGIC + struct.pack("<I", len(header)) + header + zlib.compress(columns, 1)


def decode_chunk(data: bytes) -> list[Series]:
    """The series a chunk holds (one per source), points in time order."""
    if data[:4] != MAGIC:
        raise ValueError("not a Tailormed digital chunk")
    (hlen,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + hlen])
    raw = zlib.decompress(data[8 + hlen :])
    n = int(header["n"])
    at = 0

    def take(dtype: str | np.dtype[Any], size: int) -> np.ndarray[Any, Any]:
        nonlocal at
        out = np.frombuffer(raw, dtype=dtype, count=n, offset=at)
        at += size * n
        return out

    start = np.cumsum(take("<i8", 8)).astype(np.int64)
    end = start + take("<i8", 8)
    offset = take("<i4", 4).astype(np.int32)
    value = take("<f8", 8).astype(np.float64)
    key = take(KEY_DTYPE, 16).copy()
    src = take("<u2", 2)
    out = []
    for i, meta in enumerate(header["sources"]):
        sel = src == i
        out.append(
            Series(
                kind=header["kind"],
                unit=header["unit"],
                original_unit=meta["original_unit"],
                source=meta["source"],
                format=meta["format"],
                timezone=meta["timezone"],
                start=start[sel],
                end=end[sel],
                offset=offset[sel],
                value=value[sel],
                key=key[sel],
                stream=meta.get("stream", ""),
            )
        )
    return out


def _runs(keys: np.ndarray[Any, Any], tag: np.ndarray[Any, Any] | None = None) -> Any:
    """Keys sorted (by the two 64-bit words, then ``tag``): the order and the start of
    each run of equal keys (a 128-bit key sorted as two uint64 columns, much faster than
    sorting the 16-byte records)."""
    hi, lo = keys["hi"], keys["lo"]
    order = np.lexsort((lo, hi) if tag is None else (tag, lo, hi))
    h, low = hi[order], lo[order]
    start = np.ones(len(order), bool)
    start[1:] = (h[1:] != h[:-1]) | (low[1:] != low[:-1])
    return order, start


def _in_order(s: Series) -> bool:
    """One namespace and strictly increasing keys: no key twice (the common case)."""
    if len(s) < 2:
        return True
    hi = s.key["hi"]
    return bool(np.all(hi == hi[0])) and bool(np.all(np.diff(s.key["lo"].view(np.int64)) > 0))


def _isin(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """For each key of ``a``, whether ``b`` holds it."""
    if not len(a) or not len(b):
        return np.zeros(len(a), bool)
    keys = np.concatenate([a, b])
    tag = np.concatenate([np.zeros(len(a), np.int8), np.ones(len(b), np.int8)])
    order, start = _runs(keys, tag)
    run = np.cumsum(start) - 1
    has_b = np.maximum.reduceat(tag[order], np.flatnonzero(start)).astype(bool)
    out = np.empty(len(keys), bool)
    out[order] = has_b[run]
    result: np.ndarray[Any, Any] = out[: len(a)]
    return result


def _merge(old: Sequence[Series], new: Sequence[Series]) -> tuple[list[Series], int]:
    """``old`` + ``new`` with each idempotency key once (the new point wins); the count
    of keys not stored before (``new`` holds no key twice)."""
    n_new = sum(len(s) for s in new)
    if not old:
        return list(new), n_new
    old_keys = np.concatenate([s.key for s in old])
    new_keys = np.concatenate([s.key for s in new]) if new else old_keys[:0]
    replaced = _isin(old_keys, new_keys)
    kept: list[Series] = []
    at = 0
    for s in old:
        mask = ~replaced[at : at + len(s)]
        at += len(s)
        if mask.any():
            kept.append(s.take(mask) if not mask.all() else s)
    return [*kept, *new], n_new - int(replaced.sum())


def _dedupe_new(series: Sequence[Series]) -> list[Series]:
    """Within one batch, a key seen twice keeps its last point."""
    if len(series) == 1 and _in_order(series[0]):
        return list(series)
    keys = np.concatenate([s.key for s in series])
    # the last occurrence of each key wins: sort the reversed keys, keep each run's first
    rev = keys[::-1]
    order, start = _runs(rev)
    if start.all():
        return list(series)
    keep = np.zeros(len(keys), bool)
    first = np.sort(order[start])  # lexsort is stable: the first of a run is the latest
    keep[len(keys) - 1 - first] = True
    out, at = [], 0
    for s in series:
        mask = keep[at : at + len(s)]
        at += len(s)
        if mask.any():
            out.append(s.take(mask))
    return out


# ------------------------------------------------------------------ views
@dataclass(frozen=True, slots=True)
class AlertView:
    id: uuid.UUID
    patient_id: uuid.UUID
    rule_id: str
    title: str
    severity: str
    state: str
    day: str
    patient_text: str
    clinician_text: str
    action: str
    citation: str
    published: bool
    created_at: datetime
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None
    note: str | None
    escalated_at: datetime | None
    body: Mapping[str, Any]

    @property
    def is_open(self) -> bool:
        return self.state != "acknowledged"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What one batch did."""

    batch_id: uuid.UUID | None
    duplicate: bool
    points: int
    new_points: int
    days: int
    chunks: int
    responses: int
    alerts: tuple[AlertView, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionnaireResult:
    """A stored response: its scores, the alerts it raised, whether to show crisis help."""

    response_id: uuid.UUID
    scores: tuple[Score, ...]
    alerts: tuple[AlertView, ...]
    crisis: bool
    duplicate: bool = False


@dataclass(frozen=True, slots=True)
class DeviceTokenView:
    id: uuid.UUID
    patient_id: uuid.UUID
    label: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """A device token resolved: which patient it posts for, as which user."""

    token_id: uuid.UUID
    patient_id: uuid.UUID
    actor: Actor


@dataclass(frozen=True, slots=True)
class Escalated:
    id: uuid.UUID
    patient_id: uuid.UUID
    severity: str
    created_at: datetime


@dataclass(frozen=True)
class DigitalRecord:
    """What the UI and reports need of a patient's digital data."""

    table: DailyTable
    scores: tuple[Score, ...]
    alerts: tuple[AlertView, ...]
    context: PatientContext
    notes: tuple[str, ...] = field(default=())

    def rule_alerts(self) -> list[Alert]:
        """The stored alerts as :class:`~tailormed.digital.rules.Alert` (charts, findings)."""
        return [alert_from_json(a.body) for a in self.alerts]


def alert_view(row: DigitalAlert) -> AlertView:
    b = row.body
    return AlertView(
        id=row.id,
        patient_id=row.patient_id,
        rule_id=str(b.get("rule_id", "")),
        title=str(b.get("title", "")),
        severity=row.severity,
        state=row.state,
        day=str(b.get("date", "")),
        patient_text=str(b.get("patient_text", "")),
        clinician_text=str(b.get("clinician_text", "")),
        action=str(b.get("action", "")),
        citation=str(b.get("citation", "")),
        published=bool(b.get("published")),
        created_at=row.created_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
        note=row.note,
        escalated_at=row.escalated_at,
        body=b,
    )


def alert_from_json(b: Mapping[str, Any]) -> Alert:
    return Alert(
        rule_id=b["rule_id"],
        title=b["title"],
        severity=b["severity"],
        action=b["action"],
        day=b["date"],
        patient_text=b["patient_text"],
        clinician_text=b["clinician_text"],
        citation=b["citation"],
        published=bool(b["published"]),
        basis=b.get("basis", ""),
        values=dict(b.get("values") or {}),
        evidence=tuple((e["label"], e["value"], e["unit"]) for e in b.get("evidence") or ()),
        key=b.get("key", ""),
        knowledge=b.get("knowledge", ""),
    )


def _score_json(s: Score) -> dict[str, Any]:
    return {
        "instrument": s.instrument,
        "day": s.day,
        "authored": s.authored,
        "total": s.total,
        "band": s.band,
        "answers": {str(k): v for k, v in s.answers.items()},
        "total_code": s.total_code,
        "positive": s.positive,
        "safety_item_score": s.safety_item_score,
        "missing": list(s.missing),
        "citation": s.citation,
        "derived_from": s.derived_from,
        "key": s.key,
        "notes": list(s.notes),
    }


def score_from_json(d: Mapping[str, Any]) -> Score:
    return Score(
        instrument=d["instrument"],
        day=d["day"],
        authored=d["authored"],
        total=d["total"],
        band=d["band"],
        answers={int(k): int(v) for k, v in d["answers"].items()},
        total_code=d["total_code"],
        positive=d["positive"],
        safety_item_score=d.get("safety_item_score"),
        missing=tuple(d.get("missing") or ()),
        citation=d.get("citation", ""),
        derived_from=d.get("derived_from"),
        key=d.get("key", ""),
        notes=tuple(d.get("notes") or ()),
    )


# ------------------------------------------------------------------ helpers
def _index(op: Operation | Session, value: str, domain: str) -> str:
    session = op.session if isinstance(op, Operation) else op
    return keyring_for(session.get_bind()).blind_index(value, domain=domain)


def content_hash(parts: Iterable[bytes]) -> str:
    """SHA-256 over a batch's files (each length-prefixed, in the order given)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(struct.pack("<Q", len(p)))
        h.update(p)
    return h.hexdigest()


def _context(op: Operation, patient_id: uuid.UUID, kb: DigitalKnowledge) -> PatientContext:
    """Medication starts (rows with ``started_on``) and the newest result's phenotypes."""
    meds: list[MedicationStart] = []
    for m in op.session.scalars(
        select(Medication).where(
            Medication.patient_id == patient_id, Medication.started_on.is_not(None)
        )
    ):
        assert m.started_on is not None
        try:
            meds.append(medication_start(m.name, m.started_on.isoformat(), kb))
        except InputError:
            continue  # not recognised: no rule can use it (shown on the medication list)
    phenotypes: dict[str, str] = {}
    newest = op.session.scalars(
        select(Result)
        .where(Result.patient_id == patient_id)
        .order_by(Result.created_at.desc())
        .limit(1)
    ).first()
    if newest is not None and isinstance(newest.interpretation, dict):
        for p in newest.interpretation.get("phenotypes") or []:
            if isinstance(p, dict) and p.get("gene") and p.get("phenotype"):
                phenotypes[str(p["gene"])] = str(p["phenotype"])
    return PatientContext(str(patient_id), tuple(meds), phenotypes)


def _table(op: Operation, patient_id: uuid.UUID, first: int | None, last: int | None) -> DailyTable:
    query = select(DigitalDay.day, DigitalDay.aggregates).where(DigitalDay.patient_id == patient_id)
    if first is not None:
        query = query.where(DigitalDay.day >= first)
    if last is not None:
        query = query.where(DigitalDay.day <= last)
    rows = op.session.execute(query.order_by(DigitalDay.day)).all()
    n = len(rows)
    days = np.fromiter((r.day for r in rows), np.int64, n)
    cols = {c: np.full(n, np.nan) for c in COLUMNS}
    source = np.full(n, "", dtype="<U8")
    for i, r in enumerate(rows):
        for c, v in r.aggregates.items():
            if c in cols and v is not None:
                cols[c][i] = float(v)
        source[i] = r.aggregates.get("resting_hr_source") or ""
    return DailyTable(days, cols, source)


def _scores(op: Operation, patient_id: uuid.UUID) -> list[Score]:
    rows = op.session.scalars(
        select(ProResponse.scores)
        .where(ProResponse.patient_id == patient_id)
        .order_by(ProResponse.authored_at)
    ).all()
    return [score_from_json(s) for r in rows for s in r]


def _evaluate(
    op: Operation,
    patient_id: uuid.UUID,
    kb: DigitalKnowledge,
    as_of: date | None,
) -> list[AlertView]:
    """Every rule over the stored days and scores; new alerts stored (one per rule key)."""
    table = _table(op, patient_id, None, None)
    scores = _scores(op, patient_id)
    context = _context(op, patient_id, kb)
    alerts = evaluate(
        table, scores, context, as_of=None if as_of is None else as_of.isoformat(), kb=kb
    )
    if not alerts:
        return []
    # compared in plaintext (the key is in the sealed body), so a key rotation that
    # changes the blind index of new rows never raises an alert twice
    known = {
        body.get("key")
        for body in op.session.scalars(
            select(DigitalAlert.body).where(DigitalAlert.patient_id == patient_id)
        )
    }
    out = []
    now = clock.utcnow()
    for a in {a.key: a for a in alerts}.values():
        if a.key in known:
            continue
        row = DigitalAlert(
            id=uuid.uuid4(),
            patient_id=patient_id,
            key_index=_index(op, a.key, "digital-alert"),
            severity=a.severity,
            state="open",
            body=a.to_json(),
            created_at=now,
        )
        op.session.add(row)
        out.append(row)
    op.session.flush()
    return sorted((alert_view(r) for r in out), key=lambda v: (SEVERITY_ORDER[v.severity], v.day))


def _sync_findings(op: Operation, patient_id: uuid.UUID, kb: DigitalKnowledge) -> None:
    """Keep the record's shared findings of domain ``digital`` in step: one per *open*
    alert and one per questionnaire's latest score (:func:`tailormed.digital.findings.
    to_findings`), so the report, the patient page and the CDS ``patient-view`` providers
    show them like every domain's; an acknowledged alert leaves them."""
    from tailormed.digital.findings import to_findings
    from tailormed.record.documents import write_findings

    rows = op.session.scalars(
        select(DigitalAlert)
        .where(DigitalAlert.patient_id == patient_id, DigitalAlert.state != "acknowledged")
        .order_by(DigitalAlert.created_at)
    ).all()
    alerts = [alert_from_json(r.body) for r in rows]
    findings = to_findings(alerts, _scores(op, patient_id), str(patient_id), kb.version)
    write_findings(op, patient_id, "digital", findings)


# ------------------------------------------------------------------ import
def _lock_patient(op: Operation, patient_id: uuid.UUID) -> None:
    """Serialise writers of one patient's digital record (PostgreSQL: the patient row
    ``FOR UPDATE``; SQLite already runs one writer at a time), so two batches touching
    the same day merge one after the other instead of colliding."""
    if op.session.get_bind().dialect.name == "postgresql":
        op.session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())


def import_observations(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    observations: Observations,
    *,
    content_sha256: str,
    via: str = "cli",
    device_token_id: uuid.UUID | None = None,
    kb: DigitalKnowledge | None = None,
) -> ImportReport:
    """Store one batch (see the module docstring); re-importing the same content is a
    no-op that says so. Rules run on the batch; new alerts come back in the report."""
    kb = kb or DigitalKnowledge.load()
    with operation(session, actor, purpose, "create", "digital_import") as op:
        op.write_access(patient_id)
        _lock_patient(op, patient_id)
        if device_token_id is not None:
            op.detail = f"via device token {device_token_id}"
        index = _index(op, content_sha256, "digital-import")
        ring = keyring_for(session.get_bind())
        done = session.scalars(
            select(DigitalImport).where(
                DigitalImport.patient_id == patient_id,
                DigitalImport.content_index.in_(
                    ring.blind_indexes(content_sha256, domain="digital-import")
                ),
            )
        ).first()
        if done is not None:
            op.entity_id = str(done.id)
            op.detail = "already imported: nothing changed"
            return ImportReport(done.id, True, 0, 0, 0, 0, 0, ())
        points, new_points, days, chunks = _store_series(op, patient_id, observations.series)
        responses = [r for r in observations.responses if isinstance(r, Response)]
        stored = sum(_store_response(op, patient_id, r, None, kb) is not None for r in responses)
        alerts = _evaluate(op, patient_id, kb, None)
        if alerts or stored:
            _sync_findings(op, patient_id, kb)
        batch = DigitalImport(
            id=uuid.uuid4(),
            patient_id=patient_id,
            content_index=index,
            via=via,
            device_token_id=device_token_id,
            points=points,
            new_points=new_points,
            summary={
                "files": [c.__dict__ for c in observations.files],
                "series": [
                    {
                        "kind": s.kind,
                        "points": len(s),
                        "unit": s.unit,
                        "original_unit": s.original_unit,
                        "source": s.source,
                        "format": s.format,
                        "timezone": s.timezone,
                    }
                    for s in observations.series
                ],
                "notes": list(observations.notes),
                "responses": stored,
                "alerts": [str(a.id) for a in alerts],
            },
            created_by=actor.user_id,
            created_at=clock.utcnow(),
        )
        session.add(batch)
        session.flush()
        op.entity_id = str(batch.id)
        detail = f"{points} points, {new_points} new, {days} days, {len(alerts)} alerts"
        op.detail = f"{detail}; {op.detail}" if op.detail else detail
        return ImportReport(
            batch.id,
            False,
            points,
            new_points,
            days,
            chunks,
            stored,
            tuple(alerts),
            tuple(observations.notes),
        )


def _store_series(
    op: Operation, patient_id: uuid.UUID, series: Sequence[Series]
) -> tuple[int, int, int, int]:
    """Merge the batch into its chunks and recompute the touched days' aggregates.

    Kind by kind, so only one kind's per-day pieces are in memory at a time; chunks are
    flushed as they are sealed. A kind with no stored chunk on the touched days is
    aggregated from the batch itself; one merged with stored points from the merge."""
    session = op.session
    series = [s for s in series if len(s)]
    if not series:
        return 0, 0, 0, 0
    wanted = sorted({(s.kind, int(d)) for s in series for d in np.unique(s.local_day()).tolist()})
    existing: dict[tuple[str, int], DigitalChunk] = {}
    for at in range(0, len(wanted), 500):
        for found in session.scalars(
            select(DigitalChunk).where(
                DigitalChunk.patient_id == patient_id,
                tuple_(DigitalChunk.kind, DigitalChunk.day).in_(wanted[at : at + 500]),
            )
        ):
            existing[(found.kind, found.day)] = found
    stored_kinds = {kind for kind, _ in existing}
    merged: dict[tuple[str, int], list[Series]] = {}
    new_points = 0
    now = clock.utcnow()
    for kind in sorted({s.kind for s in series}):
        by_day: dict[int, list[Series]] = {}
        for s in series:
            if s.kind == kind:
                for day, part in s.by_day():
                    by_day.setdefault(day, []).append(part)
        for n_done, (day, pieces) in enumerate(sorted(by_day.items()), start=1):
            row = existing.get((kind, day))
            old = decode_chunk(row.body) if row is not None else []
            combined, fresh = _merge(old, _dedupe_new(pieces))
            new_points += fresh
            if kind in stored_kinds:
                merged[(kind, day)] = combined
            body = encode_chunk(kind, combined)
            n = sum(len(x) for x in combined)
            if row is None:
                session.add(
                    DigitalChunk(
                        id=uuid.uuid4(),
                        patient_id=patient_id,
                        kind=kind,
                        day=day,
                        points=n,
                        body=body,
                        updated_at=now,
                    )
                )
            else:
                row.body, row.points, row.updated_at = body, n, now
            if n_done % 32 == 0:
                session.flush()  # sealed bodies leave memory as they are written
        del by_day
        session.flush()
    touched = sorted({day for _, day in wanted})
    fresh_series = [s for s in series if s.kind not in stored_kinds]
    _aggregate_days(op, patient_id, touched, set(wanted), merged, fresh_series)
    return sum(len(s) for s in series), new_points, len(touched), len(wanted)


def _joined(series: Sequence[Series]) -> list[Series]:
    """Per-day pieces of one stream joined back, in time order (one series per stream)."""
    groups: dict[tuple[str, ...], list[Series]] = {}
    for s in series:
        ident = (s.kind, s.unit, s.source, s.format, s.original_unit, s.timezone, s.stream)
        groups.setdefault(ident, []).append(s)
    out = []
    for parts in groups.values():
        if len(parts) == 1:
            out.append(parts[0])
            continue
        parts.sort(key=lambda p: int(p.start[0]) if len(p) else 0)
        first = parts[0]
        out.append(
            Series(
                first.kind,
                first.unit,
                first.original_unit,
                first.source,
                first.format,
                first.timezone,
                np.concatenate([p.start for p in parts]),
                np.concatenate([p.end for p in parts]),
                np.concatenate([p.offset for p in parts]),
                np.concatenate([p.value for p in parts]),
                np.concatenate([p.key for p in parts]),
                first.notes,
                first.stream,
            )
        )
    return out


def _aggregate_days(
    op: Operation,
    patient_id: uuid.UUID,
    days: Sequence[int],
    batch_chunks: set[tuple[str, int]],
    merged: Mapping[tuple[str, int], Sequence[Series]],
    fresh: Sequence[Series],
) -> None:
    """Recompute ``digital_day`` for ``days`` from every kind's points of those days: the
    batch's own series (kinds new on those days), the merged chunks (kinds stored before)
    and the stored chunks of kinds the batch did not touch."""
    session = op.session
    series: list[Series] = [*fresh, *(s for ss in merged.values() for s in ss)]
    others: list[uuid.UUID] = []
    for at in range(0, len(days), 500):
        part = list(days[at : at + 500])
        for cid, kind, day in session.execute(
            select(DigitalChunk.id, DigitalChunk.kind, DigitalChunk.day).where(
                DigitalChunk.patient_id == patient_id, DigitalChunk.day.in_(part)
            )
        ):
            if (kind, day) not in batch_chunks:
                others.append(cid)
    for at in range(0, len(others), 500):
        for body in session.scalars(
            select(DigitalChunk.body).where(DigitalChunk.id.in_(others[at : at + 500]))
        ):
            series.extend(decode_chunk(body))
    table = aggregate(_joined(series))
    rows = table.rows()
    existing = {
        r.day: r
        for at in range(0, len(days), 500)
        for r in session.scalars(
            select(DigitalDay).where(
                DigitalDay.patient_id == patient_id,
                DigitalDay.day.in_(list(days[at : at + 500])),
            )
        )
    }
    now = clock.utcnow()
    for d, values in zip(table.days.tolist(), rows, strict=True):
        values = {k: v for k, v in values.items() if k != "date"}
        row = existing.get(d)
        if row is None:
            session.add(
                DigitalDay(
                    id=uuid.uuid4(), patient_id=patient_id, day=d, aggregates=values, updated_at=now
                )
            )
        else:
            row.aggregates, row.updated_at = values, now
    session.flush()


# ------------------------------------------------------------------ reads
def read_daily(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    first: date | None = None,
    last: date | None = None,
) -> DailyTable:
    """The per-day table for ``first``..``last`` (inclusive; open ends allowed)."""
    epoch = date(1970, 1, 1)
    with operation(session, actor, purpose, "read", "digital_day") as op:
        op.clinical_access(patient_id)
        table = _table(
            op,
            patient_id,
            None if first is None else (first - epoch).days,
            None if last is None else (last - epoch).days,
        )
        op.detail = f"{len(table)} days"
        return table


def read_series(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    kind: Kind,
    first: date,
    last: date,
) -> list[Series]:
    """The stored points of ``kind`` on local days ``first``..``last``."""
    epoch = date(1970, 1, 1)
    with operation(session, actor, purpose, "read", "digital_chunk") as op:
        op.clinical_access(patient_id)
        rows = session.scalars(
            select(DigitalChunk)
            .where(
                DigitalChunk.patient_id == patient_id,
                DigitalChunk.kind == kind,
                DigitalChunk.day >= (first - epoch).days,
                DigitalChunk.day <= (last - epoch).days,
            )
            .order_by(DigitalChunk.day)
        ).all()
        out = [s for r in rows for s in decode_chunk(r.body)]
        op.detail = f"{len(rows)} chunks"
        return out


def digital_record(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    kb: DigitalKnowledge | None = None,
) -> DigitalRecord:
    """Everything a page or report shows: days, scores, alerts, context (one audit event)."""
    kb = kb or DigitalKnowledge.load()
    with operation(session, actor, purpose, "read", "digital_record") as op:
        op.clinical_access(patient_id)
        table = _table(op, patient_id, None, None)
        scores = _scores(op, patient_id)
        rows = session.scalars(
            select(DigitalAlert)
            .where(DigitalAlert.patient_id == patient_id)
            .order_by(DigitalAlert.created_at)
        ).all()
        alerts = tuple(
            sorted(
                (alert_view(r) for r in rows),
                key=lambda a: (not a.is_open, SEVERITY_ORDER[a.severity], a.day),
            )
        )
        context = _context(op, patient_id, kb)
        op.detail = f"{len(table)} days, {len(scores)} scores, {len(alerts)} alerts"
        return DigitalRecord(table, tuple(scores), alerts, context)


def list_alerts(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    open_only: bool = False,
) -> list[AlertView]:
    """The patient's alerts (open and escalated first, most severe first)."""
    with operation(session, actor, purpose, "read", "digital_alert") as op:
        op.clinical_access(patient_id)
        query = select(DigitalAlert).where(DigitalAlert.patient_id == patient_id)
        if open_only:
            query = query.where(DigitalAlert.state != "acknowledged")
        views = [alert_view(r) for r in session.scalars(query)]
        op.detail = f"{len(views)} alerts"
        return sorted(views, key=lambda a: (not a.is_open, SEVERITY_ORDER[a.severity], a.day))


def acknowledge_alert(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    alert_id: uuid.UUID,
    *,
    note: str | None = None,
) -> AlertView:
    """A clinician takes responsibility for an alert (audited with who and when)."""
    with operation(
        session, actor, purpose, "update", "digital_alert", entity_id=str(alert_id)
    ) as op:
        op.require_role("clinician")
        op.clinical_access(patient_id, write=True)
        row = session.get(DigitalAlert, alert_id)
        if row is None or row.patient_id != patient_id:
            raise NotFoundError("no such alert for this patient", record=str(alert_id))
        if row.state == "acknowledged":
            op.detail = "already acknowledged"
            return alert_view(row)
        row.state = "acknowledged"
        row.acknowledged_by = actor.user_id
        row.acknowledged_at = clock.utcnow()
        row.note = (note or "").strip()[:2000] or None
        session.flush()
        _sync_findings(op, patient_id, DigitalKnowledge.load())
        op.detail = f"acknowledged ({row.severity})"
        return alert_view(row)


def check_rules(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    *,
    as_of: date | None = None,
    kb: DigitalKnowledge | None = None,
) -> list[AlertView]:
    """Evaluate every rule as of ``as_of`` (default today, UTC): the time-driven ones
    (overdue questionnaires, the 8-week response check) need a date. New alerts only."""
    kb = kb or DigitalKnowledge.load()
    with operation(session, actor, purpose, "create", "digital_alert") as op:
        op.clinical_access(patient_id, write=True)
        alerts = _evaluate(op, patient_id, kb, as_of or clock.utcnow().date())
        if alerts:
            _sync_findings(op, patient_id, kb)
        op.detail = f"rules checked, {len(alerts)} new alerts"
        return alerts


def escalate_overdue(
    session: Session,
    who: Operator | Actor,
    *,
    after: Mapping[str, timedelta] = ESCALATE_AFTER,
) -> list[Escalated]:
    """The scheduled check (the operator's command line, or an admin): open alerts older
    than ``after[severity]`` become ``escalated``, one audit event each. It reads only
    clear columns (ids, severity, state, times): no PHI."""
    require_no_transaction(session)
    if isinstance(who, Actor):
        with session.begin():
            user = session.get(User, who.user_id)
            allowed = user is not None and user.active and user.role == who.role == "admin"
        if not allowed:
            deny_anonymous(
                session,
                action="update",
                entity_type="digital_alert",
                reason="only an admin or the operator runs the escalation check",
            )
        role, actor_id, by = "admin", who.user_id, "scheduled check"
    else:
        role, actor_id, by = "operator", None, f"command line, OS user {who.os_user}"
    now = clock.utcnow()
    out: list[Escalated] = []
    with session.begin():
        rows = session.scalars(
            select(DigitalAlert).where(
                DigitalAlert.state == "open", DigitalAlert.severity.in_(list(after))
            )
        ).all()
        for row in rows:
            if now - row.created_at < after[row.severity]:
                continue
            row.state = "escalated"
            row.escalated_at = now
            session.flush()
            audit.append(
                session,
                actor_id=actor_id,
                actor_role=role,
                action="update",
                entity_type="digital_alert",
                entity_id=str(row.id),
                patient_id=row.patient_id,
                purpose="operations",
                outcome="success",
                detail=f"escalated: {row.severity} alert not acknowledged within "
                f"{after[row.severity]} ({by})",
            )
            out.append(Escalated(row.id, row.patient_id, row.severity, row.created_at))
    return out


# ------------------------------------------------------------------ questionnaires
def _store_response(
    op: Operation,
    patient_id: uuid.UUID,
    response: Response,
    resource: Mapping[str, Any] | None,
    kb: DigitalKnowledge,
) -> ProResponse | None:
    index = _index(op, response.key, "pro-response")
    stored = op.session.scalars(
        select(ProResponse.scores).where(ProResponse.patient_id == patient_id)
    )
    if any(s.get("key") == response.key for scores in stored for s in scores):
        return None  # compared in plaintext: stable across key rotations
    scores = score(response, kb)
    authored = _authored(response)
    row = ProResponse(
        id=uuid.uuid4(),
        patient_id=patient_id,
        key_index=index,
        authored_at=authored,
        resource=dict(resource)
        if resource is not None
        else {
            "instrument": response.instrument,
            "authored": response.authored,
            "answers": {str(k): v for k, v in response.answers.items()},
            "source": response.source,
        },
        scores=[_score_json(s) for s in scores],
        created_by=op.actor.user_id,
        created_at=clock.utcnow(),
    )
    op.session.add(row)
    op.session.flush()
    return row


def _authored(response: Response) -> datetime:
    text = response.authored
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        when = datetime.fromisoformat(response.day)
    return clock.as_utc(when)


def submit_questionnaire(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    patient_id: uuid.UUID,
    resource: Mapping[str, Any],
    *,
    kb: DigitalKnowledge | None = None,
) -> QuestionnaireResult:
    """Store a FHIR QuestionnaireResponse (PHQ-9, PHQ-2, GAD-7), score it and run the
    rules at once: a PHQ-9 item 9 above 0 raises the critical alert in this same
    transaction, and ``crisis`` tells the caller to show crisis resources now."""
    kb = kb or DigitalKnowledge.load()
    with operation(session, actor, purpose, "create", "pro_response") as op:
        op.write_access(patient_id)
        _lock_patient(op, patient_id)
        response = read_response(resource, "QuestionnaireResponse", "request", kb)
        if response is None:
            raise InputError("not a PHQ-9, PHQ-2 or GAD-7 QuestionnaireResponse")
        row = _store_response(op, patient_id, response, resource, kb)
        scores = tuple(score(response, kb))
        crisis = any(s.safety_item_score is not None and s.safety_item_score > 0 for s in scores)
        if row is None:
            op.detail = "already stored: nothing changed"
            return QuestionnaireResult(uuid.UUID(int=0), scores, (), crisis, duplicate=True)
        op.entity_id = str(row.id)
        alerts = _evaluate(op, patient_id, kb, None)
        _sync_findings(op, patient_id, kb)
        op.detail = f"{len(alerts)} alerts" + ("; crisis resources shown" if crisis else "")
        return QuestionnaireResult(row.id, scores, tuple(alerts), crisis)


def new_questionnaire_response(
    instrument: str,
    answers: Mapping[int, int],
    *,
    authored: datetime | None = None,
    kb: DigitalKnowledge | None = None,
) -> dict[str, Any]:
    """A FHIR QuestionnaireResponse for answers given as item number → score (a web form)."""
    kb = kb or DigitalKnowledge.load()
    spec = kb.instrument(instrument)
    by_score = {int(a["score"]): a for a in kb.answers}
    items = []
    for it in spec["items"]:
        n = int(it["n"])
        if n not in answers:
            continue
        v = answers[n]
        if v not in by_score:
            raise InputError(f"item {n}: choose one of the answers")
        a = by_score[v]
        items.append(
            {
                "linkId": it["code"],
                "text": it["text"],
                "answer": [
                    {
                        "valueCoding": {
                            "system": "http://loinc.org",
                            "code": a["code"],
                            "display": a["display"],
                        }
                    }
                ],
            }
        )
    when = clock.as_utc(authored or clock.utcnow())
    return {
        "resourceType": "QuestionnaireResponse",
        "id": uuid.uuid4().hex,
        "questionnaire": f"https://tailormed.org/fhir/Questionnaire/{spec['id']}",
        "status": "completed",
        "authored": when.isoformat().replace("+00:00", "Z"),
        "item": items,
    }


# ------------------------------------------------------------------ device tokens
def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _token_view(row: DeviceToken) -> DeviceTokenView:
    return DeviceTokenView(
        row.id, row.patient_id, row.label, row.created_at, row.revoked_at, row.last_used_at
    )


def grant_device_token(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, *, label: str
) -> tuple[DeviceTokenView, str]:
    """The patient lets a device or app post observations; the token is shown once."""
    label = (label or "").strip()
    if not label or len(label) > 200:
        raise InputError("name the device or app (1-200 characters)")
    with operation(session, actor, purpose, "create", "device_token") as op:
        op.require_role("patient")
        op.write_access(patient_id)
        token = "tmd_" + secrets.token_urlsafe(32)
        row = DeviceToken(
            id=uuid.uuid4(),
            patient_id=patient_id,
            token_hash=_token_hash(token),
            label=label,
            created_by=actor.user_id,
            created_at=clock.utcnow(),
        )
        session.add(row)
        session.flush()
        op.entity_id = str(row.id)
        return _token_view(row), token


def list_device_tokens(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID
) -> list[DeviceTokenView]:
    with operation(session, actor, purpose, "read", "device_token") as op:
        op.owner_or_admin(patient_id)
        rows = session.scalars(
            select(DeviceToken)
            .where(DeviceToken.patient_id == patient_id)
            .order_by(DeviceToken.created_at)
        ).all()
        return [_token_view(r) for r in rows]


def revoke_device_token(
    session: Session, actor: Actor, purpose: Purpose, patient_id: uuid.UUID, token_id: uuid.UUID
) -> DeviceTokenView:
    with operation(
        session, actor, purpose, "update", "device_token", entity_id=str(token_id)
    ) as op:
        op.owner_or_admin(patient_id)
        row = session.get(DeviceToken, token_id)
        if row is None or row.patient_id != patient_id:
            raise NotFoundError("no such device token for this patient", record=str(token_id))
        if row.revoked_at is None:
            row.revoked_at = clock.utcnow()
        op.detail = "revoked"
        return _token_view(row)


def authenticate_device(session: Session, token: str) -> DeviceIdentity:
    """The patient and user a device token posts for; a wrong or revoked token is
    refused (and audited)."""
    require_no_transaction(session)
    with session.begin():
        row = session.scalars(
            select(DeviceToken).where(DeviceToken.token_hash == _token_hash(token))
        ).first()
        user = None if row is None else session.get(User, row.created_by)
        ok = (
            row is not None
            and row.revoked_at is None
            and user is not None
            and user.active
            and user.role == "patient"
            and user.patient_id == row.patient_id
        )
        if ok:
            assert row is not None and user is not None
            row.last_used_at = clock.utcnow()
            identity = DeviceIdentity(row.id, row.patient_id, Actor(user.id, "patient"))
    if not ok:
        deny_anonymous(
            session,
            action="create",
            entity_type="digital_import",
            reason="unknown or revoked device token",
        )
    return identity
