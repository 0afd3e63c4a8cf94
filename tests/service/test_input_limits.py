"""Bad text at the boundary is a 422 naming the field, never a 500 or a RecursionError.

* A NUL character (``\\u0000`` in JSON) in any text field: PostgreSQL cannot store NUL in
  text and no clinical text holds one.
* JSON nested deeper than the service accepts (64 levels), in a request body or in an
  uploaded FHIR bundle: Python's parser would recurse until it fails.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.service.conftest import Svc, auth

NUL = "co\x00deine"


def _routes(svc: Svc) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(who, method, path, body) for JSON routes that store text."""
    p = f"/api/v1/patients/{svc.pat_a}"
    return [
        ("user_a", "POST", f"{p}/medications", {"name": NUL}),
        ("user_a", "POST", f"{p}/medications", {"name": "codeine", "note": NUL}),
        ("user_a", "POST", f"{p}/family-history", {"relationship": NUL, "condition": "x"}),
        ("user_a", "POST", f"{p}/family-history", {"relationship": "aunt", "condition": NUL}),
        ("user_a", "POST", f"{p}/consents", {"grantee_organisation": NUL}),
        ("user_a", "POST", f"{p}/consents", {"grantee_organisation": "c", "genes": [NUL]}),
        ("user_a", "POST", f"{p}/shares", {"scope": "genes", "genes": [NUL]}),
        ("user_a", "POST", f"{p}/review", {"medications": [NUL]}),
        ("admin", "POST", "/api/v1/patients", {"display_name": NUL}),
        ("admin", "POST", "/api/v1/patients", {"external_id": NUL}),
        ("admin", "POST", "/api/v1/users", {"role": "clinician", "organisation": NUL}),
    ]  # fmt: skip


def test_nul_in_any_json_text_field_is_422(svc: Svc) -> None:
    for who, method, path, body in _routes(svc):
        r = svc.client.request(method, path, headers=auth(getattr(svc, who)), json=body)
        assert r.status_code == 422, (path, body, r.status_code, r.text)
        assert "NUL" in r.json()["error"], r.text
    # nothing half-stored, and the service is still fine
    r = svc.get(f"/api/v1/patients/{svc.pat_a}/medications", svc.user_a)
    assert r.status_code == 200 and r.json() == []


def test_nul_in_query_and_form_fields_is_not_a_server_error(svc: Svc) -> None:
    r = svc.get("/api/v1/patients", svc.admin, params={"external_id": NUL})
    assert r.status_code in (404, 422), r.text
    with open(__file__, "rb") as fh:
        r = svc.post(
            f"/api/v1/patients/{svc.pat_a}/uploads/outside",
            svc.user_a,
            files={"file": ("outside.tsv", b"CYP2D6\t*1/*2\n", "text/plain")},
            data={"sample": NUL},
        )
    assert r.status_code == 422, r.text
    assert fh.closed


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_body_is_422(svc: Svc, depth: int) -> None:
    body = '{"name": "codeine", "note": ' + _nested(depth) + "}"
    r = svc.client.post(
        f"/api/v1/patients/{svc.pat_a}/medications",
        headers={**auth(svc.user_a), "Content-Type": "application/json"},
        content=body,
    )
    assert r.status_code == 422, r.text
    assert "nested deeper than 64" in r.json()["error"]


def test_json_nested_within_the_limit_is_parsed_as_usual(svc: Svc) -> None:
    body = '{"name": "codeine", "note": ' + json.dumps("[" * 100) + "}"  # brackets in a string
    r = svc.client.post(
        f"/api/v1/patients/{svc.pat_a}/medications",
        headers={**auth(svc.user_a), "Content-Type": "application/json"},
        content=body,
    )
    assert r.status_code == 201, r.text
    assert r.json()["note"] == "[" * 100


def test_deeply_nested_fhir_bundle_is_422_naming_the_file(svc: Svc) -> None:
    bundle = '{"resourceType": "Bundle", "type": "collection",\n "entry": ' + _nested(100_000) + "}"
    r = svc.post(
        f"/api/v1/patients/{svc.pat_a}/uploads/fhir",
        svc.user_a,
        files={"file": ("deep-bundle.json", bundle.encode(), "application/fhir+json")},
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error.startswith("deep-bundle.json, line 2: ") and "nested deeper" in error
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.user_a).json() == []


def test_nul_escape_in_fhir_bundle_text_is_422(svc: Svc) -> None:
    bundle = json.dumps({"resourceType": "Bundle", "type": "collection", "id": NUL})
    r = svc.post(
        f"/api/v1/patients/{svc.pat_a}/uploads/fhir",
        svc.user_a,
        files={"file": ("nul.json", bundle.encode(), "application/fhir+json")},
    )
    assert r.status_code == 422, r.text
    assert "NUL" in r.json()["error"]
