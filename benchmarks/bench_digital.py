"""Digital-health benchmark: one year of 5-second heart rate for one patient.

Synthetic input generated in a temporary folder: a Fitbit ``heartrate_seconds`` CSV of
365 days × 17,280 samples = 6,307,200 rows (one user, 12-hour clock times, no zone; a
daily rhythm plus noise, with a raised week near the end so the heart-rate rule has
something to find) and a ``dailyActivity`` CSV of the same year. Measured, each in its
own process so the peak memory (max RSS) is the step's own:

1. the pipeline: read + validate (``--timezone America/Chicago``, DST rules applied) →
   per-day aggregates → every care rule (with an antidepressant and a statin start);
2. raw floor A: NumPy loading the same timestamps and values from ``.npy`` files;
3. raw floor B: reading the CSV and splitting every line into its fields (no parsing);
4. the record, on SQLite and on PostgreSQL (127.0.0.1:5432, database ``test``, a schema of
   its own dropped afterwards; skipped when unreachable): read + import into the patient's
   record (encrypted per-day chunks, per-day aggregates, every care rule on the batch, one
   audit event), the same import again (a no-op by content hash), the one-year trend
   query (per-day aggregates: the median of 20 runs) and reading back the year's 6.3 M
   heart-rate points from their encrypted chunks (ratio against floor A).

Run: ``.venv/bin/python benchmarks/bench_digital.py [--days N] [--no-record]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

USER = "5550001111"
PER_DAY = 86_400 // 5


def clock_texts() -> list[str]:
    out = []
    for s in range(0, 86_400, 5):
        h, rem = divmod(s, 3600)
        m, sec = divmod(rem, 60)
        h12 = h % 12 or 12
        out.append(f"{h12}:{m:02d}:{sec:02d} {'AM' if h < 12 else 'PM'}")
    return out


def generate(folder: Path, days: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(7)
    first = date(2023, 1, 1)
    clocks = clock_texts()
    hr_path = folder / "heartrate_seconds_bench.csv"
    seconds = np.arange(PER_DAY) * 5
    rhythm = 62 + 14 * np.clip(np.sin((seconds / 86_400 - 0.3) * 2 * np.pi), 0, None)
    stamps: list[np.ndarray] = []
    values_all: list[np.ndarray] = []
    with hr_path.open("w") as fh:
        fh.write("Id,Time,Value\n")
        for d in range(days):
            day = first + timedelta(days=d)
            raised = 8 if days - 10 <= d < days - 3 else 0
            values = np.round(rhythm + raised + rng.normal(0, 3, PER_DAY)).astype(int)
            prefix = f"{USER},{day.month}/{day.day}/{day.year} "
            fh.write(
                "".join(f"{prefix}{c},{v}\n" for c, v in zip(clocks, values.tolist(), strict=True))
            )
            base = (day - date(1970, 1, 1)).days * 86_400
            stamps.append(base + seconds)
            values_all.append(values.astype(np.float64))
    np.save(folder / "t.npy", np.concatenate(stamps).astype(np.int64))
    np.save(folder / "v.npy", np.concatenate(values_all))
    daily_path = folder / "dailyActivity_bench.csv"
    header = (
        "Id,ActivityDate,TotalSteps,TotalDistance,TrackerDistance,LoggedActivitiesDistance,"
        "VeryActiveDistance,ModeratelyActiveDistance,LightActiveDistance,"
        "SedentaryActiveDistance,VeryActiveMinutes,FairlyActiveMinutes,"
        "LightlyActiveMinutes,SedentaryMinutes,Calories\n"
    )
    with daily_path.open("w") as fh:
        fh.write(header)
        for d in range(days):
            day = first + timedelta(days=d)
            steps = int(rng.normal(9000, 1500))
            fh.write(
                f"{USER},{day.month}/{day.day}/{day.year % 100},{steps},0,0,0,0,0,0,0,0,0,0,"
                "0,2000\n"
            )
    return hr_path, daily_path


PIPELINE = """
import json, resource, sys, time
from pathlib import Path
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tailormed.digital.read import read_files
from tailormed.digital.context import PatientContext, medication_start
DigitalKnowledge.load()
files = [Path(p) for p in sys.argv[1:3]]
ctx = PatientContext("bench", (medication_start("sertraline", sys.argv[3]),
                               medication_start("atorvastatin", sys.argv[4])))
def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
before = rss_mb()
t0, c0 = time.perf_counter(), time.process_time()
obs = read_files(files, "USER", "America/Chicago")
t1, c1 = time.perf_counter(), time.process_time()
from tailormed.digital.aggregate import aggregate
table = aggregate(obs.series)
t2, c2 = time.perf_counter(), time.process_time()
from tailormed.digital.rules import evaluate
alerts = evaluate(table, [], ctx, as_of=sys.argv[5])
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"points": obs.count("heart_rate"), "days": len(table),
                  "alerts": sorted({a.rule_id for a in alerts}),
                  "read": [t1 - t0, c1 - c0], "aggregate": [t2 - t1, c2 - c1],
                  "rules": [t3 - t2, c3 - c2], "total": [t3 - t0, c3 - c0],
                  "rss_before_mb": before,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""".replace("USER", USER)

FLOOR_NPY = """
import json, resource, sys, time
import numpy as np
t0, c0 = time.perf_counter(), time.process_time()
t = np.load(sys.argv[1]); v = np.load(sys.argv[2])
n = len(t) + len(v)
print(json.dumps({"total": [time.perf_counter() - t0, time.process_time() - c0], "n": n,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

FLOOR_SPLIT = """
import json, resource, sys, time
t0, c0 = time.perf_counter(), time.process_time()
n = 0
with open(sys.argv[1]) as fh:
    fh.readline()
    for line in fh:
        n += len(line.split(","))
print(json.dumps({"total": [time.perf_counter() - t0, time.process_time() - c0], "n": n,
                  "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


RECORD = """
import json, resource, secrets, statistics, sys, time
from datetime import date
from pathlib import Path
from tailormed.knowledge.digital_kb import DigitalKnowledge
from tailormed.digital.read import read_files
from tailormed.record import (Keyring, add_medication, bootstrap_admin, create_enrolment,
    create_patient, create_user, open_database, redeem_code, session_factory)
from tailormed.record import digital as rd
from tailormed.record.access import Operator
kb = DigitalKnowledge.load()
url, files = sys.argv[1], [Path(p) for p in sys.argv[2:4]]
engine = open_database(url, keyring=Keyring([secrets.token_bytes(32)]))
S = session_factory(engine)
with S() as s:
    view, issued = create_user(s, Operator("bench"), "operations", role="clinician",
                               display_name="Dr Bench")
    clin, _ = redeem_code(s, issued.code)
    p = create_patient(s, clin.actor, "treatment", display_name="Bench")
    user, _ = redeem_code(s, create_enrolment(s, clin.actor, "treatment", p.id).code)
    actor = user.actor
    add_medication(s, actor, "treatment", p.id, name="sertraline",
                   started_on=date.fromisoformat(sys.argv[4]))
    add_medication(s, actor, "treatment", p.id, name="atorvastatin",
                   started_on=date.fromisoformat(sys.argv[5]))
t0, c0 = time.perf_counter(), time.process_time()
obs = read_files(files, "USER", "America/Chicago")
digest = rd.content_hash(f.read_bytes() for f in files)
t1, c1 = time.perf_counter(), time.process_time()
with S() as s:
    report = rd.import_observations(s, actor, "treatment", p.id, obs, content_sha256=digest,
                                    kb=kb)
t2, c2 = time.perf_counter(), time.process_time()
with S() as s:
    again = rd.import_observations(s, actor, "treatment", p.id, obs, content_sha256=digest,
                                   kb=kb)
t3 = time.perf_counter()
assert again.duplicate
del obs
trend = []
with S() as s:
    for _ in range(20):
        q0 = time.perf_counter()
        table = rd.read_daily(s, actor, "treatment", p.id)
        trend.append(time.perf_counter() - q0)
    q0, qc = time.perf_counter(), time.process_time()
    series = rd.read_series(s, actor, "treatment", p.id, "heart_rate", date(1970, 1, 1),
                            date(2100, 1, 1))
    points = sum(len(x) for x in series)
    q1, qc1 = time.perf_counter(), time.process_time()
engine.dispose()
print(json.dumps({"points": report.points, "new": report.new_points, "days": len(table),
    "chunks": report.chunks, "alerts": sorted({a.rule_id for a in report.alerts}),
    "read": [t1 - t0, c1 - c0], "import": [t2 - t1, c2 - c1], "again": t3 - t2,
    "trend_median": statistics.median(trend), "trend_max": max(trend),
    "series": [q1 - q0, qc1 - qc], "series_points": points,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
""".replace("USER", USER)


def pg_url() -> tuple[str, str] | None:
    """A fresh schema on the local PostgreSQL (``None`` when it cannot be reached)."""
    import secrets

    try:
        import psycopg
    except ImportError:
        return None
    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host="127.0.0.1", dbname="test", user=user, connect_timeout=3, autocommit=True
            ) as conn:
                schema = f"bench_digital_{secrets.token_hex(4)}"
                conn.execute(f'CREATE SCHEMA "{schema}"')
                url = (
                    f"postgresql+psycopg://{user}@127.0.0.1:5432/test"
                    f"?options=-csearch_path%3D{schema}"
                )
                return url, schema
        except psycopg.OperationalError:
            continue
    return None


def drop_schema(schema: str) -> None:
    import psycopg

    for user in ("postgres", "root"):
        try:
            with psycopg.connect(
                host="127.0.0.1", dbname="test", user=user, autocommit=True
            ) as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                return
        except psycopg.OperationalError:
            continue


def child(code: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--no-record", action="store_true", help="skip SQLite/PostgreSQL")
    args = parser.parse_args()
    stored: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="digital-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        hr, daily = generate(folder, args.days)
        size = hr.stat().st_size / 1e6
        print(
            f"generated {args.days} days ({args.days * PER_DAY:,} samples, {size:.0f} MB) "
            f"in {time.perf_counter() - t:.1f} s"
        )
        start = date(2023, 1, 1)
        npy = child(FLOOR_NPY, str(folder / "t.npy"), str(folder / "v.npy"))
        split = child(FLOOR_SPLIT, str(hr))
        run = child(
            PIPELINE,
            str(hr),
            str(daily),
            (start + timedelta(days=args.days // 2)).isoformat(),
            (start + timedelta(days=args.days // 3)).isoformat(),
            (start + timedelta(days=args.days - 1)).isoformat(),
        )
        if not args.no_record:
            meds = (
                (start + timedelta(days=args.days // 2)).isoformat(),
                (start + timedelta(days=args.days // 3)).isoformat(),
            )
            stored["SQLite"] = child(
                RECORD, f"sqlite:///{folder / 'record.db'}", str(hr), str(daily), *meds
            )
            pg = pg_url()
            if pg is None:
                print(
                    "!!! PostgreSQL at 127.0.0.1:5432 unreachable: record benchmark on SQLite only"
                )
            else:
                try:
                    stored["PostgreSQL"] = child(RECORD, pg[0], str(hr), str(daily), *meds)
                finally:
                    drop_schema(pg[1])
    floor_a, floor_b = npy["total"], split["total"]  # type: ignore[index]
    total = run["total"]  # type: ignore[index]
    print(f"points: {run['points']:,}, days: {run['days']}, rules fired: {run['alerts']}")
    rows = [
        ("raw floor A: NumPy load of the same numbers (.npy)", floor_a, npy["max_rss_mb"]),
        ("raw floor B: read the CSV, split every line", floor_b, split["max_rss_mb"]),
        ("read + validate (Fitbit CSV, zone, DST, keys)", run["read"], None),
        ("per-day aggregates", run["aggregate"], None),
        ("all care rules", run["rules"], None),
        ("pipeline total", total, run["max_rss_mb"]),
    ]
    print(f"{'measure':<52} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, (wall, cpu), rss in rows:  # type: ignore[misc]
        peak = f"{rss:8.0f}" if rss is not None else " " * 8
        print(f"{name:<52} {wall:8.2f} {cpu:8.2f} {peak}")
    print(
        f"pipeline peak RSS {run['max_rss_mb']:.0f} MB, of which {run['rss_before_mb']:.0f} MB "
        "was held before reading (Python, NumPy, the PGx and digital knowledge)"
    )
    print(
        f"pipeline / floor A (CPU): {total[1] / max(floor_a[1], 1e-9):.0f}x; "  # type: ignore[index]
        f"pipeline / floor B (CPU): {total[1] / max(floor_b[1], 1e-9):.1f}x"
    )  # type: ignore[index]
    for backend, r in stored.items():
        imp, ser = r["import"], r["series"]
        print(
            f"\n{backend}: {r['points']:,} points ({r['new']:,} new) in {r['chunks']} chunks, "
            f"{r['days']} days; rules fired on the batch: {r['alerts']}"
        )
        print(f"  read + validate                 {r['read'][0]:8.2f} s wall")  # type: ignore[index]
        print(f"  import (chunks, days, rules)    {imp[0]:8.2f} s wall {imp[1]:8.2f} s CPU")  # type: ignore[index]
        print(f"  same import again (no-op)       {r['again']:8.3f} s")
        print(
            f"  1-year trend query              {1000 * r['trend_median']:8.1f} ms median "  # type: ignore[operator]
            f"({1000 * r['trend_max']:.1f} ms max of 20; target < 200 ms)"  # type: ignore[operator]
        )
        print(
            f"  read back {r['series_points']:,} HR points  {ser[0]:8.2f} s wall "  # type: ignore[index]
            f"= {ser[1] / max(floor_a[1], 1e-9):.0f}x floor A (CPU)"  # type: ignore[index]
        )
        print(f"  peak RSS                        {r['max_rss_mb']:8.0f} MB")


if __name__ == "__main__":
    main()
