"""Clinical documents and findings of every domain (cardiovascular, oncology, rare, digital).

* ``clinical_document``: one version of a domain's clinical document per row (kind such as
  ``cardio.factors`` and the JSON body, both encrypted; the kind's blind index for lookup;
  version number, author and time in clear);
* ``finding``: findings computed from those documents (domain, code, severity and the
  finding JSON encrypted; the domain's blind index; the source document, set to NULL
  when that document is deleted).

Both belong to a patient (``ON DELETE CASCADE``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _patient_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["patient_id"], ["patient.id"], name=f"fk_{table}_patient_id_patient", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "clinical_document",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.LargeBinary(), nullable=False),
        sa.Column("kind_index", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clinical_document"),
        _patient_fk("clinical_document"),
    )
    op.create_index(
        "ix_clinical_document_patient_kind", "clinical_document", ["patient_id", "kind_index"]
    )
    op.create_table(
        "finding",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("patient_id", sa.Uuid(), nullable=False),
        sa.Column("domain", sa.LargeBinary(), nullable=False),
        sa.Column("domain_index", sa.String(64), nullable=True),
        sa.Column("code", sa.LargeBinary(), nullable=False),
        sa.Column("severity", sa.LargeBinary(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_finding"),
        _patient_fk("finding"),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["clinical_document.id"],
            name="fk_finding_document_id_clinical_document",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_finding_patient_domain", "finding", ["patient_id", "domain_index"])
    op.create_index("ix_finding_document_id", "finding", ["document_id"])


def downgrade() -> None:
    op.drop_table("finding")
    op.drop_table("clinical_document")
