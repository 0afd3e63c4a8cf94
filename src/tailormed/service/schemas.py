"""Pydantic request and response models of the REST API (``/api/v1``).

Responses are built from the record layer's frozen ``*View`` dataclasses
(``Model.model_validate(view)``, attributes read directly); request models validate
input before any record call. Ids are UUIDs, timestamps ISO 8601 with a zone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tailormed.record import ResultView


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, list | tuple):
        for item in value:
            _no_nul(item)
    return value


class In(BaseModel):
    """A request body: no text field may hold a NUL character (422, naming the field)."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class ErrorOut(BaseModel):
    error: str


# ------------------------------------------------------------------------- users
class UserIn(In):
    role: Literal["patient", "clinician", "admin"] = Field(
        description="clinician or admin; patient accounts come only from an enrolment code"
    )
    display_name: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)


class UserOut(Out):
    id: uuid.UUID
    role: str
    display_name: str | None = None
    patient_id: uuid.UUID | None
    organisation: str | None
    active: bool
    activated: bool = False
    created_at: datetime


class CodeOut(BaseModel):
    code: str = Field(description="Single-use code, shown this once: hand it to the person")
    role: str
    expires_at: datetime


class UserCreated(BaseModel):
    user: UserOut
    activation: CodeOut = Field(
        description="The new user redeems it at POST /api/v1/activate (or /ui/enrol) for "
        "their own token; the admin never sees that token"
    )


class RedeemIn(In):
    code: str = Field(min_length=12, max_length=64)


class Redeemed(BaseModel):
    user: UserOut
    token: str = Field(description="The bearer token, shown this once")


class ClinicianOut(Out):
    id: uuid.UUID
    display_name: str
    organisation: str | None


class TokenOut(BaseModel):
    token: str = Field(description="The new bearer token, shown this once")


class MeOut(BaseModel):
    user_id: uuid.UUID
    role: str
    purpose: str


# ---------------------------------------------------------------------- patients
class PatientIn(In):
    display_name: str | None = Field(default=None, max_length=500)
    external_id: str | None = Field(default=None, max_length=200)
    attest_treatment_consent: bool = Field(
        default=False,
        description="A clinician records the patient's treatment consent at registration",
    )
    consent_expires_at: datetime | None = None


class PatientOut(Out):
    id: uuid.UUID
    display_name: str | None
    external_id: str | None
    created_at: datetime


# ----------------------------------------------------------------------- results
class GeneSummary(BaseModel):
    gene: str
    diplotype: str
    phenotype: str
    activity_score: str | None


class ResultSummary(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    upload_id: uuid.UUID
    upload_kind: str
    sample: str
    kb_version: str
    tailormed_version: str
    created_at: datetime
    scope: Literal["all", "partial"]
    genes: list[GeneSummary]
    actionable_drugs: list[str]

    @classmethod
    def of(cls, view: ResultView) -> ResultSummary:
        interp = view.interpretation
        return cls(
            id=view.id,
            patient_id=view.patient_id,
            upload_id=view.upload_id,
            upload_kind=view.upload_kind,
            sample=view.sample,
            kb_version=view.kb_version,
            tailormed_version=view.tailormed_version,
            created_at=view.created_at,
            scope=view.scope,
            genes=[
                GeneSummary(
                    gene=p.gene,
                    diplotype=p.diplotype,
                    phenotype=p.phenotype,
                    activity_score=p.activity_score,
                )
                for p in interp.phenotypes
            ],
            actionable_drugs=sorted(d.drug for d in interp.drugs if d.status == "actionable"),
        )


class ResultOut(ResultSummary):
    calls: list[dict[str, Any]] = Field(description="GeneCall JSON (tailormed.calls)")
    interpretation: dict[str, Any] = Field(description="Interpretation JSON")

    @classmethod
    def full(cls, view: ResultView) -> ResultOut:
        summary = ResultSummary.of(view)
        return cls(
            **summary.model_dump(),
            calls=[c.to_json() for c in view.calls],
            interpretation=view.interpretation.to_json(),
        )


class ReviewIn(In):
    result_id: uuid.UUID | None = Field(
        default=None, description="The result to review against (default: the newest)"
    )
    medications: list[str] | None = Field(
        default=None,
        description="Medications to review (default: the record's active medications)",
        max_length=200,
    )


class ReviewOut(BaseModel):
    result_id: uuid.UUID
    kb_version: str
    reviews: list[dict[str, Any]]
    limitations: list[str]


# ------------------------------------------------------------ clinical context
class MedicationIn(In):
    name: str = Field(min_length=1, max_length=500)
    rxnorm: str | None = Field(default=None, max_length=32, pattern=r"^\d+$")
    active: bool = True
    note: str | None = Field(default=None, max_length=2000)
    started_on: date | None = None  # when the patient started it (digital-health rules)


class MedicationPatch(In):
    """Only the fields given change; ``null`` clears an optional one."""

    name: str | None = Field(default=None, min_length=1, max_length=500)
    rxnorm: str | None = Field(default=None, max_length=32, pattern=r"^\d+$")
    active: bool | None = None
    note: str | None = Field(default=None, max_length=2000)
    started_on: date | None = None

    @field_validator("name", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class MedicationOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    name: str
    rxnorm: str | None
    active: bool
    note: str | None
    created_at: datetime
    updated_at: datetime
    started_on: date | None = None


class FamilyHistoryIn(In):
    relationship: str = Field(min_length=1, max_length=64)
    condition: str = Field(min_length=1, max_length=2000)
    genetic_result: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=4000)


class FamilyHistoryPatch(In):
    relationship: str | None = Field(default=None, min_length=1, max_length=64)
    condition: str | None = Field(default=None, min_length=1, max_length=2000)
    genetic_result: str | None = Field(default=None, max_length=2000)
    notes: str | None = Field(default=None, max_length=4000)

    @field_validator("relationship", "condition")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out but not null")
        return value


class FamilyHistoryOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    relationship: str
    condition: str
    genetic_result: str | None
    notes: str | None
    created_at: datetime
    updated_at: datetime


# ------------------------------------------------------------ consents and shares
class ConsentIn(In):
    grantee_user_id: uuid.UUID | None = None
    grantee_organisation: str | None = Field(default=None, max_length=200)
    purpose: Literal["treatment", "research"] = "treatment"
    scope: Literal["all", "genes", "reports"] = "all"
    genes: list[str] | None = Field(default=None, max_length=100)
    expires_at: datetime | None = None


class ConsentOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    grantee_user_id: uuid.UUID | None
    grantee_name: str | None = None
    grantee_organisation: str | None
    purpose: str
    scope: str
    genes: tuple[str, ...]
    status: str
    granted_by: uuid.UUID
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ShareIn(In):
    expires_in_days: float = Field(default=7, gt=0, le=90)
    scope: Literal["all", "genes", "reports"] = "reports"
    genes: list[str] | None = Field(default=None, max_length=100)


class ShareOut(Out):
    id: uuid.UUID
    patient_id: uuid.UUID
    scope: str
    genes: tuple[str, ...]
    created_by: uuid.UUID
    created_at: datetime
    expires_at: datetime
    revoked: bool


class ShareCreated(BaseModel):
    share: ShareOut
    token: str = Field(description="The share token, shown this once")
    url: str = Field(description="The link to hand out: /share/<token>")


# ------------------------------------------------------------------------- audit
class AuditEntryOut(Out):
    id: int
    ts: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str | None
    patient_id: uuid.UUID | None
    purpose: str | None
    outcome: str
    detail: str | None


class AuditVerifyOut(BaseModel):
    valid: bool
    first_bad_id: int | None
    problem: str | None = Field(default=None, description="Why the check failed, one line")
    events: int = 0
    head_id: int | None
    head_hash: str | None
