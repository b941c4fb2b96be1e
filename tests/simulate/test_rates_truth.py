"""The expected rates in truth/ agree with an independent computation from the decoded dumps.

This is a reference implementation of the definitions in ``truth/README.md`` working only
from what the pipeline sees (decoded records, registry files), so a disagreement means the
truth and the dumps tell different stories.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hazrisk.simulate.fleet.geo import haversine_km


def _fixes(out: Path, dec: object) -> pd.DataFrame:
    fx = dec.fixes.copy()  # type: ignore[attr-defined]
    veh = pd.read_csv(out / "registry" / "vehicles.csv", dtype={"terminal_phone": str})
    fx["vehicle_id"] = fx["phone"].map(dict(zip(veh["terminal_phone"], veh["vehicle_id"],
                                                strict=True)))
    fx["provider_id"] = fx["file"].str.split("/").str[1]
    ok_t = fx["device_time"].notna()
    fx["t"] = np.nan
    fx.loc[ok_t, "t"] = [d.timestamp() for d in fx.loc[ok_t, "device_time"]]
    recv = fx["recv_time"].map(lambda r: r.timestamp() if isinstance(r, dt.datetime)
                               and not pd.isna(r) else np.nan)
    fx["qualified"] = (ok_t & fx["lat"].between(3.85, 53.55) & fx["lon"].between(73.55, 135.0833)
                       & (fx["speed"] <= 160) & fx["vehicle_id"].notna()
                       & ~(fx["t"] > recv + 300))
    fx["moving"] = ((fx["status"] & 1) == 1) | (fx["speed"] > 0)
    return fx


def _expected(out: Path) -> pd.DataFrame:
    e = pd.read_csv(out / "truth" / "expected_rates.csv")
    return e.set_index(["provider_id", "rate"])


@pytest.mark.parametrize("which", ["tiny", "week"])
def test_data_qualification_and_online(which: str, request: pytest.FixtureRequest) -> None:
    week: Path = request.getfixturevalue(which)
    week_decoded = request.getfixturevalue(f"{which}_decoded")
    fx = _fixes(week, week_decoded)
    e = _expected(week)
    for prov, g in fx.groupby("provider_id"):
        assert e.loc[(prov, "data_qualification"), "numerator"] == g["qualified"].sum()
        assert e.loc[(prov, "data_qualification"), "denominator"] == len(g)
        online = g.loc[g["qualified"], "vehicle_id"].nunique()
        assert e.loc[(prov, "online_rate"), "numerator"] == online
        # network_basis = entered: vehicles in network are those with a qualified record
        assert e.loc[(prov, "online_rate"), "denominator"] == online
        assert e.loc[(prov, "vehicle_data_conformance"), "denominator"] == online


@pytest.mark.parametrize("which", ["tiny", "week"])
def test_upload_interval(which: str, request: pytest.FixtureRequest) -> None:
    week: Path = request.getfixturevalue(which)
    week_decoded = request.getfixturevalue(f"{which}_decoded")
    fx = _fixes(week, week_decoded)
    fx = fx[fx["vehicle_id"].notna() & fx["t"].notna()]
    e = _expected(week)
    for prov, g in fx.groupby("provider_id"):
        num = den = 0
        for _, v in g.groupby("vehicle_id"):
            v = v.sort_values("t", kind="stable")
            gap = np.diff(v["t"].to_numpy())
            lim = np.where(v["moving"].to_numpy()[:-1], 30, 300)  # [rates] interval_state
            num += 1 + int((gap <= lim).sum())
            den += len(v)
        assert e.loc[(prov, "upload_interval_qualification"), "numerator"] == num
        assert e.loc[(prov, "upload_interval_qualification"), "denominator"] == den


def _drift(v: pd.DataFrame) -> np.ndarray:
    """The default drift rule (rules.toml [drift]) on one vehicle's qualified fixes."""
    lat, lon, t = v["lat"].to_numpy(), v["lon"].to_numpy(), v["t"].to_numpy()
    n = len(v)
    drift = np.zeros(n, bool)
    last = 0
    for i in range(1, n):
        km = float(haversine_km(lat[last], lon[last], lat[i], lon[i]))
        if km / max((t[i] - t[last]) / 3600.0, 1e-9) > 160:
            drift[i] = True
        else:
            last = i
    for i in range(1, n - 1):
        nb = float(haversine_km(lat[i - 1], lon[i - 1], lat[i + 1], lon[i + 1]))
        far = float(haversine_km(lat[i - 1], lon[i - 1], lat[i], lon[i]))
        if nb < 0.2 and far > 1.0:
            drift[i] = True
    return drift


@pytest.mark.parametrize("which", ["tiny", "week"])
def test_completeness_and_drift(which: str, request: pytest.FixtureRequest) -> None:
    week: Path = request.getfixturevalue(which)
    week_decoded = request.getfixturevalue(f"{which}_decoded")
    fx = _fixes(week, week_decoded)
    fx = fx[fx["qualified"]]
    e = _expected(week)
    n_drift = 0
    for prov, g in fx.groupby("provider_id"):
        days = complete = 0
        km = km_ok = 0.0
        drifting = set()
        for vid, v in g.groupby("vehicle_id"):
            v = v.sort_values("t", kind="stable")
            d = _drift(v)
            if d.any():
                drifting.add(vid)
            v = v[~d]
            day = ((v["t"] + 8 * 3600) // 86400).to_numpy()
            for k in np.unique(day):
                w = v[day == k]
                seg = haversine_km(w["lat"].to_numpy()[:-1], w["lon"].to_numpy()[:-1],
                                   w["lat"].to_numpy()[1:], w["lon"].to_numpy()[1:])
                bad = (seg > 1.0) & (np.diff(w["t"].to_numpy()) > 60)
                days += 1
                complete += int(not bad.any())
                km += float(seg.sum())
                km_ok += float(seg[~bad].sum())
        assert e.loc[(prov, "trajectory_completeness"), "numerator"] == complete
        assert e.loc[(prov, "trajectory_completeness"), "denominator"] == days
        assert e.loc[(prov, "trajectory_completeness_km"), "denominator"] == pytest.approx(km, abs=0.01)
        assert e.loc[(prov, "trajectory_completeness_km"), "numerator"] == pytest.approx(km_ok, abs=0.01)
        assert e.loc[(prov, "drift_vehicle_rate"), "numerator"] == len(drifting)
        n_drift += len(drifting)
    if which == "tiny":
        assert n_drift > 0


def test_registry_rates_bounds(week: Path) -> None:
    e = pd.read_csv(week / "truth" / "expected_rates.csv")
    assert e["value"].dropna().between(0, 1).all()
    assert set(e["rate"]) >= {"vehicle_data_conformance", "terminal_domain_correctness",
                              "image_upload_correctness", "operator_phone_verification",
                              "upload_interval_qualification", "trajectory_completeness",
                              "data_qualification"}
