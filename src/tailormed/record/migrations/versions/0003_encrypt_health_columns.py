"""Encrypt the clear-text columns that reveal health data, and index what is looked up.

Sealed with AES-256-GCM like every other encrypted column (associated data
``"table.column"``), existing rows included:

* ``medication.rxnorm`` (which drug), ``family_history.relationship`` (with whom a
  condition runs), ``consent.genes`` and ``share.genes`` (what was tested),
  ``upload.sha256`` (a fingerprint of the genome file);
* ``user_account.organisation`` and ``consent.grantee_organisation`` (an oncology or
  HIV clinic tells a diagnosis), each with a keyed blind index (``*_index``) so that
  "consents to my organisation" stays one indexed query.

How a column changes type without losing rows or constraints:

* PostgreSQL: ``ALTER COLUMN ... TYPE bytea USING convert_to(...)``, then each value is
  replaced by its ciphertext;
* SQLite, tables nothing refers to (medication, family_history, consent, share): a
  batch copy of the table with the new types (SQLite cannot alter a column's type, nor
  drop a column a CHECK uses), then the same replacement;
* SQLite, tables other rows refer to with ``ON DELETE CASCADE`` (user_account, upload):
  never copied (dropping the old table would cascade); a sealed column is added,
  filled, the clear one dropped and the new one renamed (``ALTER TABLE``, SQLite 3.35+).

Needs the data keys (see :mod:`tailormed.record.migrations.helpers`). One transaction:
a failure leaves every row as it was.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import sqlalchemy as sa
from alembic import op

from tailormed.record.crypto import Keyring
from tailormed.record.migrations.helpers import migration_keyring

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


class Sealed(NamedTuple):
    """One column to seal: its previous type, and its blind index if lookups need one."""

    table: str
    column: str
    old_type: Any
    nullable: bool
    is_json: bool = False
    blind_index: str | None = None
    domain: str = ""


ORG = "organisation"
COLUMNS = (
    Sealed("user_account", "organisation", sa.String(200), True, False, "organisation_index", ORG),
    Sealed("upload", "sha256", sa.String(64), False),
    Sealed("medication", "rxnorm", sa.String(32), True),
    Sealed("family_history", "relationship", sa.String(64), False),
    Sealed(
        "consent",
        "grantee_organisation",
        sa.String(200),
        True,
        False,
        "grantee_organisation_index",
        ORG,
    ),
    Sealed("consent", "genes", sa.JSON(), True, is_json=True),
    Sealed("share", "genes", sa.JSON(), True, is_json=True),
)
# SQLite tables that rows elsewhere refer to with ON DELETE CASCADE: never copied.
REFERENCED = {"user_account", "upload"}


def _plaintext(value: Any, is_json: bool) -> bytes | None:
    """The bytes the column type seals, from what the clear column held."""
    if value is None:
        return None
    text = bytes(value).decode() if isinstance(value, bytes | memoryview) else str(value)
    if not is_json:
        return text.encode()
    parsed = json.loads(text)
    if parsed is None:  # JSON null stored by the old column: no value
        return None
    return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode()


def _seal_rows(conn: sa.Connection, ring: Keyring, spec: Sealed, source: str, target: str) -> None:
    ad = f"{spec.table}.{spec.column}"
    rows = conn.execute(sa.text(f"SELECT id, {source} FROM {spec.table}")).all()
    for row_id, value in rows:
        plain = _plaintext(value, spec.is_json)
        params: dict[str, Any] = {"id": row_id, "v": None, "i": None}
        if plain is not None:
            params["v"] = ring.encrypt(plain, ad)
            if spec.blind_index is not None:
                params["i"] = ring.blind_index(plain.decode(), domain=spec.domain)
        sets = f"{target} = :v" + (f", {spec.blind_index} = :i" if spec.blind_index else "")
        conn.execute(sa.text(f"UPDATE {spec.table} SET {sets} WHERE id = :id"), params)


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    for spec in COLUMNS:
        if spec.blind_index is not None:
            op.add_column(spec.table, sa.Column(spec.blind_index, sa.String(64), nullable=True))
            op.create_index(f"ix_{spec.table}_{spec.blind_index}", spec.table, [spec.blind_index])
    has_rows = any(
        conn.execute(sa.text(f"SELECT 1 FROM {t} LIMIT 1")).first() is not None
        for t in {c.table for c in COLUMNS}
    )
    ring = migration_keyring(conn, "encrypt existing rows") if has_rows else None
    for spec in COLUMNS:
        table, column = spec.table, spec.column
        if sqlite and table in REFERENCED:
            sealed = f"{column}_sealed"
            default = None if spec.nullable else sa.text("x''")
            new = sa.Column(
                sealed, sa.LargeBinary(), nullable=spec.nullable, server_default=default
            )
            op.add_column(table, new)
            if ring is not None:
                _seal_rows(conn, ring, spec, column, sealed)
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
            op.execute(f"ALTER TABLE {table} RENAME COLUMN {sealed} TO {column}")
            continue
        binary: dict[str, Any] = {
            "type_": sa.LargeBinary(),
            "existing_type": spec.old_type,
            "existing_nullable": spec.nullable,
        }
        if sqlite:
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.alter_column(column, **binary)
        else:
            cast = f"{column}::text" if spec.is_json else column
            using = f"convert_to({cast}, 'UTF8')"
            op.alter_column(table, column, postgresql_using=using, **binary)
        if ring is not None:
            _seal_rows(conn, ring, spec, column, column)


def downgrade() -> None:
    raise NotImplementedError(
        "0003 sealed health data; going back would write it in clear. Restore a backup "
        "taken before the upgrade instead."
    )
