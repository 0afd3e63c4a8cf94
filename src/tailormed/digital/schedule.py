"""Questionnaire schedules (data in the digital bundle) applied to a patient.

A schedule names an instrument, a trigger (a medication class start) and offsets in days
(e.g. PHQ-9 at 0, 14, 28 … 84 days after an antidepressant start). A due date counts as
answered by a response from 7 days before it (14 for the baseline, day 0) to ``grace``
days after it — the window the ``pro-overdue`` rule uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from tailormed.digital.context import PatientContext
from tailormed.digital.pro import Score
from tailormed.knowledge.digital_kb import DigitalKnowledge


@dataclass(frozen=True)
class Due:
    instrument: str
    due: date
    drug: str
    status: str  # "answered", "overdue", "due now", "upcoming"
    schedule: str


def due_questionnaires(
    context: PatientContext,
    scores: Sequence[Score],
    today: date,
    kb: DigitalKnowledge | None = None,
) -> list[Due]:
    """Every scheduled questionnaire of the patient's medication starts, with its status."""
    kb = kb or DigitalKnowledge.load()
    grace = int(kb.rule("pro-overdue")["params"]["grace_days"])
    out = []
    for schedule in kb.schedules:
        answered = sorted(
            s.day for s in scores if s.instrument == schedule["instrument"] and not s.derived_from
        )
        for med in context.starts(schedule["trigger"]["drug_class"]):
            for offset in schedule["offsets_days"]:
                due = med.start + timedelta(days=int(offset))
                lo = (due - timedelta(days=14 if int(offset) == 0 else 7)).isoformat()
                hi = (due + timedelta(days=grace)).isoformat()
                if any(lo <= d <= hi for d in answered):
                    status = "answered"
                elif due + timedelta(days=grace) < today:
                    status = "overdue"
                elif due - timedelta(days=7) <= today:
                    status = "due now"
                else:
                    status = "upcoming"
                out.append(Due(schedule["instrument"], due, med.drug, status, schedule["id"]))
    return sorted(out, key=lambda d: (d.due, d.instrument))
