"""Beijing time has one definition (conf ``[period] timezone``, read in hazrisk/localtime.py):
the SQL macros and the numpy offset derive from it, the warehouse's views keep Beijing days in
any session zone, and no other file names the zone or its offset."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from hazrisk.localtime import OFFSET_S, TIMEZONE, checked_zone, fixed_offset_s, install_macros

ROOT = Path(__file__).resolve().parents[1]
#: The one place of the configured zone, and the wire format's own fixed +08:00 (JT/T 808).
ALLOWED = {"hazrisk/localtime.py", "hazrisk/jt808/field_base.py"}
SCANNED = ("hazrisk", "apps", "benchmarks", "notebooks", "reports")
#: The zone's name or its offset written out (8 * 3600, 28800, hours=8, '+08').
SHADOWS = re.compile(r"Asia/Shanghai|8\s*\*\s*3600|3600\s*\*\s*8|\b28800\b|\b28_800\b|"
                     r"hours\s*=\s*8\b|INTERVAL\s+'?8'?\s+HOURS?\b", re.IGNORECASE)


def _sources() -> list[Path]:
    out: list[Path] = []
    for top in SCANNED:
        base = ROOT / top
        if base.exists():
            out += [p for p in base.rglob("*") if p.suffix in (".py", ".sql", ".toml")]
    return out


def test_no_file_names_the_zone_or_its_offset_but_the_one_place() -> None:
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or "/conf/" in f"/{rel}" or rel.startswith("hazrisk/conf"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SHADOWS.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "the zone is hazrisk.localtime's (TIMEZONE, OFFSET_S, core.local_*):\n" \
        + "\n".join(found)


def test_the_scan_catches_a_shadow() -> None:
    for text in ("timezone('Asia/Shanghai', t)", "t + 8 * 3600", "epoch(t) + 28800",
                 "timedelta(hours=8)", "t + INTERVAL 8 HOUR"):
        assert SHADOWS.search(text), text


def test_offset_and_macros_follow_the_configured_zone() -> None:
    assert (TIMEZONE, OFFSET_S) == ("Asia/Shanghai", 8 * 3600)  # conf/rules.toml
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    install_macros(con)
    con.execute("SET TimeZone = 'UTC'")
    got = con.execute(
        "SELECT core.local_day(TIMESTAMPTZ '2026-10-01 15:59:59+00'), "
        "core.local_day(TIMESTAMPTZ '2026-10-01 16:00:00+00'), "
        "core.local_time(TIMESTAMPTZ '2026-10-01 16:00:00+00'), "
        "core.local_instant(CAST(DATE '2026-10-02' AS TIMESTAMP))").fetchall()[0]
    assert got[:3] == (date(2026, 10, 1), date(2026, 10, 2), datetime(2026, 10, 2, 0, 0))
    assert got[3] == datetime(2026, 10, 1, 16, 0, tzinfo=UTC)


def test_macros_equal_duckdb_time_zone_conversion_over_years() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core")
    install_macros(con)
    diff = con.execute(
        "SELECT count(*) FROM (SELECT TIMESTAMPTZ '1995-01-01 00:00:00+00' + "
        "to_seconds(i * 3607) AS t FROM range(300000) r(i)) "
        "WHERE core.local_time(t) <> timezone($z, t) "
        "   OR core.local_day(t) <> CAST(timezone($z, t) AS DATE) "
        "   OR core.local_instant(core.local_time(t)) <> t", {"z": TIMEZONE}).fetchall()[0][0]
    assert diff == 0


def test_zone_names_are_checked_before_ddl() -> None:
    assert checked_zone("Asia/Shanghai") == "Asia/Shanghai"
    for bad in ("Asia/Shanghai'; DROP TABLE core.positions; --", "Mars/Olympus", "", "../x"):
        with pytest.raises(ValueError, match=r"\[period\] timezone"):
            checked_zone(bad)


def test_a_zone_with_daylight_saving_is_refused() -> None:
    assert fixed_offset_s("Asia/Urumqi") == 6 * 3600
    for zone in ("Europe/Berlin", "America/New_York", "Australia/Sydney"):
        with pytest.raises(ValueError, match="daylight saving"):
            fixed_offset_s(zone)
