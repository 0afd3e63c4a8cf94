"""Errors of the record layer, all in the :class:`~tailormed.errors.TailormedError` family.

The service maps them to HTTP statuses: :class:`AuthorizationError` (and its
:class:`ConsentError`) → 403, :class:`NotFoundError` → 404, :class:`KeyConfigError` /
:class:`KeyUnavailableError` → refuse to start. Messages never contain PHI: they name
record ids, table columns and key ids only.
"""

from __future__ import annotations

from tailormed.errors import TailormedError


class AuthorizationError(TailormedError):
    """The actor may not do this (wrong role, another patient's record, bad token).

    Every instance raised by a repository function has been written to the audit log
    with outcome ``"failure"`` before it reaches the caller.
    """


class ConsentError(AuthorizationError):
    """Access needs an active, unexpired consent for the purpose, and none covers it."""


class NotFoundError(TailormedError):
    """The record does not exist for this patient (or the actor may not know it exists)."""


class KeyConfigError(TailormedError):
    """No usable data-encryption key is configured, or the key file is unsafe."""


class KeyUnavailableError(TailormedError):
    """Stored ciphertext cannot be decrypted with any configured key (or was tampered with)."""
