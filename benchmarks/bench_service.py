"""Benchmark: CDS Hooks ``order-sign`` latency and throughput of the running service.

    .venv/bin/python benchmarks/bench_service.py [--clients 50] [--requests 1500]
        [--seconds 15] [--paced-rate 0.5] [--paced-seconds 10] [--workers 2]
        [--patients 1] [--backends sqlite,postgresql] [--json out.json]

Per backend (SQLite in a temp folder; PostgreSQL at 127.0.0.1:5432, database ``test``,
in a throwaway schema, when the server answers): seed one patient (external id
``BENCH-1``) with the bundled example VCF stored as a result (CYP2C19 *2/*2) and a
clinician account whose organisation the patient consented to; start ``uvicorn`` on
127.0.0.1 at a free port (loopback only), then run two loads of ``--clients`` concurrent
clients, each posting realistic order-sign requests (clopidogrel + acetaminophen draft
orders, looked up by MRN, so every call authenticates, finds the patient, reads the
stored result under consent, writes two audit events and builds a card):

* **saturation** (closed loop): every client sends its next request as soon as the last
  one is answered, until ``--requests`` are done or ``--seconds`` pass. Latency here is
  mostly queueing: with N clients it is about N / throughput.
* **paced**: every client sends ``--paced-rate`` requests per second (at random phase)
  for ``--paced-seconds``: a busy hospital's order rate, where latency is service time.

With ``--patients N`` the same result is stored for N patients (``BENCH-1`` …
``BENCH-N``) and each request picks one at random, so most requests are a patient's
first: the cold path (stored results decoded, the interpretation built with the draft
orders) instead of the per-process caches.

Prints p50 / p90 / p99 / max latency and throughput per backend and load. The target is
p99 < 100 ms. Every request and the server stop by themselves; nothing leaves loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
PG = {"host": "127.0.0.1", "port": 5432, "dbname": "test"}
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@dataclass
class Seeded:
    url: str
    key_b64: str
    clinician_token: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_user() -> str | None:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(user=user, connect_timeout=3, **PG):  # type: ignore[arg-type]
                return user
        except psycopg.OperationalError:
            continue
    return None


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="tm-bench-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    import psycopg

    user = _pg_user()
    if user is None:
        raise RuntimeError("PostgreSQL is not reachable at 127.0.0.1:5432")
    schema = f"tm_bench_{secrets.token_hex(4)}"
    with psycopg.connect(user=user, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield (
            f"postgresql+psycopg://{user}@{PG['host']}:{PG['port']}/{PG['dbname']}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(user=user, autocommit=True, **PG) as conn:  # type: ignore[arg-type]
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def seed(url: str, patients: int = 1) -> Seeded:
    """Consented patients with a stored result, and the clinician token of the EHR."""
    from tailormed.calling import CallOptions, call_files
    from tailormed.knowledge import load_kb
    from tailormed.pipeline import example_path
    from tailormed.recommend import build_interpretation
    from tailormed.record import (
        Keyring,
        Purpose,
        UploadInfo,
        add_result,
        bootstrap_admin,
        create_enrolment,
        create_patient,
        create_user,
        grant_consent,
        open_database,
        redeem_code,
        session_factory,
    )

    key = secrets.token_bytes(32)
    engine = open_database(url, keyring=Keyring([key]))
    kb = load_kb()
    vcf = example_path("example-patient.vcf")
    callset = call_files([vcf], kb, CallOptions())
    interpretation = build_interpretation(callset.for_sample(callset.samples[0]), kb)
    try:
        with session_factory(engine)() as s:
            admin, _ = bootstrap_admin(s)
            op: Purpose = "operations"
            _clin, activation = create_user(
                s, admin.actor, op, role="clinician", organisation="bench-hospital"
            )
            clin, token = redeem_code(s, activation.code)
            info = UploadInfo("vcf", "0" * 64, vcf.stat().st_size, vcf.name)
            for n in range(1, patients + 1):
                patient = create_patient(
                    s, clin.actor, "treatment", display_name="Bench", external_id=f"BENCH-{n}"
                )
                enrolment = create_enrolment(s, clin.actor, "treatment", patient.id)
                puser, _ = redeem_code(s, enrolment.code)
                grant_consent(
                    s, puser.actor, "treatment", patient.id, grantee_organisation="bench-hospital"
                )
                add_result(s, puser.actor, "treatment", patient.id, interpretation, info)
    finally:
        engine.dispose()
    return Seeded(url, base64.b64encode(key).decode(), token)


@contextmanager
def server(seeded: Seeded, workers: int) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "TAILORMED_DATABASE_URL": seeded.url,
        "TAILORMED_DATA_KEY": seeded.key_b64,
    }
    env.pop("TAILORMED_KEY_FILE", None)
    cmd = [
        sys.executable, "-m", "uvicorn", "tailormed.service.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=REPO)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the service did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def order_sign(patient: str) -> dict[str, Any]:
    def draft(rid: str, code: str, text: str) -> dict[str, Any]:
        return {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": rid,
                "status": "draft",
                "intent": "order",
                "subject": {"reference": f"Patient/{patient}"},
                "medicationCodeableConcept": {
                    "coding": [{"system": RXNORM, "code": code, "display": text}],
                    "text": text,
                },
            }
        }

    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/bench",
            "patientId": patient,
            "draftOrders": {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    draft("1", "32968", "clopidogrel 75 MG Oral Tablet"),
                    draft("2", "161", "acetaminophen 500 MG Oral Tablet"),
                ],
            },
        },
    }


@dataclass
class Run:
    latencies: list[float]
    errors: int
    wall: float

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies)
        if not lat:
            return {"requests": 0, "errors": self.errors}

        def pct(p: float) -> float:
            return 1000 * lat[min(len(lat) - 1, int(p * len(lat)))]

        return {
            "requests": len(lat),
            "errors": self.errors,
            "p50_ms": round(pct(0.50), 1),
            "p90_ms": round(pct(0.90), 1),
            "p99_ms": round(pct(0.99), 1),
            "max_ms": round(1000 * lat[-1], 1),
            "mean_ms": round(1000 * statistics.fmean(lat), 1),
            "throughput_rps": round(len(lat) / self.wall, 1),
        }


async def _load(
    base: str,
    token: str,
    clients: int,
    *,
    total: int,
    seconds: float,
    rate: float | None,
    patients: int = 1,
) -> Run:
    latencies: list[float] = []
    problems: list[str] = []
    errors = 0
    sent = 0
    url = f"{base}/cds-services/tailormed-pgx-order-sign"
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=30, headers=headers) as http:
        start = time.monotonic()
        stop = start + seconds

        async def client() -> None:
            nonlocal errors, sent
            if rate:
                await asyncio.sleep(random.random() / rate)
            while time.monotonic() < stop and sent < total:
                sent += 1
                began = time.monotonic()
                try:
                    mrn = f"BENCH-{random.randint(1, patients)}"
                    r = await http.post(url, json=order_sign(mrn))
                    ok = r.status_code == 200 and len(r.json()["cards"]) == 1
                    if not ok:
                        problems.append(f"HTTP {r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ok = False
                    problems.append(f"{type(exc).__name__}: {exc}")
                took = time.monotonic() - began
                if ok:
                    latencies.append(took)
                else:
                    errors += 1
                if rate:
                    await asyncio.sleep(max(0.0, 1 / rate - took))

        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.monotonic() - start
    for problem in sorted(set(problems))[:5]:
        print(f"error: {problem}", file=sys.stderr)
    return Run(latencies, errors, wall)


def bench_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with database(backend) as url:
        seeded = seed(url, args.patients)
        with server(seeded, args.workers) as base:
            asyncio.run(_load(base, seeded.clinician_token, 4, total=40, seconds=10, rate=None))
            saturation = asyncio.run(
                _load(
                    base, seeded.clinician_token, args.clients,
                    total=args.requests, seconds=args.seconds, rate=None,
                    patients=args.patients,
                )
            )  # fmt: skip
            paced = asyncio.run(
                _load(
                    base, seeded.clinician_token, args.clients,
                    total=10**9, seconds=args.paced_seconds, rate=args.paced_rate,
                    patients=args.patients,
                )
            )  # fmt: skip
    return {"saturation": saturation.summary(), "paced": paced.summary()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--paced-rate", type=float, default=0.5, help="requests/s per client")
    parser.add_argument("--paced-seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--patients", type=int, default=1, help="seeded patients; requests pick one at random"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    for backend in args.backends.split(","):
        if backend == "postgresql" and _pg_user() is None:
            print("PostgreSQL not reachable at 127.0.0.1:5432: skipped", file=sys.stderr)
            continue
        began = time.monotonic()
        results[backend] = bench_backend(backend, args)
        results[backend]["elapsed_s"] = round(time.monotonic() - began, 1)

    print(
        f"CDS Hooks order-sign, {args.clients} clients, {args.workers} uvicorn worker(s), "
        f"{args.patients} patient(s); paced = {args.paced_rate:g} req/s per client"
    )
    head = f"{'backend':<11} {'load':<11} {'n':>6} {'err':>4} {'p50 ms':>7} {'p90 ms':>7} "
    print(head + f"{'p99 ms':>7} {'max ms':>7} {'req/s':>7}")
    for backend, runs in results.items():
        for load in ("saturation", "paced"):
            s = runs[load]
            print(
                f"{backend:<11} {load:<11} {s['requests']:>6} {s['errors']:>4} "
                f"{s.get('p50_ms', 0):>7} {s.get('p90_ms', 0):>7} {s.get('p99_ms', 0):>7} "
                f"{s.get('max_ms', 0):>7} {s.get('throughput_rps', 0):>7}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if any(r[k]["errors"] for r in results.values() for k in ("saturation", "paced")):
        sys.exit(1)


if __name__ == "__main__":
    main()
