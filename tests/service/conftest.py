"""Service fixtures: the app on SQLite (a temp file) and on PostgreSQL, with users.

PostgreSQL is the server the record tests use (127.0.0.1:5432, trust, database
``test``); each service gets its own schema (``tm_<run>_svc<n>``), dropped afterwards.
Unreachable → the PostgreSQL variants are skipped with a loud warning, except under
``CI``, where that fails (the rule of ``tests/record/conftest.py``, whose helpers these
reuse).

``svc`` is a fresh service per test; ``shared_svc`` one per module and backend, for the
table-driven tests that only read. Each holds tokens for an admin, two clinicians
(``clinic-a`` and ``clinic-b``), and patients A and B with their own accounts, made the
way a clinic makes them: the admin creates clinician accounts whose people redeem their
activation codes; a registrar clinician registers A and B and enrols each with a code
the patient redeems.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tailormed.pipeline import example_path
from tailormed.record import Keyring, bootstrap_admin, open_database, session_factory
from tailormed.service.app import create_app
from tailormed.service.settings import Settings
from tests.record.conftest import database_url as record_database_url
from tests.record.conftest import drop_schemas, migrate_from_template

MAX_UPLOAD = 4 * 1024 * 1024  # small, so the 413 tests stay quick
EXAMPLE_VCF = example_path("example-patient.vcf")  # CYP2C19 *2/*2


@pytest.fixture(scope="session", autouse=True)
def _drop_service_schemas() -> Iterator[None]:
    yield
    drop_schemas("svc")


@contextmanager
def database_url(backend: str, folder: Path) -> Iterator[str]:
    """An empty database of ``backend``, removed afterwards."""
    with record_database_url(backend, folder, name="svc") as url:
        yield url


def migrated(url: str) -> str:
    """``url`` after :func:`migrate_from_template` (a fast migrated copy)."""
    migrate_from_template(url)
    return url


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Svc:
    """A running service and the people in it."""

    client: TestClient
    url: str
    keyring: Keyring
    settings: Settings
    admin: str
    clin_a: str
    clin_a_id: uuid.UUID
    clin_b: str
    pat_a: uuid.UUID
    user_a: str
    pat_b: uuid.UUID
    user_b: str
    extra: dict[str, Any] = field(default_factory=dict)
    registrar: str = ""  # the clinician (organisation registry) who registered A and B

    @property
    def engine(self) -> Engine:
        return self.client.app.state.tailormed.engine  # type: ignore[attr-defined,no-any-return]

    def get(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.client.get(path, headers=auth(token) if token else {}, **kw)

    def post(self, path: str, token: str | None = None, **kw: Any) -> Any:
        return self.client.post(path, headers=auth(token) if token else {}, **kw)

    def upload_vcf(self, patient: uuid.UUID, token: str, path: Path = EXAMPLE_VCF) -> Any:
        with open(path, "rb") as fh:
            return self.post(
                f"/api/v1/patients/{patient}/uploads/vcf",
                token,
                files={"file": (path.name, fh, "text/plain")},
            )

    def upload_outside(self, patient: uuid.UUID, token: str, text: str) -> Any:
        return self.post(
            f"/api/v1/patients/{patient}/uploads/outside",
            token,
            files={"file": ("outside.tsv", text.encode(), "text/tab-separated-values")},
        )

    def grant(self, patient_token: str, patient: uuid.UUID, **body: Any) -> dict[str, Any]:
        r = self.post(f"/api/v1/patients/{patient}/consents", patient_token, json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())


def redeem(client: TestClient, code: str) -> tuple[str, uuid.UUID]:
    """Redeem an enrolment or activation code as its person does: their token and id."""
    r = client.post("/api/v1/activate", json={"code": code})
    assert r.status_code == 200, r.text
    return r.json()["token"], uuid.UUID(r.json()["user"]["id"])


def _user(client: TestClient, admin: str, **body: Any) -> tuple[str, uuid.UUID]:
    """An admin creates the account; its person redeems the activation code."""
    r = client.post("/api/v1/users", headers=auth(admin), json=body)
    assert r.status_code == 201, r.text
    assert "token" not in r.json()  # the admin never sees the new user's token
    return redeem(client, r.json()["activation"]["code"])


def _patient(client: TestClient, registrar: str, name: str, mrn: str) -> tuple[uuid.UUID, str]:
    """The registrar clinician registers the record and enrols the patient, who redeems
    the code for their own account."""
    r = client.post(
        "/api/v1/patients",
        headers=auth(registrar),
        json={"display_name": name, "external_id": mrn},
    )
    assert r.status_code == 201, r.text
    pid = uuid.UUID(r.json()["id"])
    r = client.post(f"/api/v1/patients/{pid}/enrolment", headers=auth(registrar))
    assert r.status_code == 201, r.text
    token, _ = redeem(client, r.json()["code"])
    return pid, token


@contextmanager
def running_service(url: str, keyring: Keyring, **settings: Any) -> Iterator[Svc]:
    engine = open_database(url, keyring=keyring)
    with session_factory(engine)() as session:
        _, admin = bootstrap_admin(session, organisation="tailormed-ops")
    engine.dispose()
    config = Settings(database_url=url, keyring=keyring, max_upload_bytes=MAX_UPLOAD, **settings)
    with TestClient(create_app(config)) as client:
        clin_a, clin_a_id = _user(
            client, admin, role="clinician", display_name="Dr Ada Lovelace", organisation="clinic-a"
        )
        clin_b, _ = _user(
            client, admin, role="clinician", display_name="Dr Bea Bloggs", organisation="clinic-b"
        )
        registrar, _ = _user(
            client, admin, role="clinician", display_name="Reg Istrar", organisation="registry"
        )
        pat_a, user_a = _patient(client, registrar, "Alice Anders", "MRN-A1")
        pat_b, user_b = _patient(client, registrar, "Bob Brandt", "MRN-B2")
        yield Svc(
            client, url, keyring, config, admin, clin_a, clin_a_id, clin_b,
            pat_a, user_a, pat_b, user_b, registrar=registrar,
        )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def keyring() -> Keyring:
    return Keyring([secrets.token_bytes(32)])


@pytest.fixture
def db_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database_url(backend, tmp_path) as url:
        yield url


@pytest.fixture
def svc(db_url: str, keyring: Keyring) -> Iterator[Svc]:
    migrate_from_template(db_url)
    with running_service(db_url, keyring) as s:
        yield s


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_svc(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Svc]:
    folder = tmp_path_factory.mktemp("svc")
    with (
        database_url(str(request.param), folder) as url,
        running_service(migrated(url), Keyring([secrets.token_bytes(32)])) as s,
    ):
        yield s
