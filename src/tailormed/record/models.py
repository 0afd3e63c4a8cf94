"""SQLAlchemy 2 models of the patient record.

Tables (see ``migrations/versions/0001_initial.py`` for the DDL that creates them):

* ``patient``: id (UUID), external id / MRN (encrypted, with a keyed blind index for
  lookup), display name (encrypted), created_at;
* ``user_account``: role ``patient|clinician|admin``, the linked patient for role patient,
  display name and organisation (encrypted; the organisation with a blind index),
  SHA-256 of the bearer token, active flag, when the account was taken up;
* ``enrolment_code``: single-use codes that create a patient's account or activate a
  clinician's / admin's (SHA-256 only, expiry, who issued it, when used);
* ``upload``: an imported file's kind (``vcf|outside|fhir``), original filename and
  sha256 (encrypted: a file's hash is a fingerprint that links it elsewhere), size, status;
* ``upload_chunk``: the uploaded files themselves, in 1 MiB encrypted chunks, so the
  patient's export can give back exactly what was uploaded;
* ``result``: one sample's stored calls and interpretation (both encrypted JSON), with
  sample id (encrypted), knowledge-base and Tailormed versions;
* ``medication``, ``family_history``: clinical context; names, RxNorm codes,
  relationships and free text encrypted (only ids, the active flag and dates are clear);
* ``consent``: who (user, or organisation: encrypted with a blind index) may see the
  record, for which purpose (``treatment|research``) and scope (``all|genes|reports``;
  the gene list encrypted), until when;
* ``share``: a patient-issued link (only the token's SHA-256 stored), scope (gene list
  encrypted) and expiry;
* ``clinical_document``: one version of a clinical document of a domain (kind, e.g.
  ``cardio.factors``, ``oncology.tumor``, ``rare.phenotype``; body as validated JSON),
  kind and body encrypted (the kind names a condition), with a blind index for lookup;
* ``finding``: a stored :class:`tailormed.findings.Finding` (domain, code, severity and
  body encrypted; domain with a blind index), with the document it was computed from;
* ``audit_event``: append-only, hash-chained log (no PHI; no foreign keys, so it outlives
  the rows it describes);
* digital health (``0007_digital``, :mod:`tailormed.record.digital`): ``digital_chunk``
  (one patient's points of one kind on one local day, sealed; kind and day clear),
  ``digital_day`` (per-day aggregates, encrypted), ``digital_import`` (batches, by the
  keyed hash of their content), ``pro_response`` (QuestionnaireResponse + scores, sealed),
  ``digital_alert`` (severity, state and times clear; rule and texts sealed),
  ``device_token`` (SHA-256 only); ``medication.started_on`` (the start date).

Clear columns hold ids, roles, purposes, scopes, statuses, flags, sizes, versions and
timestamps only: nothing that says which drug, gene, relative or clinic. Blind indexes
(``*_index``) are keyed HMACs (:meth:`~tailormed.record.crypto.Keyring.blind_index`):
they show which rows hold equal values, never the values.

Every row a patient owns has ``patient_id`` with ``ON DELETE CASCADE``. Timestamps are
timezone-aware UTC on every backend (:class:`UTCDateTime`). Encrypted columns hold
ciphertext in the database and plain values in Python (:mod:`tailormed.record.crypto`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    Uuid,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

from tailormed.errors import InputError
from tailormed.record import clock
from tailormed.record.crypto import (
    EncryptedBytes,
    EncryptedJSON,
    EncryptedText,
    bind_associated_data,
    keyring_for,
)

ROLES = ("patient", "clinician", "admin")
UPLOAD_KINDS = ("vcf", "outside", "fhir")
UPLOAD_STATUSES = ("received", "imported", "failed")
PURPOSES = ("treatment", "research")
SCOPES = ("all", "genes", "reports")
AUDIT_ACTIONS = ("create", "read", "update", "delete", "export", "share", "cds")
OUTCOMES = ("success", "failure")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored and returned as timezone-aware UTC (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        utc = clock.as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else clock.as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _patient_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("patient.id", ondelete="CASCADE"), index=True)


class Patient(Base):
    __tablename__ = "patient"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    external_id: Mapped[str | None] = mapped_column(EncryptedText())
    external_id_index: Mapped[str | None] = mapped_column(String(64), index=True)
    display_name: Mapped[str | None] = mapped_column(EncryptedText())
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the registering user
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("(role = 'patient') = (patient_id IS NOT NULL)", name="patient_link"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(EncryptedText())
    organisation: Mapped[str | None] = mapped_column(EncryptedText())
    organisation_index: Mapped[str | None] = mapped_column(String(64), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    # when the user first redeemed their code (NULL: created, not yet taken up)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnrolmentCode(Base):
    """A single-use code that creates (patients) or activates (others) an account.

    Only the SHA-256 of the normalised code is stored. A ``patient`` code names the record
    it enrols into; another names the existing account it activates.
    """

    __tablename__ = "enrolment_code"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            "(role = 'patient') = (patient_id IS NOT NULL AND user_id IS NULL)", name="target"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("patient.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # NULL: the command line
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Upload(Base):
    __tablename__ = "upload"
    __table_args__ = (
        CheckConstraint(_in("kind", UPLOAD_KINDS), name="kind"),
        CheckConstraint(_in("status", UPLOAD_STATUSES), name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    kind: Mapped[str] = mapped_column(String(16))
    original_filename: Mapped[str | None] = mapped_column(EncryptedText())
    sha256: Mapped[str] = mapped_column(EncryptedText())
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    # the files kept for the patient's export: [{"part", "filename", "sha256", "size"}]
    files: Mapped[list[dict[str, Any]] | None] = mapped_column(EncryptedJSON())


class UploadChunk(Base):
    """One MiB of an uploaded file, sealed: the patient's export gives the file back."""

    __tablename__ = "upload_chunk"
    __table_args__ = (UniqueConstraint("upload_id", "part", "seq"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("upload.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    part: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(EncryptedBytes())


class Result(Base):
    __tablename__ = "result"
    __table_args__ = (Index("ix_result_patient_created", "patient_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    upload_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("upload.id", ondelete="CASCADE"), index=True
    )
    sample: Mapped[str] = mapped_column(EncryptedText())
    kb_version: Mapped[str] = mapped_column(String(100))
    tailormed_version: Mapped[str] = mapped_column(String(40))
    calls: Mapped[Any] = mapped_column(EncryptedJSON())
    interpretation: Mapped[Any] = mapped_column(EncryptedJSON())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class Medication(Base):
    __tablename__ = "medication"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    name: Mapped[str] = mapped_column(EncryptedText())
    rxnorm: Mapped[str | None] = mapped_column(EncryptedText())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    # the day the patient started taking it (0007; NULL: not recorded)
    started_on: Mapped[date | None] = mapped_column(Date)


class FamilyHistory(Base):
    __tablename__ = "family_history"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    relationship: Mapped[str] = mapped_column(EncryptedText())
    condition: Mapped[str] = mapped_column(EncryptedText())
    genetic_result: Mapped[str | None] = mapped_column(EncryptedText())
    notes: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class ClinicalDocument(Base):
    """One version of a clinical document (a domain's input, e.g. ``cardio.factors``)."""

    __tablename__ = "clinical_document"
    __table_args__ = (Index("ix_clinical_document_patient_kind", "patient_id", "kind_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(EncryptedText())
    kind_index: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(EncryptedJSON())
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class FindingRow(Base):
    """A stored finding (the JSON of :class:`tailormed.findings.FindingModel`)."""

    __tablename__ = "finding"
    __table_args__ = (Index("ix_finding_patient_domain", "patient_id", "domain_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patient.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(EncryptedText())
    domain_index: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(EncryptedText())
    severity: Mapped[str] = mapped_column(EncryptedText())
    body: Mapped[Any] = mapped_column(EncryptedJSON())
    document_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("clinical_document.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class Consent(Base):
    __tablename__ = "consent"
    __table_args__ = (
        CheckConstraint(_in("purpose", PURPOSES), name="purpose"),
        CheckConstraint(_in("scope", SCOPES), name="scope"),
        CheckConstraint(_in("status", ("active", "revoked")), name="status"),
        CheckConstraint(
            "(grantee_user_id IS NULL) <> (grantee_organisation IS NULL)", name="one_grantee"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    grantee_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    grantee_organisation: Mapped[str | None] = mapped_column(EncryptedText())
    grantee_organisation_index: Mapped[str | None] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(16))
    genes: Mapped[list[str] | None] = mapped_column(EncryptedJSON())
    status: Mapped[str] = mapped_column(String(16), default="active")
    granted_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class Share(Base):
    __tablename__ = "share"
    __table_args__ = (CheckConstraint(_in("scope", SCOPES), name="scope"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    genes: Mapped[list[str] | None] = mapped_column(EncryptedJSON())
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEvent(Base):
    """One audited access. Written only by :mod:`tailormed.record.audit`; never changed."""

    __tablename__ = "audit_event"
    __table_args__ = (
        CheckConstraint(_in("action", AUDIT_ACTIONS), name="action"),
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    actor_role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    purpose: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(8))
    detail: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC of ``hash`` under a key derived from data key ``mac_key`` (see record.audit);
    # NULL only in a database an attacker edited: the check refuses it.
    mac_key: Mapped[str | None] = mapped_column(String(16))
    mac: Mapped[str | None] = mapped_column(String(64))


# ------------------------------------------------------------------ digital health (0007)
ALERT_STATES = ("open", "acknowledged", "escalated")
SEVERITIES = ("critical", "high", "moderate", "low", "info")
IMPORT_VIAS = ("cli", "device", "ui", "api")


class DigitalChunk(Base):
    """One patient's points of one kind on one local day, sealed as compact columns
    (:mod:`tailormed.record.digital` describes the body). ``kind`` and ``day`` (days
    since 1970-01-01) stay clear so a trend query reads only the days it needs."""

    __tablename__ = "digital_chunk"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    kind: Mapped[str] = mapped_column(String(32))
    day: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(EncryptedBytes())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class DigitalDay(Base):
    """The per-day aggregates of one patient's local day (encrypted JSON row)."""

    __tablename__ = "digital_day"
    __table_args__ = (UniqueConstraint("patient_id", "day"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    day: Mapped[int] = mapped_column(Integer)
    aggregates: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class DigitalImport(Base):
    """One imported batch: its content's keyed hash (re-import is a no-op), counts, who."""

    __tablename__ = "digital_import"
    __table_args__ = (
        UniqueConstraint("patient_id", "content_index"),
        CheckConstraint(_in("via", IMPORT_VIAS), name="via"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    content_index: Mapped[str] = mapped_column(String(64))
    via: Mapped[str] = mapped_column(String(16))
    device_token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    points: Mapped[int] = mapped_column(Integer)
    new_points: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class ProResponse(Base):
    """An answered questionnaire: the FHIR QuestionnaireResponse and its scores."""

    __tablename__ = "pro_response"
    __table_args__ = (UniqueConstraint("patient_id", "key_index"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    key_index: Mapped[str] = mapped_column(String(64))
    authored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resource: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    scores: Mapped[list[dict[str, Any]]] = mapped_column(EncryptedJSON())
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)


class DigitalAlert(Base):
    """A care rule that fired. Clear: severity, state and times (what escalation needs,
    no PHI); the rule, its texts and values are sealed in ``body``."""

    __tablename__ = "digital_alert"
    __table_args__ = (
        UniqueConstraint("patient_id", "key_index"),
        CheckConstraint(_in("state", ALERT_STATES), name="state"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        Index("ix_digital_alert_state", "state", "severity"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    key_index: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="open")
    body: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    acknowledged_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(EncryptedText())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DeviceToken(Base):
    """A token a patient grants to a device or app to post observations (SHA-256 only)."""

    __tablename__ = "device_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    patient_id: Mapped[uuid.UUID] = _patient_fk()
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(EncryptedText())
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


bind_associated_data(Base.metadata)

# Tables whose rows belong to one patient (deleted with the patient), children first.
PATIENT_TABLES: tuple[type[Base], ...] = (
    DigitalChunk,
    DigitalDay,
    DigitalImport,
    ProResponse,
    DigitalAlert,
    DeviceToken,
    FindingRow,
    ClinicalDocument,
    Result,
    UploadChunk,
    Upload,
    Medication,
    FamilyHistory,
    Consent,
    Share,
    EnrolmentCode,
    User,
)


@dataclass(frozen=True, slots=True)
class BlindIndex:
    """A column whose equality lookups go through a keyed hash stored beside it."""

    model: type[Base]
    column: str
    index: str
    domain: str


BLIND_INDEXES: tuple[BlindIndex, ...] = (
    BlindIndex(Patient, "external_id", "external_id_index", ""),
    BlindIndex(User, "organisation", "organisation_index", "organisation"),
    BlindIndex(Consent, "grantee_organisation", "grantee_organisation_index", "organisation"),
    BlindIndex(ClinicalDocument, "kind", "kind_index", "document-kind"),
    BlindIndex(FindingRow, "domain", "domain_index", "finding-domain"),
)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    return False


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: object, _instances: object) -> None:
    """Refuse NUL characters in any text (PostgreSQL cannot store them in text columns,
    and no clinical text holds one) and keep every blind index in step with its value."""
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Base)]
    if not changed:
        return
    for obj in changed:
        table = cast(Table, obj.__table__)
        for column in table.columns:
            if _has_nul(getattr(obj, column.key, None)):
                raise InputError(
                    f"{column.key.replace('_', ' ')}: text must not contain NUL characters",
                    record=f"{table.name}.{column.key}",
                )
    for spec in BLIND_INDEXES:
        rows = [o for o in changed if isinstance(o, spec.model)]
        if rows:
            ring = keyring_for(session.get_bind())
            for obj in rows:
                value = getattr(obj, spec.column)
                index = None if value is None else ring.blind_index(value, domain=spec.domain)
                setattr(obj, spec.index, index)


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(*_: object) -> None:
    raise RuntimeError("audit_event is append-only: rows cannot be updated")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(*_: object) -> None:
    raise RuntimeError("audit_event is append-only: rows cannot be deleted")
