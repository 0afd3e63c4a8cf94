"""Every bundled Fitbit file: row counts per file and user, units, time zones, errors."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from tailormed.digital.aggregate import aggregate
from tailormed.digital.read import read_file, read_files
from tailormed.errors import InputError

USER = "2022484408"
FILES = {
    "dailyActivity_merged.csv": (940, {"steps": "{steps}", "calories": "kcal"}),
    "sleepDay_merged.csv": (413, {"sleep": "min", "time_in_bed": "min"}),
    "hourlySteps_merged.csv": (24084, {"steps": "{steps}"}),
    "hourlyCalories_merged.csv": (22099, {"calories": "kcal"}),
    "hourlyIntensities_merged.csv": (22099, {"activity_intensity": "{score}"}),
    "weightLogInfo_merged.csv": (67, {"body_weight": "kg"}),
    "heartrate_seconds_user2022484408_20160401-03.csv": (8418, {"heart_rate": "/min"}),
}


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="") as fh:
        return list(csv.reader(fh))[1:]


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_every_user_counts_and_units(data: Path, name: str) -> None:
    path = data / name
    total, units = FILES[name]
    rows = rows_of(path)
    assert len(rows) == total
    users = sorted({r[0] for r in rows})
    for user in users:
        expected = sum(1 for r in rows if r[0] == user)
        series, _, count, _ = read_file(path, user, "America/New_York")
        assert count.rows == total and count.other_rows == total - expected
        for kind, unit in units.items():
            got = [s for s in series if s.kind == kind]
            assert sum(len(s) for s in got) == expected, (user, kind)
            assert all(s.unit == unit for s in got)
            assert all(s.timezone == "America/New_York (given)" for s in got)


def test_user_absent_from_one_file_is_not_an_error(data: Path) -> None:
    series, _, count, _ = read_file(data / "weightLogInfo_merged.csv", USER, "UTC")
    assert series == [] and count.kept == {}


def test_user_in_no_file_is_an_error(data: Path) -> None:
    with pytest.raises(InputError, match="no rows in any"):
        read_files([data / "weightLogInfo_merged.csv"], "123", "UTC")


def test_times_use_the_given_zone(data: Path) -> None:
    path = data / "heartrate_seconds_user2022484408_20160401-03.csv"
    (s,), _, _, _ = read_file(path, USER, "America/Chicago")
    # first row: 4/1/2016 7:54:00 AM, value 93; Chicago is on CDT (UTC-5) then
    first = datetime(2016, 4, 1, 12, 54, tzinfo=UTC).timestamp()
    assert s.start[0] == int(first) * 10**9 and s.value[0] == 93.0 and s.offset[0] == -5 * 3600
    (u,), _, _, _ = read_file(path, USER, "Asia/Tokyo")
    assert u.start[0] - s.start[0] == -14 * 3600 * 10**9  # 7:54 JST is 14 h earlier
    assert u.unit == "/min" and u.original_unit == "/min"


def test_spring_forward_gap_is_kept_and_counted(data: Path) -> None:
    path = data / "hourlySteps_merged.csv"
    (s,), _, _, notes = read_file(path, USER, "America/Chicago")
    assert any("1 time(s) in a daylight-saving gap" in n for n in notes)
    # 3/13/2016 2:00 does not exist in Chicago: read as 2:00 CST = 08:00 UTC (= 3:00 CDT)
    gap = int(datetime(2016, 3, 13, 8, tzinfo=UTC).timestamp()) * 10**9
    assert int((s.start == gap).sum()) == 2  # the 2:00 row and the real 3:00 row
    assert len(np.unique(s.key)) == len(s)  # still two distinct source records
    (u,), _, _, notes_utc = read_file(path, USER, "UTC")
    assert not notes_utc and len(u) == len(s)


def test_ambiguous_fall_back_hour_follows_row_order(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    lines = ["Id,Time,Value"]
    for clock in ("12:59:55 AM", "1:30:00 AM", "1:59:55 AM", "1:00:00 AM", "1:30:00 AM"):
        lines.append(f"7,11/6/2016 {clock},70")
    path.write_text("\n".join(lines) + "\n")
    (s,), _, _, notes = read_file(path, None, "America/New_York")
    utc = [datetime.fromtimestamp(int(t) // 10**9, UTC).strftime("%H:%M:%S") for t in s.start]
    assert utc == ["04:59:55", "05:30:00", "05:59:55", "06:00:00", "06:30:00"]
    assert any("4 ambiguous" in n for n in notes)


def test_day_attribution_and_duplicates(data: Path) -> None:
    # sleepDay has one exact duplicate row for user 4388161847 on 5/5/2016
    obs = read_files([data / "sleepDay_merged.csv"], "4388161847", "America/Los_Angeles")
    rows = [r for r in rows_of(data / "sleepDay_merged.csv") if r[0] == "4388161847"]
    assert obs.count("sleep") == len(rows)
    table = aggregate(obs.series)
    assert len(table) == len({r[1] for r in rows})
    may5 = table.rows()[[r["date"] for r in table.rows()].index("2016-05-05")]
    assert may5["sleep_min"] == 471.0  # counted once, not 942


def test_daily_total_and_hourly_rows_are_not_added(data: Path) -> None:
    obs = read_files(
        [data / "dailyActivity_merged.csv", data / "hourlySteps_merged.csv"],
        USER,
        "America/Chicago",
    )
    table = {r["date"]: r for r in aggregate(obs.series).rows()}
    daily = {r[1]: float(r[2]) for r in rows_of(data / "dailyActivity_merged.csv") if r[0] == USER}
    # 4/12/16: the daily file's own total, not daily + hourly
    assert table["2016-04-12"]["steps"] == max(daily["4/12/16"], table["2016-04-12"]["steps"])
    assert table["2016-04-12"]["steps"] < 2 * daily["4/12/16"]


def test_weights_keep_how_they_were_entered(data: Path) -> None:
    series, _, _, _ = read_file(data / "weightLogInfo_merged.csv", "6962181067", "UTC")
    assert sum(len(s) for s in series) == 30
    assert {s.source.rsplit("(", 1)[1] for s in series} <= {"manual entry)", "scale)"}


@pytest.mark.parametrize(
    ("text", "timezone", "source_id", "match"),
    [
        ("Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n", None, None, "--timezone"),
        ("Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n", "Mars/Base", None, "unknown time zone"),
        (
            "Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n2,4/1/2016 7:54:00 AM,90\n",
            "UTC",
            None,
            "several users",
        ),
        (
            "Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n1,4/31/2016 7:54:05 AM,93\n",
            "UTC",
            None,
            "line 3",
        ),
        (
            "Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n1,4/1/2016 13:54:05 PM,93\n",
            "UTC",
            None,
            "line 3",
        ),
        (
            "Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n1,4/1/2016 7:54:05 AM,x\n",
            "UTC",
            None,
            "line 3.*not a number",
        ),
        ("Id,Time,Value\n1,4/1/2016 7:54:00 AM,93,4\n", "UTC", None, "line 2.*4 fields"),
        ("Id,When,Value\n1,4/1/2016 7:54:00 AM,93\n", "UTC", None, "not a known Fitbit"),
    ],
)
def test_bad_input_is_one_line_error(
    tmp_path: Path, text: str, timezone: str | None, source_id: str | None, match: str
) -> None:
    path = tmp_path / "heartrate.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_file(path, source_id, timezone)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_implausible_values_are_left_out_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "hr.csv"
    path.write_text("Id,Time,Value\n1,4/1/2016 7:54:00 AM,93\n1,4/1/2016 7:54:05 AM,0\n")
    (s,), _, _, notes = read_file(path, None, "UTC")
    assert len(s) == 1 and any("1 heart rate value(s) outside" in n for n in notes)


def test_vectorised_and_row_readers_agree(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edge = tmp_path / "hr.csv"
    edge.write_text(
        "Id,Time,Value\n9,1/31/16 12:00:00 AM,61\n9,1/31/16 12:30:05 PM,62\n"
        "9,2/29/2016 11:59:59 PM,63\n9,12/1/2016 1:00:00 PM,64\n8,12/1/2016 1:00:05 PM,65\n"
    )
    files = [(data / "heartrate_seconds_user2022484408_20160401-03.csv", USER), (edge, "9")]
    fast = [read_file(p, u, "Europe/Paris")[0][0] for p, u in files]
    import tailormed.digital.read.fitbit as fitbit

    monkeypatch.setattr(fitbit, "read_fast", lambda path, user: None)
    slow = [read_file(p, u, "Europe/Paris")[0][0] for p, u in files]
    for a, b in zip(fast, slow, strict=True):
        assert np.array_equal(a.start, b.start) and np.array_equal(a.value, b.value)
        assert np.array_equal(a.key, b.key) and np.array_equal(a.offset, b.offset)
    utc = [datetime.fromtimestamp(int(t) // 10**9, UTC).isoformat() for t in fast[1].start]
    assert utc == [
        "2016-01-30T23:00:00+00:00",
        "2016-01-31T11:30:05+00:00",
        "2016-02-29T22:59:59+00:00",
        "2016-12-01T12:00:00+00:00",
    ]
