"""Authorisation: own record only for patients, consent for clinicians, none by role for admins."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tailormed.record import (
    Actor,
    AuthorizationError,
    ConsentError,
    ConsentView,
    NotFoundError,
    add_family_history,
    add_medication,
    add_result,
    clock,
    create_share,
    create_user,
    deactivate_user,
    delete_patient,
    export_patient,
    find_patient,
    get_patient,
    get_result,
    grant_consent,
    list_audit_events,
    list_consents,
    list_family_history,
    list_medications,
    list_results,
    list_shares,
    revoke_consent,
    update_medication,
    verify_audit_chain,
)
from tailormed.record.models import AuditEvent, Result
from tests.record import builders
from tests.record.conftest import World

Read = Callable[[Session, Actor, uuid.UUID, uuid.UUID], Any]

# Every repository read: (session, actor, patient id, one of that patient's result ids).
READS: dict[str, Read] = {
    "get_patient": lambda s, a, p, r: get_patient(s, a, "treatment", p),
    "find_patient": lambda s, a, p, r: find_patient(s, a, "treatment", "MRN-B2"),
    "list_results": lambda s, a, p, r: list_results(s, a, "treatment", p),
    "get_result": lambda s, a, p, r: get_result(s, a, "treatment", p, r),
    "list_medications": lambda s, a, p, r: list_medications(s, a, "treatment", p),
    "list_family_history": lambda s, a, p, r: list_family_history(s, a, "treatment", p),
    "list_consents": lambda s, a, p, r: list_consents(s, a, "treatment", p),
    "list_shares": lambda s, a, p, r: list_shares(s, a, "treatment", p),
    "list_audit_events": lambda s, a, p, r: list_audit_events(s, a, "treatment", p),
    "export_patient": lambda s, a, p, r: export_patient(s, a, "treatment", p),
}
CLINICAL_READS = [
    "get_patient",
    "list_results",
    "get_result",
    "list_medications",
    "list_family_history",
    "export_patient",
]


def _fill(session: Session, world: World, patient: uuid.UUID, who: Actor) -> uuid.UUID:
    """Give a patient a result, a medication and a family-history entry."""
    res = add_result(
        session, who, "treatment", patient, builders.interpretation(), builders.upload()
    )
    add_medication(session, who, "treatment", patient, name="citalopram", note="since 2024")
    add_family_history(
        session,
        who,
        "treatment",
        patient,
        relationship="mother",
        condition="breast cancer",
        genetic_result="BRCA1 c.68_69del",
    )
    return res.id


def _consent(session: Session, world: World, grantee: Actor, **kw: Any) -> ConsentView:
    """Patient A grants ``grantee`` a consent."""
    return grant_consent(
        session, world.user_a, "treatment", world.pat_a, grantee_user_id=grantee.user_id, **kw
    )


def _failures(session: Session) -> int:
    with session.begin():
        n = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.outcome == "failure")
        )
    return int(n or 0)


@pytest.mark.parametrize("read", sorted(READS))
def test_patient_a_never_reads_patient_b(session: Session, world: World, read: str) -> None:
    result_b = _fill(session, world, world.pat_b, world.user_b)
    _fill(session, world, world.pat_a, world.user_a)
    before = _failures(session)
    with pytest.raises((AuthorizationError, NotFoundError)) as err:
        READS[read](session, world.user_a, world.pat_b, result_b)
    assert "John Roe" not in str(err.value) and "MRN-B2" not in str(err.value)
    assert _failures(session) == before + 1  # the refusal is in the audit log
    assert verify_audit_chain(session) == (True, None)


@pytest.mark.parametrize("read", sorted(set(READS) - {"find_patient"}))
def test_patient_reads_own_record(session: Session, world: World, read: str) -> None:
    result_a = _fill(session, world, world.pat_a, world.user_a)
    READS[read](session, world.user_a, world.pat_a, result_a)


def test_patient_cannot_reach_own_result_through_other_id(session: Session, world: World) -> None:
    result_b = _fill(session, world, world.pat_b, world.user_b)
    with pytest.raises(NotFoundError):  # own patient id, another patient's result id
        get_result(session, world.user_a, "treatment", world.pat_a, result_b)


@pytest.mark.parametrize("read", CLINICAL_READS)
def test_clinician_consent_lifecycle(
    session: Session, world: World, read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = _fill(session, world, world.pat_a, world.user_a)
    call = READS[read]
    with pytest.raises(ConsentError):
        call(session, world.clin_a, world.pat_a, rid)

    now = clock.utcnow()
    consent = _consent(session, world, world.clin_a, expires_at=now + timedelta(days=30))
    call(session, world.clin_a, world.pat_a, rid)  # allowed
    with pytest.raises(ConsentError):  # the consent covers patient A only
        call(session, world.clin_a, world.pat_b, rid)

    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=31))
    with pytest.raises(ConsentError):  # expired
        call(session, world.clin_a, world.pat_a, rid)
    monkeypatch.undo()

    call(session, world.clin_a, world.pat_a, rid)
    revoke_consent(session, world.user_a, "treatment", world.pat_a, consent.id)
    with pytest.raises(ConsentError):  # revoked
        call(session, world.clin_a, world.pat_a, rid)


def test_research_needs_a_research_consent(session: Session, world: World) -> None:
    _fill(session, world, world.pat_a, world.user_a)
    _consent(session, world, world.clin_a)
    list_results(session, world.clin_a, "treatment", world.pat_a)
    with pytest.raises(ConsentError):
        list_results(session, world.clin_a, "research", world.pat_a)
    _consent(session, world, world.clin_a, consent_purpose="research")
    list_results(session, world.clin_a, "research", world.pat_a)
    with pytest.raises(AuthorizationError):  # no consent purpose "operations"
        list_results(session, world.clin_a, "operations", world.pat_a)


def test_organisation_consent_covers_colleagues_only(session: Session, world: World) -> None:
    _fill(session, world, world.pat_a, world.user_a)
    grant_consent(session, world.user_a, "treatment", world.pat_a, grantee_organisation="clinic-a")
    list_results(session, world.clin_a, "treatment", world.pat_a)
    list_results(session, world.clin_a2, "treatment", world.pat_a)
    for other in (world.clin_b, world.lone):
        with pytest.raises(ConsentError):
            list_results(session, other, "treatment", world.pat_a)


def test_admin_manages_users_but_reads_no_phi_without_consent(
    session: Session, world: World
) -> None:
    rid = _fill(session, world, world.pat_a, world.user_a)
    for read in CLINICAL_READS:
        with pytest.raises(ConsentError):
            READS[read](session, world.admin, world.pat_a, rid)
    # ...but lists consents, shares and the audit trail (no PHI) and manages users
    list_consents(session, world.admin, "operations", world.pat_a)
    list_audit_events(session, world.admin, "operations", world.pat_a)
    view, _ = create_user(session, world.admin, "operations", role="clinician", organisation="x")
    deactivate_user(session, world.admin, "operations", view.id)
    _consent(session, world, world.admin)
    get_patient(session, world.admin, "treatment", world.pat_a)


def test_only_admins_manage_users(session: Session, world: World) -> None:
    for actor in (world.clin_a, world.user_a):
        with pytest.raises(AuthorizationError):
            create_user(session, actor, "operations", role="clinician")


def test_deactivated_or_impersonated_users_are_refused(session: Session, world: World) -> None:
    _consent(session, world, world.clin_a)
    get_patient(session, world.clin_a, "treatment", world.pat_a)
    with pytest.raises(AuthorizationError, match="role"):  # a clinician claiming to be admin
        get_patient(session, Actor(world.clin_a.user_id, "admin"), "treatment", world.pat_a)
    with pytest.raises(AuthorizationError, match="unknown"):
        get_patient(session, Actor(uuid.uuid4(), "clinician"), "treatment", world.pat_a)
    deactivate_user(session, world.admin, "operations", world.clin_a.user_id)
    with pytest.raises(AuthorizationError, match="deactivated"):
        get_patient(session, world.clin_a, "treatment", world.pat_a)


def test_writes_need_treatment_consent_with_scope_all(session: Session, world: World) -> None:
    _consent(session, world, world.clin_a, scope="reports")
    with pytest.raises(ConsentError):
        add_medication(session, world.clin_a, "treatment", world.pat_a, name="codeine")
    with pytest.raises(ConsentError):
        add_result(
            session,
            world.clin_a,
            "treatment",
            world.pat_a,
            builders.interpretation(),
            builders.upload(),
        )
    _consent(session, world, world.clin_a)
    med = add_medication(session, world.clin_a, "treatment", world.pat_a, name="codeine")
    update_medication(session, world.clin_a, "treatment", world.pat_a, med.id, active=False)


def test_scope_genes_shows_only_those_genes(session: Session, world: World) -> None:
    _fill(session, world, world.pat_a, world.user_a)
    _consent(session, world, world.clin_a, scope="genes", genes=["CYP2C19"])
    (res,) = list_results(session, world.clin_a, "treatment", world.pat_a)
    assert res.scope == "partial"
    assert [c.gene for c in res.calls] == ["CYP2C19"]
    assert [c.gene for c in res.interpretation.calls] == ["CYP2C19"]
    assert [p.gene for p in res.interpretation.phenotypes] == ["CYP2C19"]
    assert [d.drug for d in res.interpretation.drugs] == ["clopidogrel"]  # warfarin needs CYP2C9
    assert res.interpretation.medications == ()
    assert res.interpretation.resolved_medications == ()  # nor what the lines were read as
    with pytest.raises(ConsentError):  # clinical history needs scope all
        list_medications(session, world.clin_a, "treatment", world.pat_a)
    exported = export_patient(session, world.clin_a, "treatment", world.pat_a)
    assert exported["medications"] == [] and exported["family_history"] == []
    assert "BRCA1" not in str(exported) and "CYP2C9" not in str(exported["results"][0]["calls"])


def test_scope_reports_hides_variant_evidence(session: Session, world: World) -> None:
    _fill(session, world, world.pat_a, world.user_a)
    _consent(session, world, world.clin_a, scope="reports")
    (res,) = list_results(session, world.clin_a, "treatment", world.pat_a)
    assert {c.gene for c in res.calls} == {"CYP2C19", "CYP2C9"}
    assert all(c.genotypes == () and c.evidence == {} for c in res.calls)
    assert {d.drug for d in res.interpretation.drugs} == {"clopidogrel", "warfarin"}


def test_only_the_patient_grants_consent(session: Session, world: World) -> None:
    for actor in (world.clin_a, world.admin, world.user_b):
        with pytest.raises(AuthorizationError):
            grant_consent(
                session, actor, "treatment", world.pat_a, grantee_user_id=world.clin_a.user_id
            )


def test_clinician_can_give_up_own_consent_only(session: Session, world: World) -> None:
    mine = _consent(session, world, world.clin_a)
    with pytest.raises(AuthorizationError):
        revoke_consent(session, world.clin_b, "treatment", world.pat_a, mine.id)
    assert (
        revoke_consent(session, world.clin_a, "treatment", world.pat_a, mine.id).status == "revoked"
    )


def test_delete_and_share_are_the_patients_or_admins(session: Session, world: World) -> None:
    _consent(session, world, world.clin_a)
    with pytest.raises(AuthorizationError):
        delete_patient(session, world.clin_a, "treatment", world.pat_a)
    with pytest.raises(AuthorizationError):
        create_share(
            session,
            world.clin_a,
            "treatment",
            world.pat_a,
            expires_at=clock.utcnow() + timedelta(days=1),
        )
    with pytest.raises(AuthorizationError):
        delete_patient(session, world.user_b, "treatment", world.pat_a)


def test_find_patient_hides_records_without_access(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError):
        find_patient(session, world.clin_a, "treatment", "MRN-A1")
    grant_consent(session, world.user_a, "treatment", world.pat_a, grantee_organisation="clinic-a")
    assert find_patient(session, world.clin_a, "treatment", "MRN-A1").id == world.pat_a
    with pytest.raises(NotFoundError):
        find_patient(session, world.clin_a, "treatment", "MRN-NOPE")


def test_denial_rolls_back_and_is_audited(session: Session, world: World) -> None:
    with pytest.raises(ConsentError):
        list_results(session, world.clin_b, "treatment", world.pat_a)
    with session.begin():
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).one()
        assert session.scalar(select(func.count()).select_from(Result)) == 0
    assert (last.outcome, last.action, last.actor_id) == ("failure", "read", world.clin_b.user_id)
    assert last.patient_id == world.pat_a and "consent" in (last.detail or "")
    assert not session.in_transaction()


def test_attested_consent_at_registration(session: Session, world: World) -> None:
    from tailormed.record import create_patient

    p = create_patient(
        session,
        world.clin_a,
        "treatment",
        display_name="New Patient",
        attest_treatment_consent=True,
    )
    get_patient(session, world.clin_a2, "treatment", p.id)  # the organisation's consent
    with pytest.raises(ConsentError):
        get_patient(session, world.clin_b, "treatment", p.id)
    with pytest.raises(AuthorizationError):
        create_patient(
            session, world.admin, "operations", display_name="X", attest_treatment_consent=True
        )


def test_organisation_consent_does_not_cover_admins_of_that_organisation(
    session: Session, world: World
) -> None:
    org_admin, _ = create_user(
        session, world.admin, "operations", role="admin", organisation="clinic-a"
    )
    grant_consent(session, world.user_a, "treatment", world.pat_a, grantee_organisation="clinic-a")
    with pytest.raises(ConsentError):
        get_patient(session, org_admin.actor, "treatment", world.pat_a)
