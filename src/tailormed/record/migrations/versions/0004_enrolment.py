"""Accounts taken up by their own users: enrolment and activation codes.

* ``enrolment_code``: single-use codes (SHA-256 only) that create a patient's account
  or activate a clinician's / admin's (see :mod:`tailormed.record.enrolment`);
* ``user_account.display_name`` (encrypted): the name a patient picks a clinician by;
  ``user_account.activated_at``: when the user took the account up (accounts that had a
  token before this revision count as taken up at creation);
* ``patient.created_by``: who registered the record (that clinician may enrol the
  patient).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("user_account", sa.Column("display_name", sa.LargeBinary(), nullable=True))
    op.add_column("user_account", sa.Column("activated_at", TS, nullable=True))
    op.execute("UPDATE user_account SET activated_at = created_at WHERE token_hash IS NOT NULL")
    op.add_column("patient", sa.Column("created_by", sa.Uuid(), nullable=True))
    op.create_table(
        "enrolment_code",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_enrolment_code"),
        sa.UniqueConstraint("code_hash", name="uq_enrolment_code_code_hash"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name="fk_enrolment_code_patient_id_patient",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name="fk_enrolment_code_user_id_user_account",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "role IN ('patient', 'clinician', 'admin')", name="ck_enrolment_code_role"
        ),
        sa.CheckConstraint(
            "(role = 'patient') = (patient_id IS NOT NULL AND user_id IS NULL)",
            name="ck_enrolment_code_target",
        ),
    )
    op.create_index("ix_enrolment_code_patient_id", "enrolment_code", ["patient_id"])
    op.create_index("ix_enrolment_code_user_id", "enrolment_code", ["user_id"])


def downgrade() -> None:
    op.drop_table("enrolment_code")
    op.drop_column("patient", "created_by")
    op.drop_column("user_account", "activated_at")
    op.drop_column("user_account", "display_name")
