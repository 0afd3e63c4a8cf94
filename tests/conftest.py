"""Shared fixtures: the knowledge base and the project's source data (../shared/data)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tailormed.knowledge import KnowledgeBase, load_kb

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path | None:
    env = os.environ.get("TAILORMED_SOURCE")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if c.is_dir():
            return c
    return None


SHARED = _shared_data()


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The source data folder. CI always has it; a missing one fails there, skips elsewhere."""
    if SHARED is None:
        if os.environ.get("CI"):
            pytest.fail("../shared/data is missing in CI")
        pytest.skip("../shared/data not available")
    return SHARED
