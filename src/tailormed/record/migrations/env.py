"""Alembic environment: runs on the connection :func:`tailormed.record.upgrade` passes.

From the ``alembic`` command line (new revisions), set ``sqlalchemy.url`` in the config
or ``TAILORMED_DATABASE_URL``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from tailormed.record.db import build_engine, default_url
from tailormed.record.models import Base


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = build_engine(context.config.get_main_option("sqlalchemy.url") or default_url())
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
