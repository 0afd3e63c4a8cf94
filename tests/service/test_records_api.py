"""The record through the API: clinical context, consents, shares, reports, export,
deletion, medication review, audit; and the ``tailormed serve`` command's helpers."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import tailormed.record.clock
from tailormed.cli.serve import RedactShareTokens, log_config, serve_cmd
from tailormed.record import Keyring
from tests.service.conftest import Svc, auth, running_service


def _result(svc: Svc) -> dict[str, Any]:
    r = svc.upload_vcf(svc.pat_a, svc.user_a)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_medications_crud_by_patient_and_consented_clinician(svc: Svc) -> None:
    base = f"/api/v1/patients/{svc.pat_a}/medications"
    r = svc.post(base, svc.user_a, json={"name": "clopidogrel 75 mg", "rxnorm": "32968"})
    assert r.status_code == 201
    med = r.json()
    assert svc.get(base, svc.clin_a).status_code == 403
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    r = svc.client.patch(
        f"{base}/{med['id']}", headers=auth(svc.clin_a), json={"note": "since 2024"}
    )
    assert r.status_code == 200 and r.json()["note"] == "since 2024"
    assert r.json()["name"] == "clopidogrel 75 mg"  # fields left out stay
    r = svc.client.patch(f"{base}/{med['id']}", headers=auth(svc.user_a), json={"note": None})
    assert r.json()["note"] is None
    r = svc.client.patch(f"{base}/{med['id']}", headers=auth(svc.user_a), json={"name": None})
    assert r.status_code == 422
    r = svc.client.patch(f"{base}/{med['id']}", headers=auth(svc.user_a), json={"active": False})
    assert r.json()["active"] is False
    assert svc.get(base, svc.user_a, params={"active_only": True}).json() == []
    assert svc.post(base, svc.user_a, json={"name": ""}).status_code == 422
    assert svc.client.delete(f"{base}/{med['id']}", headers=auth(svc.clin_a)).status_code == 204
    assert svc.get(base, svc.user_a).json() == []
    assert svc.client.delete(f"{base}/{med['id']}", headers=auth(svc.user_a)).status_code == 404


def test_family_history_crud(svc: Svc) -> None:
    base = f"/api/v1/patients/{svc.pat_a}/family-history"
    body = {"relationship": "mother", "condition": "stent thrombosis on clopidogrel"}
    entry = svc.post(base, svc.user_a, json=body).json()
    r = svc.client.patch(
        f"{base}/{entry['id']}", headers=auth(svc.user_a), json={"genetic_result": "CYP2C19 *2/*2"}
    )
    assert r.status_code == 200 and r.json()["genetic_result"] == "CYP2C19 *2/*2"
    assert [e["condition"] for e in svc.get(base, svc.user_a).json()] == [body["condition"]]
    assert svc.client.delete(f"{base}/{entry['id']}", headers=auth(svc.user_a)).status_code == 204
    assert svc.get(base, svc.user_a).json() == []


def test_consents_list_and_validation(svc: Svc) -> None:
    base = f"/api/v1/patients/{svc.pat_a}/consents"
    svc.grant(
        svc.user_a, svc.pat_a, grantee_organisation="clinic-a", purpose="research", scope="reports"
    )
    r = svc.post(
        base, svc.user_a, json={"grantee_organisation": "x", "grantee_user_id": str(svc.clin_a_id)}
    )
    assert r.status_code == 422 and "exactly one grantee" in r.json()["error"]
    r = svc.post(base, svc.user_a, json={"grantee_organisation": "x", "scope": "genes"})
    assert r.status_code == 422
    assert svc.post(base, svc.clin_a, json={"grantee_organisation": "clinic-a"}).status_code == 403
    listed = svc.get(base, svc.user_a).json()
    assert [(c["purpose"], c["scope"], c["status"]) for c in listed] == [
        ("research", "reports", "active")
    ]
    assert len(svc.get(base, svc.admin).json()) == 1


def test_share_link_resolves_until_revoked_or_expired(
    svc: Svc, monkeypatch: pytest.MonkeyPatch
) -> None:
    _result(svc)
    base = f"/api/v1/patients/{svc.pat_a}/shares"
    created = svc.post(base, svc.user_a, json={"expires_in_days": 2, "scope": "reports"}).json()
    assert created["url"] == f"/share/{created['token']}"
    assert "token" not in json.dumps(svc.get(base, svc.user_a).json())
    page = svc.client.get(created["url"])  # no login
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "CYP2C19" in page.text and page.headers["cache-control"] == "no-store"
    data = svc.client.get(created["url"], params={"format": "json"}).json()
    assert data["access"]["reports"] is True and data["medications"] == []
    # expired: the clock moves past the expiry
    later = tailormed.record.clock.utcnow() + timedelta(days=3)
    monkeypatch.setattr(tailormed.record.clock, "utcnow", lambda: later)
    r = svc.client.get(created["url"])
    assert r.status_code == 403 and "expired" in r.json()["error"]
    monkeypatch.undo()
    r = svc.post(f"{base}/{created['share']['id']}/revoke", svc.user_a)
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert svc.client.get(created["url"]).status_code == 403
    assert svc.client.get("/share/made-up-token").status_code == 403
    assert svc.post(base, svc.user_a, json={"expires_in_days": 91}).status_code == 422
    assert svc.post(base, svc.clin_a, json={}).status_code == 403


def test_reports_html_and_json_from_the_stored_result(svc: Svc) -> None:
    result = _result(svc)
    url = f"/api/v1/patients/{svc.pat_a}/results/{result['id']}/report"
    html = svc.get(url, svc.user_a)
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "clopidogrel" in html.text
    report = svc.get(url, svc.user_a, params={"format": "json"}).json()
    assert report["sample"] == "Sample_2"
    assert svc.get(url, svc.user_a, params={"format": "docx"}).status_code == 422


def test_pdf_report(tmp_path: Path) -> None:
    # one backend: the PDF does not depend on it, and WeasyPrint takes seconds
    with running_service(
        f"sqlite:///{tmp_path / 'pdf.db'}", Keyring([secrets.token_bytes(32)])
    ) as svc:
        result = _result(svc)
        url = f"/api/v1/patients/{svc.pat_a}/results/{result['id']}/report"
        r = svc.get(url, svc.user_a, params={"format": "pdf"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert r.content.startswith(b"%PDF")


def test_export_zip_and_delete(svc: Svc) -> None:
    result = _result(svc)
    svc.post(f"/api/v1/patients/{svc.pat_a}/medications", svc.user_a, json={"name": "codeine"})
    r = svc.get(f"/api/v1/patients/{svc.pat_a}/export", svc.user_a, params={"pdf": False})
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        record = json.loads(zf.read("record.json"))
        bundle = json.loads(zf.read("results/1-Sample_2/fhir-bundle.json"))
    assert "results/1-Sample_2/report.html" in names
    assert record["patient"]["external_id"] == "MRN-A1"
    assert [m["name"] for m in record["medications"]] == ["codeine"]
    assert record["results"][0]["id"] == result["id"]
    assert bundle["resourceType"] == "Bundle"
    # deletion: the patient themself; afterwards nothing answers, the audit log stays valid
    assert (
        svc.client.delete(f"/api/v1/patients/{svc.pat_a}", headers=auth(svc.clin_a)).status_code
        == 403
    )
    assert (
        svc.client.delete(f"/api/v1/patients/{svc.pat_a}", headers=auth(svc.user_a)).status_code
        == 204
    )
    assert svc.get(f"/api/v1/patients/{svc.pat_a}", svc.user_a).status_code == 401  # account gone
    assert svc.get(f"/api/v1/patients/{svc.pat_a}", svc.admin).status_code in (403, 404)
    events = svc.get(f"/api/v1/patients/{svc.pat_a}/audit", svc.admin).json()
    assert [e["outcome"] for e in events if e["action"] == "delete"] == ["success"]
    assert "Alice" not in json.dumps(events)
    assert svc.get("/api/v1/audit/verify", svc.admin).json()["valid"] is True


def test_admin_deletes_a_patient(svc: Svc) -> None:
    assert (
        svc.client.delete(f"/api/v1/patients/{svc.pat_b}", headers=auth(svc.admin)).status_code
        == 204
    )
    assert (
        svc.client.delete(f"/api/v1/patients/{svc.pat_b}", headers=auth(svc.admin)).status_code
        == 404
    )


def test_medication_review(svc: Svc) -> None:
    result = _result(svc)
    base = f"/api/v1/patients/{svc.pat_a}"
    r = svc.post(f"{base}/review", svc.user_a, json={})
    assert r.status_code == 422 and "no medications" in r.json()["error"]
    svc.post(f"{base}/medications", svc.user_a, json={"name": "Plavix", "rxnorm": "32968"})
    svc.post(f"{base}/medications", svc.user_a, json={"name": "omeprazole 20 mg"})
    svc.post(f"{base}/medications", svc.user_a, json={"name": "old", "active": False})
    r = svc.post(f"{base}/review", svc.user_a, json={})
    assert r.status_code == 200, r.text
    reviews = {x["drug"]: x["status"] for x in r.json()["reviews"]}
    assert reviews["clopidogrel"] == "actionable"
    assert r.json()["result_id"] == result["id"]
    assert len(r.json()["reviews"]) == 2
    r = svc.post(f"{base}/review", svc.user_a, json={"medications": ["codeine", "acetaminophen"]})
    assert [x["status"] for x in r.json()["reviews"]] == ["no result", "no guideline"]
    assert svc.post(f"/api/v1/patients/{svc.pat_b}/review", svc.user_b, json={}).status_code == 404


def test_find_patient_by_external_id(svc: Svc) -> None:
    r = svc.get("/api/v1/patients", svc.user_a, params={"external_id": "MRN-A1"})
    assert r.status_code == 200 and r.json()["id"] == str(svc.pat_a)
    assert (
        svc.get("/api/v1/patients", svc.clin_a, params={"external_id": "MRN-A1"}).status_code == 404
    )


def test_clinician_registers_with_attested_consent(svc: Svc) -> None:
    r = svc.post(
        "/api/v1/patients",
        svc.clin_a,
        json={"display_name": "Carol", "external_id": "MRN-C3", "attest_treatment_consent": True},
    )
    assert r.status_code == 201
    pid = r.json()["id"]
    assert svc.get(f"/api/v1/patients/{pid}", svc.clin_a).status_code == 200
    assert svc.get(f"/api/v1/patients/{pid}", svc.clin_b).status_code == 403


def test_errors_are_json_without_tracebacks(svc: Svc) -> None:
    r = svc.get("/api/v1/patients/not-a-uuid", svc.user_a)
    assert r.status_code == 422 and set(r.json()) == {"error"}
    r = svc.client.post(
        "/api/v1/patients",
        headers={**auth(svc.admin), "content-type": "application/json"},
        content=b"{",
    )
    assert r.status_code == 422 and set(r.json()) == {"error"}
    assert svc.get("/nowhere", svc.user_a).json() == {"error": "Not Found"}
    assert svc.client.get("/healthz").json()["status"] == "ok"
    assert svc.client.get("/docs").status_code == 200
    assert "/cds-services" in svc.client.get("/openapi.json").json()["paths"]


# ------------------------------------------------------------------------ the CLI
def test_serve_create_admin_prints_a_working_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = secrets.token_bytes(32)
    monkeypatch.setenv("TAILORMED_DATA_KEY", base64.b64encode(key).decode())
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cli = typer.Typer()
    cli.command()(serve_cmd)
    cli.command("noop")(lambda: None)
    out = CliRunner().invoke(cli, ["serve-cmd", "--create-admin", "--database-url", url])
    assert out.exit_code == 0, out.output
    token = out.output.strip().splitlines()[-1]
    again = CliRunner().invoke(cli, ["serve-cmd", "--create-admin", "--database-url", url])
    assert again.exit_code == 1 and "admin exists" in again.output
    from fastapi.testclient import TestClient

    from tailormed.service.app import create_app
    from tailormed.service.settings import Settings

    with TestClient(create_app(Settings.from_env())) as client:
        r = client.get("/api/v1/me", headers=auth(token))
        assert r.status_code == 200 and r.json()["role"] == "admin"


def test_access_log_hides_share_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/share/s3cr3t-tok?format=pdf", "1.1", 200), None,
    )  # fmt: skip
    assert RedactShareTokens().filter(record)
    assert "s3cr3t" not in record.getMessage() and "/share/…?format=pdf" in record.getMessage()
    assert log_config()["handlers"]["access"]["filters"] == ["redact_share_tokens"]
