"""Encryption at rest: the keyring, key files, ciphertext in the database, rotation."""

from __future__ import annotations

import base64
import secrets
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from tailormed.digital.models import Observations
from tailormed.record import (
    KeyConfigError,
    Keyring,
    KeyUnavailableError,
    add_family_history,
    add_medication,
    add_result,
    find_patient,
    generate_key,
    get_patient,
    list_results,
    load_keyring,
    open_database,
    rotate_keys,
    session_factory,
    verify_audit_chain,
)
from tailormed.record import digital as rd
from tailormed.record import keys as keys_module
from tailormed.record.crypto import blob_key_id, encrypted_columns, key_id
from tailormed.record.models import Base
from tests.record import builders
from tests.record.conftest import World
from tests.record.test_digital_record import hr, phq9

PLAINTEXT = (
    "Jane Doe",
    "MRN-A1",
    "*2/*17",
    "*1/*3",
    "CYP2C19",
    "rs4244285",
    "jane_doe.vcf",
    "citalopram",
    "since 2024",
    "breast cancer",
    "BRCA1",
)


DIGITAL = Observations((hr(19000, 1, 60, 70.0),))
PHQ9 = {**phq9([0] * 8 + [1], datetime(2026, 3, 2, 9, tzinfo=UTC)), "id": "rotation-test"}


def _populate(session: Session, world: World) -> None:
    interp, upload = builders.interpretation(), builders.upload()
    add_result(session, world.user_a, "treatment", world.pat_a, interp, upload)
    add_medication(
        session, world.user_a, "treatment", world.pat_a, name="citalopram", note="since 2024"
    )
    add_family_history(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        relationship="mother",
        condition="breast cancer",
        genetic_result="BRCA1 c.68_69del",
    )
    # digital health: a chunk, a day, a batch, a questionnaire, an alert, a device token
    rd.import_observations(
        session, world.user_a, "treatment", world.pat_a, DIGITAL, content_sha256="d" * 64
    )
    rd.submit_questionnaire(session, world.user_a, "treatment", world.pat_a, PHQ9)
    rd.grant_device_token(session, world.user_a, "treatment", world.pat_a, label="watch")


def _key_ids(engine: Engine) -> set[str]:
    """The key ids in every stored ciphertext, read with raw SQL."""
    found: set[str] = set()
    with engine.connect() as conn:
        for table, column in encrypted_columns(Base.metadata):
            for (blob,) in conn.execute(text(f"SELECT {column} FROM {table}")):
                if blob is not None:
                    found.add(blob_key_id(bytes(blob)))
    return found


# --------------------------------------------------------------------------- keyring
def test_keyring_seals_with_random_nonces_and_checks_the_column() -> None:
    ring = Keyring([secrets.token_bytes(32)])
    a, b = ring.encrypt(b"*2/*17", "result.calls"), ring.encrypt(b"*2/*17", "result.calls")
    assert a != b and b"*2/*17" not in a
    assert blob_key_id(a) == ring.primary_id
    assert ring.decrypt(a, "result.calls") == b"*2/*17"
    with pytest.raises(KeyUnavailableError, match="does not authenticate"):
        ring.decrypt(a, "result.interpretation")  # moved to another column
    tampered = a[:-1] + bytes([a[-1] ^ 1])
    with pytest.raises(KeyUnavailableError, match="does not authenticate"):
        ring.decrypt(tampered, "result.calls")
    with pytest.raises(KeyUnavailableError, match="not configured"):
        Keyring([secrets.token_bytes(32)]).decrypt(a, "result.calls")


def test_keyring_keeps_old_keys_readable() -> None:
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    ring = Keyring([old])
    sealed = ring.encrypt(b"x", "t.c")
    assert ring.add(new, primary=True) == key_id(new)
    assert blob_key_id(ring.encrypt(b"x", "t.c")) == key_id(new)
    assert ring.decrypt(sealed, "t.c") == b"x"


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(KeyConfigError):
        Keyring([b"short"])
    with pytest.raises(KeyConfigError):
        Keyring([])


def test_load_keyring_from_environment_variable() -> None:
    k1, k2 = secrets.token_bytes(32), secrets.token_bytes(32)
    env = {"TAILORMED_DATA_KEY": f"{base64.b64encode(k1).decode()},{base64.b64encode(k2).decode()}"}
    ring = load_keyring(env)
    assert ring.primary_id == key_id(k1) and set(ring.ids) == {key_id(k1), key_id(k2)}
    with pytest.raises(KeyConfigError, match="base64"):
        load_keyring({"TAILORMED_DATA_KEY": "not base64!"})
    with pytest.raises(KeyConfigError, match="32 bytes"):
        load_keyring({"TAILORMED_DATA_KEY": base64.b64encode(b"short").decode()})


def test_generate_key_writes_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "data.key"
    key = generate_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keyring({"TAILORMED_KEY_FILE": str(path)}).primary_id == key_id(key)
    with pytest.raises(KeyConfigError, match="refusing to overwrite"):
        generate_key(path)
    new = generate_key(path, prepend=True)
    ring = load_keyring({"TAILORMED_KEY_FILE": str(path)})
    assert ring.primary_id == key_id(new) and key_id(key) in ring.ids
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.key"
    generate_key(path)
    path.chmod(0o644)
    with pytest.raises(KeyConfigError, match="chmod 600"):
        load_keyring({"TAILORMED_KEY_FILE": str(path)})


# ------------------------------------------------------------------ at rest
def test_database_holds_no_plaintext(
    engine: Engine, session: Session, world: World, backend: str, db_url: str
) -> None:
    _populate(session, world)
    with engine.connect() as conn:
        tables = [t.name for t in Base.metadata.sorted_tables]
        dump = b"".join(
            repr(row).encode() + b"".join(v for v in row if isinstance(v, bytes | memoryview))
            for t in tables
            for row in conn.execute(text(f"SELECT * FROM {t}"))
        )
    for secret in PLAINTEXT:
        assert secret.encode() not in dump, secret
    if backend == "sqlite":  # and not in the file either (pages, WAL)
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for secret in PLAINTEXT:
            assert secret.encode() not in raw, secret
    # ...while the API reads it back
    (res,) = list_results(session, world.user_a, "treatment", world.pat_a)
    assert res.interpretation.call("CYP2C19").diplotype == "*2/*17"  # type: ignore[union-attr]


# ------------------------------------------------------------------ rotation
def test_rotate_keys_reencrypts_everything(
    db_url: str, engine: Engine, session: Session, world: World, key: bytes
) -> None:
    _populate(session, world)
    assert _key_ids(engine) == {key_id(key)}
    new = secrets.token_bytes(32)
    report = rotate_keys(session, new)
    assert report.key_id == key_id(new) and report.total >= 10
    assert _key_ids(engine) == {key_id(new)}
    assert verify_audit_chain(session) == (True, None)
    engine.dispose()

    # Only the new key: everything reads, the MRN lookup too.
    fresh = open_database(db_url, keyring=Keyring([new]))
    try:
        with session_factory(fresh)() as s:
            assert get_patient(s, world.user_a, "treatment", world.pat_a).display_name == "Jane Doe"
            (res,) = list_results(s, world.user_a, "treatment", world.pat_a)
            assert res.interpretation == builders.interpretation()
            assert find_patient(s, world.user_a, "treatment", "MRN-A1").id == world.pat_a
            # digital data read back; the same data again raises nothing twice
            assert len(rd.read_daily(s, world.user_a, "treatment", world.pat_a)) == 1
            again = rd.import_observations(
                s, world.user_a, "treatment", world.pat_a, DIGITAL, content_sha256="d" * 64
            )
            assert again.new_points == 0 and again.alerts == ()
            dup = rd.submit_questionnaire(s, world.user_a, "treatment", world.pat_a, PHQ9)
            assert dup.duplicate and dup.alerts == ()
            alerts = rd.list_alerts(s, world.user_a, "treatment", world.pat_a)
            assert [a.rule_id for a in alerts] == ["phq9-item9"]
    finally:
        fresh.dispose()
    # Only the old key: refuse to start.
    with pytest.raises(KeyUnavailableError, match="refusing to start"):
        open_database(db_url, keyring=Keyring([key]))


def test_failed_rotation_changes_nothing(
    engine: Engine, session: Session, world: World, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _populate(session, world)

    def boom(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(keys_module, "_reindex_blind_indexes", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        rotate_keys(session, secrets.token_bytes(32))
    assert _key_ids(engine) == {key_id(key)}
    assert get_patient(session, world.user_a, "treatment", world.pat_a).display_name == "Jane Doe"
    assert verify_audit_chain(session) == (True, None)


def test_startup_refuses_data_no_key_can_decrypt(
    db_url: str, engine: Engine, session: Session, world: World
) -> None:
    _populate(session, world)
    engine.dispose()
    with pytest.raises(KeyUnavailableError, match="not configured"):
        open_database(db_url, keyring=Keyring([secrets.token_bytes(32)]))


def test_startup_on_empty_database_accepts_any_key(db_url: str) -> None:
    open_database(db_url, keyring=Keyring([secrets.token_bytes(32)])).dispose()
