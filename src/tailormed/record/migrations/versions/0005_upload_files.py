"""Keep the uploaded files, encrypted, so the patient's export gives them back.

* ``upload_chunk``: each uploaded file in 1 MiB chunks, each sealed (AES-256-GCM, like
  every encrypted column);
* ``upload.files`` (encrypted JSON): which files an upload kept (part, name, SHA-256,
  size); uploads made before this revision kept none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("upload", sa.Column("files", sa.LargeBinary(), nullable=True))
    op.create_table(
        "upload_chunk",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("upload_id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("part", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_upload_chunk"),
        sa.UniqueConstraint("upload_id", "part", "seq", name="uq_upload_chunk_upload_id"),
        sa.ForeignKeyConstraint(
            ["upload_id"],
            ["upload.id"],
            name="fk_upload_chunk_upload_id_upload",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
            name="fk_upload_chunk_patient_id_patient",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_upload_chunk_upload_id", "upload_chunk", ["upload_id"])
    op.create_index("ix_upload_chunk_patient_id", "upload_chunk", ["patient_id"])


def downgrade() -> None:
    op.drop_table("upload_chunk")
    op.drop_column("upload", "files")
