"""A killed upload leaves no plaintext genome on disk, and the next start cleans up.

Before: every upload was copied in clear into ``tailormed-upload-*`` in the temporary
folder; a process killed mid-upload left it there (19 crashes, 19 folders, 296 MB of
genomes). Now the spool is sealed (AES-256-GCM, a key per file held only in memory),
read back only into memory files, and swept at start-up.

The main test runs the real server in a subprocess, streams a VCF into it, kills it
with SIGKILL while the body is arriving, and reads every byte left on disk.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailormed.record import (
    Keyring,
    bootstrap_admin,
    create_enrolment,
    create_patient,
    create_user,
    open_database,
    redeem_code,
    session_factory,
)
from tailormed.service.app import create_app
from tailormed.service.settings import Settings
from tailormed.service.spool import LOCK, PREFIX, SpoolFolder, sweep_stale

MARKER = b"CRASHTEST_PATIENT_7731"
PLAIN_SIGNS = (MARKER, b"##fileformat=VCF", b"#CHROM", b"94781859")


def _vcf_body(records: int) -> bytes:
    head = (
        b"##fileformat=VCFv4.2\n##contig=<ID=chr10>\n"
        b"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + MARKER + b"\n"
    )
    line = b"chr10\t94781859\trs4244285\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
    return head + line * records


def _seed(url: str, keyring: Keyring) -> tuple[str, str]:
    """A patient enrolled the real way; returns (patient id, patient token)."""
    engine = open_database(url, keyring=keyring)
    try:
        with session_factory(engine)() as s:
            admin, _ = bootstrap_admin(s)
            clin, issued = create_user(s, admin.actor, "operations", role="clinician")
            redeem_code(s, issued.code)
            patient = create_patient(s, clin.actor, "treatment", display_name="Crash Test")
            code = create_enrolment(s, clin.actor, "treatment", patient.id)
            _, token = redeem_code(s, code.code)
    finally:
        engine.dispose()
    return str(patient.id), token


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _every_file(folder: Path) -> Iterator[Path]:
    for root, _dirs, files in os.walk(folder):
        for name in files:
            yield Path(root) / name


def _plaintext_found(folder: Path) -> list[str]:
    hits = []
    for path in _every_file(folder):
        if path.is_symlink():
            continue
        data = path.read_bytes()
        hits += [f"{path.name}: {sign!r}" for sign in PLAIN_SIGNS if sign in data]
    return hits


@pytest.fixture
def server_env(tmp_path: Path) -> tuple[dict[str, str], str, str, Path, Keyring]:
    key = os.urandom(32)
    keyring = Keyring([key])
    url = f"sqlite:///{tmp_path / 'record.db'}"
    patient, token = _seed(url, keyring)
    spool = tmp_path / "spool"
    env = {
        **os.environ,
        "TAILORMED_DATABASE_URL": url,
        "TAILORMED_DATA_KEY": base64.b64encode(key).decode(),
        "TAILORMED_UPLOAD_DIR": str(spool),
        "TAILORMED_MAX_UPLOAD_MB": "64",
    }
    env.pop("TAILORMED_KEY_FILE", None)
    return env, patient, token, spool, keyring


def _start(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn\n"
        "from tailormed.service.app import create_app\n"
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b"200 OK" in sock.recv(1024):
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("the server did not start")


def test_sigkill_mid_upload_leaves_only_ciphertext_and_restart_sweeps_it(
    server_env: tuple[dict[str, str], str, str, Path, Keyring],
) -> None:
    env, patient, token, spool, keyring = server_env
    port = _free_port()
    proc = _start(env, port)
    body_file = _vcf_body(200_000)  # ~10 MB
    boundary = "crashtestboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="crash.vcf"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    total = len(head) + len(body_file) + len(tail)
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(
            (
                f"POST /api/v1/patients/{patient}/uploads/vcf HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {total}\r\n\r\n"
            ).encode()
            + head
        )
        sent = 0
        sealed: list[Path] = []
        deadline = time.monotonic() + 60
        # send about half of the genome, then wait until the server has spooled some
        while sent < len(body_file) // 2:
            sock.sendall(body_file[sent : sent + 256 * 1024])
            sent += 256 * 1024
        while time.monotonic() < deadline:
            sealed = [p for p in _every_file(spool) if p.suffix == ".sealed"]
            if sealed and sealed[0].stat().st_size > 1_000_000:
                break
            time.sleep(0.1)
        assert sealed, "the upload never reached the spool"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        sock.close()
        if proc.poll() is None:
            proc.kill()

    folders = list(spool.glob(f"{PREFIX}*"))
    assert len(folders) == 1, folders
    assert stat.S_IMODE(folders[0].stat().st_mode) == 0o700
    left = sum(p.stat().st_size for p in _every_file(spool))
    assert left > 1_000_000  # the killed upload did leave data behind...
    assert _plaintext_found(spool) == []  # ...but none of it is readable

    # the next start sweeps it away (the lock of the killed process died with it)
    settings = Settings(
        database_url=env["TAILORMED_DATABASE_URL"], keyring=keyring, upload_dir=spool
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        assert list(spool.glob(f"{PREFIX}*")) == []


def test_upload_in_progress_is_never_swept(tmp_path: Path) -> None:
    """Another worker starting up must not remove a live request's folder."""
    with SpoolFolder(tmp_path) as live:
        writer = live.writer("live.vcf", "upload.vcf")
        writer.write(_vcf_body(10))
        writer.close()
        os.utime(live.path, (0, 0))  # however old it looks
        assert sweep_stale(tmp_path) == (0, 0)
        assert live.path.exists()
    assert not live.path.exists()  # gone once the request ends


def test_plaintext_folders_of_older_versions_are_swept(tmp_path: Path) -> None:
    old = tmp_path / f"{PREFIX}abc123"
    old.mkdir()
    (old / "patient.vcf").write_bytes(_vcf_body(1000))
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    fresh = tmp_path / f"{PREFIX}justnow"
    fresh.mkdir()  # created a moment ago: perhaps a request still taking its lock
    other = tmp_path / "somebody-else"
    other.mkdir()
    removed, size = sweep_stale(tmp_path)
    assert (removed, size > 30_000) == (1, True)
    assert not old.exists() and fresh.exists() and other.exists()


def test_reading_an_upload_puts_plaintext_in_memory_only(tmp_path: Path) -> None:
    with SpoolFolder(tmp_path) as folder:
        writer = folder.writer("../../etc/patient one.vcf", "upload.vcf")
        body = _vcf_body(50_000)
        for i in range(0, len(body), 100_000):
            writer.write(body[i : i + 100_000])
        sealed = writer.close()
        assert _plaintext_found(folder.path) == []
        spooled = folder.open(sealed)
        assert spooled.filename == "../../etc/patient one.vcf"  # as given, for messages
        assert spooled.path.parent == folder.path and spooled.path.name == "patient_one.vcf"
        assert spooled.path.read_bytes() == body  # readable by name...
        assert spooled.path.is_symlink()  # ...from a memory file
        assert os.readlink(spooled.path).startswith(f"/proc/{os.getpid()}/fd/")
        assert sorted(p.name for p in folder.path.iterdir()) == [LOCK, "patient_one.vcf"]
        assert _plaintext_found(folder.path) == []


def test_altered_spool_file_is_refused(tmp_path: Path) -> None:
    from tailormed.errors import InputError

    with SpoolFolder(tmp_path) as folder:
        writer = folder.writer("x.vcf", "upload.vcf")
        writer.write(_vcf_body(30_000))
        sealed = writer.close()
        data = bytearray(sealed.sealed.read_bytes())
        data[100] ^= 1
        sealed.sealed.write_bytes(bytes(data))
        with pytest.raises(InputError, match="altered"):
            folder.open(sealed)
        writer = folder.writer("y.vcf", "upload.vcf")
        writer.write(_vcf_body(30_000))
        sealed = writer.close()
        cut = sealed.sealed.read_bytes()
        sealed.sealed.write_bytes(cut[: len(cut) // 2])
        with pytest.raises(InputError):
            folder.open(sealed)
