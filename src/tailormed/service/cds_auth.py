"""CDS Hooks client authentication: signed JWTs from registered EHRs.

The CDS Hooks spec ("Trusting CDS Clients") has the EHR send, on every call (discovery
included), ``Authorization: Bearer <JWT>`` signed with its private key. The service
accepts such a JWT on the ``/cds-services`` routes (alongside ordinary Tailormed bearer
tokens) when the issuer is registered in the file named by ``TAILORMED_CDS_CLIENTS``::

    {"clients": [{"iss": "https://ehr.example.org",
                  "user_id": "<uuid of the Tailormed clinician account the EHR acts as>",
                  "jwks": {"keys": [{"kty": "EC", "crv": "P-384", "kid": "k1", ...}]}}]}

Checks, per spec: header ``typ`` = ``JWT`` and a ``kid`` of that issuer's JWK Set
(agreed out of band: ``jku`` is never fetched); ``alg`` asymmetric only (``none`` and
HMAC refused; ES384 / RS384 recommended); signature; ``iss`` registered; ``aud`` the exact
URL called (``$TAILORMED_PUBLIC_URL`` + path, else the request's own URL); ``exp``,
``iat`` (30 s leeway, lifetime at most an hour) and a ``jti`` never seen before (kept
until the token expires, per process). The JWT then stands for the registered clinician
account: consent and audit work as for that account's own token, and the record layer
re-checks on every access that the account is active and a clinician. Refusals are
audited (action ``cds``, entity ``cds_client``) and answered with 401.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

from tailormed.errors import InputError

ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
LEEWAY_S = 30
MAX_LIFETIME_S = 3600


class CdsAuthError(Exception):
    """A JWT that does not authenticate a registered CDS client (the message says why)."""


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and token.startswith("ey")


@dataclass(frozen=True, slots=True)
class CdsClient:
    issuer: str
    user_id: uuid.UUID
    keys: dict[str, jwt.PyJWK]


class CdsClients:
    """The registered CDS clients and the ``jti`` values already used."""

    def __init__(self, clients: list[CdsClient]) -> None:
        self._clients = {c.issuer: c for c in clients}
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path) -> CdsClients:
        """Read the registry file (see the module docstring); problems raise InputError."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            clients = []
            for n, entry in enumerate(data["clients"]):
                keys = {}
                for key in jwt.PyJWKSet.from_dict(entry["jwks"]):
                    if not key.key_id:
                        raise InputError(f"clients[{n}]: every JWK needs a kid", path=path)
                    keys[key.key_id] = key
                clients.append(CdsClient(str(entry["iss"]), uuid.UUID(entry["user_id"]), keys))
        except FileNotFoundError:
            raise InputError("CDS client registry does not exist", path=path) from None
        except (KeyError, TypeError, ValueError, jwt.PyJWKError, jwt.PyJWKSetError) as exc:
            raise InputError(f"not a valid CDS client registry ({exc})", path=path) from None
        return cls(clients)

    def verify(self, token: str, audience: str) -> uuid.UUID:
        """The clinician account a valid JWT stands for, or :class:`CdsAuthError`."""
        try:
            header = jwt.get_unverified_header(token)
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise CdsAuthError("malformed JWT") from None
        if header.get("typ") != "JWT":
            raise CdsAuthError("JWT header typ must be JWT")
        alg = header.get("alg")
        if alg not in ALGORITHMS:
            raise CdsAuthError(f"JWT algorithm {alg!r} is not accepted (asymmetric only)")
        client = self._clients.get(str(unverified.get("iss")))
        if client is None:
            raise CdsAuthError("JWT issuer is not a registered CDS client")
        key = client.keys.get(str(header.get("kid")))
        if key is None:
            raise CdsAuthError("JWT kid is not in the issuer's registered key set")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=client.issuer,
                leeway=LEEWAY_S,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise CdsAuthError(f"JWT rejected: {exc}") from None
        now = time.time()
        exp, iat = float(claims["exp"]), float(claims["iat"])
        if iat > now + LEEWAY_S:
            raise CdsAuthError("JWT issued in the future")
        if exp - iat > MAX_LIFETIME_S:
            raise CdsAuthError(f"JWT lifetime over {MAX_LIFETIME_S} s")
        self._use_jti(client.issuer, str(claims["jti"]), exp + LEEWAY_S, now)
        return client.user_id

    def _use_jti(self, issuer: str, jti: str, until: float, now: float) -> None:
        with self._lock:
            for k in [k for k, t in self._seen.items() if t < now]:
                del self._seen[k]
            if (issuer, jti) in self._seen:
                raise CdsAuthError("JWT jti already used (replay)")
            self._seen[(issuer, jti)] = until
