"""Digital-health benchmark: one year of 5-second heart rate for one patient.

Synthetic input generated in a temporary folder: a Fitbit ``heartrate_seconds`` CSV of
365 days × 17,280 samples = 6,307,200 rows (one user, 12-hour clock times, no zone; a
daily rhythm plus noise, with a raised week near the end so the heart-rate rule has
something to find) and a ``dailyActivity`` CSV of the same year. Measured, each in its
own process so the peak memory (max RSS) is the step's own:

1. the pipeline: read + validate (``--timezone America/Chicago``, DST rules applied) →
   per-day aggregates → every care rule (with an antidepressant and a statin start);
2. raw floor A: NumPy loading the same timestamps and values from ``.npy`` files;
3. raw floor B: reading the CSV and splitting every line into its fields (no parsing).

Run: ``.venv/bin/python benchmarks/bench_digital.py [--days N]``.
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


def child(code: str, *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
