"""CDS Hooks 2.0: discovery, the ``order-select`` / ``order-sign`` services and feedback.

* ``GET /cds-services``: the two services, each with the prefetch template
  ``pgxGenotypes`` (the patient's Genotype observations, LOINC 84413-4);
* ``POST /cds-services/{id}``: a validated hook request → ``{"cards": [...]}`` from
  :func:`tailormed.service.cds.cards`;
* ``POST /cds-services/{id}/feedback``: card outcomes, audited.

**Who calls.** The CDS client (the EHR) authenticates with a Tailormed bearer token of a
*clinician* account (typically one per EHR integration, in the hospital's organisation,
so that consents given to the organisation cover it), or with the spec's signed JWT when
the EHR is registered (:mod:`.cds_auth`), which then acts as its registered clinician
account. That account is the actor for consent and audit. ``context.userId`` (the EHR's
``Practitioner/…``) is validated but not trusted for authorisation: the EHR vouches for
its user, Tailormed for the token.

**Where the genotypes come from.**

1. ``prefetch.pgxGenotypes`` when the client sent a Bundle with Observations: imported
   with :func:`tailormed.fhir.import_bundle` and interpreted transiently (nothing is
   stored); every Observation's subject must be ``Patient/<context.patientId>``. The
   call is audited as action ``cds`` on entity ``prefetch`` (no record is read, so no
   consent is needed: the EHR disclosed its own data to us).
2. Otherwise (key absent or ``null``, or an empty searchset) the newest stored result of
   the patient whose *external id* (MRN / EHR Patient id) is ``context.patientId`` (a
   Tailormed record UUID works too), read under the token user's consent in one
   :func:`~tailormed.record.access.operation` audited as action ``cds`` on ``result``
   (the rules of ``list_results(..., audit_action="cds")``, for the newest result only).

**Speed.** An EHR calls on every order, so the hot path avoids repeated work, in
memory, per process: the decoded interpretation of a stored result (results never
change; the key includes the reader's consent scope), the record id of an external id
(a stale one, after an erasure, is dropped and looked up again), and the interpretation
of prefetched genotypes. Every call still authenticates, checks consent and is audited.

**No consent, unknown patient, no result.** The answer is ``200 {"cards": []}`` in all
three cases, the same bytes, so the response never tells whether the patient exists or
has results (the refusal is in the audit log). The spec asks for an empty card list
when a service has no guidance; a 403 would tell an EHR that Tailormed holds the
patient. We never fetch from ``fhirServer`` (no outbound calls), so we never need 412.
A missing or bad bearer token is 401, a non-clinician token 403, a malformed request 422.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from threading import Lock
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.fhir import import_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, build_interpretation
from tailormed.record import (
    AuthorizationError,
    NotFoundError,
    find_patient,
)
from tailormed.record.access import operation
from tailormed.record.models import Result
from tailormed.record.results import limit_interpretation
from tailormed.service.auth import (
    Caller,
    SessionDep,
    StateDep,
    cds_caller,
    require_cds_clinician,
)
from tailormed.service.cds import Action, Card, cards

K = TypeVar("K")
V = TypeVar("V")
router = APIRouter(tags=["CDS Hooks"])

PREFETCH_KEY = "pgxGenotypes"
GENOTYPE_QUERY = "Observation?patient={{context.patientId}}&code=http://loinc.org|84413-4"
USAGE = (
    "Authenticate with the bearer token of a Tailormed clinician account. context.patientId "
    "is the patient's external id (MRN) in Tailormed, or a Tailormed record id; the patient "
    "must have consented to that account or its organisation, unless pgxGenotypes is "
    "prefetched."
)


class Service(BaseModel):
    hook: Literal["order-select", "order-sign"]
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
                "patient's pharmacogenomic results."
            ),
            prefetch={PREFETCH_KEY: GENOTYPE_QUERY},
            usageRequirements=USAGE,
        ),
        Service(
            hook="order-sign",
            id="tailormed-pgx-order-sign",
            title="Pharmacogenomic check (order sign)",
            description=(
                "Checks draft medication orders against the patient's pharmacogenomic "
                "results before signing; suggests alternatives or dose changes."
            ),
            prefetch={PREFETCH_KEY: GENOTYPE_QUERY},
            usageRequirements=USAGE,
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


class HookRequest(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    hook: str = Field(min_length=1, max_length=100)
    hookInstance: uuid.UUID
    fhirServer: HttpUrl | None = None
    fhirAuthorization: FhirAuthorization | None = Field(default=None, repr=False)
    context: OrderContext
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


# ------------------------------------------------------------------------ logic
class _LRU(Generic[K, V]):
    """A small thread-safe LRU map (per process, memory only)."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def drop(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


# Interpretations of prefetched genotypes (order-select then order-sign interpret once).
_prefetched: _LRU[tuple[str, ...], Interpretation] = _LRU(256)


def _prefetched_bundle(request: HookRequest) -> dict[str, Any] | None:
    """The prefetched genotype Bundle, reduced to its Observations, or None if not sent."""
    value = (request.prefetch or {}).get(PREFETCH_KEY)
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise InputError(f"prefetch {PREFETCH_KEY} must be a FHIR Bundle or null")
    entries = [
        e
        for e in value.get("entry") or []
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Observation"
    ]
    if not entries:
        return None
    patient = request.context.patientId
    for n, entry in enumerate(entries):
        ref = ((entry["resource"].get("subject") or {}).get("reference")) or ""
        if ref != f"Patient/{patient}" and not ref.endswith(f"/Patient/{patient}"):
            raise InputError(
                f"prefetch {PREFETCH_KEY}: observation {n} is not about Patient/{patient}"
            )
    return {**value, "entry": entries}


def _from_prefetch(
    session: Session,
    caller: Caller,
    request: HookRequest,
    service: Service,
    bundle: dict[str, Any],
    kb: KnowledgeBase,
) -> Interpretation:
    sample, calls = import_bundle(bundle)
    key = (kb.version, sample, *sorted(repr(c.to_json()) for c in calls))
    interpretation = _prefetched.get(key)
    if interpretation is None:
        interpretation = build_interpretation(calls, kb)
        _prefetched.put(key, interpretation)
    with operation(
        session,
        caller.actor,
        caller.purpose,
        "cds",
        "prefetch",
        entity_id=str(request.hookInstance),
    ) as op:
        op.require_role("clinician")
        op.detail = f"{service.id}: {len(calls)} prefetched genotypes"
    return interpretation


# Decoded interpretations of stored results, by result id and the reader's view of it.
# Results never change once stored (a deleted patient's ids are never found again), and
# every hit is preceded by the consent check and audit of the request that makes it.
_stored: _LRU[tuple[uuid.UUID, bool, frozenset[str], bool], Interpretation] = _LRU(64)


def _newest_interpretation(
    session: Session, caller: Caller, patient_id: uuid.UUID
) -> Interpretation | None:
    """The patient's newest stored interpretation, as the caller may see it.

    The same rules and audit event as ``list_results(..., audit_action="cds")`` (one
    :func:`~tailormed.record.access.operation`: consent check, action ``cds`` on entity
    ``result``), but for the newest result only, and decrypting and decoding it only on
    the first call: the CDS hot path must not parse a 170 kB interpretation per order.
    """
    with operation(session, caller.actor, caller.purpose, "cds", "result") as op:
        access = op.read_access(patient_id)
        newest = session.scalar(
            select(Result.id)
            .where(Result.patient_id == patient_id)
            .order_by(Result.created_at.desc(), Result.id)
            .limit(1)
        )
        if newest is None:
            op.detail = "0 results"
            return None
        op.entity_id, op.detail = str(newest), "newest result, for CDS cards"
        key = (newest, access.full, access.genes, access.reports)
        found = _stored.get(key)
        if found is None:
            row = session.get(Result, newest)  # (an entity load: no per-column cache key)
            stored = row.interpretation if row is not None else None
            if stored is None:
                return None
            found = Interpretation.from_json(limit_interpretation(stored, access))
            _stored.put(key, found)
        return found


# External id (MRN) → record id, learnt from successful lookups. A hit still goes
# through the consent check; a stale entry (patient erased, MRN reused) is dropped.
_record_ids: _LRU[str, uuid.UUID] = _LRU(4096)


def _from_record(session: Session, caller: Caller, patient_ref: str) -> Interpretation | None:
    """The newest stored interpretation the caller may see, or None (never why)."""
    try:
        record_id = uuid.UUID(patient_ref)
    except ValueError:
        record_id = None  # not a record id: an external id
    if record_id is not None:
        try:
            return _newest_interpretation(session, caller, record_id)
        except (AuthorizationError, NotFoundError):  # ConsentError is an AuthorizationError
            return None
    known = _record_ids.get(patient_ref)
    if known is not None:
        try:
            return _newest_interpretation(session, caller, known)
        except (AuthorizationError, NotFoundError):
            _record_ids.drop(patient_ref)
    try:
        patient_id = find_patient(session, caller.actor, caller.purpose, patient_ref).id
        _record_ids.put(patient_ref, patient_id)
        return _newest_interpretation(session, caller, patient_id)
    except (AuthorizationError, NotFoundError):
        return None


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
    """Cards for the draft medication orders of an ``order-select`` / ``order-sign`` call."""
    service = _service(service_id)
    if request.hook != service.hook:
        raise InputError(f"service {service.id} answers hook {service.hook}, not {request.hook}")
    if service.hook == "order-select" and request.context.selections is None:
        raise InputError("order-select needs context.selections")
    bundle = _prefetched_bundle(request)
    if bundle is not None:
        interpretation: Interpretation | None = _from_prefetch(
            session, caller, request, service, bundle, state.kb
        )
    else:
        interpretation = _from_record(session, caller, request.context.patientId)
    if interpretation is None:
        return HookResponse(cards=[])
    context = request.context.model_dump(mode="json")
    return HookResponse(cards=cards(context, interpretation, state.kb))


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
