"""Tests of tailormed.record (SQLite and PostgreSQL)."""
