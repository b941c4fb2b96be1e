"""Feature definitions on a hand-built warehouse (hand-computed values)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from hazrisk.risk.features import enterprise_features, policy_features
from hazrisk.safety.tables import ensure_schema
from hazrisk.store.connect import connect


@pytest.fixture()
def con():
    c = connect(":memory:")
    ensure_schema(c)
    c.execute("""
        INSERT INTO core.vehicles (vehicle_id, enterprise_id, vehicle_type, tonnage_t,
                                   hazmat_class, build_year, import_id, source_row)
        VALUES ('V1', 'E1', '重型罐式货车', 30, '3', 2019, 0, 2),
               ('V2', 'E1', '重型厢式货车', 8, '8', NULL, 0, 3);
        INSERT INTO core.policies (policy_id, vehicle_id, enterprise_id, insurer_id, year,
            start_date, end_date, exposure_years, premium_cny, hazmat_class, import_id, source_row)
        VALUES ('P24-1', 'V1', 'E1', 'I1', 2024, '2024-01-01', '2024-12-31', 1.0, 10000, '3', 0, 2),
               ('P25-1', 'V1', 'E1', 'I1', 2025, '2025-01-01', '2025-12-31', 1.0, 11000, '3', 0, 3),
               ('P25-2', 'V2', 'E1', 'I1', 2025, '2025-07-02', '2025-12-31', 0.5, 6000, '8', 0, 4);
        INSERT INTO core.claims (claim_id, policy_id, vehicle_id, enterprise_id, loss_date,
            amount_cny, cause, report_date, import_id, source_row)
        VALUES ('C1', 'P24-1', 'V1', 'E1', '2024-05-01', 250000, 'spill', '2024-05-20', 0, 2),
               ('C2', 'P25-1', 'V1', 'E1', '2025-11-01', 20000, 'collision', '2026-02-01', 0, 3);
    """)
    # V1 in 2024: two months, 12,000 km, 10 % offline -> 10,800 online km
    for month, km, n_speed in (("2024-03-01", 5000.0, 30), ("2024-04-01", 7000.0, 24)):
        c.execute("""
            INSERT INTO safety.vehicle_months (vehicle_id, month, enterprise_id, provider_id,
                source, days_registered, days_online, km, driving_h, night_km, offline_min,
                offline_share, positions, positions_qualified, n_speeding, n_fatigue,
                n_night_ban, n_off_route, n_adas, n_dsm, n_violations, n_reminded, n_escalated,
                median_time_to_reminder_s, computed_at)
            VALUES ('V1', $m, 'E1', 'P1', 'archive', 30, 30, $km, 100, $km / 5, 4320, 0.1,
                    1000, 950, $n, 2, 0, 1, 3, 1, $n + 7, $n, 1, 120, now())""",
                  {"m": date.fromisoformat(month), "km": km, "n": n_speed})
    return c


def test_prospective_features_per_online_km(con) -> None:
    f = policy_features(con, [2025], as_at=date(2025, 12, 31)).set_index("policy_id")
    v1 = f.loc["P25-1"]
    assert v1["feature_year"] == 2024 and v1["km"] == 12000
    online = 12000 * 0.9
    assert v1["speeding_per_100km"] == pytest.approx(54 / online * 100)
    assert v1["fatigue_per_1000km"] == pytest.approx(4 / online * 1000)
    assert v1["adas_dsm_per_1000km"] == pytest.approx(8 / online * 1000)
    assert v1["night_km_share"] == pytest.approx(0.2)
    assert v1["km_per_year"] == pytest.approx(12000 / 60 * 365.25)
    assert v1["reminded_share"] == pytest.approx(54 / 68)
    assert v1["data_quality_rate"] == pytest.approx(0.95)
    assert v1["telematics_missing"] == 0 and v1["tanker"] == 1 and v1["hazmat_major_class"] == 3
    assert v1["vehicle_age"] == 6 and v1["vehicle_age_missing"] == 0  # 2025 - build year 2019
    # claims reported after the as-at date do not count; the earlier year's claim is history
    assert v1["n_claims"] == 0 and v1["veh_prev_claims"] == 1
    # V2 has no history: missing, never zero
    v2 = f.loc["P25-2"]
    assert v2["telematics_missing"] == 1
    assert np.isnan(v2["speeding_per_100km"]) and np.isnan(v2["km"])
    assert np.isnan(v2["vehicle_age"]) and v2["vehicle_age_missing"] == 1  # no build year


def test_concurrent_and_capping(con) -> None:
    f = policy_features(con, [2024], lag=0, large_loss_cap=150_000).set_index("policy_id")
    p = f.loc["P24-1"]
    assert p["feature_year"] == 2024 and p["telematics_missing"] == 0
    assert p["n_claims"] == 1 and p["amount_capped_cny"] == 150_000
    assert p["amount_excess_cny"] == 100_000
    later = policy_features(con, [2025], as_at=date(2026, 3, 1)).set_index("policy_id")
    assert later.loc["P25-1", "n_claims"] == 1


def test_enterprise_year_features(con) -> None:
    f = policy_features(con, [2025], as_at=date(2025, 12, 31))
    e = enterprise_features(f).iloc[0]
    assert e["vehicles"] == 2 and e["exposure_years"] == pytest.approx(1.5)
    assert e["telematics_share"] == pytest.approx(1.0 / 1.5)
    assert e["speeding_per_100km"] == pytest.approx(54 / 10800 * 100)  # only V1 has km
