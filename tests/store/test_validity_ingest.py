"""Ingest stores the data-qualification bits of :mod:`hazrisk.validity` under the rules it is
given (``hazrisk ingest --conf``), records their fingerprint per file, and the consumers refuse
files flagged under other [validity] rules until ``hazrisk ingest --reflag`` recomputes them.

Frames come from the codec's encoder (hex log: each frame has its receive time).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from store_testkit import PHONE_A, T0, Stream, loc

from hazrisk.cliutil import CliError
from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect
from hazrisk.store.validity_flags import require_current
from hazrisk.validity import BIT, Validity

SLOW_CONF = """[validity]
gps_speed_max_kmh = 100
[validity.sources]
gps_speed_max_kmh = "test: a lower speed bound"
"""


def _dump(tmp_path: Path) -> Path:
    """Five fixes: speeds 100 / 101 / 160 / 161 km/h; GNSS time 300 s / 301 s after receipt."""
    s = Stream()
    for k, speed in enumerate((100.0, 101.0, 160.0, 161.0)):
        t = T0 + timedelta(seconds=30 * k)
        s.msg(0x0200, loc(t, speed=speed), PHONE_A, t=t)
    t = T0 + timedelta(seconds=600)
    s.msg(0x0200, loc(t), PHONE_A, t=t - timedelta(seconds=300))
    t = T0 + timedelta(seconds=630)
    s.msg(0x0200, loc(t), PHONE_A, t=t - timedelta(seconds=301))
    return s.write(tmp_path / "dumps" / "P01" / "2026-10-01.log", "hexlog")


def _flags(db: Path) -> list[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [int(f) for (f,) in con.execute(
            "SELECT quality_flags FROM core.positions ORDER BY device_time").fetchall()]
    finally:
        con.close()


def _ingest(tmp_path: Path, name: str, *extra: str) -> Path:
    db = tmp_path / name
    assert store_main(["ingest", str(_dump(tmp_path)), "--db", str(db), "--json",
                       "--no-progress", *extra]) == 0
    return db


def test_ingest_stores_the_checks_under_its_conf(tmp_path: Path) -> None:
    speed, future = BIT["gps_speed"], BIT["time_after_receive"]
    default = _ingest(tmp_path, "default.duckdb")
    assert _flags(default) == [0, 0, 0, speed, 0, future]
    conf = tmp_path / "slow.toml"
    conf.write_text(SLOW_CONF, encoding="utf-8")
    slow = _ingest(tmp_path, "slow.duckdb", "--conf", str(conf))
    assert _flags(slow) == [0, speed, speed, speed, 0, future]


def test_other_validity_is_refused_until_reflagged(tmp_path: Path, capsys) -> None:
    conf = tmp_path / "slow.toml"
    conf.write_text(SLOW_CONF, encoding="utf-8")
    db = _ingest(tmp_path, "w.duckdb", "--conf", str(conf))
    con = connect(db)
    with pytest.raises(CliError, match=r"gps_speed_max_kmh 100\.0 -> 160"):
        require_current(con, Validity.from_rules())
    con.close()
    capsys.readouterr()
    assert store_main(["ingest", "--reflag", "--db", str(db), "--json"]) == 0
    assert '"positions_changed": 2' in capsys.readouterr().out
    assert _flags(db) == [0, 0, 0, BIT["gps_speed"], 0, BIT["time_after_receive"]]
    con = connect(db)
    require_current(con, Validity.from_rules())  # current now: no error
    con.close()


def test_daily_ingests_under_its_rules(tmp_path: Path) -> None:
    from datetime import date

    from hazrisk.config import load_rules
    from hazrisk.daily import run_daily

    conf = tmp_path / "slow.toml"
    conf.write_text(SLOW_CONF, encoding="utf-8")
    db = tmp_path / "daily.duckdb"
    con = connect(db)
    run_daily(con, date(2026, 10, 1), dumps=_dump(tmp_path).parent, rules=load_rules(conf))
    con.close()
    assert _flags(db)[:4] == [0, BIT["gps_speed"], BIT["gps_speed"], BIT["gps_speed"]]


def test_reflag_needs_no_path_and_takes_none(tmp_path: Path, capsys) -> None:
    db = _ingest(tmp_path, "w.duckdb")
    assert store_main(["ingest", str(tmp_path), "--reflag", "--db", str(db)]) == 2
    assert "--reflag takes no PATH" in capsys.readouterr().err
    assert store_main(["ingest", "--db", str(db)]) == 2
