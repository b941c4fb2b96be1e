"""Validity and drift thresholds are read in one place each (issue 15), and the SQL that names
check bits uses the one layout of :mod:`hazrisk.validity`.

The simulator (``hazrisk/simulate``) is left out on purpose: its truth is an independent
statement of the same rules, so that the warehouse can be checked against it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from hazrisk.config import DEFAULT_RULES
from hazrisk.validity import BIT

PACKAGE = Path(__file__).resolve().parents[1] / "hazrisk"
HOME = {"validity": PACKAGE / "validity.py", "drift": PACKAGE / "drift.py"}
#: [drift] keys that are not drift-fix thresholds (the rates' scoring ceiling).
NOT_THRESHOLDS = {"vehicle_rate_ceiling"}
#: Files reading a *column* named like a key: the drift fix's implied speed, shown by the
#: rates' drill-down (rates.position_flags.implied_speed_kmh), is no threshold.
COLUMNS = {("implied_speed_kmh", "rates/sql/explain.sql")}


def _keys(section: str) -> list[str]:
    with open(DEFAULT_RULES, "rb") as fh:
        data = tomllib.load(fh)
    return [k for k in data[section] if k != "sources" and k not in NOT_THRESHOLDS]


def readers(key: str) -> list[str]:
    """Package files (simulator aside) that read ``key``: ``x.key`` / ``x["key"]`` in Python,
    ``$key`` / ``x.key`` in SQL."""
    pattern = re.compile(rf"(\.|\[[\"']|\$){re.escape(key)}\b")
    out = []
    for p in sorted(PACKAGE.rglob("*")):
        if p.suffix not in (".py", ".sql") or "simulate" in p.relative_to(PACKAGE).parts:
            continue
        if pattern.search(p.read_text(encoding="utf-8")):
            out.append(str(p.relative_to(PACKAGE)))
    return out


def test_validity_and_drift_thresholds_are_read_in_one_place() -> None:
    for section, home in HOME.items():
        for key in _keys(section):
            found = [f for f in readers(key) if (key, f) not in COLUMNS]
            assert found == [str(home.relative_to(PACKAGE))], f"{section}.{key}"


def test_the_scan_sees_a_second_reader(tmp_path: Path) -> None:
    """The scan would notice a copy (it is not vacuous)."""
    assert "rates/compute.py" not in readers("gps_speed_max_kmh")
    assert re.search(r"(\.|\[[\"']|\$)spike_km\b", "if d > p.spike_km:")
    assert re.search(r"(\.|\[[\"']|\$)lat_min\b", "WHERE lat < $lat_min")


def test_sql_bit_masks_follow_the_layout() -> None:
    view = (PACKAGE / "store" / "sql" / "views" / "015_core_positions.sql").read_text("utf-8")
    found = re.findall(r"\(p\.quality_flags & (\d+)\) <> 0 AS q_(\w+)", view)
    assert {name for _, name in found} == set(BIT) - {"unregistered"}
    assert all(int(mask) == BIT[name] for mask, name in found)
    macros = (PACKAGE / "rates" / "sql" / "macros.sql").read_text("utf-8")
    # the rates' outage evidence tests two checks by bit: a trusted time, a valid speed
    assert "(k.qual_bits & 4) = 0 AS ev" in macros and BIT["time_after_receive"] == 4
    assert "(k.qual_bits & 32) = 0 AND k.speed_kmh > 0" in macros and BIT["gps_speed"] == 32
