"""``GET /api/v1/audit/verify`` against an attacker who can write to the database.

Deleting the newest events, or editing one and recomputing the hash chain, used to pass
the check. Now the edit fails its MAC, and the deletion fails against a head recorded
elsewhere (``expected_head_id`` / ``expected_head_hash``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text

from tailormed.record.audit import event_hash
from tailormed.record.models import AuditEvent
from tests.record.test_audit import triggers_off
from tests.service.conftest import Svc


def _verify(svc: Svc, head: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {}
    if head is not None:
        params = {"expected_head_id": head["head_id"], "expected_head_hash": head["head_hash"]}
    r = svc.get("/api/v1/audit/verify", svc.admin, params=params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _some_activity(svc: Svc) -> None:
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    for _ in range(3):
        assert svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.user_a).status_code == 200


def test_deleting_the_newest_events_fails_against_a_recorded_head(svc: Svc, backend: str) -> None:
    _some_activity(svc)
    head = _verify(svc)  # the admin records this head elsewhere
    assert head["valid"] and head["head_id"] > 5
    with triggers_off(svc.engine, backend) as conn:
        conn.execute(text("DELETE FROM audit_event WHERE id > :n"), {"n": head["head_id"] - 4})
    anchored = _verify(svc, head)
    assert anchored["valid"] is False
    assert anchored["first_bad_id"] == head["head_id"] - 3
    assert "missing" in anchored["problem"]


def test_editing_an_event_and_recomputing_the_chain_fails(svc: Svc, backend: str) -> None:
    _some_activity(svc)
    table = AuditEvent.__table__
    with triggers_off(svc.engine, backend) as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(table).order_by(table.c.id))]
        victim = next(r for r in rows if r["action"] == "read" and r["entity_type"] == "result")
        prev = victim["prev_hash"]
        for row in rows[victim["id"] - 1 :]:
            if row["id"] == victim["id"]:
                row["outcome"] = "failure"  # hide a successful read of the results
            row["prev_hash"] = prev
            row["hash"] = prev = event_hash(type("Row", (), row)())
            conn.execute(
                text(
                    "UPDATE audit_event SET outcome = :outcome, prev_hash = :prev_hash, "
                    "hash = :hash WHERE id = :id"
                ),
                row,
            )
    check = _verify(svc)
    assert check["valid"] is False
    assert check["first_bad_id"] == victim["id"]
    assert "MAC" in check["problem"]
