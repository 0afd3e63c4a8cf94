"""The web UI's rare-disease page: a clinician enters a patient's HPO terms and ranks them.

``/ui/patients/{id}/phenotype`` shows the patient's phenotype entry (observed and excluded
HPO terms of the bundled release, sex) and, once saved, the differential diagnosis. The
page is one plain form (no script): the terms being edited travel as hidden fields, so
searching, adding and removing terms change nothing in the record until **Save and rank**,
which stores a new version of the ``rare.phenotype`` document, ranks it and stores the
ranking as a ``rare.ranking`` document. Term search matches the starts of the words of HPO
labels and synonyms (:mod:`tailormed.rare.terms`); the Enter key in the search box runs
the search (its button is the form's first). Every read and write goes through the
record's document functions as the signed-in clinician (access checks and audit there);
saving also replaces the domain's stored findings, as a ``PUT`` of the API does.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from tailormed.errors import InputError
from tailormed.record import (
    NotFoundError,
    get_document,
    get_patient,
    list_documents,
    put_document,
    replace_findings,
)
from tailormed.service.documents import SectionInputs, validate_body
from tailormed.service.ui.common import DB, KB, PURPOSE, Viewer, _redirect, render, router
from tailormed.service.ui.session import CSRF, Me, _require_clinician

PHENOTYPE = "rare.phenotype"
RANKING = "rare.ranking"
MAX_TERMS = 200
MAX_QUERY = 100
SEXES = {
    "UNKNOWN_SEX": "Not recorded",
    "FEMALE": "Female",
    "MALE": "Male",
    "OTHER_SEX": "Other",
}


def _term_rows(ids: list[str]) -> list[dict[str, str]]:
    """The entry's terms with their labels in the bundled release (or why not usable)."""
    from tailormed.knowledge.rare import RareKnowledge

    ont = RareKnowledge.load().ontology
    rows = []
    for given in ids:
        res = ont.resolve(given)
        rows.append(
            {
                "id": given,
                "label": ont.label(res.index) if res.index >= 0 else "",
                "note": res.note,
            }
        )
    return rows


def _clean(ids: list[str]) -> list[str]:
    out: list[str] = []
    for raw in ids:
        t = raw.strip().upper()
        if not t:
            continue
        if len(t) != 10 or not t.startswith("HP:") or not t[3:].isdigit():
            raise InputError(f"{raw[:20]!r} is not an HPO id (HP: and seven digits)")
        if t not in out:
            out.append(t)
    if len(out) > MAX_TERMS:
        raise InputError(f"enter at most {MAX_TERMS} HPO terms")
    return out


def _stored_entry(session: Session, me: Viewer, pid: uuid.UUID) -> dict[str, Any] | None:
    try:
        body = get_document(session, me.actor, PURPOSE, pid, PHENOTYPE).body
    except NotFoundError:
        return None
    return dict(body)


def _sections(session: Session, me: Viewer, pid: uuid.UUID, subject: str, kb: Any) -> list[Any]:
    from tailormed.rare.documents import sections_from_documents

    docs = {v.kind: v.body for v in list_documents(session, me.actor, PURPOSE, pid, domain="rare")}
    return sections_from_documents(docs, SectionInputs(subject, kb))


def _page(
    request: Request,
    me: Viewer,
    session: Session,
    kb: Any,
    pid: uuid.UUID,
    *,
    observed: list[str],
    excluded: list[str],
    sex: str,
    query: str = "",
    error: str | None = None,
    unsaved: bool = False,
    status: int = 200,
) -> Response:
    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.terms import search_terms

    patient = get_patient(session, me.actor, PURPOSE, pid)
    rare = RareKnowledge.load()
    hits = search_terms(query, 15, ontology=rare.ontology) if query.strip() else []
    taken = set(observed) | set(excluded)
    subject = patient.display_name or str(pid)
    return render(
        request,
        "rare_phenotype.html.j2",
        me=me,
        status=status,
        patient=patient,
        hpo_release=rare.hpo_release,
        observed=_term_rows(observed),
        excluded=_term_rows(excluded),
        sex=sex,
        sexes=SEXES,
        query=query,
        hits=[h for h in hits if h.term_id not in taken],
        searched=bool(query.strip()),
        error=error,
        unsaved=unsaved,
        sections=[] if unsaved else _sections(session, me, pid, subject, kb),
    )


@router.get("/patients/{pid}/phenotype", response_class=HTMLResponse)
def phenotype_page(request: Request, me: Me, session: DB, kb: KB, pid: uuid.UUID) -> Response:
    _require_clinician(me)
    entry = _stored_entry(session, me, pid) or {}
    return _page(
        request,
        me,
        session,
        kb,
        pid,
        observed=[t["id"] for t in entry.get("observed", [])],
        excluded=[t["id"] for t in entry.get("excluded", [])],
        sex=str(entry.get("sex", "UNKNOWN_SEX")),
    )


@router.post("/patients/{pid}/phenotype", response_class=HTMLResponse, dependencies=[CSRF])
def phenotype_form(
    request: Request,
    me: Me,
    session: DB,
    kb: KB,
    pid: uuid.UUID,
    observed: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI form default)
    excluded: Annotated[list[str], Form()] = [],  # noqa: B006
    sex: Annotated[str, Form()] = "UNKNOWN_SEX",
    q: Annotated[str, Form(max_length=MAX_QUERY)] = "",
    add: Annotated[str, Form()] = "",
    remove: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "",
) -> Response:
    _require_clinician(me)
    if sex not in SEXES:
        sex = "UNKNOWN_SEX"
    try:
        obs, exc = _clean(observed), _clean(excluded)
        if add:
            status, _, term = add.partition(":")
            (term,) = _clean([term])
            obs = [t for t in obs if t != term]
            exc = [t for t in exc if t != term]
            (exc if status == "excluded" else obs).append(term)
        if remove:
            (gone,) = _clean([remove])
            obs = [t for t in obs if t != gone]
            exc = [t for t in exc if t != gone]
        if action == "save":
            _save(session, me, pid, obs, exc, sex, kb)
            return _redirect(f"/ui/patients/{pid}/phenotype?done=rare-saved")
    except (InputError, ValueError) as exc_:
        problem = exc_.problem if isinstance(exc_, InputError) else str(exc_)
        return _page(
            request,
            me,
            session,
            kb,
            pid,
            observed=[o for o in observed if o][:MAX_TERMS],
            excluded=[e for e in excluded if e][:MAX_TERMS],
            sex=sex,
            query=q,
            error=problem,
            unsaved=True,
            status=400,
        )
    return _page(
        request,
        me,
        session,
        kb,
        pid,
        observed=obs,
        excluded=exc,
        sex=sex,
        query="" if add or remove else q,
        unsaved=True,
    )


def _save(
    session: Session,
    me: Viewer,
    pid: uuid.UUID,
    observed: list[str],
    excluded: list[str],
    sex: str,
    kb: Any,
) -> None:
    """Store the entry, rank it, store the ranking."""
    from pydantic import ValidationError

    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.documents import PhenotypeBody, TermEntry
    from tailormed.rare.output import ranking_to_json as ranking_json
    from tailormed.rare.run import rank_entry
    from tailormed.rare.sections import section

    rare = RareKnowledge.load()
    labels = {r["id"]: r["label"] for r in _term_rows(observed + excluded)}
    try:
        body = PhenotypeBody(
            observed=[TermEntry(id=t, label=labels.get(t) or None) for t in observed],
            excluded=[TermEntry(id=t, label=labels.get(t) or None) for t in excluded],
            sex=sex,  # type: ignore[arg-type]  # checked against SEXES by the caller
            hpo_release=rare.hpo_release,
        )
    except ValidationError as err:
        raise InputError(str(err.errors()[0].get("msg", "invalid entry"))) from None
    put_document(
        session, me.actor, PURPOSE, pid, PHENOTYPE, validate_body(PHENOTYPE, body.model_dump())
    )
    ranking = rank_entry(body, str(pid), kb=rare)
    stored = put_document(
        session, me.actor, PURPOSE, pid, RANKING, validate_body(RANKING, ranking_json(ranking))
    )
    # the domain's stored findings follow the new ranking, as after an API PUT
    findings = section(ranking, subject=str(pid)).findings
    replace_findings(session, me.actor, PURPOSE, pid, "rare", findings, document_id=stored.id)
