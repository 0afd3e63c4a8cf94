"""The care-rule engine: every rule of the digital bundle over a patient's series.

Rules are data (``rules.json`` in the digital bundle: type, thresholds, citation, whether
published or local, text templates). Each rule *type* has one evaluator here; patient and
clinician texts are the rule's templates filled with the structured values of the
evaluation only. Day-window rules raise one alert per episode: on the first day the
condition holds, again only after it has cleared.

:class:`Engine` is incremental: :meth:`Engine.add` takes a new batch (series and
questionnaire responses), re-aggregates only the local days the batch touches, evaluates
the rules and returns the alerts not raised before; :meth:`Engine.tick` evaluates the
time-driven rules (overdue questionnaires, the 8-week response check) as of a date, as a
scheduler would. :func:`evaluate` is the pure function both use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from tailormed.digital.aggregate import DailyTable, aggregate, day_number, day_text
from tailormed.digital.context import PatientContext, PgxAdvice, pgx_advice
from tailormed.digital.models import Observations, Series
from tailormed.digital.pro import Response, Score, score
from tailormed.findings.models import Severity
from tailormed.knowledge.digital_kb import DigitalKnowledge

LABELS = {"night_hr": "night-time heart rate", "resting_hr": "resting heart rate", "steps": "steps"}


@dataclass(frozen=True)
class Alert:
    """One rule firing for one patient (see the module docstring)."""

    rule_id: str
    title: str
    severity: Severity
    action: str
    day: str  # local date the condition was met
    patient_text: str
    clinician_text: str
    citation: str
    published: bool
    basis: str
    values: Mapping[str, str | float | int | None]
    evidence: tuple[
        tuple[str, str | float | int | None, str | None], ...
    ] = ()  # label, value, unit
    pgx: PgxAdvice | None = None
    key: str = ""
    knowledge: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity,
            "action": self.action,
            "date": self.day,
            "patient_text": self.patient_text,
            "clinician_text": self.clinician_text,
            "citation": self.citation,
            "published": self.published,
            "basis": self.basis,
            "values": dict(self.values),
            "evidence": [{"label": e[0], "value": e[1], "unit": e[2]} for e in self.evidence],
            "pgx": None
            if self.pgx is None
            else {
                "drug": self.pgx.drug,
                "status": self.pgx.status,
                "reason": self.pgx.reason,
                "phenotypes": [list(p) for p in self.pgx.phenotypes],
                "recommendations": list(self.pgx.recommendations),
                "alternatives": list(self.pgx.alternatives),
                "guideline_urls": list(self.pgx.guideline_urls),
                "pgx_knowledge": self.pgx.kb_version,
            },
            "key": self.key,
            "knowledge": self.knowledge,
        }


class _Fill(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _alert(
    rule: Mapping[str, Any],
    kb: DigitalKnowledge,
    day: str,
    key: str,
    values: dict[str, Any],
    evidence: Iterable[tuple[str, Any, str | None]] = (),
    pgx: PgxAdvice | None = None,
) -> Alert:
    shown = {k: (round(v, 1) if isinstance(v, float) else v) for k, v in values.items()}
    crisis = kb.crisis_resources[0]
    fill = _Fill(
        shown,
        date=day,
        crisis=f"contact the {crisis['name']} ({crisis['contact']}) or call {crisis['emergency']}",
    )
    return Alert(
        rule_id=rule["id"],
        title=rule["title"],
        severity=rule["severity"],
        action=rule["action"],
        day=day,
        patient_text=rule["patient_text"].format_map(fill),
        clinician_text=rule["clinician_text"].format_map(fill),
        citation=rule["citation"],
        published=bool(rule["published"]),
        basis=rule["basis"],
        values=shown,
        evidence=tuple(evidence),
        pgx=pgx,
        key=f"{rule['id']}|{key}",
        knowledge=kb.version,
    )


def _item9(
    rule: Mapping[str, Any], kb: DigitalKnowledge, scores: Sequence[Score], **_: Any
) -> list[Alert]:
    p = rule["params"]
    spec = kb.instrument(p["instrument"])
    item = next(it for it in spec["items"] if it["n"] == p["item"])
    answers = {a["score"]: a["display"] for a in kb.answers}
    out = []
    for s in scores:
        if s.instrument != p["instrument"] or s.derived_from:
            continue
        value = s.answers.get(int(p["item"]))
        if value is not None and value > p["above"]:
            out.append(
                _alert(
                    rule,
                    kb,
                    s.day,
                    s.key,
                    {
                        "item_score": value,
                        "item_answer": answers[value],
                        "total": s.total,
                        "band": s.band or "total not computed",
                        "instrument": s.instrument,
                    },
                    [
                        (f"{s.instrument} item {p['item']} ({item['code']})", value, "{score}"),
                        (f"{s.instrument} total ({s.total_code})", s.total, "{score}"),
                    ],
                )
            )
    return out


def _response(
    rule: Mapping[str, Any],
    kb: DigitalKnowledge,
    scores: Sequence[Score],
    context: PatientContext,
    as_of: str | None,
    **_: Any,
) -> list[Alert]:
    p = rule["params"]
    totals = sorted(
        (s.day, s.total)
        for s in scores
        if s.instrument == p["instrument"] and s.total is not None and not s.derived_from
    )
    out = []
    for med in context.starts(p["drug_class"]):
        start = med.start.isoformat()
        first_baseline = (med.start - timedelta(days=p["baseline_lookback_days"])).isoformat()
        before = [(d, t) for d, t in totals if first_baseline <= d <= start]
        if not before:
            continue
        b_day, baseline = before[-1]
        if baseline is None or baseline < p["min_baseline"]:
            continue
        due = (med.start + timedelta(weeks=p["weeks"])).isoformat()
        after = [(d, t) for d, t in totals if d >= due and (as_of is None or d <= as_of)]
        if not after:
            continue
        l_day, latest = after[-1]
        assert latest is not None
        reduction = (baseline - latest) / baseline
        if reduction >= p["min_reduction"]:
            continue
        weeks_on = (date.fromisoformat(l_day) - med.start).days // 7
        genes = ["CYP2C19", "CYP2D6"]
        advice = pgx_advice(med.drug, context.phenotypes, genes, med.drug_class, kb)
        out.append(
            _alert(
                rule,
                kb,
                l_day,
                f"{med.drug}|{start}",
                {
                    "baseline": baseline,
                    "baseline_date": b_day,
                    "latest": latest,
                    "latest_date": l_day,
                    "reduction_pct": round(100 * reduction),
                    "min_reduction_pct": round(100 * p["min_reduction"]),
                    "weeks_on": weeks_on,
                    "drug": med.drug,
                    "start": start,
                },
                [
                    (f"{p['instrument']} baseline {b_day}", baseline, "{score}"),
                    (f"{p['instrument']} {l_day}", latest, "{score}"),
                    (f"{med.drug} started", start, None),
                ],
                advice,
            )
        )
    return out


def _window_mean(table: DailyTable, col: str, first: int, last: int) -> tuple[float, float, int]:
    v = table.window(col, first, last)
    if not len(v):
        return float("nan"), float("nan"), 0
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0, len(v)


def _episodes(
    days: Iterable[int], test: Callable[[int], dict[str, Any] | bool | None]
) -> list[tuple[int, dict[str, Any]]]:
    """Days where ``test`` starts to hold (it returns values when it holds, False when it
    clearly does not, None when there is not enough data to tell)."""
    out = []
    active = False
    for d in days:
        got = test(d)
        if isinstance(got, dict):
            if not active:
                out.append((d, got))
            active = True
        elif got is False:
            active = False
    return out


def _rise(
    rule: Mapping[str, Any], kb: DigitalKnowledge, table: DailyTable, **_: Any
) -> list[Alert]:
    p = rule["params"]
    out = []

    def test(d: int) -> dict[str, Any] | bool | None:
        for metric in p["metrics"]:
            recent, _, n_recent = _window_mean(table, metric, d - p["recent_days"] + 1, d)
            last = d - p["recent_days"]
            base, sd, n_base = _window_mean(table, metric, last - p["baseline_days"] + 1, last)
            if n_recent < p["min_recent_days"] or n_base < p["min_baseline_days"]:
                continue
            threshold = max(p["min_rise"], p["min_sd"] * sd)
            if recent - base >= threshold:
                return {
                    "metric": metric,
                    "metric_label": LABELS[metric],
                    "recent": recent,
                    "baseline": base,
                    "sd": sd,
                    "rise": recent - base,
                    "threshold": threshold,
                    "recent_days": p["recent_days"],
                    "baseline_days": p["baseline_days"],
                }
            return False
        return None

    for d, values in _episodes(table.days.tolist(), test):
        out.append(
            _alert(
                rule,
                kb,
                day_text(d),
                day_text(d),
                values,
                [
                    (
                        f"{values['metric_label']} mean of {p['recent_days']} days",
                        round(values["recent"], 1),
                        "/min",
                    ),
                    (
                        f"baseline mean of {p['baseline_days']} days",
                        round(values["baseline"], 1),
                        "/min",
                    ),
                ],
            )
        )
    return out


def _ratio_test(
    table: DailyTable,
    col: str,
    recent: tuple[int, int],
    base: tuple[int, int],
    min_recent: int,
    min_base: int,
    max_ratio: float,
) -> dict[str, Any] | bool | None:
    r, _, nr = _window_mean(table, col, *recent)
    b, _, nb = _window_mean(table, col, *base)
    if nr < min_recent or nb < min_base or not b > 0:
        return None
    ratio = r / b
    if ratio <= max_ratio:
        return {
            "recent": r,
            "baseline": b,
            "ratio_pct": round(100 * ratio),
            "max_ratio_pct": round(100 * max_ratio),
        }
    return False


def _drop(
    rule: Mapping[str, Any], kb: DigitalKnowledge, table: DailyTable, **_: Any
) -> list[Alert]:
    p = rule["params"]

    def test(d: int) -> dict[str, Any] | bool | None:
        last = d - p["recent_days"]
        got = _ratio_test(
            table,
            p["metric"],
            (d - p["recent_days"] + 1, d),
            (last - p["baseline_days"] + 1, last),
            p["min_recent_days"],
            p["min_baseline_days"],
            p["max_ratio"],
        )
        if isinstance(got, dict):
            got |= {"recent_days": p["recent_days"], "baseline_days": p["baseline_days"]}
        return got

    return [
        _alert(
            rule,
            kb,
            day_text(d),
            day_text(d),
            v,
            [
                (f"mean steps of {p['recent_days']} days", round(v["recent"]), "{steps}/d"),
                (f"baseline mean of {p['baseline_days']} days", round(v["baseline"]), "{steps}/d"),
            ],
        )
        for d, v in _episodes(table.days.tolist(), test)
    ]


def _post_start(
    rule: Mapping[str, Any],
    kb: DigitalKnowledge,
    table: DailyTable,
    context: PatientContext,
    **_: Any,
) -> list[Alert]:
    p = rule["params"]
    out = []
    for med in context.starts(p["drug_class"]):
        s = day_number(med.start.isoformat())
        base = (s - p["baseline_days"], s - 1)
        days = [
            d for d in table.days.tolist() if s + p["window_days"] - 1 <= d <= s + p["within_days"]
        ]

        def test(d: int, base: tuple[int, int] = base) -> dict[str, Any] | bool | None:
            return _ratio_test(
                table,
                p["metric"],
                (d - p["window_days"] + 1, d),
                base,
                p["min_window_days"],
                p["min_baseline_days"],
                p["max_ratio"],
            )

        found = _episodes(days, test)
        if not found:
            continue
        d, v = found[0]
        advice = pgx_advice(med.drug, context.phenotypes, p["genes"], med.drug_class, kb)
        pgx_text = (
            advice.sentence
            if advice.status != "not tested"
            else f"{'/'.join(p['genes'])} not known: consider testing."
        )
        v |= {
            "drug": med.drug,
            "start": med.start.isoformat(),
            "window_days": p["window_days"],
            "pgx": pgx_text,
        }
        out.append(
            _alert(
                rule,
                kb,
                day_text(d),
                f"{med.drug}|{med.start.isoformat()}",
                v,
                [
                    (f"mean steps of {p['window_days']} days", round(v["recent"]), "{steps}/d"),
                    (f"baseline before {med.drug}", round(v["baseline"]), "{steps}/d"),
                ],
                advice,
            )
        )
    return out


def _overdue(
    rule: Mapping[str, Any],
    kb: DigitalKnowledge,
    scores: Sequence[Score],
    context: PatientContext,
    as_of: str | None,
    **_: Any,
) -> list[Alert]:
    if as_of is None:
        return []
    grace = int(rule["params"]["grace_days"])
    today = date.fromisoformat(as_of)
    out = []
    for schedule in kb.schedules:
        answered = sorted(
            s.day for s in scores if s.instrument == schedule["instrument"] and not s.derived_from
        )
        for med in context.starts(schedule["trigger"]["drug_class"]):
            for offset in schedule["offsets_days"]:
                due = med.start + timedelta(days=int(offset))
                if due + timedelta(days=grace) > today:
                    continue
                lo = due - timedelta(days=14 if offset == 0 else 7)
                hi = due + timedelta(days=grace)
                if any(lo.isoformat() <= d <= hi.isoformat() for d in answered):
                    continue
                out.append(
                    _alert(
                        rule,
                        kb,
                        (due + timedelta(days=grace)).isoformat(),
                        f"{schedule['id']}|{med.drug}|{due.isoformat()}",
                        {
                            "instrument": schedule["instrument"],
                            "due": due.isoformat(),
                            "schedule": schedule["id"],
                        },
                    )
                )
    return out


EVALUATORS: Mapping[str, Callable[..., list[Alert]]] = {
    "pro-item-positive": _item9,
    "pro-response": _response,
    "baseline-rise": _rise,
    "baseline-drop": _drop,
    "post-start-drop": _post_start,
    "schedule-overdue": _overdue,
}


def evaluate(
    table: DailyTable,
    scores: Sequence[Score],
    context: PatientContext,
    *,
    as_of: str | None = None,
    kb: DigitalKnowledge | None = None,
) -> list[Alert]:
    """Every rule over the patient's days and scores (most severe first, then by date)."""
    kb = kb or DigitalKnowledge.load()
    out: list[Alert] = []
    for rule in kb.rules:
        fn = EVALUATORS[rule["type"]]
        out.extend(fn(rule, kb, table=table, scores=scores, context=context, as_of=as_of))
    order = {"critical": 0, "high": 1, "moderate": 2, "low": 3, "info": 4}
    return sorted(out, key=lambda a: (order[a.severity], a.day, a.rule_id))


@dataclass
class Engine:
    """Incremental evaluation for one patient (see the module docstring)."""

    context: PatientContext
    kb: DigitalKnowledge = field(default_factory=DigitalKnowledge.load)
    series: list[Series] = field(default_factory=list)
    scores: list[Score] = field(default_factory=list)
    table: DailyTable | None = None
    raised: dict[str, Alert] = field(default_factory=dict)

    def add(
        self, batch: Observations | Sequence[Series], responses: Sequence[Response] = ()
    ) -> list[Alert]:
        """Take a batch, update the touched days, return the alerts not raised before."""
        if isinstance(batch, Observations):
            new_series = list(batch.series)
            responses = [*responses, *(r for r in batch.responses if isinstance(r, Response))]
        else:
            new_series = list(batch)
        self.series.extend(new_series)
        for r in responses:
            self.scores.extend(score(r, self.kb))
        touched = (
            np.unique(np.concatenate([s.local_day() for s in new_series]))
            if new_series
            else np.empty(0, np.int64)
        )
        self.table = _merge(self.table, self.series, touched)
        return self._new(evaluate(self.table, self.scores, self.context, kb=self.kb))

    def tick(self, as_of: date) -> list[Alert]:
        """Evaluate as of ``as_of`` (schedules, the 8-week check); new alerts only."""
        table = self.table or aggregate([])
        return self._new(
            evaluate(table, self.scores, self.context, as_of=as_of.isoformat(), kb=self.kb)
        )

    def _new(self, alerts: Sequence[Alert]) -> list[Alert]:
        fresh = [a for a in alerts if a.key not in self.raised]
        for a in fresh:
            self.raised[a.key] = a
        return fresh


def _merge(table: DailyTable | None, series: Sequence[Series], touched: np.ndarray) -> DailyTable:
    """The table with the ``touched`` days recomputed from every series' points of those days."""
    if table is None or not len(table):
        return aggregate(series)
    if not len(touched):
        return table
    parts = [s.take(np.isin(s.local_day(), touched)) for s in series]
    fresh = aggregate([p for p in parts if len(p)])
    keep = ~np.isin(table.days, fresh.days)
    days = np.concatenate([table.days[keep], fresh.days])
    order = np.argsort(days, kind="stable")
    cols = {
        c: np.concatenate([table.columns[c][keep], fresh.columns[c]])[order] for c in table.columns
    }
    source = np.concatenate([table.resting_hr_source[keep], fresh.resting_hr_source])[order]
    return replace(table, days=days[order], columns=cols, resting_hr_source=source)
