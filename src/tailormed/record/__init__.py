"""The patient record: storage, encryption, consent, sharing and audit for Tailormed.

What the point-of-care service (and the CLI) builds on:

* **Database** (:mod:`~tailormed.record.db`): ``open_database(url)`` at startup (engine,
  Alembic migrations, key check); ``session_factory(engine)`` for one session per
  request. SQLite by default, PostgreSQL via ``postgresql+psycopg://...``.
* **Repository** functions, each ``f(session, actor, purpose, ...)`` and each one
  audited transaction (:mod:`~tailormed.record.access` states the rules):
  patients (:mod:`~tailormed.record.patients`), users and tokens
  (:mod:`~tailormed.record.users`), enrolment and activation codes
  (:mod:`~tailormed.record.enrolment`), results (:mod:`~tailormed.record.results`),
  medications and family history (:mod:`~tailormed.record.clinical`), consents
  (:mod:`~tailormed.record.consents`), share links (:mod:`~tailormed.record.shares`),
  export (:mod:`~tailormed.record.export`), digital health: observations, questionnaires,
  alerts and device tokens (:mod:`~tailormed.record.digital`).
* **Encryption at rest** (:mod:`~tailormed.record.crypto`, :mod:`~tailormed.record.keys`):
  AES-256-GCM column types, keys from the environment, rotation.
* **Audit** (:mod:`~tailormed.record.audit`): hash-chained, append-only log and its check.

Functions return frozen dataclasses (``*View``) with decrypted values; no caller ever
sees ciphertext or an ORM object.
"""

from tailormed.record.access import Access, Actor, Operator, Purpose, Role
from tailormed.record.accounts import UserView
from tailormed.record.audit import (
    AuditCheck,
    AuditEntry,
    audit_head,
    check_audit_chain,
    verify_audit_chain,
)
from tailormed.record.clinical import (
    UNSET,
    FamilyHistoryView,
    MedicationView,
    add_family_history,
    add_medication,
    delete_family_history,
    delete_medication,
    list_family_history,
    list_medications,
    update_family_history,
    update_medication,
)
from tailormed.record.consents import ConsentView, grant_consent, list_consents, revoke_consent
from tailormed.record.crypto import Keyring, generate_key, load_keyring
from tailormed.record.db import (
    current_revision,
    default_url,
    engine_from_url,
    open_database,
    session_factory,
    upgrade,
)
from tailormed.record.documents import (
    DocumentView,
    FindingView,
    delete_document,
    get_document,
    list_documents,
    list_findings,
    put_document,
    replace_findings,
)
from tailormed.record.enrolment import IssuedCode, create_enrolment, redeem_code
from tailormed.record.errors import (
    AuthorizationError,
    ConsentError,
    KeyConfigError,
    KeyUnavailableError,
    NotFoundError,
)
from tailormed.record.export import ExportedFile, export_patient, export_uploaded_files
from tailormed.record.keys import RotationReport, check_keys, rotate_keys
from tailormed.record.patients import (
    PatientView,
    create_patient,
    delete_patient,
    find_patient,
    get_patient,
    list_audit_events,
)
from tailormed.record.results import (
    WITHHELD_LIMITATIONS,
    ResultView,
    StoredFile,
    UploadInfo,
    add_result,
    get_result,
    list_results,
)
from tailormed.record.shares import (
    ShareView,
    create_share,
    list_shares,
    resolve_share,
    revoke_share,
)
from tailormed.record.users import (
    ClinicianView,
    authenticate,
    bootstrap_admin,
    create_user,
    deactivate_user,
    find_clinicians,
    issue_token,
    list_users,
    reset_activation,
)

__all__ = [
    "UNSET",
    "WITHHELD_LIMITATIONS",
    "Access",
    "Actor",
    "AuditCheck",
    "AuditEntry",
    "AuthorizationError",
    "ClinicianView",
    "ConsentError",
    "ConsentView",
    "DocumentView",
    "ExportedFile",
    "FamilyHistoryView",
    "FindingView",
    "IssuedCode",
    "KeyConfigError",
    "KeyUnavailableError",
    "Keyring",
    "MedicationView",
    "NotFoundError",
    "Operator",
    "PatientView",
    "Purpose",
    "ResultView",
    "Role",
    "RotationReport",
    "ShareView",
    "StoredFile",
    "UploadInfo",
    "UserView",
    "add_family_history",
    "add_medication",
    "add_result",
    "audit_head",
    "authenticate",
    "bootstrap_admin",
    "check_audit_chain",
    "check_keys",
    "create_enrolment",
    "create_patient",
    "create_share",
    "create_user",
    "current_revision",
    "deactivate_user",
    "default_url",
    "delete_document",
    "delete_family_history",
    "delete_medication",
    "delete_patient",
    "engine_from_url",
    "export_patient",
    "export_uploaded_files",
    "find_clinicians",
    "find_patient",
    "generate_key",
    "get_document",
    "get_patient",
    "get_result",
    "grant_consent",
    "issue_token",
    "list_audit_events",
    "list_consents",
    "list_documents",
    "list_family_history",
    "list_findings",
    "list_medications",
    "list_results",
    "list_shares",
    "list_users",
    "load_keyring",
    "open_database",
    "put_document",
    "redeem_code",
    "replace_findings",
    "reset_activation",
    "resolve_share",
    "revoke_consent",
    "revoke_share",
    "rotate_keys",
    "session_factory",
    "update_family_history",
    "update_medication",
    "upgrade",
    "verify_audit_chain",
]
