"""Patients, clinical history, consents, share links, tokens, export and deletion."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, func, select, text
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import (
    AuthorizationError,
    NotFoundError,
    add_family_history,
    add_medication,
    add_result,
    authenticate,
    bootstrap_admin,
    clock,
    create_share,
    delete_family_history,
    delete_medication,
    delete_patient,
    export_patient,
    get_patient,
    grant_consent,
    issue_token,
    list_audit_events,
    list_consents,
    list_family_history,
    list_medications,
    list_results,
    list_shares,
    resolve_share,
    revoke_share,
    update_family_history,
    update_medication,
    verify_audit_chain,
)
from tailormed.record.models import AuditEvent, Base
from tests.record import builders
from tests.record.conftest import World


def _fill(session: Session, world: World) -> None:
    for patient, user in ((world.pat_a, world.user_a), (world.pat_b, world.user_b)):
        add_result(
            session, user, "treatment", patient, builders.interpretation(), builders.upload()
        )
        add_medication(session, user, "treatment", patient, name="codeine", note="post-op")
        add_family_history(
            session, user, "treatment", patient, relationship="father", condition="MH"
        )
        grant_consent(session, user, "treatment", patient, grantee_organisation="clinic-a")
        create_share(
            session, user, "treatment", patient, expires_at=clock.utcnow() + timedelta(days=7)
        )


def _rows_of(engine: Engine, patient_id: object) -> dict[str, int]:
    """Rows mentioning the patient in every table but the audit log (raw SQL)."""
    counts = {}
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "audit_event":
                continue
            col = table.c.patient_id if "patient_id" in table.c else table.c.id
            counts[table.name] = conn.execute(
                select(func.count()).select_from(table).where(col == patient_id)
            ).scalar_one()
    return counts


def test_delete_patient_leaves_no_patient_rows(
    engine: Engine, session: Session, world: World, backend: str, db_url: str
) -> None:
    _fill(session, world)
    with engine.connect() as conn:
        ciphertext = conn.execute(
            text("SELECT display_name FROM patient WHERE display_name IS NOT NULL")
        ).all()
    before_b = _rows_of(engine, world.pat_b)

    delete_patient(session, world.user_a, "treatment", world.pat_a)

    assert set(_rows_of(engine, world.pat_a).values()) == {0}
    assert _rows_of(engine, world.pat_b) == before_b  # the other patient is untouched
    with session.begin():
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.entity_type, last.patient_id) == ("delete", "patient", world.pat_a)
    assert "Jane" not in (last.detail or "")
    assert verify_audit_chain(session) == (True, None)
    with pytest.raises(AuthorizationError):  # the patient's account went with the record
        get_patient(session, world.user_a, "treatment", world.pat_a)
    with pytest.raises(AuthorizationError):  # and the consents
        list_results(session, world.clin_a, "treatment", world.pat_a)

    if backend == "sqlite":  # secure_delete: the old ciphertext is gone from the file too
        engine.dispose()
        path = Path(db_url.removeprefix("sqlite:///"))
        with closing(sqlite3.connect(path)) as raw_conn:
            raw_conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        remaining = [bytes(c[0]) in raw for c in ciphertext]
        assert remaining.count(True) == 1  # patient B's name only


def test_admin_deletes_a_patient(session: Session, world: World, engine: Engine) -> None:
    _fill(session, world)
    delete_patient(session, world.admin, "operations", world.pat_a)
    assert set(_rows_of(engine, world.pat_a).values()) == {0}
    with pytest.raises(NotFoundError):
        delete_patient(session, world.admin, "operations", world.pat_a)
    events = list_audit_events(session, world.admin, "operations", world.pat_a)
    assert events[-2].action == "delete" and events[-2].outcome == "success"
    assert events[-1].outcome == "failure"


def test_medication_crud(session: Session, world: World) -> None:
    a = world.user_a
    med = add_medication(session, a, "treatment", world.pat_a, name="clopidogrel", rxnorm="32968")
    changed = update_medication(session, a, "treatment", world.pat_a, med.id, active=False)
    assert (changed.name, changed.rxnorm, changed.active) == ("clopidogrel", "32968", False)
    changed = update_medication(session, a, "treatment", world.pat_a, med.id, rxnorm=None)
    assert changed.rxnorm is None
    assert list_medications(session, a, "treatment", world.pat_a, active_only=True) == []
    with pytest.raises(NotFoundError):  # another patient's id cannot reach it
        update_medication(session, world.user_b, "treatment", world.pat_b, med.id, active=True)
    delete_medication(session, a, "treatment", world.pat_a, med.id)
    assert list_medications(session, a, "treatment", world.pat_a) == []
    with pytest.raises(InputError):
        add_medication(session, a, "treatment", world.pat_a, name=" ")


def test_family_history_crud(session: Session, world: World) -> None:
    a = world.user_a
    entry = add_family_history(
        session, a, "treatment", world.pat_a, relationship="sister", condition="statin myopathy"
    )
    updated = update_family_history(
        session, a, "treatment", world.pat_a, entry.id, genetic_result="SLCO1B1 *5/*5"
    )
    assert (updated.condition, updated.genetic_result) == ("statin myopathy", "SLCO1B1 *5/*5")
    (listed,) = list_family_history(session, a, "treatment", world.pat_a)
    assert listed == updated
    delete_family_history(session, a, "treatment", world.pat_a, entry.id)
    assert list_family_history(session, a, "treatment", world.pat_a) == []


def test_consent_validation_and_listing(session: Session, world: World) -> None:
    a = world.user_a
    with pytest.raises(InputError, match="exactly one grantee"):
        grant_consent(session, a, "treatment", world.pat_a)
    with pytest.raises(InputError, match="needs at least one gene"):
        grant_consent(session, a, "treatment", world.pat_a, grantee_organisation="x", scope="genes")
    with pytest.raises(InputError, match="future"):
        grant_consent(
            session,
            a,
            "treatment",
            world.pat_a,
            grantee_organisation="x",
            expires_at=clock.utcnow() - timedelta(days=1),
        )
    with pytest.raises(NotFoundError):  # patients cannot be grantees
        grant_consent(session, a, "treatment", world.pat_a, grantee_user_id=world.user_b.user_id)
    c = grant_consent(session, a, "treatment", world.pat_a, grantee_organisation="clinic-b")
    (listed,) = list_consents(session, a, "treatment", world.pat_a)
    assert listed == c and listed.in_force()


def test_share_links(
    engine: Engine, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(session, world)
    now = clock.utcnow()
    share, token = create_share(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        expires_at=now + timedelta(days=2),
        scope="genes",
        genes=["CYP2C19"],
    )
    with engine.connect() as conn:
        stored = str(conn.execute(text("SELECT * FROM share")).all())
    assert token not in stored

    shared = resolve_share(session, token)
    assert shared["patient"]["display_name"] == "Jane Doe"
    assert [c["gene"] for c in shared["results"][0]["calls"]] == ["CYP2C19"]
    assert shared["medications"] == []
    with session.begin():
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
    assert (last.action, last.entity_id, last.outcome) == ("share", str(share.id), "success")

    with pytest.raises(AuthorizationError, match="unknown share token"):
        resolve_share(session, token + "x")
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=3))
    with pytest.raises(AuthorizationError, match="expired"):
        resolve_share(session, token)
    monkeypatch.undo()
    revoke_share(session, world.user_a, "treatment", world.pat_a, share.id)
    with pytest.raises(AuthorizationError, match="revoked"):
        resolve_share(session, token)
    assert len(list_shares(session, world.user_a, "treatment", world.pat_a)) == 2
    with pytest.raises(InputError, match="within"):
        create_share(
            session,
            world.user_a,
            "treatment",
            world.pat_a,
            expires_at=now + timedelta(days=365),
        )


def test_tokens(session: Session, world: World, engine: Engine) -> None:
    with pytest.raises(AuthorizationError):  # an admin exists already
        bootstrap_admin(session)
    token = issue_token(session, world.user_a, "operations", world.user_a.user_id)
    assert authenticate(session, token) == world.user_a
    with engine.connect() as conn:
        assert token not in str(conn.execute(text("SELECT * FROM user_account")).all())
    issue_token(session, world.user_a, "operations", world.user_a.user_id)  # replaces it
    with pytest.raises(AuthorizationError, match="invalid"):
        authenticate(session, token)
    with pytest.raises(AuthorizationError):  # users cannot reissue each other's tokens
        issue_token(session, world.user_b, "operations", world.user_a.user_id)
    with pytest.raises(AuthorizationError):  # nor can an admin (test_enrolment.py)
        issue_token(session, world.admin, "operations", world.user_a.user_id)


def test_export_patient_is_complete_and_json_ready(session: Session, world: World) -> None:
    _fill(session, world)
    out = export_patient(session, world.user_a, "treatment", world.pat_a)
    json.dumps(out)
    assert out["schema"] == "tailormed.record-export/1"
    assert out["patient"]["external_id"] == "MRN-A1"
    assert len(out["results"]) == len(out["uploads"]) == 1
    assert out["results"][0]["interpretation"] == builders.interpretation().to_json()
    assert out["uploads"][0]["original_filename"] == "jane_doe.vcf"
    assert [m["name"] for m in out["medications"]] == ["codeine"]
    assert [f["condition"] for f in out["family_history"]] == ["MH"]
    assert out["consents"][0]["grantee_organisation"] == "clinic-a"


def test_session_with_open_transaction_is_refused(session: Session, world: World) -> None:
    session.execute(select(1))
    with pytest.raises(RuntimeError, match="own transaction"):
        get_patient(session, world.user_a, "treatment", world.pat_a)
    session.rollback()


def test_patient_tables_are_all_covered() -> None:
    """Every table with a patient_id is erased by delete_patient (audit_event excepted)."""
    from tailormed.record.models import PATIENT_TABLES

    with_patient = {t.name for t in Base.metadata.sorted_tables if "patient_id" in t.c} - {
        "audit_event"
    }
    assert with_patient == {m.__tablename__ for m in PATIENT_TABLES}
    assert all(isinstance(m.__table__, Table) for m in PATIENT_TABLES)
