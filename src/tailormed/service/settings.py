"""Service configuration, read once from the environment (:meth:`Settings.from_env`).

========================== ===========================================================
Variable                   Meaning
========================== ===========================================================
TAILORMED_DATABASE_URL     the record database (default: the per-user SQLite file, see
                           :func:`tailormed.record.default_url`)
TAILORMED_DATA_KEY /       the data-encryption keys, read by the record layer
TAILORMED_KEY_FILE         (:func:`tailormed.record.load_keyring`)
TAILORMED_MAX_UPLOAD_MB    largest upload accepted, in MiB (default 200); larger
                           uploads get HTTP 413
TAILORMED_MAX_BODY_MB      largest body of any other request (JSON), in MiB (default 10)
TAILORMED_CORS_ORIGINS     comma-separated origins allowed by CORS (default: none, CORS
                           off)
TAILORMED_PUBLIC_URL       the service's external base URL, used to print absolute
                           share links (default: links are relative, ``/share/<token>``)
TAILORMED_CDS_CLIENTS      JSON registry of EHRs allowed to call CDS Hooks with signed
                           JWTs (see :mod:`tailormed.service.cds_auth`; default: none,
                           Tailormed bearer tokens only)
TAILORMED_UPLOAD_DIR       where uploads are spooled while they are checked (default:
                           the system temporary folder); sealed with a key held only
                           in memory, removed after the request, and folders a killed
                           process left are removed at start-up
========================== ===========================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tailormed.errors import InputError
from tailormed.record import Keyring

DEFAULT_MAX_UPLOAD_MB = 200
DEFAULT_MAX_BODY_MB = 10


def _mib(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else float(default)
    except ValueError:
        raise InputError(f"{name} must be a number of MiB, not {raw!r}") from None
    if value <= 0:
        raise InputError(f"{name} must be positive")
    return int(value * 1024 * 1024)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything :func:`tailormed.service.app.create_app` needs to know."""

    database_url: str | None = None  # None: tailormed.record.default_url()
    keyring: Keyring | None = None  # None: the keys configured in the environment
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024
    max_body_bytes: int = DEFAULT_MAX_BODY_MB * 1024 * 1024
    cors_origins: tuple[str, ...] = ()
    public_url: str | None = None
    upload_dir: Path | None = None
    cds_clients_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        origins = tuple(
            o.strip() for o in env.get("TAILORMED_CORS_ORIGINS", "").split(",") if o.strip()
        )
        upload_dir = env.get("TAILORMED_UPLOAD_DIR") or None
        cds_clients = env.get("TAILORMED_CDS_CLIENTS") or None
        return cls(
            database_url=env.get("TAILORMED_DATABASE_URL") or None,
            max_upload_bytes=_mib(env, "TAILORMED_MAX_UPLOAD_MB", DEFAULT_MAX_UPLOAD_MB),
            max_body_bytes=_mib(env, "TAILORMED_MAX_BODY_MB", DEFAULT_MAX_BODY_MB),
            cors_origins=origins,
            public_url=(env.get("TAILORMED_PUBLIC_URL") or "").rstrip("/") or None,
            upload_dir=Path(upload_dir) if upload_dir else None,
            cds_clients_file=Path(cds_clients) if cds_clients else None,
        )
