"""What :mod:`~tailormed.record.users` and :mod:`~tailormed.record.enrolment` share:
the account view and bearer-token hashing."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from tailormed.record.access import Actor, Role
from tailormed.record.models import User


@dataclass(frozen=True, slots=True)
class UserView:
    id: uuid.UUID
    role: str
    patient_id: uuid.UUID | None
    organisation: str | None
    active: bool
    created_at: datetime
    display_name: str | None = None
    activated: bool = False

    @property
    def actor(self) -> Actor:
        return Actor(self.id, cast(Role, self.role))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh bearer token and its stored hash."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def user_view(u: User) -> UserView:
    return UserView(
        u.id,
        u.role,
        u.patient_id,
        u.organisation,
        u.active,
        u.created_at,
        u.display_name,
        u.activated_at is not None,
    )
