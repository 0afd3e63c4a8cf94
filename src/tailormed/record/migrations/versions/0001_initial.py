"""Initial schema: every record table, and the append-only guard on ``audit_event``.

Encrypted columns are plain binary here (``bytea`` / ``BLOB``): the database only ever
sees ciphertext. On both backends, triggers refuse UPDATE and DELETE (and on
PostgreSQL, TRUNCATE) of audit rows.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
BLOB = sa.LargeBinary()


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), nullable=False)


def _patient_id(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name=f"fk_{table}_patient_id_patient",
            ondelete="CASCADE",
        ),
    ]


def _check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=f"ck_{table}_{name}")


def upgrade() -> None:
    op.create_table(
        "patient",
        _id(),
        sa.Column("external_id", BLOB, nullable=True),
        sa.Column("external_id_index", sa.String(64), nullable=True),
        sa.Column("display_name", BLOB, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_patient"),
    )
    op.create_index("ix_patient_external_id_index", "patient", ["external_id_index"])

    op.create_table(
        "user_account",
        _id(),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("organisation", sa.String(200), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_user_account"),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name="fk_user_account_patient_id_patient",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("token_hash", name="uq_user_account_token_hash"),
        _check("user_account", "role", "role IN ('patient', 'clinician', 'admin')"),
        _check("user_account", "patient_link", "(role = 'patient') = (patient_id IS NOT NULL)"),
    )
    op.create_index("ix_user_account_patient_id", "user_account", ["patient_id"])

    op.create_table(
        "upload",
        _id(),
        *_patient_id("upload"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("original_filename", BLOB, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_upload"),
        _check("upload", "kind", "kind IN ('vcf', 'outside', 'fhir')"),
        _check("upload", "status", "status IN ('received', 'imported', 'failed')"),
    )
    op.create_index("ix_upload_patient_id", "upload", ["patient_id"])

    op.create_table(
        "result",
        _id(),
        *_patient_id("result"),
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("sample", BLOB, nullable=False),
        sa.Column("kb_version", sa.String(100), nullable=False),
        sa.Column("tailormed_version", sa.String(40), nullable=False),
        sa.Column("calls", BLOB, nullable=False),
        sa.Column("interpretation", BLOB, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_result"),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["upload.id"], name="fk_result_upload_id_upload", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_result_patient_created", "result", ["patient_id", "created_at"])
    op.create_index("ix_result_upload_id", "result", ["upload_id"])

    op.create_table(
        "medication",
        _id(),
        *_patient_id("medication"),
        sa.Column("name", BLOB, nullable=False),
        sa.Column("rxnorm", sa.String(32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", BLOB, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_medication"),
    )
    op.create_index("ix_medication_patient_id", "medication", ["patient_id"])

    op.create_table(
        "family_history",
        _id(),
        *_patient_id("family_history"),
        sa.Column("relationship", sa.String(64), nullable=False),
        sa.Column("condition", BLOB, nullable=False),
        sa.Column("genetic_result", BLOB, nullable=True),
        sa.Column("notes", BLOB, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_family_history"),
    )
    op.create_index("ix_family_history_patient_id", "family_history", ["patient_id"])

    op.create_table(
        "consent",
        _id(),
        *_patient_id("consent"),
        sa.Column("grantee_user_id", sa.Uuid(), nullable=True),
        sa.Column("grantee_organisation", sa.String(200), nullable=True),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("genes", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=False),
        sa.Column("granted_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consent"),
        sa.ForeignKeyConstraint(
            ["grantee_user_id"],
            ["user_account.id"],
            name="fk_consent_grantee_user_id_user_account",
            ondelete="CASCADE",
        ),
        _check("consent", "purpose", "purpose IN ('treatment', 'research')"),
        _check("consent", "scope", "scope IN ('all', 'genes', 'reports')"),
        _check("consent", "status", "status IN ('active', 'revoked')"),
        _check(
            "consent",
            "one_grantee",
            "(grantee_user_id IS NULL) <> (grantee_organisation IS NULL)",
        ),
    )
    op.create_index("ix_consent_patient_id", "consent", ["patient_id"])
    op.create_index("ix_consent_grantee_user_id", "consent", ["grantee_user_id"])

    op.create_table(
        "share",
        _id(),
        *_patient_id("share"),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("genes", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_share"),
        sa.UniqueConstraint("token_hash", name="uq_share_token_hash"),
        _check("share", "scope", "scope IN ('all', 'genes', 'reports')"),
    )
    op.create_index("ix_share_patient_id", "share", ["patient_id"])

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("ts", TS, nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_role", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(16), nullable=True),
        sa.Column("outcome", sa.String(8), nullable=False),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_event"),
        sa.UniqueConstraint("hash", name="uq_audit_event_hash"),
        _check(
            "audit_event",
            "action",
            "action IN ('create', 'read', 'update', 'delete', 'export', 'share', 'cds')",
        ),
        _check("audit_event", "outcome", "outcome IN ('success', 'failure')"),
    )
    op.create_index("ix_audit_event_patient_id", "audit_event", ["patient_id"])
    _append_only_guard()


def _append_only_guard() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_event_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_event is append-only (% refused)', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                f"BEGIN SELECT RAISE(ABORT, 'audit_event is append-only ({verb} refused)'); END"
            )


def downgrade() -> None:
    # Dropping the audit log is deliberately possible only by a downgrade to base.
    for table in (
        "audit_event",
        "share",
        "consent",
        "family_history",
        "medication",
        "result",
        "upload",
        "user_account",
        "patient",
    ):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
