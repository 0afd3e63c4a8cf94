"""Key checks at startup and key rotation.

:func:`check_keys` (run by :func:`tailormed.record.open_database`) refuses to start when
any stored value was sealed with a key that is not configured, or does not decrypt with
the key it names: better to stop than to serve a record with holes.

Rotating keys:

1. ``generate_key(path, prepend=True)`` (or put the new key first in
   ``TAILORMED_DATA_KEY``): the new key becomes primary, old ones stay readable;
2. ``rotate_keys(session, new_key)``: every encrypted column is re-encrypted, and every
   blind index (``models.BLIND_INDEXES``) recomputed, under the new key in **one
   transaction** (old keys stay in the keyring until it commits; a failure leaves every
   value as it was);
3. once it has committed, remove the old keys from the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Engine,
    LargeBinary,
    String,
    Uuid,
    column,
    func,
    literal_column,
    select,
    table,
    update,
)
from sqlalchemy.orm import Session

from tailormed.record import audit
from tailormed.record.access import require_no_transaction
from tailormed.record.crypto import (
    FORMAT_VERSION,
    HEADER_BYTES,
    Keyring,
    blob_key_id,
    encrypted_columns,
    keyring_for,
)
from tailormed.record.errors import KeyUnavailableError
from tailormed.record.models import BLIND_INDEXES, Base

BATCH = 500


@dataclass
class RotationReport:
    """What :func:`rotate_keys` re-encrypted, per ``table.column``."""

    key_id: str
    values: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.values.values())


def _raw(table_name: str, column_name: str) -> Any:
    """A lightweight table whose column is plain binary: no decryption on select."""
    return table(table_name, column("id", Uuid), column(column_name, LargeBinary))


def check_keys(engine: Engine) -> dict[str, int]:
    """Every key id in use is configured and opens a value; returns values per key id."""
    ring = keyring_for(engine)
    used: dict[str, int] = {}
    with engine.connect() as conn:
        for table_name, column_name in encrypted_columns(Base.metadata):
            t = _raw(table_name, column_name)
            col = t.c[column_name]
            # Literal arguments: PostgreSQL must see the same expression in GROUP BY.
            header = func.substr(col, literal_column("1"), literal_column(str(HEADER_BYTES)))
            rows = conn.execute(
                select(header, func.count()).where(col.is_not(None)).group_by(header)
            ).all()
            for head, count in rows:
                head = bytes(head)
                if not head or head[0] != FORMAT_VERSION:
                    raise KeyUnavailableError(
                        f"{table_name}.{column_name}: {count} values are not Tailormed ciphertext"
                    )
                kid = head[1:].hex()
                if kid not in ring.ids:
                    raise KeyUnavailableError(
                        f"{table_name}.{column_name}: {count} values are sealed with key "
                        f"{kid}, which is not configured; refusing to start"
                    )
                sample = conn.execute(select(col).where(header == head).limit(1)).scalar_one()
                ring.decrypt(bytes(sample), f"{table_name}.{column_name}")
                used[kid] = used.get(kid, 0) + count
    return used


def rotate_keys(session: Session, new_key: bytes) -> RotationReport:
    """Re-encrypt every stored value under ``new_key`` in one transaction.

    ``new_key`` becomes the primary key of the engine's keyring (added if needed);
    on failure the previous primary key is restored and nothing is changed. The
    rotation is audited (no actor; ``entity_type`` ``"keyring"``).
    """
    require_no_transaction(session)
    ring = keyring_for(session.get_bind())
    previous = ring.primary_id
    kid = ring.add(new_key, primary=True)
    report = RotationReport(kid)
    try:
        with session.begin():
            conn = session.connection()
            for table_name, column_name in encrypted_columns(Base.metadata):
                n = _rotate_column(conn, ring, table_name, column_name, kid)
                report.values[f"{table_name}.{column_name}"] = n
            _reindex_blind_indexes(conn, ring)
            audit.append(
                session,
                action="update",
                entity_type="keyring",
                entity_id=kid,
                purpose="operations",
                outcome="success",
                detail=f"re-encrypted {report.total} values",
            )
    except BaseException:
        ring.set_primary(previous)
        raise
    return report


def _rotate_column(conn: Any, ring: Keyring, table_name: str, column_name: str, kid: str) -> int:
    t = _raw(table_name, column_name)
    col, ad, done, last = t.c[column_name], f"{table_name}.{column_name}", 0, None
    while True:
        query = select(t.c.id, col).where(col.is_not(None)).order_by(t.c.id).limit(BATCH)
        if last is not None:
            query = query.where(t.c.id > last)
        rows = conn.execute(query).all()
        if not rows:
            return done
        for row_id, blob in rows:
            blob = bytes(blob)
            if blob_key_id(blob) != kid:
                sealed = ring.encrypt(ring.decrypt(blob, ad), ad)
                conn.execute(update(t).where(t.c.id == row_id).values({column_name: sealed}))
                done += 1
        last = rows[-1][0]


def _reindex_blind_indexes(conn: Any, ring: Keyring) -> None:
    """Recompute every blind index under the (new) primary key."""
    for spec in BLIND_INDEXES:
        name = spec.model.__tablename__
        t = table(
            name,
            column("id", Uuid),
            column(spec.column, LargeBinary),
            column(spec.index, String),
        )
        value_col = t.c[spec.column]
        for row_id, blob in conn.execute(select(t.c.id, value_col).where(value_col.is_not(None))):
            value = ring.decrypt(bytes(blob), f"{name}.{spec.column}").decode()
            index = ring.blind_index(value, domain=spec.domain)
            conn.execute(update(t).where(t.c.id == row_id).values({spec.index: index}))
