"""The vectorised writer produces the codec's bytes (``encode_message``), frame for frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hazrisk.jt808 import BEIJING, decode_frame, encode_message
from hazrisk.simulate import wire

ITEMS = {"0x01": "mileage_km", "0x02": "fuel_l", "0x03": "tacho_speed_kmh", "0x30": "rssi",
         "0x31": "gnss_count"}
T0 = int(dt.datetime(2026, 10, 1, tzinfo=BEIJING).timestamp())


def _body(f: dict[str, int], t: int, items: dict[str, int]) -> dict[str, object]:
    its = {k: {ITEMS[k]: (v / 10 if k in ("0x01", "0x02", "0x03") else v)} for k, v in items.items()}
    return {"alarm": f["alarm"], "status": f["status"], "lat_deg": f["lat"] / 1e6,
            "lon_deg": f["lon"] / 1e6, "altitude_m": f["alt"], "speed_kmh": f["speed"] / 10,
            "heading_deg": f["heading"], "device_time": dt.datetime.fromtimestamp(t, BEIJING),
            "items": its}


fields = st.fixed_dictionaries({
    "alarm": st.integers(0, 2**32 - 1), "status": st.integers(0, 2**32 - 1).map(lambda s: s & ~0b1100),
    "lat": st.integers(0, 90_000_000), "lon": st.integers(0, 180_000_000),
    "alt": st.integers(-200, 6500), "speed": st.integers(0, 65535),
    "heading": st.integers(0, 359)})


@settings(max_examples=150, deadline=None)
@given(f=fields, dt_s=st.integers(0, 70 * 365 * 86400), serial=st.integers(0, 65535),
       version=st.sampled_from([2013, 2019]), phone=st.integers(0, 10**11 - 1),
       item_keys=st.sets(st.sampled_from(sorted(ITEMS))), raw=st.integers(0, 255))
def test_location_report_equals_codec(f: dict[str, int], dt_s: int, serial: int, version: int,
                                      phone: int, item_keys: set[str], raw: int) -> None:
    t = int(dt.datetime(2000, 1, 1, tzinfo=BEIJING).timestamp()) + dt_s
    digits = str(phone).rjust(12 if version == 2013 else 20, "0")
    items = {k: (raw if k in ("0x30", "0x31") else raw * 250 + 7) for k in sorted(item_keys)}
    rows = wire.position_bodies(
        alarm=np.array([f["alarm"]]), status=np.array([f["status"]]),
        lat_raw=np.array([f["lat"]]), lon_raw=np.array([f["lon"]]), altitude=np.array([f["alt"]]),
        speed_raw=np.array([f["speed"]]), heading=np.array([f["heading"]]),
        time_bcd=wire.bcd_time(np.array([t])), items={k: np.array([v]) for k, v in items.items()})
    flat, lens = wire.frames_fixed(0x0200, rows, wire.phone_bcd(digits, version),
                                   np.array([serial]), version)
    ours = wire.split_flat(flat, lens)[0]
    theirs = encode_message(0x0200, _body(f, t, items), phone=digits, serial=serial,
                            version=version)
    assert ours == theirs
    assert decode_frame(ours).status == "ok"


def test_batch_and_heartbeat_equal_codec() -> None:
    n = 23
    rng = np.random.default_rng(1)
    t = T0 + np.sort(rng.integers(0, 86400, n))
    lat = rng.integers(27_000_000, 31_000_000, n)
    rows = wire.position_bodies(alarm=np.zeros(n, int), status=np.full(n, 3), lat_raw=lat,
                                lon_raw=lat + 91_000_000, altitude=rng.integers(0, 300, n),
                                speed_raw=rng.integers(0, 900, n), heading=rng.integers(0, 360, n),
                                time_bcd=wire.bcd_time(t), items={"0x01": np.arange(n) * 10})
    for version, phone in ((2013, "014012345678"), (2019, "00000000014012345678")):
        bodies = wire.batch_bodies(rows, 1, 10)
        flat, lens = wire.frames_var(0x0704, bodies, wire.phone_bcd(phone, version),
                                     np.array([0x7E7D, 1, 2]), version)
        for frame in wire.split_flat(flat, lens):
            rec = decode_frame(frame)
            assert rec.status == "ok" and rec.body is not None
            assert rec.body["batch_type"] == 1
            again = encode_message(0x0704, rec.body, phone=phone, serial=rec.serial or 0,
                                   version=version)
            assert again == frame
        hb, hl = wire.frames_fixed(0x0002, np.zeros((3, 0), np.uint8),
                                   wire.phone_bcd(phone, version), np.array([0, 0x7E, 0x7D7E]),
                                   version)
        assert wire.split_flat(hb, hl) == [
            encode_message(0x0002, {}, phone=phone, serial=s, version=version)
            for s in (0, 0x7E, 0x7D7E)]


def test_bcd_time_is_beijing() -> None:
    t = np.array([int(dt.datetime(2026, 12, 31, 23, 59, 58, tzinfo=BEIJING).timestamp())])
    assert wire.bcd_time(t)[0].tobytes().hex() == "261231235958"


def test_simulated_frames_reencode_identically(tiny_decoded: object, tiny: object) -> None:
    """A sample of the simulator's own 0x0200/0x0704/0x0002 frames round-trips the codec."""
    from pathlib import Path

    from hazrisk.jt808 import iter_records

    out = Path(str(tiny))
    seen = 0
    for f in sorted(p for p in (out / "dumps").rglob("*.bin")):
        data = f.read_bytes()
        for rec in iter_records(f):
            if rec.status == "ok" and rec.msg_id in (0x0200, 0x0704, 0x0002) and rec.length:
                frame = data[rec.offset:rec.offset + rec.length]
                assert encode_message(rec.msg_id, rec.body or {}, phone=rec.phone or "",
                                      serial=rec.serial or 0, version=rec.version or 2013) == frame
                seen += 1
                if seen > 3000:
                    return
    assert seen > 100
