"""The dumps decode, every injected fault is where the truth says, positions equal the truth."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

Decoded = Any  # conftest.Decoded



def _faults(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "truth" / "faults.parquet")


def test_every_byte_is_accounted_for(tiny: Path, tiny_decoded: Decoded) -> None:
    for rel, total in tiny_decoded.sizes.items():
        raw = (tiny / rel).read_bytes()
        if rel.endswith(".gz"):
            raw = gzip.decompress(raw)
        assert total == len(raw), rel


def test_one_format_per_provider(tiny: Path) -> None:
    providers = pd.read_csv(tiny / "truth" / "providers.csv")
    fmt = dict(zip(providers["provider_id"], providers["dump_format"], strict=True))
    for folder in (tiny / "dumps").iterdir():
        suffixes = {p.name.split(".", 1)[1] for p in folder.iterdir()}
        assert suffixes == ({"bin"} if fmt[folder.name] == "bin" else {"log.gz"})


def test_all_fault_kinds_present(tiny: Path) -> None:
    kinds = set(_faults(tiny)["kind"])
    assert {"bad_checksum", "truncated", "garbage", "invalid_bcd_time", "lat_out_of_range",
            "speed_out_of_range", "future_time", "dropped"} <= kinds


def test_non_ok_records_are_exactly_the_injected_faults(tiny: Path, tiny_decoded: Decoded) -> None:
    recs = tiny_decoded.records
    bad = recs[recs["status"] != "ok"]
    got = Counter(zip(bad["file"], bad["offset"], bad["status"], bad["reason"], strict=True))
    f = _faults(tiny)
    f = f[f["file"].notna() & f["expected_status"].isin(["rejected", "garbage"])]
    want = Counter(zip(f["file"], f["offset"].astype(int), f["expected_status"],
                       f["expected_reason"], strict=True))
    assert got == want
    assert len(want) > 20


def test_quality_flags_match_injected_glitches(tiny: Path, tiny_decoded: Decoded) -> None:
    recs = tiny_decoded.records
    flagged = recs[(recs["status"] == "ok") & (recs["quality"] != "")]
    got = Counter(zip(flagged["file"], flagged["offset"], flagged["quality"], strict=True))
    f = _faults(tiny)
    f = f[f["file"].notna() & (f["expected_status"] == "ok") & (f["expected_reason"] != "")]
    want = Counter(zip(f["file"], f["offset"].astype(int), f["expected_reason"], strict=True))
    assert got == want


def test_counts_by_kind_match_fault_counts(tiny: Path, tiny_decoded: Decoded) -> None:
    counts = pd.read_csv(tiny / "truth" / "fault_counts.csv", keep_default_na=False)
    recs = tiny_decoded.records
    for (status, reason), n in counts[counts["file"] != ""].groupby(
            ["expected_status", "expected_reason"])["count"].sum().items():
        if status == "ok" and not reason:
            continue
        if status == "ok":
            got = int((recs["quality"] == reason).sum())
        else:
            got = int(((recs["status"] == status) & (recs["reason"] == reason)).sum())
        assert got == n, (status, reason)


@pytest.mark.parametrize("which", ["tiny", "week"])
def test_positions_equal_truth_where_no_fault(which: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(which)
    dec: Decoded = request.getfixturevalue(f"{which}_decoded")
    veh = pd.read_csv(out / "truth" / "vehicles.csv", dtype={"terminal_phone": str})
    traj = pd.read_parquet(out / "truth" / "trajectories.parquet")
    traj["vehicle_id"] = traj["vehicle_id"].astype(str)
    faulty = _faults(out)
    faulty = set(zip(faulty["file"].dropna(), faulty["offset"].dropna().astype(int), strict=True))
    fx = dec.fixes
    fx = fx[[(f, o) not in faulty for f, o in zip(fx["file"], fx["offset"], strict=True)]].copy()
    fx["vehicle_id"] = fx["phone"].map(dict(zip(veh["terminal_phone"], veh["vehicle_id"],
                                                strict=True)))
    fx["time"] = pd.to_datetime(fx["device_time"].map(lambda d: d.isoformat()), utc=True) \
        .dt.tz_convert("Asia/Shanghai")
    m = fx.merge(traj, on=["vehicle_id", "time"], how="left", suffixes=("", "_true"),
                 validate="one_to_one")
    assert m["lat_true"].notna().all()
    assert (m["lat"] == m["lat_true"]).all() and (m["lon"] == m["lon_true"]).all()
    assert (m["speed"] == m["speed_true"]).all()
    # every sample the truth calls delivered was decoded, and backfill came as 0x0704
    delivered = traj[traj["delivery"].isin(["realtime", "backfill"])]
    assert len(delivered) == len(m)
    assert (m["backfill"] == (m["delivery"] == "backfill")).all()


def test_unfaulted_sample_delivery_labels(tiny: Path) -> None:
    traj = pd.read_parquet(tiny / "truth" / "trajectories.parquet")
    f = _faults(tiny)
    labels = traj["delivery"].value_counts()
    assert labels["realtime"] > 1000
    assert labels.get("dropped", 0) == int((f["kind"] == "dropped").sum())
    assert labels.get("backfill_lost", 0) == int((f["kind"] == "backfill_lost").sum())
    assert labels.get("rejected", 0) == int((f["kind"] == "bad_checksum").sum())
