"""CDS Hooks ``patient-view``: a card for each open digital-health alert.

Minimal service of its own (the generic CDS provider registry of the integration layer
was not on main when this was written; once it is, this becomes a provider returning the
alerts' findings). When a clinician opens the chart, the EHR calls
``POST /cds-services/tailormed-digital-patient-view`` with ``context.patientId`` (the
patient's external id / MRN in Tailormed, or a record id); the caller's account must
hold a treatment consent of scope ``all`` (alerts are clinical history). Open and
escalated alerts become cards: ``critical`` for critical alerts, ``warning`` for high
and moderate ones, ``info`` otherwise, most severe first, with the rule's clinician text,
its citation and a link to the patient's digital-health page. A patient the caller may
not read, or one without open alerts, gets no card (the refusal is in the audit log).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from tailormed.record import AuthorizationError, NotFoundError, find_patient
from tailormed.record import digital as rd
from tailormed.service.auth import Caller
from tailormed.service.cds_models import SUMMARY_MAX, Card, Link, Source

SERVICE_ID = "tailormed-digital-patient-view"
INDICATOR = {"critical": "critical", "high": "warning", "moderate": "warning"}
LABELS = {
    "critical": "URGENT",
    "high": "High",
    "moderate": "Check-in",
    "low": "Low",
    "info": "Info",
}


def _patient(session: Session, caller: Caller, ref: str) -> uuid.UUID:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return find_patient(session, caller.actor, caller.purpose, ref).id


def patient_view_cards(
    session: Session, caller: Caller, patient_ref: str, base_url: str | None
) -> list[Card]:
    """Cards for the open alerts of the patient (none when the caller may not read them)."""
    try:
        pid = _patient(session, caller, patient_ref)
        alerts = rd.list_alerts(session, caller.actor, caller.purpose, pid, open_only=True)
    except (AuthorizationError, NotFoundError):
        return []
    cards = []
    for a in alerts:
        summary = f"{LABELS[a.severity]}: {a.title} ({a.day})"
        if a.state == "escalated":
            summary = "ESCALATED " + summary
        if len(summary) >= SUMMARY_MAX:
            summary = summary[: SUMMARY_MAX - 2] + "…"
        detail = f"{a.clinician_text}\n\nSource: {a.citation}"
        if not a.published:
            detail += " (local rule, not a published threshold)"
        links = []
        if base_url:
            links.append(
                Link(
                    label="Open the alert in Tailormed (acknowledge there)",
                    url=f"{base_url.rstrip('/')}/ui/patients/{pid}/digital",
                )
            )
        cards.append(
            Card(
                uuid=str(a.id),
                summary=summary,
                detail=detail,
                indicator=INDICATOR.get(a.severity, "info"),  # type: ignore[arg-type]
                source=Source(label="Tailormed digital care rules"),
                links=links,
            )
        )
    return cards
