"""REST API of the rare-disease domain: HPO term search and the phenopacket export.

* ``GET /terms/hpo?q=...&limit=...`` answers the phenotypic-abnormality terms of the
  bundled HPO release whose label or synonym holds the typed words (see
  :mod:`tailormed.rare.terms`). It reads no patient data, so it is not audited, but it
  needs a signed-in account like every API route.
* ``GET /patients/{id}/rare/phenopacket?top=5``: the patient's stored phenotype entry as a
  GA4GH Phenopacket v2, with the candidates ranked ``top`` or better as interpretations
  (:mod:`tailormed.rare.phenopacket`); the record's document access rules and audit apply.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tailormed.record import NotFoundError, list_documents
from tailormed.service.auth import CallerDep, SessionDep

router = APIRouter()
MAX_QUERY = 100


class TermOut(BaseModel):
    id: str
    label: str
    synonym: str | None = None


class TermSearchOut(BaseModel):
    hpo_release: str
    query: str
    terms: list[TermOut]


@router.get("/terms/hpo", response_model=TermSearchOut, tags=["rare disease"])
def search_hpo(
    caller: CallerDep,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> TermSearchOut:
    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.terms import search_terms

    del caller  # any signed-in account; no patient data is read
    kb = RareKnowledge.load()
    hits = search_terms(q, limit, ontology=kb.ontology)
    return TermSearchOut(
        hpo_release=kb.hpo_release,
        query=q,
        terms=[TermOut(id=h.term_id, label=h.label, synonym=h.synonym or None) for h in hits],
    )


@router.get("/patients/{patient_id}/rare/phenopacket", tags=["rare disease"])
def export_phenopacket(
    patient_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    top: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    from tailormed.knowledge.rare import RareKnowledge
    from tailormed.rare.documents import ranking_from_documents
    from tailormed.rare.phenopacket import to_phenopacket

    views = list_documents(session, caller.actor, caller.purpose, patient_id, domain="rare")
    ranking = ranking_from_documents({v.kind: v.body for v in views}, str(patient_id))
    if ranking is None:
        raise NotFoundError("no rare-disease phenotype is stored for this patient")
    return to_phenopacket(ranking.case, ranking, top=top, kb=RareKnowledge.load())
