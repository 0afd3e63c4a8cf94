"""Digital health: time-series chunks, per-day aggregates, import batches, questionnaire
responses, alerts, device tokens; medication start dates.

* ``digital_chunk``: one patient's points of one kind on one local day, sealed as compact
  columns (``kind`` and ``day`` clear so a trend reads only the days it needs);
* ``digital_day``: the per-day aggregates (encrypted JSON);
* ``digital_import``: one imported batch, keyed hash of its content (re-import is a no-op);
* ``pro_response``: an answered questionnaire (FHIR QuestionnaireResponse + scores, sealed);
* ``digital_alert``: a fired care rule; severity, state and times clear (escalation needs
  no PHI), rule and texts sealed;
* ``device_token``: a patient-granted device / app token (SHA-256 only);
* ``medication.started_on``: the day the patient started the medicine.

Revision ID: 0007_digital
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_digital"
down_revision = "0006"
branch_labels = None
depends_on = None


def _id() -> sa.Column[Any]:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _patient(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=f"fk_{table}_patient_id_patient",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column("medication", sa.Column("started_on", sa.Date(), nullable=True))
    op.create_table(
        "digital_chunk",
        _id(),
        *_patient("digital_chunk"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _ts("updated_at"),
        sa.UniqueConstraint("patient_id", "kind", "day", name="uq_digital_chunk_patient_id"),
    )
    op.create_table(
        "digital_day",
        _id(),
        *_patient("digital_day"),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("aggregates", sa.LargeBinary(), nullable=False),
        _ts("updated_at"),
        sa.UniqueConstraint("patient_id", "day", name="uq_digital_day_patient_id"),
    )
    op.create_table(
        "digital_import",
        _id(),
        *_patient("digital_import"),
        sa.Column("content_index", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("device_token_id", sa.Uuid(), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("new_points", sa.Integer(), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("patient_id", "content_index", name="uq_digital_import_patient_id"),
        sa.CheckConstraint("via IN ('cli', 'device', 'ui', 'api')", name="ck_digital_import_via"),
    )
    op.create_table(
        "pro_response",
        _id(),
        *_patient("pro_response"),
        sa.Column("key_index", sa.String(64), nullable=False),
        _ts("authored_at"),
        sa.Column("resource", sa.LargeBinary(), nullable=False),
        sa.Column("scores", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        _ts("created_at"),
        sa.UniqueConstraint("patient_id", "key_index", name="uq_pro_response_patient_id"),
    )
    op.create_table(
        "digital_alert",
        _id(),
        *_patient("digital_alert"),
        sa.Column("key_index", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        _ts("created_at"),
        sa.Column("acknowledged_by", sa.Uuid(), nullable=True),
        _ts("acknowledged_at", True),
        sa.Column("note", sa.LargeBinary(), nullable=True),
        _ts("escalated_at", True),
        sa.UniqueConstraint("patient_id", "key_index", name="uq_digital_alert_patient_id"),
        sa.CheckConstraint(
            "state IN ('open', 'acknowledged', 'escalated')", name="ck_digital_alert_state"
        ),
        sa.CheckConstraint(
            "severity IN ('critical', 'high', 'moderate', 'low', 'info')",
            name="ck_digital_alert_severity",
        ),
    )
    op.create_index("ix_digital_alert_state", "digital_alert", ["state", "severity"])
    op.create_table(
        "device_token",
        _id(),
        *_patient("device_token"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("label", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        _ts("created_at"),
        _ts("revoked_at", True),
        _ts("last_used_at", True),
        sa.UniqueConstraint("token_hash", name="uq_device_token_token_hash"),
    )
    for table in (
        "digital_chunk",
        "digital_day",
        "digital_import",
        "pro_response",
        "digital_alert",
        "device_token",
    ):
        op.create_index(f"ix_{table}_patient_id", table, ["patient_id"])


def downgrade() -> None:
    for table in (
        "device_token",
        "digital_alert",
        "pro_response",
        "digital_import",
        "digital_day",
        "digital_chunk",
    ):
        op.drop_table(table)
    op.drop_column("medication", "started_on")
