"""The upload spool: no plaintext genome is ever written to disk, and none is left behind.

An upload goes through three places:

1. **Receiving** (:class:`SealedWriter`): the request body streams straight into a file
   in a private spool folder, sealed as it arrives: AES-256-GCM in 64 KiB records,
   under a random key made for this one file and held only in the process's memory
   (each record's nonce is its index, its associated data says whether it is the last,
   so records cannot be reordered, dropped or cut off unnoticed).
2. **Reading** (:meth:`SpoolFolder.open`): for the readers (htslib, the TSV and FHIR
   parsers), the sealed file is decrypted into an anonymous memory file
   (``memfd_create``: RAM, no name in any file system, gone when the process ends) and
   offered under the upload's own name as a symlink to ``/proc/<pid>/fd/<n>``. Where the
   system has no memory files (not Linux), the plaintext goes to an owner-only file in
   the spool folder instead, for the duration of the request (said in the log once).
3. **Cleaning up**: the folder is removed when the request ends. If the process is
   killed mid-upload, what stays on disk is ciphertext whose key died with the
   process; :func:`sweep_stale` (run at every start of the service) removes such
   folders. A live request holds an ``flock`` on its folder's ``.lock``, so several
   workers sweeping at start never remove each other's folders.

Folders are ``tailormed-upload-*`` in ``TAILORMED_UPLOAD_DIR`` (default: the system
temporary folder), mode 0700.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import secrets
import shutil
import struct
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tailormed.calling.output import safe_name
from tailormed.errors import InputError

try:  # POSIX: locks that die with the process
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("tailormed.service")

PREFIX = "tailormed-upload-"
LOCK = ".lock"
RECORD = 64 * 1024
_LEN = struct.Struct(">I")
STALE_UNLOCKED_SECONDS = 60  # a folder without a lock file (older versions, or racing
# its own creation) counts as stale only after this long


@dataclass(frozen=True, slots=True)
class Spooled:
    """An upload ready to read: ``path`` holds the plaintext while the request lasts;
    ``filename`` is the name the user gave, ``sha256`` / ``size`` describe the bytes."""

    path: Path
    filename: str
    sha256: str
    size: int


@dataclass
class SealedFile:
    """An upload as received: ciphertext on disk, its key only here."""

    sealed: Path
    name: str  # safe file name for the plaintext view
    filename: str  # as the user gave it
    key: bytes
    sha256: str = ""
    size: int = 0


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _ad(index: int, last: bool) -> bytes:
    return b"tailormed-spool:" + index.to_bytes(8, "big") + (b":last" if last else b":more")


class SealedWriter:
    """Receive one uploaded file into the spool, encrypted, hashing the plaintext."""

    def __init__(self, target: SealedFile) -> None:
        self.file = target
        self._aead = AESGCM(target.key)
        self._out = open(target.sealed, "xb")  # noqa: SIM115 - closed in close()
        self._buffer = bytearray()
        self._index = 0
        self._digest = hashlib.sha256()
        self._size = 0

    def _seal(self, data: bytes, last: bool) -> None:
        sealed = self._aead.encrypt(_nonce(self._index), data, _ad(self._index, last))
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._size += len(data)
        self._buffer += data
        while len(self._buffer) > RECORD:
            self._seal(bytes(self._buffer[:RECORD]), last=False)
            del self._buffer[:RECORD]

    def close(self) -> SealedFile:
        self._seal(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._out.close()
        self.file.sha256 = self._digest.hexdigest()
        self.file.size = self._size
        return self.file

    def abort(self) -> None:
        self._out.close()


def _decrypt_into(sealed: SealedFile, fd: int) -> None:
    """Decrypt a sealed upload into the open file ``fd``, checking every record."""
    aead = AESGCM(sealed.key)
    index, last = 0, False
    with open(sealed.sealed, "rb") as fh:
        while header := fh.read(_LEN.size):
            if last:
                raise InputError("the spooled upload has data after its end", path=sealed.filename)
            (length,) = _LEN.unpack(header)
            blob = fh.read(length)
            for final in (False, True):
                try:
                    plain = aead.decrypt(_nonce(index), blob, _ad(index, final))
                except InvalidTag:
                    continue
                last = final
                break
            else:
                raise InputError("the spooled upload was altered on disk", path=sealed.filename)
            view = memoryview(plain)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            index += 1
    if not last:
        raise InputError("the spooled upload was cut off on disk", path=sealed.filename)


def _memory_files() -> bool:
    return hasattr(os, "memfd_create") and Path(f"/proc/{os.getpid()}/fd").is_dir()


@dataclass
class SpoolFolder:
    """One request's private spool folder (a context manager)."""

    directory: Path | None = None
    path: Path = field(init=False)
    _lock_fd: int = field(init=False, default=-1)
    _fds: list[int] = field(init=False, default_factory=list)
    _names: set[str] = field(init=False, default_factory=set)

    def __enter__(self) -> SpoolFolder:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=self.directory))
        self._lock_fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        for fd in self._fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()
        shutil.rmtree(self.path, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.close(self._lock_fd)  # releases the flock

    def _name(self, filename: str | None, default: str) -> str:
        name = safe_name(Path(filename or "").name) if filename else default
        if name in ("sample", "", LOCK):
            name = default
        while name in self._names:
            name = f"2-{name}"
        self._names.add(name)
        return name

    def writer(self, filename: str | None, default: str) -> SealedWriter:
        """A writer for one uploaded file (``default`` names it when the client gave none)."""
        name = self._name(filename, default)
        sealed = SealedFile(
            sealed=self.path / f"{secrets.token_hex(8)}.sealed",
            name=name,
            filename=filename or name,
            key=AESGCM.generate_key(bit_length=256),
        )
        return SealedWriter(sealed)

    def open(self, sealed: SealedFile) -> Spooled:
        """The plaintext of a received upload, readable at ``.path`` until the folder ends."""
        if sealed.size == 0:
            raise InputError("the uploaded file is empty", path=sealed.filename)
        view = self.path / sealed.name
        if _memory_files():
            fd = os.memfd_create(f"tailormed-{sealed.name}", os.MFD_CLOEXEC)
            self._fds.append(fd)
            _decrypt_into(sealed, fd)
            os.symlink(f"/proc/{os.getpid()}/fd/{fd}", view)
        else:  # pragma: no cover - not Linux
            log.warning("no memory files on this system: upload plaintext is spooled to disk")
            fd = os.open(view, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _decrypt_into(sealed, fd)
            finally:
                os.close(fd)
        with contextlib.suppress(OSError):
            sealed.sealed.unlink()  # the plaintext view is what is read from now on
        return Spooled(view, sealed.filename, sealed.sha256, sealed.size)


def _folder_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def _is_stale(folder: Path, now: float) -> bool:
    lock = folder / LOCK
    if not lock.exists():
        return now - folder.stat().st_mtime > STALE_UNLOCKED_SECONDS
    if fcntl is None:  # pragma: no cover
        return now - folder.stat().st_mtime > 24 * 3600
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live request holds it
    finally:
        os.close(fd)
    return True


def sweep_stale(directory: Path | None = None) -> tuple[int, int]:
    """Remove spool folders left by killed processes; returns ``(folders, bytes)``."""
    base = directory or Path(tempfile.gettempdir())
    if not base.is_dir():
        return 0, 0
    removed = size = 0
    now = time.time()
    uid = os.getuid() if hasattr(os, "getuid") else None
    for folder in base.glob(f"{PREFIX}*"):
        try:
            if not folder.is_dir() or folder.is_symlink():
                continue
            if uid is not None and folder.stat().st_uid != uid:
                continue
            if not _is_stale(folder, now):
                continue
            size += _folder_bytes(folder)
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        except OSError:
            continue
    if removed:
        log.warning(
            "removed %d upload folder(s) (%.1f MB) left by interrupted uploads in %s",
            removed,
            size / 1e6,
            base,
        )
    return removed, size
