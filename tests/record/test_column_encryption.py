"""Columns that reveal health data are ciphertext; lookups still work; the file is private.

What a clear-text column gave away before: the RxNorm code of a medication (which drug),
the relationship of a family-history entry (with whom a condition runs), the genes of a
consent or share (what was tested), the organisation of a consent or user (which clinic:
an oncology or HIV clinic tells a diagnosis), the SHA-256 of an uploaded genome (a
fingerprint that links the same file elsewhere). Each is sealed now; where a query needs
equality (organisation consents) a keyed blind index stands in for the value.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import (
    Actor,
    Keyring,
    add_family_history,
    add_medication,
    add_result,
    check_audit_chain,
    clock,
    create_share,
    engine_from_url,
    export_patient,
    get_patient,
    grant_consent,
    list_consents,
    list_medications,
    list_results,
    open_database,
    rotate_keys,
    session_factory,
    upgrade,
)
from tailormed.record.audit import GENESIS, event_hash
from tailormed.record.models import Base
from tests.record import builders
from tests.record.conftest import World

ORG = "oncology-clinic-7"
SECRETS = {
    "rxnorm": "1811631",
    "relationship": "maternal aunt",
    "consent genes": "HLA-B",
    "share genes": "NUDT15",
    "organisation": ORG,
    "sha256": builders.upload().sha256,
}


def _populate(session: Session, world: World) -> None:
    add_result(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        builders.interpretation(),
        builders.upload(),
    )
    add_medication(
        session, world.user_a, "treatment", world.pat_a, name="tamoxifen", rxnorm="1811631"
    )
    add_family_history(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        relationship="maternal aunt",
        condition="ovarian cancer",
    )
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.clin_b.user_id,
        scope="genes",
        genes=["CYP2C19", "HLA-B"],
    )
    grant_consent(session, world.user_a, "treatment", world.pat_a, grantee_organisation=ORG)
    create_share(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        expires_at=clock.utcnow() + timedelta(days=3),
        scope="genes",
        genes=["NUDT15"],
    )


def _dump(engine: Engine) -> bytes:
    with engine.connect() as conn:
        return b"".join(
            repr(row).encode()
            + b"".join(bytes(v) for v in row if isinstance(v, bytes | memoryview))
            for t in Base.metadata.sorted_tables
            for row in conn.execute(text(f"SELECT * FROM {t.name}"))
        )


def test_health_columns_hold_no_plaintext(
    engine: Engine, session: Session, world: World, backend: str, db_url: str
) -> None:
    _populate(session, world)
    dump = _dump(engine)
    for what, secret in SECRETS.items():
        assert secret.encode() not in dump, what
    if backend == "sqlite":
        path = Path(db_url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        for what, secret in SECRETS.items():
            assert secret.encode() not in raw, what
    # ...and every one reads back through the record API
    (med,) = list_medications(session, world.user_a, "treatment", world.pat_a)
    assert med.rxnorm == "1811631"
    consents = list_consents(session, world.user_a, "treatment", world.pat_a)
    assert [c.genes for c in consents] == [("CYP2C19", "HLA-B"), ()]
    assert consents[1].grantee_organisation == ORG


def test_organisation_consent_is_found_through_its_blind_index(
    db_url: str, session: Session, world: World, engine: Engine
) -> None:
    from tailormed.record import create_user

    _populate(session, world)
    member, _ = create_user(session, world.admin, "operations", role="clinician", organisation=ORG)
    outsider, _ = create_user(
        session, world.admin, "operations", role="clinician", organisation=ORG.upper()
    )
    assert get_patient(session, member.actor, "treatment", world.pat_a).id == world.pat_a
    with pytest.raises(Exception, match="consent"):
        get_patient(session, outsider.actor, "treatment", world.pat_a)

    # after a rotation, with only the new key, the index still finds the consent
    new = secrets.token_bytes(32)
    rotate_keys(session, new)
    engine.dispose()
    fresh = open_database(db_url, keyring=Keyring([new]))
    try:
        with session_factory(fresh)() as s:
            assert list_results(s, member.actor, "treatment", world.pat_a)
    finally:
        fresh.dispose()


def test_sqlite_file_is_created_private(tmp_path: Path, keyring: Keyring) -> None:
    old = os.umask(0o022)  # a typical umask would make it world-readable
    try:
        folder = tmp_path / "instance"
        engine = open_database(f"sqlite:///{folder / 'record.db'}", keyring=keyring)
        engine.dispose()
    finally:
        os.umask(old)
    files = sorted(folder.iterdir())
    assert files, "no database file"
    for f in files:
        assert stat.S_IMODE(f.stat().st_mode) & 0o077 == 0, f"{f.name} is readable by others"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_existing_loose_sqlite_file_is_tightened(tmp_path: Path, keyring: Keyring) -> None:
    path = tmp_path / "record.db"
    open_database(f"sqlite:///{path}", keyring=keyring).dispose()
    path.chmod(0o644)
    open_database(f"sqlite:///{path}", keyring=keyring).dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "field",
    ["name", "note", "rxnorm", "relationship", "condition", "organisation", "display_name"],
)
def test_nul_in_any_text_is_an_input_error(session: Session, world: World, field: str) -> None:
    """PostgreSQL cannot store NUL in text; no backend should hold it in clinical text."""
    from tailormed.record import create_patient

    bad = "co\x00deine"
    with pytest.raises(InputError, match="NUL"):
        if field in ("name", "note", "rxnorm"):
            kwargs = {"name": "codeine", field: bad}
            add_medication(session, world.user_a, "treatment", world.pat_a, **kwargs)
        elif field in ("relationship", "condition"):
            kwargs = {"relationship": "mother", "condition": "x", field: bad}
            add_family_history(session, world.user_a, "treatment", world.pat_a, **kwargs)
        elif field == "organisation":
            grant_consent(session, world.user_a, "treatment", world.pat_a, grantee_organisation=bad)
        else:
            create_patient(session, world.admin, "operations", display_name=bad)
    assert get_patient(session, world.user_a, "treatment", world.pat_a).id == world.pat_a


# ------------------------------------------------------------------ upgrading old data
def _legacy_database(db_url: str, ring: Keyring) -> dict[str, uuid.UUID]:
    """A record written by revision 0001: the health columns in clear, no audit MACs."""
    engine = engine_from_url(db_url, keyring=ring)
    ids = {k: uuid.uuid4() for k in ("patient", "admin", "clin", "puser", "upload", "result")}
    ids |= {k: uuid.uuid4() for k in ("med", "fam", "consent_org", "consent_genes", "share")}
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    naive = now.replace(tzinfo=None)
    interp = builders.interpretation()

    def seal(value: str, where: str) -> bytes:
        return ring.encrypt(value.encode(), where)

    try:
        upgrade(engine, "0001")
        sqlite = engine.dialect.name == "sqlite"
        naive = naive if sqlite else now  # type: ignore[assignment]
        with engine.begin() as conn:

            def ins(statement: Any, params: dict[str, Any]) -> None:
                """Raw SQL as 0001 stored it (SQLite keeps UUIDs as 32 hex digits)."""
                conn.execute(
                    statement,
                    {
                        k: v.hex if sqlite and isinstance(v, uuid.UUID) else v
                        for k, v in params.items()
                    },
                )

            ins(
                text(
                    "INSERT INTO patient (id, external_id, external_id_index, display_name, "
                    "created_at) VALUES (:id, :e, :i, :n, :t)"
                ),
                {
                    "id": ids["patient"],
                    "e": seal("MRN-L1", "patient.external_id"),
                    "i": ring.blind_index("MRN-L1"),
                    "n": seal("Lee Legacy", "patient.display_name"),
                    "t": naive,
                },
            )
            for key, role, org, patient in (
                ("admin", "admin", None, None),
                ("clin", "clinician", ORG, None),
                ("puser", "patient", None, ids["patient"]),
            ):
                ins(
                    text(
                        "INSERT INTO user_account (id, role, patient_id, organisation, "
                        "token_hash, active, created_at) VALUES (:id, :r, :p, :o, NULL, :a, :t)"
                    ),
                    {"id": ids[key], "r": role, "p": patient, "o": org, "a": True, "t": naive},
                )
            ins(
                text(
                    "INSERT INTO upload (id, patient_id, kind, original_filename, sha256, "
                    "size_bytes, status, created_at) VALUES (:id, :p, 'vcf', NULL, :h, 10, "
                    "'imported', :t)"
                ),
                {"id": ids["upload"], "p": ids["patient"], "h": SECRETS["sha256"], "t": naive},
            )
            ins(
                text(
                    "INSERT INTO result (id, patient_id, upload_id, sample, kb_version, "
                    "tailormed_version, calls, interpretation, created_at) VALUES "
                    "(:id, :p, :u, :s, 'kb', '0.1', :c, :i, :t)"
                ),
                {
                    "id": ids["result"],
                    "p": ids["patient"],
                    "u": ids["upload"],
                    "s": seal("S1", "result.sample"),
                    "c": seal(json.dumps([c.to_json() for c in interp.calls]), "result.calls"),
                    "i": seal(json.dumps(interp.to_json()), "result.interpretation"),
                    "t": naive,
                },
            )
            ins(
                text(
                    "INSERT INTO medication (id, patient_id, name, rxnorm, active, note, "
                    "created_at, updated_at) VALUES (:id, :p, :n, :r, :a, NULL, :t, :t)"
                ),
                {
                    "id": ids["med"],
                    "p": ids["patient"],
                    "n": seal("tamoxifen", "medication.name"),
                    "r": SECRETS["rxnorm"],
                    "a": True,
                    "t": naive,
                },
            )
            ins(
                text(
                    "INSERT INTO family_history (id, patient_id, relationship, condition, "
                    "genetic_result, notes, created_at, updated_at) VALUES "
                    "(:id, :p, :r, :c, NULL, NULL, :t, :t)"
                ),
                {
                    "id": ids["fam"],
                    "p": ids["patient"],
                    "r": SECRETS["relationship"],
                    "c": seal("ovarian cancer", "family_history.condition"),
                    "t": naive,
                },
            )
            for key, org, scope, genes in (
                ("consent_org", ORG, "all", None),
                ("consent_genes", None, "genes", '["CYP2C19", "HLA-B"]'),
            ):
                ins(
                    text(
                        "INSERT INTO consent (id, patient_id, grantee_user_id, "
                        "grantee_organisation, purpose, scope, genes, status, granted_by, "
                        "granted_at) VALUES (:id, :p, :g, :o, 'treatment', :s, :genes, "
                        "'active', :by, :t)"
                    ),
                    {
                        "id": ids[key],
                        "p": ids["patient"],
                        "g": None if org else ids["admin"],
                        "o": org,
                        "s": scope,
                        "genes": genes,
                        "by": ids["puser"],
                        "t": naive,
                    },
                )
            ins(
                text(
                    "INSERT INTO share (id, patient_id, token_hash, scope, genes, created_by, "
                    "created_at, expires_at, revoked) VALUES (:id, :p, :h, 'genes', :g, :by, "
                    ":t, :t, :r)"
                ),
                {
                    "id": ids["share"],
                    "p": ids["patient"],
                    "h": "ab" * 32,
                    "g": '["NUDT15"]',
                    "by": ids["puser"],
                    "t": naive,
                    "r": False,
                },
            )
            prev = GENESIS
            for n in range(1, 4):
                row = {
                    "id": n,
                    "ts": now,
                    "actor_id": ids["admin"],
                    "actor_role": "admin",
                    "action": "create",
                    "entity_type": "patient",
                    "entity_id": None,
                    "patient_id": ids["patient"],
                    "purpose": "operations",
                    "outcome": "success",
                    "detail": f"legacy {n}",
                    "prev_hash": prev,
                }
                row["hash"] = event_hash(type("Row", (), row)())
                ins(
                    text(
                        "INSERT INTO audit_event (id, ts, actor_id, actor_role, action, "
                        "entity_type, entity_id, patient_id, purpose, outcome, detail, "
                        "prev_hash, hash) VALUES (:id, :ts, :actor_id, :actor_role, :action, "
                        ":entity_type, :entity_id, :patient_id, :purpose, :outcome, :detail, "
                        ":prev_hash, :hash)"
                    ),
                    {**row, "ts": naive},
                )
                prev = row["hash"]
    finally:
        engine.dispose()
    return ids


def test_upgrade_seals_the_rows_of_an_old_database(db_url: str, keyring: Keyring) -> None:
    ids = _legacy_database(db_url, keyring)
    engine = open_database(db_url, keyring=keyring)  # migrates to the newest revision
    try:
        dump = _dump(engine)
        for what, secret in SECRETS.items():
            assert secret.encode() not in dump, what
        with session_factory(engine)() as s:
            patient = Actor(ids["puser"], "patient")
            (med,) = list_medications(s, patient, "treatment", ids["patient"])
            assert med.rxnorm == SECRETS["rxnorm"]
            consents = list_consents(s, patient, "treatment", ids["patient"])
            assert {c.grantee_organisation for c in consents} == {ORG, None}
            assert {c.genes for c in consents} == {("CYP2C19", "HLA-B"), ()}
            exported = export_patient(s, patient, "treatment", ids["patient"])
            assert exported["uploads"][0]["sha256"] == SECRETS["sha256"]
            assert exported["family_history"][0]["relationship"] == SECRETS["relationship"]
            # the organisation consent still reaches the clinic's clinician
            clinician = Actor(ids["clin"], "clinician")
            assert get_patient(s, clinician, "treatment", ids["patient"]).display_name
            check = check_audit_chain(s)
            assert check.valid, check.problem
        with engine.connect() as conn:
            macs = conn.execute(text("SELECT mac FROM audit_event WHERE id <= 3")).scalars()
            assert all(m and len(m) == 64 for m in macs)

        # the constraint that a consent names exactly one grantee survived the change
        def raw(u: uuid.UUID) -> Any:
            return u.hex if engine.dialect.name == "sqlite" else u

        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text("UPDATE consent SET grantee_user_id = :u WHERE id = :id"),
                {"u": raw(ids["admin"]), "id": raw(ids["consent_org"])},
            )
    finally:
        engine.dispose()
