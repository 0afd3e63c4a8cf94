"""Quote htslib's messages in our errors without leaving the process's stderr redirected.

htslib writes its messages (``[E::vcf_parse] ...``) straight to file descriptor 2; there
is no callback to receive them. To quote them, fd 2 is pointed at a temporary file while
the reader works, then restored. fd 2 belongs to the whole process, so every redirect
holds one process-wide lock (the service reads uploads in a thread pool: two overlapping
redirects used to leave fd 2 pointing at a deleted file) and the restore is guaranteed.
Whatever else reached fd 2 meanwhile (another thread's log lines) is passed on to the real
stderr afterwards; only htslib's own messages are kept back.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from typing import IO

_LOCK = threading.RLock()
_HTSLIB_PREFIXES = (b"[E::", b"[W::", b"[I::", b"[D::")


def _reset_lock_in_child() -> None:  # pragma: no cover - runs in forked workers
    global _LOCK
    _LOCK = threading.RLock()


# A forked worker must not inherit the lock held by another thread of its parent.
os.register_at_fork(after_in_child=_reset_lock_in_child)


class Captured:
    """What reached fd 2 so far while captured."""

    def __init__(self, tmp: IO[bytes]) -> None:
        self._tmp = tmp

    def lines(self) -> list[str]:
        self._tmp.flush()
        self._tmp.seek(0)
        text = self._tmp.read().decode(errors="replace")
        self._tmp.seek(0, os.SEEK_END)
        return [line.strip() for line in text.splitlines() if line.strip()]


@contextlib.contextmanager
def captured_stderr() -> Iterator[Captured]:
    """Collect fd 2 output for the duration of the block (one block at a time)."""
    with _LOCK:
        sys.stderr.flush()
        saved = os.dup(2)
        try:
            with tempfile.TemporaryFile(mode="w+b") as tmp:
                os.dup2(tmp.fileno(), 2)
                try:
                    yield Captured(tmp)
                finally:
                    with contextlib.suppress(Exception):
                        sys.stderr.flush()
                    os.dup2(saved, 2)
                    _pass_on(tmp)
        finally:
            os.close(saved)


def _pass_on(tmp: IO[bytes]) -> None:
    """Write what others printed meanwhile to the real stderr (htslib's lines excepted)."""
    tmp.seek(0)
    kept = [line for line in tmp.read().splitlines(keepends=True) if line.strip()]
    other = b"".join(line for line in kept if not line.startswith(_HTSLIB_PREFIXES))
    if other:
        with contextlib.suppress(OSError):
            os.write(2, other)


def htslib_problem(messages: Captured, fallback: str) -> str:
    """The last htslib error message captured, without its ``[E::function]`` prefix."""
    for msg in reversed(messages.lines()):
        if msg.startswith("[E::"):
            return msg.split("]", 1)[-1].strip()
    return fallback
