"""Sane distributions: speeds, report intervals, km per trip day, events, claims."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def test_speeds(week: Path) -> None:
    traj = pd.read_parquet(week / "truth" / "trajectories.parquet")
    moving = traj[traj["speed"] > 5]
    p = np.percentile(moving["speed"], [10, 50, 90, 99.9])
    assert 25 < p[0] < 60 and 55 < p[1] < 80 and 65 < p[2] < 82 and p[3] < 150
    exp = traj[(traj["road_class"] == "expressway") & (traj["speed"] > 5)]
    oth = traj[(traj["road_class"] == "other") & (traj["speed"] > 5)]
    assert exp["speed"].median() > oth["speed"].median() + 10
    assert ((exp["speed"] > 80).mean() < 0.05) and ((oth["speed"] > 60).mean() < 0.05)
    assert (traj["speed"] == traj["speed"].round(1)).all()
    assert (traj["lat"].between(27.0, 31.5) & traj["lon"].between(118.0, 123.0)).all()


def test_report_intervals_follow_settings(week: Path) -> None:
    traj = pd.read_parquet(week / "truth" / "trajectories.parquet")
    veh = pd.read_csv(week / "truth" / "vehicles.csv")
    for vid, g in traj.groupby("vehicle_id", observed=True):
        v = veh[veh["vehicle_id"] == vid].iloc[0]
        gap = g["time"].diff().dt.total_seconds().iloc[1:].to_numpy()
        acc = g["acc_on"].to_numpy()[:-1]
        assert (gap > 0).all()
        moving_gaps = gap[acc]
        parked_gaps = gap[~acc]
        assert np.median(moving_gaps) == v["moving_interval_s"]
        assert parked_gaps.max() <= v["parked_interval_s"]


def test_km_per_trip_day(week: Path) -> None:
    traj = pd.read_parquet(week / "truth" / "trajectories.parquet")
    traj["day"] = traj["time"].dt.date
    km = traj.groupby(["vehicle_id", "day"], observed=True)["odometer_km"].agg(
        lambda s: s.max() - s.min())
    trip_days = km[km > 20]
    assert len(trip_days) > 20
    assert 200 <= trip_days.median() <= 600
    assert trip_days.quantile(0.9) < 900


def test_violations_and_handling(week: Path) -> None:
    v = pd.read_csv(week / "truth" / "violations.csv")
    assert {"speeding", "fatigue", "off_route"} <= set(v["rule"])
    sp = v[v["rule"] == "speeding"]
    assert (pd.to_datetime(sp["end"]) - pd.to_datetime(sp["start"])).dt.total_seconds().min() >= 30
    assert (sp["max_speed_kmh"] > sp["limit_kmh"]).all()
    log = pd.read_csv(week / "logs" / "handling_log.csv", dtype={"terminal_phone": str})
    assert set(log["action"]) <= {"reminded", "reported_safety_dept", "reported_police", "dismissed"}
    assert (pd.to_datetime(log["action_time"]) >= pd.to_datetime(log["event_time"])).all()
    # some violations stay unhandled, most seen ones are reminded
    seen = v[v["seen_realtime"]]
    handled = seen["actions"].fillna("") != ""
    assert 0.3 < handled.mean() < 1.0


def test_reminders_are_0x8300_frames(week: Path, week_decoded: object) -> None:
    recs = week_decoded.records  # type: ignore[attr-defined]
    texts = recs[(recs["msg_id"] == 0x8300) & (recs["status"] == "ok")]
    log = pd.read_csv(week / "logs" / "handling_log.csv")
    assert len(texts) == int(((log["action"] == "reminded") & (log["note"] == "TTS语音提醒")).sum())
    hexlog = texts[texts["file"].str.endswith(".log.gz")]
    assert (hexlog["direction"] == "SEND").all()


def test_claims_frequency_plausible(week: Path) -> None:
    pol = pd.read_csv(week / "insurance" / "policies.csv")
    claims = pd.read_csv(week / "insurance" / "claims.csv")
    freq = len(claims) / pol["exposure_years"].sum()
    assert 0.02 < freq < 0.6
    assert pol["year"].nunique() == 5
    assert set(pol["vehicle_id"]) <= set(pd.read_csv(week / "registry" / "vehicles.csv")["vehicle_id"])
