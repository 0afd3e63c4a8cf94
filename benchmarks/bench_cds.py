"""Benchmark: CPU cost of one CDS Hooks ``order-sign`` call, in process, warm and cold.

    .venv/bin/python benchmarks/bench_cds.py [--requests 200] [--patients 100]
        [--backend sqlite|postgresql] [--json out.json]

``bench_service.py`` measures latency under concurrent HTTP load, which on a shared
machine mostly measures the other processes. This script measures what one call costs
the service: CPU time (``time.process_time``, this process only) of sequential calls
through the ASGI app (FastAPI's TestClient: routing, auth, consent check, audit append,
the interpretation and the cards), for

* **warm**: the same patient every time (the per-process caches hit);
* **cold**: a different patient each time (``--patients`` seeded, each called once: the
  stored result decoded and the interpretation built with the draft orders);
* **floor**: ``GET /cds-services`` (authentication and routing only), in the same run.

Prints mean and p90 CPU ms per call and the ratio of each to the floor. Run it against
another checkout with ``PYTHONPATH=<that>/src`` to compare versions on the same machine.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


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


def _cpu_ms(calls: list[Callable[[], None]]) -> list[float]:
    out = []
    for call in calls:
        began = time.process_time()
        call()
        out.append(1000 * (time.process_time() - began))
    return out


def _summary(values: list[float], floor: float) -> dict[str, float]:
    ordered = sorted(values)
    mean = statistics.fmean(ordered)
    return {
        "n": len(ordered),
        "mean_cpu_ms": round(mean, 2),
        "p90_cpu_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
        "ratio_to_floor": round(mean / floor, 2) if floor else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from bench_service import database, seed
    from fastapi.testclient import TestClient

    from tailormed.record import Keyring
    from tailormed.service.app import create_app
    from tailormed.service.settings import Settings

    with database(args.backend) as url:
        seeded = seed(url, args.patients)
        keyring = Keyring([base64.b64decode(seeded.key_b64)])
        settings = Settings(database_url=url, keyring=keyring)
        headers = {"Authorization": f"Bearer {seeded.clinician_token}"}
        sign = "/cds-services/tailormed-pgx-order-sign"
        with TestClient(create_app(settings)) as client:

            def post(patient: str) -> Callable[[], None]:
                def call() -> None:
                    r = client.post(sign, json=order_sign(patient), headers=headers)
                    if r.status_code != 200 or len(r.json()["cards"]) != 1:
                        raise RuntimeError(f"unexpected answer: {r.status_code} {r.text[:200]}")

                return call

            def discovery() -> None:
                if client.get("/cds-services", headers=headers).status_code != 200:
                    raise RuntimeError("discovery failed")

            for _ in range(10):  # warm-up: imports, first queries, BENCH-1 cached
                post("BENCH-1")()
                discovery()
            floor = _cpu_ms([discovery] * args.requests)
            warm = _cpu_ms([post("BENCH-1")] * args.requests)
            cold = _cpu_ms([post(f"BENCH-{n}") for n in range(2, args.patients + 1)])
    base = statistics.fmean(floor)
    results = {
        "backend": args.backend,
        "floor": _summary(floor, base),
        "warm": _summary(warm, base),
        "cold": _summary(cold, base),
    }
    print(f"CDS order-sign CPU cost per call, in process ({args.backend})")
    print(f"{'call':<28} {'n':>5} {'mean ms':>8} {'p90 ms':>8} {'x floor':>8}")
    for name, label in (
        ("floor", "GET /cds-services (floor)"),
        ("warm", "order-sign, same patient"),
        ("cold", "order-sign, new patient"),
    ):
        s = results[name]
        print(
            f"{label:<28} {s['n']:>5} {s['mean_cpu_ms']:>8} {s['p90_cpu_ms']:>8} "
            f"{s['ratio_to_floor']:>8}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
