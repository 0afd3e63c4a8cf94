"""REST API of the rare-disease domain: HPO term search (the term picker's back end).

``GET /terms/hpo?q=...&limit=...`` answers the phenotypic-abnormality terms of the bundled
HPO release whose label or synonym holds the typed words (see
:mod:`tailormed.rare.terms`). It reads no patient data, so it is not audited, but it
needs a signed-in account like every API route.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from tailormed.service.auth import CallerDep

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
