"""``tailormed admin create-user / list-users / disable-user / reset-user``.

The operator at the server's command line manages accounts without the web API: a new
clinician or admin gets an activation code (never a token: the person redeems it for
their own), patient accounts are refused (they come from an enrolment code), and each
action is in the audit log as the ``operator`` with their OS user name.
"""

from __future__ import annotations

import getpass
import re
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tailormed.cli.main import app
from tailormed.record import (
    AuthorizationError,
    authenticate,
    open_database,
    redeem_code,
    session_factory,
)
from tailormed.record.models import AuditEvent

runner = CliRunner()
CODE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@pytest.fixture()
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    key_file = tmp_path / "data.key"
    assert runner.invoke(app, ["admin", "generate-key", str(key_file)]).exit_code == 0
    monkeypatch.setenv("TAILORMED_KEY_FILE", str(key_file))
    monkeypatch.delenv("TAILORMED_DATA_KEY", raising=False)
    return f"sqlite:///{tmp_path / 'record.db'}"


def _cli(url: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["admin", *args, "--database-url", url])
    return result.exit_code, result.output


def test_create_list_disable(url: str) -> None:
    code, out = _cli(
        url,
        "create-user",
        "--role",
        "clinician",
        "--name",
        "Dr Ada Lovelace",
        "--organisation",
        "clinic-a",
    )
    assert code == 0, out
    found = CODE.search(out)
    assert found, out
    assert not re.search(r"[A-Za-z0-9_-]{40,}", out)  # no bearer token is printed
    user_id = re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", out)
    assert user_id, out

    engine = open_database(url)
    try:
        with session_factory(engine)() as s:
            user, token = redeem_code(s, found.group())
            assert str(user.id) == user_id.group() and user.role == "clinician"
            assert authenticate(s, token) == user.actor

        code, listing = _cli(url, "list-users")
        assert code == 0, listing
        line = next(ln for ln in listing.splitlines() if "Dr Ada Lovelace" in ln)
        assert "clinician" in line and "clinic-a" in line and "active" in line

        code, out = _cli(url, "disable-user", user_id.group())
        assert code == 0, out
        with session_factory(engine)() as s:
            with pytest.raises(AuthorizationError):
                authenticate(s, token)
            with s.begin():
                events = list(
                    s.scalars(select(AuditEvent).where(AuditEvent.actor_role == "operator"))
                )
        assert [(e.action, e.entity_type, e.outcome) for e in events] == [
            ("create", "user", "success"),
            ("read", "user", "success"),
            ("update", "user", "success"),
        ]
        assert all(getpass.getuser() in (e.detail or "") for e in events)
        code, listing = _cli(url, "list-users")
        assert "disabled" in next(ln for ln in listing.splitlines() if "Dr Ada" in ln)
    finally:
        engine.dispose()


def test_patient_accounts_are_not_made_here(url: str) -> None:
    code, out = _cli(url, "create-user", "--role", "patient", "--name", "Pat")
    assert code != 0
    assert "enrolment code" in out
    assert not CODE.search(out)


def test_reset_user_voids_the_token_and_issues_a_new_code(url: str) -> None:
    code, out = _cli(url, "create-user", "--role", "admin", "--name", "Ops Two")
    assert code == 0, out
    first = CODE.search(out)
    user_id = re.search(r"[0-9a-f]{8}-[0-9a-f-]{27}", out)
    assert first and user_id
    engine = open_database(url)
    try:
        with session_factory(engine)() as s:
            _, token = redeem_code(s, first.group())
        code, out = _cli(url, "reset-user", user_id.group())
        assert code == 0, out
        second = CODE.search(out)
        assert second and second.group() != first.group()
        with session_factory(engine)() as s:
            with pytest.raises(AuthorizationError):
                authenticate(s, token)
            _, token2 = redeem_code(s, second.group())
            assert authenticate(s, token2).role == "admin"
    finally:
        engine.dispose()


def test_unknown_user_is_one_line(url: str) -> None:
    code, out = _cli(url, "disable-user", "00000000-0000-0000-0000-000000000000")
    assert code == 1 and "no such user" in out and "Traceback" not in out
    code, out = _cli(url, "disable-user", "not-a-uuid")
    assert code != 0 and "Traceback" not in out
