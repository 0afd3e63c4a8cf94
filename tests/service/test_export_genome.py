"""The patient's export gives back the genome they uploaded; nobody else's does.

The uploaded files are kept sealed in the record (1 MiB AES-256-GCM chunks), decrypted
only into the patient's own export zip, byte for byte what was uploaded (checked
against the SHA-256 taken while it arrived).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from sqlalchemy import text

from tests.service.conftest import EXAMPLE_VCF, Svc

OUTSIDE = b"CYP2D6\t*1/*4\n"


def _export(svc: Svc, token: str) -> zipfile.ZipFile:
    r = svc.get(f"/api/v1/patients/{svc.pat_a}/export", token, params={"pdf": False})
    assert r.status_code == 200, r.text
    return zipfile.ZipFile(io.BytesIO(r.content))


def _upload_with_outside(svc: Svc) -> None:
    with open(EXAMPLE_VCF, "rb") as fh:
        r = svc.post(
            f"/api/v1/patients/{svc.pat_a}/uploads/vcf",
            svc.user_a,
            files={
                "file": (EXAMPLE_VCF.name, fh, "text/plain"),
                "outside": ("cyp2d6.tsv", OUTSIDE, "text/tab-separated-values"),
            },
        )
    assert r.status_code == 201, r.text


def test_patient_export_holds_the_uploaded_files_byte_for_byte(svc: Svc) -> None:
    _upload_with_outside(svc)
    zf = _export(svc, svc.user_a)
    uploads = sorted(n for n in zf.namelist() if n.startswith("uploads/"))
    assert uploads == [
        f"uploads/1-file-{EXAMPLE_VCF.name}",
        "uploads/2-outside-cyp2d6.tsv",
    ]
    original = EXAMPLE_VCF.read_bytes()
    assert zf.read(uploads[0]) == original
    assert zf.read(uploads[1]) == OUTSIDE
    record = json.loads(zf.read("record.json"))
    (upload,) = record["uploads"]
    assert upload["sha256"] == hashlib.sha256(original).hexdigest()
    assert {f["part"]: f["sha256"] for f in upload["files"]} == {
        "file": hashlib.sha256(original).hexdigest(),
        "outside": hashlib.sha256(OUTSIDE).hexdigest(),
    }


def test_clinician_export_has_no_genome_file(svc: Svc) -> None:
    _upload_with_outside(svc)
    svc.grant(svc.user_a, svc.pat_a, grantee_user_id=str(svc.clin_a_id))
    zf = _export(svc, svc.clin_a)
    assert not [n for n in zf.namelist() if n.startswith("uploads/")]
    assert zf.read("record.json")  # the record itself, as before


def test_the_stored_genome_is_ciphertext_and_goes_with_the_patient(svc: Svc, backend: str) -> None:
    _upload_with_outside(svc)
    lines = [ln for ln in EXAMPLE_VCF.read_bytes().splitlines() if ln and not ln.startswith(b"#")]
    probe = lines[len(lines) // 2]
    with svc.engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM upload_chunk")).all()
        assert rows and all(probe not in bytes(r[0]) for r in rows)
    if backend == "sqlite":
        db = Path(svc.url.removeprefix("sqlite:///"))
        raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
        assert probe not in raw and b"##fileformat" not in raw
    assert (
        svc.client.delete(
            f"/api/v1/patients/{svc.pat_a}", headers={"Authorization": f"Bearer {svc.user_a}"}
        ).status_code
        == 204
    )
    with svc.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM upload_chunk")).scalar_one() == 0
