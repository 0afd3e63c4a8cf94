"""Write files so that readers never see one half-written: temporary name, then rename.

The one atomic-write helper of the code base (reports, calls, FHIR bundles, cohort
tables, the knowledge-base bundle, validation tables). ``mode`` sets the permissions the
finished file gets (``0o600`` for anything private); ``sync=True`` also flushes the data
to disk before the rename, for files that must survive a crash (not needed for outputs
that can be written again: a cohort's thousands of call files would each wait for it).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_atomic(d / "a.txt", b"done").read_bytes()
b'done'
>>> sorted(p.name for p in d.iterdir())
['a.txt']
>>> oct((d / "b.txt").stat().st_mode & 0o777) if write_atomic(d / "b.txt", b"", mode=0o600) else 0
'0o600'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replacing(path: Path, *, mode: int = 0o644, sync: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` when the block succeeds.

    Close what you wrote to the temporary path before the block ends. On any exception
    the temporary file is removed and ``path`` is left as it was. The temporary file is
    created private (0600) and gets ``mode`` just before the rename.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if sync:
            _sync(tmp)
        tmp.chmod(mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, *, mode: int = 0o644, sync: bool = False) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename; return ``path``."""
    with replacing(path, mode=mode, sync=sync) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
