"""The reader quotes htslib's messages without leaving the process's stderr redirected
(issue 8, item 5): the service reads uploads in a thread pool, and a per-call ``dup2`` of
fd 2 used to leave stderr pointing at a deleted temporary file."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from tailormed.calling import CallOptions, call_files
from tailormed.errors import InputError
from tailormed.knowledge import KnowledgeBase
from tests.vcfbuild import SyntheticVcf


@contextlib.contextmanager
def fd2_to_file(target: Path) -> Iterator[Path]:
    """Point fd 2 at a file of ours (inside the test body: pytest re-points fd 2 at its
    own capture file between test phases), restore it afterwards."""
    saved = os.dup(2)
    sys.stderr.flush()
    with open(target, "wb") as fh:
        os.dup2(fh.fileno(), 2)
    try:
        yield target
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _files(kb: KnowledgeBase, tmp_path: Path) -> tuple[Path, Path]:
    good = SyntheticVcf(kb, ["S1"]).reference("TPMT").write(tmp_path / "good.vcf")
    lines = good.read_text().splitlines()
    lines.append("chr6\tnot-a-number\t.\tA\tG\t.\tPASS\t.\tGT\t0/1")  # htslib prints [E::...]
    bad = tmp_path / "bad.vcf"
    bad.write_text("\n".join(lines) + "\n")
    return good, bad


def test_concurrent_reads_leave_stderr_intact(kb: KnowledgeBase, tmp_path: Path) -> None:
    with fd2_to_file(tmp_path / "stderr.txt") as target:
        _concurrent_reads(kb, tmp_path, target)


def _concurrent_reads(kb: KnowledgeBase, tmp_path: Path, target: Path) -> None:
    good, bad = _files(kb, tmp_path)
    before = os.fstat(2)
    errors: list[BaseException] = []
    messages: list[str] = []

    def work(i: int) -> None:
        for j in range(6):
            path = bad if (i + j) % 2 else good
            try:
                call_files([path], kb, CallOptions(genes=("TPMT",)))
            except InputError as exc:
                messages.append(exc.problem)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)
    os.write(2, b"still here\n")
    assert target.read_bytes().endswith(b"still here\n")
    # every failing read still quoted htslib's own message
    assert messages and all("position" in m.lower() for m in messages), messages[:3]
