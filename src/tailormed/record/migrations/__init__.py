"""Alembic migrations of the record schema (run with :func:`tailormed.record.upgrade`)."""
