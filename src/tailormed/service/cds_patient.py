"""The patient's side of a CDS call: results, factors and medications → an interpretation.

A CDS card must say what the patient's report says, so the interpretation is built by
:func:`tailormed.recommend.build_interpretation` — the reports' function — from:

* the **genotype calls**: the ``pgxGenotypes`` prefetch when the EHR sent Observations
  (interpreted transiently, nothing stored; audited as action ``cds`` on ``prefetch``),
  else the patient's stored results — per gene, the newest result that called it —
  read under the caller's consent in one audited
  :func:`~tailormed.record.access.operation` (action ``cds`` on ``result``) that also
  reads the record's *active medications* when the consent covers clinical history
  (scope ``all``);
* the **clinical factors** stored with the newest result that has them (warfarin's IWPC
  inputs; withheld from partial consents, as the record withholds them from every
  partial view);
* the **medications**: the record's active list, the ``pgxMedications`` prefetch (the
  EHR's active MedicationRequests / MedicationStatements) and every draft order of the
  call, so an inhibitor on the list or in the same order set phenoconverts as in the
  report.

A caller who may not read the record (no record under this id, no consent, a deleted
record) gets :class:`PatientInputs` with ``access="none"`` and no calls — the same for all
three, so nothing tells them apart; the cards then say "no result available to you", and
only phenoconversion by drugs named *in the request itself* can still apply.

**Speed.** Per process, in memory: the decoded calls and factors of the stored results
(by their ids and the caller's view of them; results never change), the record id of an
external id (a stale one, after an erasure, is dropped and looked up again), and the
built interpretation (by knowledge-base version, those inputs and the medication names;
only the ordered drugs' reports and their alternatives' are built),
so a repeated order check costs the consent check, two small queries and the audit
append. Every call still authenticates, checks consent and is audited.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, replace
from threading import Lock
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from tailormed.calling.models import GeneCall
from tailormed.errors import InputError
from tailormed.fhir import import_bundle
from tailormed.knowledge import KnowledgeBase
from tailormed.recommend import Interpretation, PatientFactors, build_interpretation
from tailormed.record import AuthorizationError, NotFoundError, find_patient
from tailormed.record.access import Access, operation
from tailormed.record.models import Medication, Result
from tailormed.record.results import limit_calls
from tailormed.service.auth import Caller
from tailormed.service.cds import drugs_for_cards
from tailormed.service.cds_models import (
    CdsMedication,
    CdsPatient,
    DraftOrder,
    medication_names,
    medication_of,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

PREFETCH_GENOTYPES = "pgxGenotypes"
PREFETCH_MEDICATIONS = "pgxMedications"
GENOTYPE_QUERY = "Observation?patient={{context.patientId}}&code=http://loinc.org|84413-4"
MEDICATION_QUERY = "MedicationRequest?patient={{context.patientId}}&status=active"
RECORD_LIST = "the record's medication list"
EHR_LIST = "the EHR's medication list"
DRAFTS = "this order set"


class LRU(Generic[K, V]):
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


@dataclass(frozen=True, slots=True)
class PatientInputs:
    """What the record or the prefetch gives for one call, before medications are added."""

    key: tuple[Hashable, ...]  # identifies calls + factors + view (for the caches)
    calls: tuple[GeneCall, ...]
    factors: PatientFactors
    patient: CdsPatient
    medications: tuple[tuple[str, str | None], ...] = ()  # (name, RxNorm) from the record


@dataclass(frozen=True, slots=True)
class _Stored:
    calls: tuple[GeneCall, ...]
    factors: PatientFactors
    notes: tuple[str, ...] = ()


_stored: LRU[tuple[tuple[uuid.UUID, ...], bool, frozenset[str], bool], _Stored] = LRU(256)
_record_ids: LRU[str, uuid.UUID] = LRU(4096)
_interpretations: LRU[tuple[Hashable, ...], Interpretation] = LRU(256)


# ------------------------------------------------------------------------ prefetch
def _prefetched(
    prefetch: dict[str, Any] | None, key: str, patient: str, kinds: tuple[str, ...]
) -> list[dict[str, Any]] | None:
    """The resources of ``kinds`` in a prefetched Bundle, each about ``patient``; None if
    the key is absent, null or holds none."""
    value = (prefetch or {}).get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise InputError(f"prefetch {key} must be a FHIR Bundle or null")
    resources = [
        e["resource"]
        for e in value.get("entry") or []
        if isinstance(e, dict)
        and isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") in kinds
    ]
    for n, res in enumerate(resources):
        ref = ((res.get("subject") or {}).get("reference")) or ""
        if ref != f"Patient/{patient}" and not ref.endswith(f"/Patient/{patient}"):
            raise InputError(f"prefetch {key}: resource {n} is not about Patient/{patient}")
    return resources or None


def prefetched_genotypes(prefetch: dict[str, Any] | None, patient: str) -> dict[str, Any] | None:
    """The ``pgxGenotypes`` Bundle reduced to its Observations, or None if not sent."""
    found = _prefetched(prefetch, PREFETCH_GENOTYPES, patient, ("Observation",))
    if found is None:
        return None
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in found],
    }


def prefetched_medications(
    prefetch: dict[str, Any] | None, patient: str
) -> list[tuple[str, tuple[str, ...]]] | None:
    """``(text, RxNorm codes)`` of the active medications in ``pgxMedications`` (empty when
    the EHR sent an empty list), or None when it sent none."""
    kinds = ("MedicationRequest", "MedicationStatement")
    found = _prefetched(prefetch, PREFETCH_MEDICATIONS, patient, kinds)
    if found is None:
        return None if (prefetch or {}).get(PREFETCH_MEDICATIONS) is None else []
    out = []
    for res in found:
        if res.get("status") not in (None, "active", "on-hold", "intended"):
            continue
        text, codes = medication_of(res)
        if text or codes:
            out.append((text or f"RxNorm:{codes[0]}", codes))
    return out


def from_prefetch(
    session: Session, caller: Caller, hook_instance: uuid.UUID, service_id: str, bundle: Any
) -> PatientInputs:
    """The EHR's own genotypes (no record is read, so no consent is needed)."""
    sample, calls = import_bundle(bundle)
    with operation(
        session, caller.actor, caller.purpose, "cds", "prefetch", entity_id=str(hook_instance)
    ) as op:
        op.require_role("clinician")
        op.detail = f"{service_id}: {len(calls)} prefetched genotypes"
    key = ("prefetch", sample, *sorted(repr(c.to_json()) for c in calls))
    patient = CdsPatient(
        reference="", has_results=bool(calls), origin="in the genotypes the EHR sent"
    )
    return PatientInputs(key, tuple(calls), PatientFactors(), patient)


# -------------------------------------------------------------------------- record
def _view(access: Access) -> tuple[bool, frozenset[str], bool]:
    return (access.full, access.genes, access.reports)


def _read(session: Session, caller: Caller, patient_id: uuid.UUID) -> PatientInputs:
    """The stored results and active medications the caller may see (one audited
    operation: consent check, action ``cds`` on entity ``result``)."""
    with operation(session, caller.actor, caller.purpose, "cds", "result") as op:
        access = op.read_access(patient_id)
        meds: tuple[tuple[str, str | None], ...] = ()
        notes: list[str] = []
        if access.clinical:
            rows = session.scalars(
                select(Medication)
                .where(Medication.patient_id == patient_id, Medication.active.is_(True))
                .order_by(Medication.created_at, Medication.id)
            ).all()
            meds = tuple((m.name, m.rxnorm) for m in rows)
        else:
            notes.append(
                "The patient's medication list is not shared with you (consent scope), so "
                "only the draft orders were checked for interacting drugs."
            )
            notes.append(
                "Clinical factors stored with the results (age, height, weight) are not "
                "shared with you (consent scope)."
            )
        ids = tuple(
            session.scalars(
                select(Result.id)
                .where(Result.patient_id == patient_id)
                .order_by(Result.created_at.desc(), Result.id)
            ).all()
        )
        op.detail = f"{len(ids)} results, {len(meds)} active medications, for CDS cards"
        visible = None if access.full or access.reports else access.genes
        patient = CdsPatient(
            reference="",
            access="full" if visible is None else "partial",
            has_results=bool(ids),
            visible_genes=visible,
            notes=tuple(notes),
        )
        if not ids:
            return PatientInputs(("empty",), (), PatientFactors(), patient, meds)
        op.entity_id = str(ids[0])
        key = (ids, *_view(access))
        stored = _stored.get(key)
        if stored is None:
            stored = _combine(session, ids, access)
            _stored.put(key, stored)
        patient = replace(patient, notes=(*stored.notes, *patient.notes))
        return PatientInputs(("result", *key), stored.calls, stored.factors, patient, meds)


def _combine(session: Session, ids: Sequence[uuid.UUID], access: Access) -> _Stored:
    """Per gene, the newest result that called it (else its newest no-call); clinical
    factors from the newest result that has any. Genotypes do not change, so a CYP2D6
    result uploaded after a VCF does not hide the VCF's CYP2C19; a gene two results call
    differently is named in a note."""
    chosen: dict[str, GeneCall] = {}
    notes: list[str] = []
    factors = PatientFactors()
    for result_id in ids:  # newest first
        row = session.get(Result, result_id)  # (an entity load: no per-column cache key)
        if row is None:  # pragma: no cover (deleted between the two reads)
            continue
        if access.full and factors == PatientFactors():
            factors = PatientFactors.from_json(row.interpretation.get("factors") or {})
        for data in limit_calls(row.calls, access):
            call = GeneCall.from_json(row.sample, data)
            have = chosen.get(call.gene)
            if have is None or (call.called and not have.called):
                chosen[call.gene] = call
            elif call.called and have.called and call.diplotype != have.diplotype:
                notes.append(
                    f"{call.gene}: an earlier result reported {call.diplotype}; the newer "
                    f"{have.diplotype} is used."
                )
    return _Stored(tuple(chosen[g] for g in sorted(chosen)), factors, tuple(notes))


def _unavailable() -> PatientInputs:
    return PatientInputs(("none",), (), PatientFactors(), CdsPatient(reference="", access="none"))


def from_record(session: Session, caller: Caller, patient_ref: str) -> PatientInputs:
    """The record's inputs for ``patient_ref`` (external id / MRN, or a record id), or the
    same ``access="none"`` inputs whatever the reason they are not available."""
    try:
        record_id: uuid.UUID | None = uuid.UUID(patient_ref)
    except ValueError:
        record_id = None  # not a record id: an external id
    try:
        if record_id is not None:
            return _read(session, caller, record_id)
        known = _record_ids.get(patient_ref)
        if known is not None:
            try:
                return _read(session, caller, known)
            except (AuthorizationError, NotFoundError):
                _record_ids.drop(patient_ref)
        patient_id = find_patient(session, caller.actor, caller.purpose, patient_ref).id
        _record_ids.put(patient_ref, patient_id)
        return _read(session, caller, patient_id)
    except (AuthorizationError, NotFoundError):  # ConsentError is an AuthorizationError
        return _unavailable()


# -------------------------------------------------------------------- interpretation
def interpret(
    inputs: PatientInputs,
    reference: str,
    orders: Sequence[DraftOrder],
    ehr_medications: Sequence[tuple[str, tuple[str, ...]]] | None,
    kb: KnowledgeBase,
) -> tuple[Interpretation, CdsPatient]:
    """The interpretation the cards come from, and what the caller may know (with the
    medications that were taken into account and where they were listed)."""
    listed: list[CdsMedication] = []
    for name, rxnorm in inputs.medications:
        found = medication_names(name, (rxnorm,) if rxnorm else (), kb)
        listed.append(CdsMedication(name, found, RECORD_LIST))
    for text, codes in ehr_medications or ():
        listed.append(CdsMedication(text, medication_names(text, codes, kb), EHR_LIST))
    for order in orders:
        names = medication_names(order.text, order.codes, kb)
        listed.append(CdsMedication(order.text or order.resource_id, names, DRAFTS))
    names = tuple(sorted({n for m in listed for n in m.names}))
    notes = inputs.patient.notes
    if ehr_medications is None and inputs.patient.access == "none":
        notes = (
            *notes,
            "No medication list was available (send the pgxMedications prefetch), so only "
            "the draft orders were checked for interacting drugs.",
        )
    elif ehr_medications is None and inputs.key[0] == "prefetch":
        notes = (
            *notes,
            "The EHR sent no medication list (pgxMedications prefetch), so only the draft "
            "orders were checked for interacting drugs.",
        )
    drugs = tuple(sorted(drugs_for_cards(orders, kb)))
    key = (kb.version, *inputs.key, "|", *names, "|", *drugs)
    interpretation = _interpretations.get(key)
    if interpretation is None:
        interpretation = build_interpretation(
            inputs.calls, kb, medications=names, factors=inputs.factors, drugs=drugs
        )
        _interpretations.put(key, interpretation)
    patient = replace(inputs.patient, reference=reference, medications=tuple(listed), notes=notes)
    return interpretation, patient
