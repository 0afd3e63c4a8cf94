"""Who may do what to which record, and the audited transaction around every call.

Actors are users (:class:`Actor`: user id + role), re-read from ``user_account`` on
every call: an unknown or deactivated user, or a role that does not match, is denied.

Rules (:meth:`Operation.read_access` / :meth:`Operation.write_access`):

* **patient**: their own record only (read and write), for any purpose;
* **clinician**: a patient's record only under an *active, unexpired* consent granted to
  them or to their organisation, whose purpose equals the request's purpose
  (``treatment`` for care, ``research`` for research). The consent's scope limits what
  they see: ``all`` everything; ``genes`` results for the listed genes only; ``reports``
  phenotypes and recommendations without per-variant evidence. The patient's name and
  external id are visible under any scope; medications and family history need scope
  ``all``. Writes need a ``treatment`` consent with scope ``all``. A consent to an
  organisation covers the clinicians of that organisation (not its admins).
* **admin**: manages users and may create and delete patients, revoke consents and
  shares, and read the audit log, but has *no* standing access to PHI: reading a record
  needs a consent granted to the admin like anyone else (a deliberate choice: user
  management should not imply access to genomes).

Every repository call is one :func:`operation`: a transaction that checks the rules,
does the work and appends the success audit event before it commits, so no data
leaves without its audit event being durable. A denial rolls the transaction back,
appends a ``failure`` event in a transaction of its own and raises
:class:`~tailormed.record.errors.AuthorizationError` (or
:class:`~tailormed.record.errors.ConsentError`); a missing record does the same with
:class:`~tailormed.record.errors.NotFoundError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from tailormed.record import audit, clock
from tailormed.record.crypto import keyring_for
from tailormed.record.errors import AuthorizationError, ConsentError, NotFoundError
from tailormed.record.models import Consent, User

Role = Literal["patient", "clinician", "admin"]
Purpose = Literal["treatment", "research", "operations"]
PURPOSES_ALLOWED = ("treatment", "research", "operations")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: an authenticated user (see :func:`tailormed.record.users.authenticate`)."""

    user_id: uuid.UUID
    role: Role


@dataclass(frozen=True, slots=True)
class Operator:
    """Someone at the server's command line (``tailormed admin ...``).

    They hold the data key and the database already, so the record lets them manage
    accounts; what they do is audited with actor role ``operator`` and their OS user.
    """

    os_user: str


@dataclass(frozen=True, slots=True)
class Access:
    """What an actor may see of one patient's record."""

    patient_id: uuid.UUID
    full: bool  # everything (own record, or a consent with scope "all")
    genes: frozenset[str] = frozenset()  # scope "genes": results for these genes
    reports: bool = False  # scope "reports": phenotypes and recommendations
    via: str = "self"  # "self", "consent" or "share"

    @property
    def clinical(self) -> bool:
        """Medications and family history (scope ``all`` only)."""
        return self.full


class _Denied(Exception):
    def __init__(self, reason: str, *, consent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.consent = consent


@dataclass
class Operation:
    """One audited repository call in progress (see :func:`operation`)."""

    session: Session
    actor: Actor
    purpose: str
    action: str
    entity_type: str
    patient_id: uuid.UUID | None = None
    entity_id: str | None = None
    detail: str | None = None
    user: User = field(init=False)

    def deny(self, reason: str, *, consent: bool = False) -> NoReturn:
        raise _Denied(reason, consent=consent)

    def require_role(self, *roles: Role) -> None:
        if self.actor.role not in roles:
            self.deny(f"role {self.actor.role} may not {self.action} {self.entity_type}")

    def read_access(self, patient_id: uuid.UUID) -> Access:
        """The actor's view of ``patient_id``'s record, or a denial."""
        self.patient_id = patient_id
        if self.actor.role == "patient":
            if self.user.patient_id != patient_id:
                self.deny("a patient may only access their own record")
            return Access(patient_id, full=True)
        if self.purpose not in ("treatment", "research"):
            self.deny(f"purpose {self.purpose} gives no access to patient data")
        consents = self._active_consents(patient_id)
        if not consents:
            self.deny(f"no active {self.purpose} consent covers this user", consent=True)
        full = any(c.scope == "all" for c in consents)
        genes = frozenset(g for c in consents if c.scope == "genes" for g in (c.genes or ()))
        reports = any(c.scope == "reports" for c in consents)
        return Access(patient_id, full=full, genes=genes, reports=reports, via="consent")

    def try_read_access(self, patient_id: uuid.UUID) -> Access | None:
        """:meth:`read_access` without the denial (for searches over many records)."""
        before = self.patient_id
        try:
            return self.read_access(patient_id)
        except _Denied:
            self.patient_id = before
            return None

    def write_access(self, patient_id: uuid.UUID) -> Access:
        """Like :meth:`read_access`, but changing the record needs full treatment access."""
        access = self.read_access(patient_id)
        if access.via == "consent" and (self.purpose != "treatment" or not access.full):
            self.deny("changing a record needs a treatment consent with scope all", consent=True)
        return access

    def owner_or_admin(self, patient_id: uuid.UUID) -> None:
        """The patient themselves, or an admin managing the record (consent and share
        lists; no clinical data is read)."""
        if self.actor.role == "admin":
            self.patient_id = patient_id
        else:
            self.require_role("patient")
            self.read_access(patient_id)

    def clinical_access(self, patient_id: uuid.UUID, *, write: bool = False) -> Access:
        """Access to medications / family history (scope ``all``)."""
        access = self.write_access(patient_id) if write else self.read_access(patient_id)
        if not access.clinical:
            self.deny("the consent's scope does not cover clinical history", consent=True)
        return access

    def _active_consents(self, patient_id: uuid.UUID) -> list[Consent]:
        rows = self.session.scalars(
            select(Consent).where(
                Consent.patient_id == patient_id,
                Consent.status == "active",
                Consent.purpose == self.purpose,
                grantee_clause(self.session, self.user),
            )
        ).all()
        now = clock.utcnow()
        return [
            c
            for c in rows
            if (c.expires_at is None or c.expires_at > now) and names_grantee(c, self.user)
        ]

    def _load_user(self) -> None:
        user = self.session.get(User, self.actor.user_id)
        if user is None or not user.active:
            self.deny("unknown or deactivated user")
        if user.role != self.actor.role:
            self.deny("the actor's role does not match the user's role")
        if self.purpose not in PURPOSES_ALLOWED:
            self.deny(f"unknown purpose {self.purpose!r}")
        self.user = user

    def _audit(self, outcome: str, detail: str | None) -> None:
        audit.append(
            self.session,
            actor_id=self.actor.user_id,
            actor_role=self.actor.role,
            action=self.action,
            entity_type=self.entity_type,
            entity_id=self.entity_id,
            patient_id=self.patient_id,
            purpose=self.purpose,
            outcome=outcome,
            detail=detail,
        )


def grantee_clause(session: Session, user: User) -> ColumnElement[bool]:
    """SQL for "consents granted to ``user``": to them, or (clinicians only) to their
    organisation, found through the organisation's blind index (the name is encrypted).
    Confirm each row with :func:`names_grantee`."""
    grantee = Consent.grantee_user_id == user.id
    # An organisation's consent covers its clinicians, not admins who share its name.
    if user.organisation and user.role == "clinician":
        ring = keyring_for(session.get_bind())
        indexes = ring.blind_indexes(user.organisation, domain="organisation")
        grantee = or_(grantee, Consent.grantee_organisation_index.in_(indexes))
    return grantee


def names_grantee(consent: Consent, user: User) -> bool:
    """Whether ``consent`` is granted to ``user`` (decrypted values: no index collision)."""
    if consent.grantee_user_id is not None:
        return consent.grantee_user_id == user.id
    return (
        user.role == "clinician"
        and user.organisation is not None
        and consent.grantee_organisation == user.organisation
    )


@dataclass
class OperatorOperation:
    """:class:`Operation`'s counterpart for an :class:`Operator` (no user row, no PHI)."""

    session: Session
    operator: Operator
    action: str
    entity_type: str
    patient_id: uuid.UUID | None = None
    entity_id: str | None = None
    detail: str | None = None

    def deny(self, reason: str, *, consent: bool = False) -> NoReturn:
        raise _Denied(reason, consent=consent)

    def _audit(self, outcome: str, detail: str | None) -> None:
        who = f"command line, OS user {self.operator.os_user}"
        audit.append(
            self.session,
            actor_role="operator",
            action=self.action,
            entity_type=self.entity_type,
            entity_id=self.entity_id,
            patient_id=self.patient_id,
            purpose="operations",
            outcome=outcome,
            detail=f"{detail} ({who})" if detail else who,
        )


@contextmanager
def admin_operation(
    session: Session,
    who: Actor | Operator,
    purpose: Purpose,
    action: str,
    entity_type: str,
    *,
    entity_id: str | None = None,
) -> Iterator[Operation | OperatorOperation]:
    """An audited account-management transaction by an admin user or the operator."""
    if isinstance(who, Actor):
        with operation(session, who, purpose, action, entity_type, entity_id=entity_id) as op:
            op.require_role("admin")
            yield op
        return
    require_no_transaction(session)
    oper = OperatorOperation(session, who, action, entity_type, entity_id=entity_id)
    try:
        with session.begin():
            yield oper
            oper._audit("success", oper.detail)
    except _Denied as denied:
        with session.begin():
            oper._audit("failure", denied.reason)
        raise AuthorizationError(denied.reason, record=f"{action} {entity_type}") from None


def require_no_transaction(session: Session) -> None:
    """Refuse a session with a transaction in progress (each record call is its own)."""
    if session.in_transaction():
        raise RuntimeError(
            "each record call is its own transaction: commit or roll back the session first"
        )


@contextmanager
def operation(
    session: Session,
    actor: Actor,
    purpose: Purpose,
    action: str,
    entity_type: str,
    *,
    patient_id: uuid.UUID | None = None,
    entity_id: str | None = None,
) -> Iterator[Operation]:
    """One audited transaction: commit with a success event, or a failure event and raise."""
    require_no_transaction(session)
    op = Operation(session, actor, purpose, action, entity_type, patient_id, entity_id)
    try:
        with session.begin():
            op._load_user()
            yield op
            op._audit("success", op.detail)
    except _Denied as denied:
        _record_failure(op, denied.reason)
        cls = ConsentError if denied.consent else AuthorizationError
        raise cls(denied.reason, record=_where(op)) from None
    except NotFoundError as missing:
        _record_failure(op, missing.problem)
        raise


def _record_failure(op: Operation, reason: str) -> None:
    with op.session.begin():
        op._audit("failure", reason)


def _where(op: Operation) -> str:
    target = f"{op.entity_type} {op.entity_id}" if op.entity_id else op.entity_type
    return f"{op.action} {target}" + (f" of patient {op.patient_id}" if op.patient_id else "")


def deny_anonymous(
    session: Session, *, action: str, entity_type: str, reason: str, entity_id: str | None = None
) -> NoReturn:
    """Audit and raise a failure by a caller without a user (bad token, dead share link)."""
    require_no_transaction(session)
    with session.begin():
        audit.append(
            session,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            outcome="failure",
            detail=reason,
        )
    raise AuthorizationError(reason, record=f"{action} {entity_type}")
