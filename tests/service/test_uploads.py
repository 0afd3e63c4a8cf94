"""Uploads: VCF, outside calls and FHIR bundles become results; bad or broken ones leave
nothing; limits; concurrency; and a restart loses nothing committed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import tailormed.record.results
import tailormed.service.imports
from tailormed.record import Keyring
from tailormed.record.models import Result, Upload
from tailormed.service.app import create_app
from tests.service.conftest import EXAMPLE_VCF, MAX_UPLOAD, Svc, auth, running_service


def _rows(svc: Svc) -> tuple[int, int]:
    with svc.engine.connect() as conn:
        uploads = conn.scalar(select(func.count()).select_from(Upload))
        results = conn.scalar(select(func.count()).select_from(Result))
    return int(uploads or 0), int(results or 0)


def _genes(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {g["gene"]: (g["diplotype"], g["phenotype"]) for g in result["genes"]}


def test_vcf_upload_is_called_interpreted_and_stored(svc: Svc) -> None:
    r = svc.upload_vcf(svc.pat_a, svc.user_a)
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["upload_kind"] == "vcf" and result["sample"] == "Sample_2"
    assert _genes(result)["CYP2C19"] == ("*2/*2", "Poor Metabolizer")
    assert "clopidogrel" in result["actionable_drugs"]
    listed = svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.user_a).json()
    assert [x["id"] for x in listed] == [result["id"]]
    full = svc.get(f"/api/v1/patients/{svc.pat_a}/results/{result['id']}", svc.user_a).json()
    assert full["interpretation"]["sample"] == "Sample_2"
    assert any(c["gene"] == "CYP2C19" for c in full["calls"])
    assert _rows(svc) == (1, 1)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("garbage.vcf", b"this is not a VCF\n", "not a VCF"),
        ("empty.vcf", b"", "empty"),
        (
            "nosamples.vcf",
            b"##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n",
            "no sample",
        ),
    ],
)
def test_invalid_vcf_is_422_and_nothing_is_stored(
    svc: Svc, name: str, content: bytes, words: str
) -> None:
    r = svc.post(
        f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
        svc.user_a,
        files={"file": (name, content, "text/plain")},
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert words in error and name in error
    assert "/tmp" not in error and "tailormed-upload" not in error  # no server paths
    assert _rows(svc) == (0, 0)
    assert svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.user_a).json() == []


def test_oversized_upload_is_413_declared_or_streamed(svc: Svc) -> None:
    url = f"/api/v1/patients/{svc.pat_a}/uploads/vcf"
    big = b"#" * (MAX_UPLOAD + 1)
    r = svc.post(url, svc.user_a, files={"file": ("big.vcf", big, "text/plain")})
    assert r.status_code == 413 and "too large" in r.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap applies while streaming
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a.vcf\r\n\r\n"
        for _ in range(MAX_UPLOAD // 65536 + 2):
            yield b"#" * 65536

    headers = {**auth(svc.user_a), "Content-Type": "multipart/form-data; boundary=b"}
    r = svc.client.post(url, headers=headers, content=chunks())
    assert r.status_code == 413
    assert _rows(svc) == (0, 0)


def test_outside_calls_cyp2d6_ultrarapid(svc: Svc) -> None:
    r = svc.upload_outside(svc.pat_a, svc.user_a, "# from the lab\nCYP2D6\t*1/*1x2\n")
    assert r.status_code == 201, r.text
    assert _genes(r.json())["CYP2D6"] == ("*1/*1x2", "Ultrarapid Metabolizer")
    assert "codeine" in r.json()["actionable_drugs"]
    bad = svc.upload_outside(svc.pat_a, svc.user_a, "NOTAGENE\t*1/*2\n")
    assert bad.status_code == 422 and "outside.tsv" in bad.json()["error"]
    assert _rows(svc) == (1, 1)


def test_vcf_with_outside_calls(svc: Svc) -> None:
    with open(EXAMPLE_VCF, "rb") as fh:
        r = svc.post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            svc.user_a,
            files={
                "file": ("patient.vcf", fh, "text/plain"),
                "outside": ("cyp2d6.tsv", b"CYP2D6\t*1/*4\t\t1.0\n", "text/plain"),
            },
        )
    assert r.status_code == 201, r.text
    genes = _genes(r.json())
    assert genes["CYP2C19"][0] == "*2/*2" and genes["CYP2D6"][0] == "*1/*4"


def test_fhir_bundle_round_trip(svc: Svc) -> None:
    first = svc.upload_vcf(svc.pat_a, svc.user_a).json()
    r = svc.get(f"/api/v1/patients/{svc.pat_a}/results/{first['id']}/fhir", svc.user_a)
    assert r.status_code == 200 and r.headers["content-type"] == "application/fhir+json"
    bundle = r.json()
    assert bundle["resourceType"] == "Bundle"
    r = svc.post(
        f"/api/v1/patients/{svc.pat_a}/uploads/fhir",
        svc.user_a,
        files={"file": ("bundle.json", json.dumps(bundle).encode(), "application/json")},
    )
    assert r.status_code == 201, r.text
    assert r.json()["upload_kind"] == "fhir"
    assert _genes(r.json())["CYP2C19"] == _genes(first)["CYP2C19"]
    bad = svc.post(
        f"/api/v1/patients/{svc.pat_a}/uploads/fhir",
        svc.user_a,
        files={"file": ("x.json", b'{"resourceType": "Patient"}', "application/json")},
    )
    assert bad.status_code == 422 and "not a FHIR Bundle" in bad.json()["error"]


def test_two_concurrent_uploads_for_one_patient_are_both_kept(svc: Svc) -> None:
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: svc.upload_vcf(svc.pat_a, svc.user_a), range(2)))
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    ids = {r.json()["id"] for r in responses}
    listed = svc.get(f"/api/v1/patients/{svc.pat_a}/results", svc.user_a).json()
    assert len(ids) == 2 and {x["id"] for x in listed} == ids
    assert _rows(svc) == (2, 2)
    assert svc.get("/api/v1/audit/verify", svc.admin).json()["valid"] is True


def _quiet_client(svc: Svc) -> TestClient:
    """A client that gets the 500 response instead of the server's exception."""
    return TestClient(svc.client.app, raise_server_exceptions=False)


def test_crash_in_interpretation_leaves_nothing(svc: Svc, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("stage crashed with secret detail CYP2C19 *2/*2")

    monkeypatch.setattr(tailormed.service.imports, "interpret_sample", boom)
    with open(EXAMPLE_VCF, "rb") as fh:
        r = _quiet_client(svc).post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            headers=auth(svc.user_a),
            files={"file": ("p.vcf", fh, "text/plain")},
        )
    assert r.status_code == 500
    assert r.json() == {"error": "internal server error"}
    assert _rows(svc) == (0, 0)


def test_crash_while_storing_rolls_back_the_upload_row(
    svc: Svc, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tailormed.record.results._store_result

    def half(session: Any, *args: Any, **kw: Any) -> Any:
        session.flush()  # the upload row is written in the transaction by now
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tailormed.record.results, "_store_result", half)
    with open(EXAMPLE_VCF, "rb") as fh:
        r = _quiet_client(svc).post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            headers=auth(svc.user_a),
            files={"file": ("p.vcf", fh, "text/plain")},
        )
    assert r.status_code == 500 and "Traceback" not in r.text
    assert _rows(svc) == (0, 0)
    monkeypatch.setattr(tailormed.record.results, "_store_result", real)
    assert svc.upload_vcf(svc.pat_a, svc.user_a).status_code == 201
    assert _rows(svc) == (1, 1)
    assert svc.get("/api/v1/audit/verify", svc.admin).json()["valid"] is True


def test_restart_loses_nothing_committed(db_url: str, keyring: Keyring) -> None:
    with running_service(db_url, keyring) as first:
        result = first.upload_vcf(first.pat_a, first.user_a).json()
        med = first.post(
            f"/api/v1/patients/{first.pat_a}/medications", first.user_a, json={"name": "codeine"}
        ).json()
        head = first.get("/api/v1/audit/verify", first.admin).json()
        tokens = (first.user_a, first.admin)
        settings = first.settings
    # a new process: a new app on the same database and keys
    with TestClient(create_app(settings)) as client:
        user_a, admin = tokens
        base = f"/api/v1/patients/{result['patient_id']}"
        listed = client.get(f"{base}/results", headers=auth(user_a)).json()
        assert [x["id"] for x in listed] == [result["id"]]
        assert listed[0]["genes"] == result["genes"]
        meds = client.get(f"{base}/medications", headers=auth(user_a)).json()
        assert [m["id"] for m in meds] == [med["id"]]
        r = client.get(
            "/api/v1/audit/verify",
            headers=auth(admin),
            params={"expected_head_id": head["head_id"], "expected_head_hash": head["head_hash"]},
        )
        assert r.json()["valid"] is True


def test_multi_sample_vcf_needs_a_sample(svc: Svc, tmp_path: Any) -> None:
    lines = EXAMPLE_VCF.read_text().splitlines()
    out = []
    for line in lines:
        if line.startswith("##"):
            out.append(line)
        elif line.startswith("#CHROM"):
            out.append(line + "\tSecond")
        else:
            fields = line.split("\t")
            out.append(line + "\t" + fields[-1])
    path = tmp_path / "two.vcf"
    path.write_text("\n".join(out) + "\n")
    r = svc.upload_vcf(svc.pat_a, svc.user_a, path)
    assert r.status_code == 422 and "2 samples" in r.json()["error"]
    with open(path, "rb") as fh:
        r = svc.post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            svc.user_a,
            files={"file": ("two.vcf", fh, "text/plain")},
            data={"sample": "Second"},
        )
    assert r.status_code == 201, r.text
    assert r.json()["sample"] == "Second"


def test_json_bodies_have_their_own_cap_and_uploads_need_a_valid_token_first(svc: Svc) -> None:
    big = b'{"hook": "' + b"x" * (MAX_UPLOAD + 1) + b'"}'
    r = svc.client.post(
        "/cds-services/tailormed-pgx-order-sign",
        headers={**auth(svc.clin_a), "Content-Type": "application/json"},
        content=big,
    )
    assert r.status_code == 413
    # an upload with a bad token is refused before its body is read
    with open(EXAMPLE_VCF, "rb") as fh:
        r = svc.client.post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            headers=auth("forged-token"),
            files={"file": ("p.vcf", fh, "text/plain")},
        )
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert _rows(svc) == (0, 0)


@pytest.mark.parametrize("form", ["vcf.gz", "bcf"])
def test_compressed_uploads_are_read_from_the_memory_spool(
    svc: Svc, tmp_path: Path, form: str
) -> None:
    """htslib reads gzip and BCF uploads through the in-memory plaintext view too."""
    import gzip

    import cyvcf2

    target = tmp_path / f"patient.{form}"
    if form == "vcf.gz":
        target.write_bytes(gzip.compress(EXAMPLE_VCF.read_bytes()))
    else:
        reader = cyvcf2.VCF(str(EXAMPLE_VCF))
        writer = cyvcf2.Writer(str(target), reader, mode="wb")
        for record in reader:
            writer.write_record(record)
        writer.close()
        reader.close()
    r = svc.upload_vcf(svc.pat_a, svc.user_a, target)
    assert r.status_code == 201, r.text
    assert _genes(r.json())["CYP2C19"] == ("*2/*2", "Poor Metabolizer")
