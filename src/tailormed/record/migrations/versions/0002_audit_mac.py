"""Audit anchoring: every audit event gets a MAC under a key outside the database.

Adds ``audit_event.mac_key`` (the data key id) and ``audit_event.mac`` (HMAC-SHA256 of
the event's hash, see :mod:`tailormed.record.audit`) and seals the events already
logged with the primary data key. Sealing does not bless tampering that happened
before: the hash chain is checked as before, the MAC only adds that nobody without the
key can re-hash it afterwards.

Needs the data keys (run through :func:`tailormed.record.open_database`, which binds
them); the append-only triggers are suspended for the sealing update only.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tailormed.record.migrations.helpers import audit_triggers_suspended, migration_keyring

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_event", sa.Column("mac_key", sa.String(16), nullable=True))
    op.add_column("audit_event", sa.Column("mac", sa.String(64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, hash FROM audit_event ORDER BY id")).all()
    if not rows:
        return
    ring = migration_keyring(conn, "seal the audit log")
    with audit_triggers_suspended(conn):
        for row_id, digest in rows:
            kid, mac = ring.audit_mac(digest)
            conn.execute(
                sa.text("UPDATE audit_event SET mac_key = :k, mac = :m WHERE id = :i"),
                {"k": kid, "m": mac, "i": row_id},
            )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite >= 3.35): a batch copy would lose the
    # append-only triggers.
    op.drop_column("audit_event", "mac")
    op.drop_column("audit_event", "mac_key")
