"""Accounts: admins administer, they never obtain access to a patient's record.

The escalation this closes: an admin could create a ``patient`` user for any record, or
replace a patient's token (locking the patient out), and read and export the genome
with the token they got. Now:

* patient accounts exist only through an *enrolment code* a clinician of the patient's
  care hands to the patient (the clinician who registered the record, or one with a
  treatment consent of scope ``all``), never an admin; single use, expiring, stored as a
  hash, one live code per record, and none while the record has an active account;
* clinician and admin accounts start from an *activation code* the new user redeems for
  their own token: the admin who made the account never holds its token;
* a token is replaced only by its own user;
* issuing and redeeming are audited with the real actor.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from tailormed.record import (
    AuthorizationError,
    add_result,
    authenticate,
    clock,
    create_enrolment,
    create_patient,
    create_user,
    deactivate_user,
    export_patient,
    grant_consent,
    issue_token,
    list_results,
    redeem_code,
    reset_activation,
)
from tailormed.record.models import AuditEvent
from tests.record import builders
from tests.record.conftest import World


def _last_events(session: Session, n: int) -> list[AuditEvent]:
    with session.begin():
        rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(n))
        return list(reversed(list(rows)))


def test_admin_cannot_create_a_patient_account(session: Session, world: World) -> None:
    with pytest.raises(AuthorizationError, match="enrolment code"):
        create_user(session, world.admin, "operations", role="patient")  # type: ignore[arg-type]
    (last,) = _last_events(session, 1)
    assert (last.actor_id, last.outcome, last.entity_type) == (
        world.admin.user_id,
        "failure",
        "user",
    )


def test_admin_cannot_take_over_a_token(session: Session, world: World) -> None:
    for victim in (world.user_a, world.clin_a):
        with pytest.raises(AuthorizationError):
            issue_token(session, world.admin, "operations", victim.user_id)
    # the patient is not locked out
    assert authenticate(session, world.tokens["user_a"]) == world.user_a


def test_admin_cannot_issue_an_enrolment_code(session: Session, world: World) -> None:
    mine = create_patient(session, world.admin, "operations", display_name="Admin Made")
    for pid in (mine.id, world.pat_a):
        with pytest.raises(AuthorizationError):
            create_enrolment(session, world.admin, "operations", pid)


def test_admin_never_reads_the_genome_by_any_account_route(session: Session, world: World) -> None:
    add_result(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        builders.interpretation(),
        builders.upload(),
    )
    with pytest.raises(AuthorizationError):
        export_patient(session, world.admin, "treatment", world.pat_a)
    with pytest.raises(AuthorizationError):
        create_user(session, world.admin, "operations", role="patient")  # type: ignore[arg-type]
    with pytest.raises(AuthorizationError):
        create_enrolment(session, world.admin, "operations", world.pat_a)
    with pytest.raises(AuthorizationError):
        issue_token(session, world.admin, "operations", world.user_a.user_id)


def test_registering_clinician_enrols_the_patient_once(
    session: Session, world: World, engine: Engine
) -> None:
    new = create_patient(session, world.registrar, "treatment", display_name="Nia New")
    issued = create_enrolment(session, world.registrar, "treatment", new.id)
    assert len(issued.code.replace("-", "")) == 16
    assert issued.expires_at > clock.utcnow() + timedelta(days=13)
    with engine.connect() as conn:  # stored as a hash only
        dump = str(conn.execute(text("SELECT * FROM enrolment_code")).all())
    assert issued.code not in dump and issued.code.replace("-", "") not in dump

    user, token = redeem_code(session, issued.code.lower().replace("-", " "))  # typed loosely
    assert (user.role, user.patient_id) == ("patient", new.id)
    assert authenticate(session, token) == user.actor
    assert list_results(session, user.actor, "treatment", new.id) == []

    with pytest.raises(AuthorizationError, match="already used"):
        redeem_code(session, issued.code)
    _register, issue, redeem, _read, refused = _last_events(session, 5)
    assert (refused.outcome, refused.entity_type, refused.actor_id) == (
        "failure",
        "enrolment",
        None,
    )
    assert (issue.actor_id, issue.entity_type, issue.action) == (
        world.registrar.user_id,
        "enrolment",
        "create",
    )
    assert (redeem.actor_id, redeem.actor_role, redeem.entity_type) == (
        user.id,
        "patient",
        "enrolment",
    )
    assert redeem.patient_id == new.id and str(world.registrar.user_id) in (redeem.detail or "")


def test_no_code_while_the_record_has_an_active_account(session: Session, world: World) -> None:
    grant_consent(
        session, world.user_a, "treatment", world.pat_a, grantee_user_id=world.clin_a.user_id
    )
    with pytest.raises(AuthorizationError, match="active patient account"):
        create_enrolment(session, world.clin_a, "treatment", world.pat_a)
    # lost token: an admin deactivates the account, a consented clinician re-enrols
    deactivate_user(session, world.admin, "operations", world.user_a.user_id)
    issued = create_enrolment(session, world.clin_a, "treatment", world.pat_a)
    user, _ = redeem_code(session, issued.code)
    assert user.patient_id == world.pat_a and user.id != world.user_a.user_id


def test_other_clinicians_cannot_issue_codes(session: Session, world: World) -> None:
    new = create_patient(session, world.registrar, "treatment", display_name="Nia New")
    with pytest.raises(AuthorizationError):
        create_enrolment(session, world.clin_b, "treatment", new.id)
    with pytest.raises(AuthorizationError):
        create_enrolment(session, world.user_b, "treatment", new.id)


def test_codes_expire_and_a_new_code_voids_the_old(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = create_patient(session, world.registrar, "treatment", display_name="Nia New")
    first = create_enrolment(session, world.registrar, "treatment", new.id)
    second = create_enrolment(session, world.registrar, "treatment", new.id)
    with pytest.raises(AuthorizationError, match="no longer valid"):
        redeem_code(session, first.code)
    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=15))
    with pytest.raises(AuthorizationError, match="expired"):
        redeem_code(session, second.code)
    with pytest.raises(AuthorizationError, match="unknown"):
        redeem_code(session, "AAAA-BBBB-CCCC-DDDD")


def test_clinician_accounts_start_from_an_activation_code(session: Session, world: World) -> None:
    view, issued = create_user(
        session,
        world.admin,
        "operations",
        role="clinician",
        display_name="Dr Grace Hopper",
        organisation="clinic-g",
    )
    assert not view.activated and view.display_name == "Dr Grace Hopper"
    user, token = redeem_code(session, issued.code)
    assert user.id == view.id and user.activated
    assert authenticate(session, token) == view.actor
    # a reset voids the token and gives a new activation code (to hand to the clinician)
    again = reset_activation(session, world.admin, "operations", view.id)
    with pytest.raises(AuthorizationError):
        authenticate(session, token)
    _, token2 = redeem_code(session, again.code)
    assert authenticate(session, token2) == view.actor
    # patients' accounts are never reset by an admin
    with pytest.raises(AuthorizationError):
        reset_activation(session, world.admin, "operations", world.user_a.user_id)


def test_users_replace_their_own_token(session: Session, world: World) -> None:
    token = issue_token(session, world.user_a, "treatment", world.user_a.user_id)
    assert authenticate(session, token) == world.user_a
    with pytest.raises(AuthorizationError):
        authenticate(session, world.tokens["user_a"])
