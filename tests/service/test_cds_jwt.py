"""CDS Hooks client JWTs (spec: "Trusting CDS Clients"): a registered EHR signs each call
with its private key and acts as its registered clinician account."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from sqlalchemy import select

from tailormed.record.models import AuditEvent
from tailormed.service.app import create_app
from tailormed.service.cds_auth import CdsClients
from tests.service.conftest import Svc, auth
from tests.service.test_cds_hooks import CLOPIDOGREL, SIGN, hook_request

ISS = "https://ehr.example.org"
BASE = "http://testserver"


@dataclasses.dataclass
class Ehr:
    client: TestClient
    key: ec.EllipticCurvePrivateKey
    svc: Svc

    def token(self, audience: str, **changes: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISS,
            "aud": audience,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        header = {"typ": "JWT", "kid": "ehr-key-1"}
        header.update(changes.pop("header", {}))
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.key, algorithm="ES384", headers=header)

    def call(self, token: str, body: dict[str, Any] | None = None) -> Any:
        body = body or hook_request("order-sign", "MRN-A1", CLOPIDOGREL)
        return self.client.post(SIGN, headers=auth(token), json=body)


@pytest.fixture
def ehr(svc: Svc, tmp_path: Path) -> Iterator[Ehr]:
    """A second app on the same database, with the EHR registered as clinic-a's account."""
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    svc.grant(svc.user_a, svc.pat_a, grantee_organisation="clinic-a")
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid="ehr-key-1", use="sig", alg="ES384")
    registry = tmp_path / "cds-clients.json"
    entry = {"iss": ISS, "user_id": str(svc.clin_a_id), "jwks": {"keys": [public]}}
    registry.write_text(json.dumps({"clients": [entry]}))
    settings = dataclasses.replace(svc.settings, cds_clients_file=registry)
    with TestClient(create_app(settings)) as client:
        yield Ehr(client, key, svc)


def test_signed_jwt_gets_cards_as_the_registered_clinician(ehr: Ehr) -> None:
    r = ehr.call(ehr.token(f"{BASE}{SIGN}"))
    assert r.status_code == 200, r.text
    (card,) = r.json()["cards"]
    assert "Poor Metabolizer" in card["summary"]
    with ehr.svc.engine.connect() as conn:
        actors = (
            conn.execute(
                select(AuditEvent.actor_id).where(
                    AuditEvent.action == "cds", AuditEvent.outcome == "success"
                )
            )
            .scalars()
            .all()
        )
    assert actors == [ehr.svc.clin_a_id]
    r = ehr.client.get("/cds-services", headers=auth(ehr.token(f"{BASE}/cds-services")))
    assert r.status_code == 200 and len(r.json()["services"]) == 3


def test_replayed_jwt_is_refused(ehr: Ehr) -> None:
    token = ehr.token(f"{BASE}{SIGN}")
    assert ehr.call(token).status_code == 200
    r = ehr.call(token)
    assert r.status_code == 401 and "replay" in r.json()["error"]


# Claims are made when the test runs (times relative to then), never at collection.
@pytest.mark.parametrize(
    ("changes", "words"),
    [
        (lambda now: {"aud": f"{BASE}/cds-services/tailormed-pgx-order-select"}, "audience"),
        (
            lambda now: {"aud": "https://elsewhere.example/cds-services/tailormed-pgx-order-sign"},
            "audience",
        ),
        (lambda now: {"exp": now - 120}, "expired"),
        (lambda now: {"iat": now + 600}, "not yet valid"),
        (lambda now: {"jti": None}, "jti"),
        (lambda now: {"iss": "https://rogue.example"}, "issuer"),
        (lambda now: {"header": {"kid": "other"}}, "kid"),
        (lambda now: {"header": {"typ": "at+jwt"}}, "typ"),
    ],
)
def test_bad_jwts_are_401(ehr: Ehr, changes: Callable[[int], dict[str, Any]], words: str) -> None:
    r = ehr.call(ehr.token(f"{BASE}{SIGN}", **changes(int(time.time()))))
    assert r.status_code == 401, r.text
    assert words in r.json()["error"].lower()


def test_symmetric_and_unsigned_jwts_are_refused(ehr: Ehr) -> None:
    now = int(time.time())
    claims = {"iss": ISS, "aud": f"{BASE}{SIGN}", "exp": now + 60, "iat": now, "jti": "x"}
    hs = jwt.encode(claims, "shared-secret-" + "0123456789abcdef" * 4, algorithm="HS384",
                    headers={"kid": "ehr-key-1", "typ": "JWT"})  # fmt: skip
    none = jwt.encode(claims, None, algorithm="none", headers={"kid": "ehr-key-1", "typ": "JWT"})
    for token in (hs, none):
        r = ehr.call(token)
        assert r.status_code == 401 and "algorithm" in r.json()["error"]
    with ehr.svc.engine.connect() as conn:
        refused = (
            conn.execute(select(AuditEvent.detail).where(AuditEvent.entity_type == "cds_client"))
            .scalars()
            .all()
        )
    assert len(refused) == 2


def test_jwt_is_only_for_cds_routes(ehr: Ehr) -> None:
    r = ehr.client.get("/api/v1/me", headers=auth(ehr.token(f"{BASE}/api/v1/me")))
    assert r.status_code == 401


def test_registry_errors(tmp_path: Path) -> None:
    from tailormed.errors import InputError

    bad = tmp_path / "r.json"
    bad.write_text('{"clients": [{"iss": "x", "user_id": "not-a-uuid", "jwks": {"keys": []}}]}')
    with pytest.raises(InputError, match="not a valid CDS client registry"):
        CdsClients.load(bad)
    with pytest.raises(InputError, match="does not exist"):
        CdsClients.load(tmp_path / "missing.json")
