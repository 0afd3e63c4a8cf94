"""CDS Hooks 2.0: discovery, the ``order-select`` / ``order-sign`` / ``patient-view``
services and feedback.

The clinical domains add their cards through :mod:`.cds_providers` (cardiovascular statin
advice on a statin order, stored findings that call for action on ``patient-view``...):
after the pharmacogenomic cards, every provider registered for the hook is asked.

* ``GET /cds-services``: the services; the two order services have the prefetch templates
  ``pgxGenotypes`` (the patient's Genotype observations, LOINC 84413-4) and
  ``pgxMedications`` (their active MedicationRequests);
* ``POST /cds-services/{id}``: a validated hook request → ``{"cards": [...]}``: the
  patient's inputs (:mod:`.cds_patient`), one interpretation built like the reports',
  cards from it (:mod:`.cds`);
* ``POST /cds-services/{id}/feedback``: card outcomes, audited.

**Who calls.** The CDS client (the EHR) authenticates with a Tailormed bearer token of a
*clinician* account (typically one per EHR integration, in the hospital's organisation,
so that consents given to the organisation cover it), or with the spec's signed JWT when
the EHR is registered (:mod:`.cds_auth`), which then acts as its registered clinician
account. That account is the actor for consent and audit. ``context.userId`` (the EHR's
``Practitioner/…``) is validated but not trusted for authorisation: the EHR vouches for
its user, Tailormed for the token.

**Where the genotypes come from.** ``prefetch.pgxGenotypes`` when the client sent a
Bundle with Observations (every subject must be ``Patient/<context.patientId>``; nothing
is stored, no consent is needed: the EHR disclosed its own data), else the newest stored
result of the patient whose *external id* (MRN / EHR Patient id) is
``context.patientId`` (a Tailormed record UUID works too), read under the token user's
consent together with the record's active medications and stored clinical factors.

**No result, no consent, unknown or deleted patient** (see the README's CDS section).
Never an empty answer for an ordered drug that has a CPIC/DPWG guideline:

* the caller may read the record and it holds no usable result for the drug's genes:
  an ``info`` card "no pharmacogenomic result on file: consider testing <genes>";
* the record exists but the consent does not cover those genes: an ``info`` card
  "no <gene> result available to you (not tested, or not covered by the consent)";
* the caller may not read any record under this id — no consent, no such patient, or a
  deleted record: one ``info`` card per guideline drug, "no pharmacogenomic result
  available to you … consider testing", *identical in all three cases* (only the random
  card uuids differ), so the answer never tells whether Tailormed holds the patient.
  The refusal is in the audit log. A 403 or 404 would be such an oracle, and an EHR
  shows an error to nobody, so an empty or error answer would look like "no advice".

Drugs without a CPIC/DPWG guideline get no card. We never fetch from ``fhirServer`` (no
outbound calls), so we never answer 412. A missing or bad bearer token is 401, a
non-clinician token 403, a malformed request 422.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from tailormed.errors import InputError
from tailormed.record import NotFoundError
from tailormed.record.access import operation
from tailormed.service import cds_patient
from tailormed.service.auth import (
    Caller,
    SessionDep,
    StateDep,
    cds_caller,
    require_cds_clinician,
)
from tailormed.service.cds import (
    OVERRIDE_REASON_SYSTEM,
    Action,
    Card,
    cards,
    draft_orders,
    drugs_of,
)
from tailormed.service.cds_models import order_ingredients
from tailormed.service.cds_patient import (
    GENOTYPE_QUERY,
    MEDICATION_QUERY,
    PREFETCH_GENOTYPES,
    PREFETCH_MEDICATIONS,
)
from tailormed.service.cds_providers import provider_cards

router = APIRouter(tags=["CDS Hooks"])

PREFETCH = {PREFETCH_GENOTYPES: GENOTYPE_QUERY, PREFETCH_MEDICATIONS: MEDICATION_QUERY}
USAGE = (
    "Authenticate with the bearer token of a Tailormed clinician account (or a registered "
    "EHR's signed JWT). context.patientId is the patient's external id (MRN) in Tailormed, "
    "or a Tailormed record id; the patient must have consented to that account or its "
    "organisation, unless pgxGenotypes is prefetched. pgxMedications (optional) adds the "
    "EHR's active medications to the record's for phenoconversion. A patient this account "
    "may not read (no consent, unknown or deleted) gets the same 'no result available to "
    "you' info cards whatever the reason. Override reasons use the code system "
    f"{OVERRIDE_REASON_SYSTEM}."
)
VIEW_USAGE = (
    "Authenticate with the bearer token of a Tailormed clinician account (or a registered "
    "EHR's signed JWT). context.patientId is the patient's external id (MRN) in Tailormed, "
    "or a Tailormed record id. The patient must have consented to that account or its "
    "organisation (scope all or reports); otherwise, and for an unknown or deleted patient "
    "alike, the answer has no cards."
)
COMMON = (
    " Cards come from the same interpretation as Tailormed's reports: the patient's stored "
    "results and clinical factors, with phenoconversion by the medication list and the "
    "draft orders. A guideline drug without a usable result gets an info card suggesting "
    "the test; warfarin gets the computed IWPC + CPIC 2017 dose or the factors it needs."
)


class Service(BaseModel):
    hook: Literal["order-select", "order-sign", "patient-view"]
    id: str
    title: str
    description: str
    prefetch: dict[str, str]
    usageRequirements: str


class Discovery(BaseModel):
    services: list[Service]


SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            hook="order-select",
            id="tailormed-pgx-order-select",
            title="Pharmacogenomic check (order select)",
            description=(
                "Warns when a selected medication has a CPIC/DPWG recommendation for the "
                "patient's pharmacogenomic results (cards for context.selections; the other "
                "draft orders count as co-medication)." + COMMON
            ),
            prefetch=PREFETCH,
            usageRequirements=USAGE,
        ),
        Service(
            hook="order-sign",
            id="tailormed-pgx-order-sign",
            title="Pharmacogenomic check (order sign)",
            description=(
                "Checks every draft medication order against the patient's pharmacogenomic "
                "results before signing; suggests the guideline's alternative drugs." + COMMON
            ),
            prefetch=PREFETCH,
            usageRequirements=USAGE,
        ),
        Service(
            hook="patient-view",
            id="tailormed-patient-view",
            title="Tailormed findings (patient view)",
            description=(
                "When a patient's chart opens: the stored clinical findings that call for "
                "action (cardiovascular risk and statin advice, oncology, rare disease, "
                "digital health), each with its evidence and sources, as in the report."
            ),
            prefetch={},
            usageRequirements=VIEW_USAGE,
        ),
    )
}


# ------------------------------------------------------------------ request models
class FhirAuthorization(BaseModel):
    """Passed by the client for FHIR access; transient, never logged, never used here."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    access_token: str = Field(repr=False)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class DraftOrders(BaseModel):
    model_config = ConfigDict(extra="allow")
    resourceType: Literal["Bundle"]
    entry: list[dict[str, Any]] = Field(default_factory=list, max_length=500)


class OrderContext(BaseModel):
    """The ``order-select`` / ``order-sign`` context."""

    model_config = ConfigDict(extra="allow")
    userId: str = Field(min_length=1, max_length=256)
    patientId: str = Field(min_length=1, max_length=256)
    encounterId: str | None = Field(default=None, max_length=256)
    selections: list[str] | None = Field(default=None, max_length=500)
    draftOrders: DraftOrders


class PatientViewContext(BaseModel):
    """The ``patient-view`` context."""

    model_config = ConfigDict(extra="allow")
    userId: str = Field(min_length=1, max_length=256)
    patientId: str = Field(min_length=1, max_length=256)
    encounterId: str | None = Field(default=None, max_length=256)


class HookRequest(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    hook: str = Field(min_length=1, max_length=100)
    hookInstance: uuid.UUID
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = Field(default=None, repr=False)
    context: OrderContext | PatientViewContext
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_authorization(self) -> HookRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirAuthorization needs fhirServer")
        return self


class HookResponse(BaseModel):
    cards: list[Card]
    systemActions: list[Action] | None = None  # never proposed: we only advise


class Coding(BaseModel):
    model_config = ConfigDict(extra="allow")
    system: str | None = None
    code: str | None = Field(default=None, max_length=64)
    display: str | None = None


class OverrideReason(BaseModel):
    reason: Coding | None = None
    userComment: str | None = Field(default=None, repr=False)


class AcceptedSuggestion(BaseModel):
    id: str = Field(min_length=1, max_length=64)


class FeedbackItem(BaseModel):
    card: str = Field(min_length=1, max_length=64)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] = Field(default_factory=list, max_length=50)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str = Field(min_length=1, max_length=40)


class FeedbackRequest(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1, max_length=100)


class FeedbackResponse(BaseModel):
    received: int


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        raise NotFoundError(f"no CDS service {service_id!r}")
    return service


ClinicianDep = Annotated[Caller, Depends(require_cds_clinician)]
CdsCallerDep = Annotated[Caller, Depends(cds_caller)]


@router.get("/cds-services", response_model=Discovery, response_model_exclude_none=True)
def discovery(_caller: CdsCallerDep) -> Discovery:
    """The CDS services offered (CDS Hooks discovery)."""
    return Discovery(services=list(SERVICES.values()))


@router.post(
    "/cds-services/{service_id}",
    response_model=HookResponse,
    response_model_exclude_none=True,
)
def call_service(
    service_id: str,
    request: HookRequest,
    caller: ClinicianDep,
    session: SessionDep,
    state: StateDep,
) -> HookResponse:
    """Cards for the draft medication orders of an ``order-select`` / ``order-sign`` call,
    or the patient's findings that call for action on ``patient-view``."""
    service = _service(service_id)
    if request.hook != service.hook:
        raise InputError(f"service {service.id} answers hook {service.hook}, not {request.hook}")
    patient_ref = request.context.patientId
    if service.hook == "patient-view":
        found = provider_cards(session, caller, "patient-view", patient_ref, (), state.kb, None)
        return HookResponse(cards=found)
    if not isinstance(request.context, OrderContext):
        raise InputError(f"{service.hook} needs context.draftOrders")
    if service.hook == "order-select" and request.context.selections is None:
        raise InputError("order-select needs context.selections")
    genotypes = cds_patient.prefetched_genotypes(request.prefetch, patient_ref)
    ehr_medications = cds_patient.prefetched_medications(request.prefetch, patient_ref)
    if genotypes is not None:
        inputs = cds_patient.from_prefetch(
            session, caller, request.hookInstance, service.id, genotypes
        )
    else:
        inputs = cds_patient.from_record(session, caller, patient_ref)
    context = request.context.model_dump(mode="json")
    interpretation, patient = cds_patient.interpret(
        inputs, patient_ref, draft_orders(context), ehr_medications, state.kb
    )
    pgx = cards(context, interpretation, state.kb, patient)
    selections = request.context.selections
    selected = [
        order
        for order in draft_orders(context)
        if selections is None or order.resource_id in selections
    ]
    drugs = sorted(
        {name for order in selected for name in drugs_of(order, state.kb)}
        | {
            name
            for order in selected
            for name in order_ingredients(order.text, order.codes, state.kb)
        }
    )
    more = provider_cards(
        session, caller, service.hook, patient_ref, drugs, state.kb, interpretation
    )
    return HookResponse(cards=pgx + more)


@router.post("/cds-services/{service_id}/feedback", response_model=FeedbackResponse)
def feedback(
    service_id: str,
    body: FeedbackRequest,
    caller: ClinicianDep,
    session: SessionDep,
) -> FeedbackResponse:
    """Card outcomes (accepted / overridden), one audit event each.

    Kept: the card and suggestion uuids, the outcome and the override reason's code.
    ``overrideReason.userComment`` is free text that may name the patient, and the audit
    log holds no PHI, so it is dropped.
    """
    service = _service(service_id)
    for item in body.feedback:
        parts = [f"{service.id}: {item.outcome}"]
        if item.acceptedSuggestions:
            parts.append("suggestions " + ",".join(s.id for s in item.acceptedSuggestions))
        reason = item.overrideReason.reason if item.overrideReason else None
        if reason is not None and reason.code:
            parts.append(f"reason {reason.code}")
        with operation(
            session, caller.actor, caller.purpose, "cds", "cds_feedback", entity_id=item.card
        ) as op:
            op.require_role("clinician")
            op.detail = "; ".join(parts)
    return FeedbackResponse(received=len(body.feedback))
