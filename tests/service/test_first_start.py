"""First start of ``tailormed serve``: what a new user sees, from an empty folder.

Before: with no data key, the service died in a traceback whose hint named a Python
function (``tailormed.record.generate_key``). Now:

* default SQLite record, no key anywhere, no database yet: a key file is created
  owner-only (0600) in the instance folder, and the user is told where it is and that it
  must be backed up;
* the database exists but its key is gone: one line saying to restore the key (never a
  new key, which could not read the record);
* PostgreSQL and no key: one line naming ``tailormed admin generate-key``.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.record import KeyConfigError, load_keyring

runner = CliRunner()
FUNCTION_HINTS = ("tailormed.record.", "generate_key(", "Traceback")


@pytest.fixture
def fresh_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with nothing configured: empty home, no key or database variables."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("TAILORMED_DATA_KEY", "TAILORMED_KEY_FILE", "TAILORMED_DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("TAILORMED_HOME", raising=False)
    return home


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Record uvicorn.run calls instead of serving."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    return calls


def _instance(home: Path) -> Path:
    return home / ".local" / "share" / "tailormed"


def test_first_start_creates_a_private_key_and_says_where(
    fresh_home: Path, no_server: list[dict[str, Any]]
) -> None:
    out = runner.invoke(app, ["serve"])
    assert out.exit_code == 0, out.output
    key = _instance(fresh_home) / "data.key"
    assert key.is_file()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert len(load_keyring({"TAILORMED_KEY_FILE": str(key)}).ids) == 1
    text = " ".join(out.output.split())
    assert str(key) in text.replace("\n", "")
    assert "back it up" in text.lower()
    assert not any(hint in out.output for hint in FUNCTION_HINTS)
    assert "--create-admin" in text  # the next step, since there is no admin yet
    db = _instance(fresh_home) / "tailormed.db"
    assert db.is_file() and stat.S_IMODE(db.stat().st_mode) == 0o600
    assert len(no_server) == 1

    # the second start uses that key and says nothing about creating one
    again = runner.invoke(app, ["serve"])
    assert again.exit_code == 0, again.output
    assert "created" not in again.output.lower()
    assert sorted(p.name for p in _instance(fresh_home).glob("*.key")) == ["data.key"]


def test_create_admin_on_first_start_uses_the_same_key(
    fresh_home: Path, no_server: list[dict[str, Any]]
) -> None:
    out = runner.invoke(app, ["serve", "--create-admin"])
    assert out.exit_code == 0, out.output
    assert (_instance(fresh_home) / "data.key").is_file()
    token = out.stdout.strip().splitlines()[-1]
    assert len(token) >= 40
    started = runner.invoke(app, ["serve"])
    assert started.exit_code == 0, started.output
    assert "--create-admin" not in started.output


def test_lost_key_for_an_existing_record_is_one_line_and_no_new_key(
    fresh_home: Path, no_server: list[dict[str, Any]]
) -> None:
    assert runner.invoke(app, ["serve", "--create-admin"]).exit_code == 0
    key = _instance(fresh_home) / "data.key"
    key.unlink()
    out = runner.invoke(app, ["serve"])
    assert out.exit_code == 1
    lines = [ln for ln in out.output.splitlines() if ln.strip()]
    assert len(lines) <= 3, out.output
    assert "restore" in out.output and "data.key" in out.output
    assert not any(hint in out.output for hint in FUNCTION_HINTS)
    assert not key.exists()
    assert no_server == []


def test_postgresql_without_a_key_names_the_cli_command(
    fresh_home: Path, no_server: list[dict[str, Any]]
) -> None:
    url = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    out = runner.invoke(app, ["serve", "--database-url", url])
    assert out.exit_code == 1
    assert "tailormed admin generate-key" in out.output
    assert not any(hint in out.output for hint in FUNCTION_HINTS)
    assert len([ln for ln in out.output.splitlines() if ln.strip()]) <= 3
    assert no_server == []


def test_library_error_names_the_cli_command_not_a_function(fresh_home: Path) -> None:
    with pytest.raises(KeyConfigError) as err:
        load_keyring({})
    assert "tailormed admin generate-key" in str(err.value)
    assert "tailormed.record." not in str(err.value)


def test_home_option_puts_the_instance_in_the_folder_given(
    tmp_path: Path, fresh_home: Path, no_server: list[dict[str, Any]]
) -> None:
    instance = tmp_path / "clinic"
    out = runner.invoke(app, ["serve", "--home", str(instance)])
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in instance.iterdir()) >= ["data.key", "tailormed.db"]
    assert not _instance(fresh_home).exists()


def test_real_first_start_in_a_subprocess(tmp_path: Path) -> None:
    """The command a new user types, in a fresh folder: it serves, and the key is there."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAILORMED_")}
    env["HOME"] = str(home)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "tailormed.cli.main", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        served = False
        while time.monotonic() < deadline and not served:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    served = b"200 OK" in conn.recv(1024)
            except OSError:
                time.sleep(0.3)
        assert served, "tailormed serve did not come up"
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert (home / ".local/share/tailormed/data.key").is_file(), output
    assert "Traceback" not in output, output
    assert "back it up" in " ".join(output.split()).lower(), output
