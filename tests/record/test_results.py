"""Results: round trip, atomic import, concurrent imports."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from tailormed.errors import InputError
from tailormed.record import (
    NotFoundError,
    UploadInfo,
    add_result,
    get_result,
    list_results,
    verify_audit_chain,
)
from tailormed.record import results as results_module
from tailormed.record.models import AuditEvent, Result, Upload
from tests.record import builders
from tests.record.conftest import World


def _count(session: Session, model: type[Result] | type[Upload], patient: uuid.UUID) -> int:
    with session.begin():
        n = session.scalar(
            select(func.count()).select_from(model).where(model.patient_id == patient)
        )
    return int(n or 0)


def test_result_round_trip(session: Session, world: World) -> None:
    interp = builders.interpretation("LAB-0042")
    stored = add_result(
        session, world.user_a, "treatment", world.pat_a, interp, builders.upload("a.vcf")
    )
    got = get_result(session, world.user_a, "treatment", world.pat_a, stored.id)
    assert got.interpretation == interp
    assert got.calls == interp.calls
    assert (got.sample, got.kb_version, got.upload_kind, got.scope) == (
        "LAB-0042",
        builders.KB,
        "vcf",
        "all",
    )
    assert got.tailormed_version
    assert got.interpretation.call("CYP2C19").diplotype == "*2/*17"  # type: ignore[union-attr]


def test_results_listed_newest_first(session: Session, world: World) -> None:
    for sample in ("S1", "S2", "S3"):
        add_result(
            session,
            world.user_a,
            "treatment",
            world.pat_a,
            builders.interpretation(sample),
            builders.upload(sample, sample.encode()),
        )
    assert [r.sample for r in list_results(session, world.user_a, "treatment", world.pat_a)] == [
        "S3",
        "S2",
        "S1",
    ]
    assert list_results(session, world.user_b, "treatment", world.pat_b) == []


def test_failure_mid_import_leaves_nothing(
    session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload row is written, then storing the result fails: both are gone."""

    def boom(*_: object, **__: object) -> Result:
        raise RuntimeError("injected failure after the upload row")

    audit_before = _audit_count(session)
    monkeypatch.setattr(results_module, "_store_result", boom)
    with pytest.raises(RuntimeError, match="injected"):
        add_result(
            session,
            world.user_a,
            "treatment",
            world.pat_a,
            builders.interpretation(),
            builders.upload(),
        )
    assert not session.in_transaction()
    assert _count(session, Upload, world.pat_a) == 0
    assert _count(session, Result, world.pat_a) == 0
    assert _audit_count(session) == audit_before  # no "success" for what did not happen
    assert verify_audit_chain(session) == (True, None)


def _audit_count(session: Session) -> int:
    with session.begin():
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_bad_upload_metadata_is_refused_before_writing(session: Session, world: World) -> None:
    bad = UploadInfo(kind="vcf", sha256="nothex", size_bytes=1)
    with pytest.raises(InputError, match="sha256"):
        add_result(session, world.user_a, "treatment", world.pat_a, builders.interpretation(), bad)
    with pytest.raises(InputError, match="kind"):
        add_result(
            session,
            world.user_a,
            "treatment",
            world.pat_a,
            builders.interpretation(),
            UploadInfo(kind="bam", sha256="0" * 64, size_bytes=1),  # type: ignore[arg-type]
        )
    assert _count(session, Upload, world.pat_a) == 0


def test_unknown_result_is_not_found(session: Session, world: World) -> None:
    with pytest.raises(NotFoundError):
        get_result(session, world.user_a, "treatment", world.pat_a, uuid.uuid4())


def test_concurrent_imports_for_one_patient_are_both_kept(
    sessions: sessionmaker[Session], session: Session, world: World
) -> None:
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(sample: str) -> None:
        try:
            with sessions() as s:
                start.wait()
                add_result(
                    s,
                    world.user_a,
                    "treatment",
                    world.pat_a,
                    builders.interpretation(sample),
                    builders.upload(sample, sample.encode()),
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"T{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    samples = {r.sample for r in list_results(session, world.user_a, "treatment", world.pat_a)}
    assert samples == {"T0", "T1"}
    assert verify_audit_chain(session) == (True, None)
