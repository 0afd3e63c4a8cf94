"""Fixtures for the digital-health tests: the bundled data and synthetic series.

Every series built here is synthetic (made to cross, or not to cross, a rule's threshold);
the bundled Fitbit files are the only real device data.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import numpy as np
import pytest

from tailormed.digital.aggregate import day_number
from tailormed.digital.models import DAY_NS, NS, Series
from tailormed.digital.read.common import keys_from_ints, namespace

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "digital"


@pytest.fixture(scope="session")
def data() -> Path:
    if not DATA.is_dir():
        pytest.skip("needs ../shared/data/digital")
    return DATA


@pytest.fixture(scope="session")
def omh_tree(tmp_path_factory: pytest.TempPathFactory, data: Path) -> Path:
    out = tmp_path_factory.mktemp("omh")
    with tarfile.open(next(data.glob("openmhealth_schemas_omh_*.tar.gz"))) as tar:
        tar.extractall(out, filter="data")
    return out


def daily(
    kind: str, first: str, values: list[float], unit: str, source: str = "synthetic"
) -> Series:
    """One value per local day from ``first`` (UTC), as daily intervals (synthetic)."""
    d0 = day_number(first)
    days = np.arange(d0, d0 + len(values), dtype=np.int64)
    start = days * DAY_NS
    return Series(
        kind=kind,  # type: ignore[arg-type]
        unit=unit,
        original_unit=unit,
        source=source,
        format="synthetic",
        timezone="UTC",
        start=start,
        end=start + DAY_NS,
        offset=np.zeros(len(values), np.int32),
        value=np.array(values, np.float64),
        key=keys_from_ints(namespace("test", kind, source), start),
    )


def samples(first: str, days: int, per_day: list[float], step_s: int = 300) -> Series:
    """Heart-rate samples every ``step_s`` seconds, the day's value ``per_day[i]`` (synthetic)."""
    d0 = day_number(first)
    n = 86_400 // step_s
    start = (np.arange(days * n, dtype=np.int64) * step_s * NS) + d0 * DAY_NS
    values = np.repeat(np.array(per_day[:days], np.float64), n)
    return Series(
        "heart_rate",
        "/min",
        "/min",
        "synthetic",
        "synthetic",
        "UTC",
        start,
        start.copy(),
        np.zeros(len(start), np.int32),
        values,
        keys_from_ints(namespace("test", "hr"), start),
    )
