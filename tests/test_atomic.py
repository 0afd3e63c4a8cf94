"""The one atomic-write helper (tailormed.atomic) and the doctests of the input modules."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from tailormed.atomic import replacing, write_atomic


@pytest.mark.parametrize(
    "module", ["tailormed.atomic", "tailormed.vcf.regions", "tailormed.vcf.normalize"]
)
def test_doctests(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "calls.tsv", b"old\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["calls.tsv"]


def test_private_mode_and_sync(tmp_path: Path) -> None:
    path = write_atomic(tmp_path / "key", b"secret", mode=0o600, sync=True)
    assert path.stat().st_mode & 0o777 == 0o600
    assert write_atomic(tmp_path / "r.json", b"{}").stat().st_mode & 0o777 == 0o644
