"""Clinical documents and findings: versions, consent scopes, isolation, audit, export."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.findings import Evidence, Finding
from tailormed.record import (
    ConsentError,
    NotFoundError,
    delete_document,
    get_document,
    grant_consent,
    list_documents,
    list_findings,
    put_document,
    replace_findings,
    verify_audit_chain,
)
from tailormed.record.access import Access
from tailormed.record.export import build_export
from tailormed.record.models import AuditEvent, ClinicalDocument, FindingRow
from tests.record.conftest import World

FACTORS = {"age_years": 55, "sex": "female", "total_cholesterol_mg_dl": 213}


def _finding(code: str = "cardio.pce", severity: str = "moderate") -> Finding:
    return Finding(
        domain="cardio",
        code=code,
        title="PCE",
        severity=severity,  # type: ignore[arg-type]
        summary="10-year ASCVD risk 7.2 %.",
        subject="S1",
        evidence=(
            Evidence("variant", "LDLR c.1A>G", "heterozygous"),
            Evidence("measurement", "LDL-C", 190, "mg/dL"),
        ),
        values={"ascvd_10yr_percent": 7.2},
    )


def test_document_versions_round_trip_and_delete(session: Session, world: World) -> None:
    first = put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    second = put_document(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        "cardio.factors",
        {**FACTORS, "age_years": 56},
    )
    assert (first.version, second.version) == (1, 2)
    got = get_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors")
    assert got.body["age_years"] == 56 and got.version == 2
    assert got.created_by == world.user_a.user_id
    put_document(
        session, world.user_a, "treatment", world.pat_a, "rare.phenotype", {"hpo": ["HP:0001166"]}
    )
    kinds = [d.kind for d in list_documents(session, world.user_a, "treatment", world.pat_a)]
    assert kinds == ["cardio.factors", "rare.phenotype"]
    only = list_documents(session, world.user_a, "treatment", world.pat_a, domain="rare")
    assert [d.kind for d in only] == ["rare.phenotype"]
    assert delete_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors") == 2
    with pytest.raises(NotFoundError):
        get_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors")


def test_kind_and_body_are_checked(session: Session, world: World) -> None:
    with pytest.raises(InputError, match="unknown domain"):
        put_document(session, world.user_a, "treatment", world.pat_a, "dental.teeth", {})
    with pytest.raises(InputError, match=r"<domain>\.<name>"):
        put_document(session, world.user_a, "treatment", world.pat_a, "Cardio", {})
    with pytest.raises(InputError, match="NUL"):
        put_document(
            session, world.user_a, "treatment", world.pat_a, "cardio.factors", {"a": "x\x00"}
        )


def test_patients_are_isolated(session: Session, world: World) -> None:
    put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    from tailormed.record import AuthorizationError

    with pytest.raises(AuthorizationError):
        get_document(session, world.user_b, "treatment", world.pat_a, "cardio.factors")
    with pytest.raises(NotFoundError):
        get_document(session, world.user_b, "treatment", world.pat_b, "cardio.factors")
    with pytest.raises(AuthorizationError):
        put_document(session, world.user_b, "treatment", world.pat_a, "cardio.factors", FACTORS)


def test_consent_scopes(session: Session, world: World) -> None:
    put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    replace_findings(session, world.user_a, "treatment", world.pat_a, "cardio", [_finding()])
    # no consent: nothing
    with pytest.raises(ConsentError):
        list_findings(session, world.clin_b, "treatment", world.pat_a)
    # scope reports: findings without per-variant evidence, no documents
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.clin_b.user_id,
        scope="reports",
    )
    seen = list_findings(session, world.clin_b, "treatment", world.pat_a)
    assert [e.kind for e in seen[0].finding.evidence] == ["measurement"]
    assert seen[0].scope == "partial"
    with pytest.raises(ConsentError):
        get_document(session, world.clin_b, "treatment", world.pat_a, "cardio.factors")
    # scope genes: no clinical domain
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_user_id=world.lone.user_id,
        scope="genes",
        genes=["CYP2C19"],
    )
    with pytest.raises(ConsentError):
        list_findings(session, world.lone, "treatment", world.pat_a)
    # scope all: everything, and writes under treatment
    grant_consent(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        grantee_organisation="clinic-a",
        scope="all",
    )
    full = list_findings(session, world.clin_a, "treatment", world.pat_a)
    assert len(full[0].finding.evidence) == 2 and full[0].finding == _finding()
    doc = put_document(session, world.clin_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    assert doc.created_by == world.clin_a.user_id


def test_replace_findings_swaps_one_domain(session: Session, world: World) -> None:
    doc = put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    replace_findings(
        session,
        world.user_a,
        "treatment",
        world.pat_a,
        "cardio",
        [_finding("cardio.pce", "info"), _finding("cardio.statin", "high")],
        document_id=doc.id,
    )
    got = list_findings(session, world.user_a, "treatment", world.pat_a)
    assert [v.finding.code for v in got] == ["cardio.statin", "cardio.pce"]  # most severe first
    assert got[0].document_id == doc.id
    replace_findings(session, world.user_a, "treatment", world.pat_a, "cardio", [_finding()])
    assert len(list_findings(session, world.user_a, "treatment", world.pat_a, domain="cardio")) == 1
    with pytest.raises(InputError, match="not of domain"):
        replace_findings(session, world.user_a, "treatment", world.pat_a, "rare", [_finding()])


def test_stored_encrypted_and_audited_with_the_actor(session: Session, world: World) -> None:
    put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    replace_findings(session, world.user_a, "treatment", world.pat_a, "cardio", [_finding()])
    with session.begin():
        raw = session.connection().exec_driver_sql("SELECT kind, body FROM clinical_document").all()
        raw_f = session.connection().exec_driver_sql("SELECT domain, code, body FROM finding").all()
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_type.in_(("clinical_document", "finding")))
        ).all()
    for row in [*raw, *raw_f]:
        for cell in row:
            blob = bytes(cell)
            assert b"cardio" not in blob and b"213" not in blob
    assert {(e.action, e.actor_id) for e in events} == {
        ("create", world.user_a.user_id),
        ("update", world.user_a.user_id),
    }
    assert verify_audit_chain(session)[0]


def test_export_and_patient_deletion_include_them(session: Session, world: World) -> None:
    put_document(session, world.user_a, "treatment", world.pat_a, "cardio.factors", FACTORS)
    replace_findings(session, world.user_a, "treatment", world.pat_a, "cardio", [_finding()])
    with session.begin():
        out = build_export(session, Access(world.pat_a, full=True))
    assert out["documents"][0]["body"] == FACTORS
    assert out["findings"][0]["finding"]["code"] == "cardio.pce"
    from tailormed.record import delete_patient

    delete_patient(session, world.admin, "operations", world.pat_a)
    with session.begin():
        assert session.scalars(select(ClinicalDocument)).all() == []
        assert session.scalars(select(FindingRow)).all() == []
