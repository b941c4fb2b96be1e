"""hazrisk.snapshot: the read API gives the CLI's figures for the same period."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import hazrisk.snapshot as snap

if TYPE_CHECKING:  # the name `conftest` is ambiguous at run time when several test folders load
    from conftest import Published


def _close(a: object, b: object) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=1e-12)
    return a == b


@pytest.fixture(scope="module")
def con(published: Published):
    c = snap.open_snapshot(published.snapshot)
    yield c
    c.close()


def test_provider_rates_equal_cli(con, published: Published) -> None:
    df = snap.provider_rates(con, published.period)
    assert len(df) == len(published.rates_json) > 0
    got = {(r["provider_id"], r["metric"]): r for r in df.to_dict("records")}
    for rec in published.rates_json:
        row = got[(rec["provider"], rec["metric"])]
        for key in ("numerator", "denominator", "rate", "ci_low", "ci_high", "score",
                    "national_score"):
            assert _close(row[key], rec[key]), (rec["provider"], rec["metric"], key)


def test_floors_failed_follow_direction(con, published: Published) -> None:
    df = snap.provider_rates(con, published.period)
    failed = snap.floors_failed(con, published.period)
    expect = [r for r in published.rates_json
              if r.get("rate") is not None and _floor(df, r) is not None
              and ((r["metric"] == "drift_vehicles" and r["rate"] > _floor(df, r))
                   or (r["metric"] != "drift_vehicles" and r["rate"] < _floor(df, r)))]
    assert sorted((r["provider"], r["metric"]) for r in expect) == sorted(
        zip(failed["provider_id"], failed["metric"], strict=True))
    assert len(failed) > 0  # the sample has providers below the 70 % completeness floor
    assert (failed["score"] == 0).all()  # a failed floor scores nothing


def _floor(df: pd.DataFrame, rec: dict) -> float | None:
    f = df[(df.provider_id == rec["provider"]) & (df.metric == rec["metric"])]["floor"].iloc[0]
    return None if pd.isna(f) else float(f)


def test_ranking_equals_cli(con, published: Published) -> None:
    df = snap.ranking(con, published.period)
    assert list(df["provider_id"]) == [r["provider_id"] for r in published.ranking_json]
    for row, rec in zip(df.to_dict("records"), published.ranking_json, strict=True):
        for key in ("score", "rank", "national_score", "national_rank"):
            assert _close(row[key], rec[key]), key
    assert df["floors_failed"].sum() == len(snap.floors_failed(con, published.period))


def test_league_table_equals_cli(con, published: Published) -> None:
    df = snap.league_table(con, published.period)
    assert list(df["enterprise_id"]) == [r["enterprise_id"] for r in published.safety_json]
    for row, rec in zip(df.to_dict("records"), published.safety_json, strict=True):
        for key, value in rec.items():
            if key in row:
                assert _close(row[key], value), (rec["enterprise_id"], key)


def test_league_table_city_keeps_province_average(con, published: Published) -> None:
    whole = snap.league_table(con, published.period)
    city = whole["city"].iloc[0]
    part = snap.league_table(con, published.period, city=city)
    assert set(part["city"]) == {city} and 0 < len(part) <= len(whole)
    assert part["province_speeding_avg"].iloc[0] == whole["province_speeding_avg"].iloc[0]


def test_rule_rates_add_up_to_violations(con, published: Published) -> None:
    rr = snap.rule_rates(con, published.period)
    league = snap.league_table(con, published.period)
    per_ent = rr.groupby("enterprise_id")["n_events"].sum()
    for rec in league.to_dict("records"):
        assert per_ent.get(rec["enterprise_id"], 0) == rec["n_violations"]
    # province rate of a rule = all its events / all km
    sp = rr[rr.rule_id == "speeding"]
    assert math.isclose(sp["province_per_100km"].iloc[0],
                        sp["n_events"].sum() / sp["km"].sum() * 100)


def test_handling_matches_league(con, published: Published) -> None:
    h = snap.handling(con, published.period).set_index("enterprise_id")
    for rec in published.safety_json:
        if rec["n_violations"]:
            row = h.loc[rec["enterprise_id"]]
            assert row["n_violations"] == rec["n_violations"]
            assert _close(round(row["handling_rate"], 4), rec["handling_rate"])
            assert row["n_escalated_police"] == rec["n_escalated_police"]


def test_history_equals_cli(con, published: Published) -> None:
    import contextlib
    import io
    import json

    from hazrisk.cli import main

    ent = published.safety_json[0]["enterprise_id"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["safety", "history", "--db", str(published.warehouse), "--enterprise", ent,
                     "--format", "json"]) == 0
    cli = json.loads(out.getvalue())
    df = snap.enterprise_history(con, ent)
    assert list(df["period"]) == [r["period"] for r in cli]
    for row, rec in zip(df.to_dict("records"), cli, strict=True):
        for key in ("km", "n_violations", "handling_rate", "speeding_score_province"):
            assert _close(row[key], rec[key]), key


def test_worst_vehicles_only_failed_floors(con, published: Published) -> None:
    worst = snap.worst_vehicles(con, published.period, n=3)
    failed = snap.floors_failed(con, published.period)
    assert set(zip(worst.provider_id, worst.metric, strict=True)) == set(
        zip(failed.provider_id, failed.metric, strict=True))
    assert worst.groupby(["provider_id", "metric"]).size().max() <= 3
    assert (worst["failing"] > 0).all()
    # the failing vehicle-days of one metric add up to denominator - numerator
    allv = snap.worst_vehicles(con, published.period, n=10_000)
    rates = snap.provider_rates(con, published.period).set_index(["provider_id", "metric"])
    for (prov, metric), grp in allv.groupby(["provider_id", "metric"]):
        r = rates.loc[(prov, metric)]
        assert math.isclose(grp["failing"].sum(), r["denominator"] - r["numerator"])


def test_trends_and_periods(con, published: Published) -> None:
    tr = snap.rate_trends(con, published.period, n=12)
    assert set(tr["period"]) == {published.period}
    assert published.period in set(snap.periods(con)["period"])


def test_devices_and_quality(con, published: Published) -> None:
    assert len(snap.device_kpis(con, published.period)) > 0
    q = snap.quarantine(con, published.period)
    assert q["frames"].sum() == snap.ingest_days(con, published.period)["frames_rejected"].sum() > 0
    by = snap.quarantine_by(con, published.period, "reason")
    assert by["frames"].sum() == q["frames"].sum()
    with pytest.raises(ValueError):
        snap.quarantine_by(con, published.period, "city")
    left = snap.files_left_alone(con)
    assert {"README.md", "manifest.json"} <= {Path(p).name for p in left["path"]}


def test_geo_rows_have_coordinates(con, published: Published) -> None:
    geo = snap.violations_geo(con, published.period)
    assert len(geo) == sum(r["n_violations"] for r in published.safety_json)
    assert geo["lat_deg"].between(27, 31.5).all() and geo["lon_deg"].between(118, 123.5).all()


def test_open_refuses_warehouse_and_missing(published: Published, tmp_path: Path) -> None:
    with pytest.raises(snap.SnapshotError, match="not a published snapshot"):
        snap.open_snapshot(published.warehouse)
    with pytest.raises(snap.SnapshotError, match="no published snapshot"):
        snap.open_snapshot(tmp_path / "none.duckdb")


def test_snapshot_file_untouched(published: Published) -> None:
    before = snap.fingerprint(published.snapshot)
    c = snap.open_snapshot(published.snapshot)
    snap.league_table(c, published.period)
    c.close()
    assert snap.fingerprint(published.snapshot) == before


def test_city_summary_matches_league_averages(con, published: Published) -> None:
    cities = snap.city_summary(con, published.period).set_index("city")
    league = snap.league_table(con, published.period)
    for rec in league.to_dict("records"):
        row = cities.loc[rec["city"]]
        assert round(row["speeding_per_vehicle"], 4) == rec["city_speeding_avg"]
    assert cities["n_violations"].sum() == league["n_violations"].sum()
    assert cities["enterprises"].sum() == len(league)


def test_missing_deliveries(con, published: Published) -> None:
    # the sample's gateways deliver 2026-10-01..03: the day before and after are missing
    miss = snap.missing_deliveries(con, "2026-09-30..2026-10-04")
    providers = set(snap.provider_rates(con, published.period)["provider_id"])
    assert set(miss["provider_id"]) == providers
    assert {str(d)[:10] for d in miss["source_date"]} == {"2026-09-30", "2026-10-04"}
    assert snap.missing_deliveries(con, "2026-10-01..2026-10-03").empty
