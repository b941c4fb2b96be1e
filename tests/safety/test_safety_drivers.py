"""Drivers on duty from 0x0702 sign-in/out (raw.messages), linked to violations, and the
per-driver history (masked in the mart). Hand-built 0x0702 records: the simulator does not
generate driver sign-in/out yet."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from safety_builders import World, ts
from warehouse_tables import storage_table

T = ts("2026-10-01 08:00:00")


def _card(w: World, vehicle: str, at: float, status: int, **who: str) -> None:
    w._ensure_file()
    body = {"card_status": status,
            "time": datetime.fromtimestamp(at, tz=ZoneInfo("Asia/Shanghai")).isoformat()}
    if status == 1:
        body.update({"ic_result": 0, **who})
    n = w.con.execute(f"SELECT count(*) FROM {storage_table(w.con, 'store.raw_messages')}"
                      ).fetchall()[0][0]
    w.con.execute(
        f"INSERT INTO {storage_table(w.con, 'store.raw_messages')} (source_file_id, source_offset, "
        "length, msg_id, terminal_phone, serial, version, body_json) "
        "VALUES (1, $o, 30, 1794, $p, 1, 2019, $b)",
        {"o": 10_000 + n, "p": w._phones[vehicle], "b": json.dumps(body, ensure_ascii=False)})


def test_violations_linked_to_the_driver_on_duty() -> None:
    """V1 (E1) speeds at 08:00, 10:00 and 12:00 (70 km/h on an 'other' road). 张三 (D1) signs
    in at 07:50 with his ID-card number and out at 09:00; 李四 (D2) signs in at 09:05 (no ID
    number: matched by name within E1) and out at 11:00. So 08:00 -> D1, 10:00 -> D2, 12:00 ->
    nobody on duty. 王五 signs in on V2 with an unregistered identity: 'Q:<certificate>'."""
    w = World()
    w.vehicle("V1", "E1")
    w.vehicle("V2", "E1")
    w.road("R", "other", [(-1000.0, 0.0), (300_000.0, 0.0)])
    w.con.execute(
        "INSERT INTO core.drivers (driver_id, enterprise_id, vehicle_id, name, id_number, phone,"
        " role, import_id, source_row) VALUES "
        "('D1', 'E1', 'V1', '张三', '330100199001011234', '13900001111', 'driver', 1, 2), "
        "('D2', 'E1', 'V1', '李四', '330100199202021234', '13900002222', 'driver', 1, 3)")
    _card(w, "V1", T - 600, 1, driver_name="张三", qualification_no="Q1",
          id_card_no="330100199001011234")
    _card(w, "V1", T + 3600, 2)
    _card(w, "V1", T + 3900, 1, driver_name="李四", qualification_no="Q2")
    _card(w, "V1", T + 3 * 3600, 2)
    _card(w, "V2", T - 600, 1, driver_name="王五", qualification_no="330100XYZ12345678")
    x = 0.0
    for h in (0, 2, 4):
        _, x, _ = w.drive("V1", T + h * 3600, 120, speed=70, x0=x)
    w.drive("V2", T, 120, speed=70, y0=0.0, x0=100_000.0)
    w.detect("2026-10-01", "2026-10-02")
    ev = w.violations("speeding")
    got = dict(zip(ev["vehicle_id"] + "@" + (ev["start_t"] - T).astype(int).astype(str),
                   ev["driver_id"], strict=True))
    assert got["V1@0"] == "D1" and got["V1@7200"] == "D2"
    assert pd.isna(got["V1@14400"])  # nobody on duty
    assert got["V2@0"] == "Q:330100XYZ12345678"
    hist = {d: n for d, n in w.con.execute(
        "SELECT driver_id, n_speeding FROM safety.driver_months").fetchall()}
    assert hist == {"D1": 1, "D2": 1, "Q:330100XYZ12345678": 1}
    public = {d: (name, idn) for d, name, idn in w.con.execute(
        "SELECT driver_id, driver_name, id_number FROM mart.driver_safety").fetchall()}
    assert public["D1"] == ("张*", "330***********1234")
    assert public["Q:330**********5678"] == (None, None)
    published = {r[0] for r in w.con.execute("SELECT driver_id FROM mart.violations").fetchall()}
    assert "Q:330**********5678" in published and "Q:330100XYZ12345678" not in published
