"""Registry files: README columns, valid identities, defects exactly as the truth records."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from hazrisk.simulate.fleet import identity
from hazrisk.simulate.truth.rates import PLATE_RE, VIN_RE

COLUMNS = {
    "enterprises.csv": "enterprise_id, name, city, license_no, safety_manager, safety_manager_phone",
    "providers.csv": "provider_id, name, platform_domain",
    "device_makers.csv": "maker_id, name",
    "insurers.csv": "insurer_id, name",
    "vehicles.csv": "vehicle_id, terminal_phone, terminal_id, plate, plate_color, vin, "
                    "enterprise_id, provider_id, vehicle_type, tonnage_t, hazmat_class, "
                    "transport_permit_no, owner_name, operator_phone, maker_id, device_model, "
                    "valid_from, valid_to, build_year",
    "drivers.csv": "driver_id, enterprise_id, vehicle_id, name, id_number, phone, role",
    "images.csv": "vehicle_id, slot, file_name, sha256, size_bytes, magic_hex, uploaded_at",
    "phone_verifications.csv": "vehicle_id, operator_phone, verified_at, result",
}
LOGS = {
    "handling_log.csv": "log_id, vehicle_id, terminal_phone, event_time, action_time, action, "
                        "rule, operator, note",
    "fault_tickets.csv": "ticket_id, vehicle_id, terminal_phone, maker_id, device_model, "
                         "fault_kind, reported_at, repaired_at",
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def test_registry_and_log_columns(week: Path) -> None:
    for name, cols in COLUMNS.items():
        assert list(_read(week / "registry" / name).columns) == cols.split(", "), name
    for name, cols in LOGS.items():
        assert list(_read(week / "logs" / name).columns) == cols.split(", "), name
    for name in ("policies.csv", "claims.csv"):
        assert (week / "insurance" / name).exists()


def test_geojson_properties(week: Path) -> None:
    for name, props in (("routes.geojson", {"fence_id", "enterprise_id", "vehicle_id", "name",
                                            "buffer_m"}),
                        ("areas.geojson", {"fence_id", "enterprise_id", "vehicle_id", "name"}),
                        ("roads.geojson", {"road_id", "name", "road_class", "speed_limit_kmh"})):
        doc = json.loads((week / "registry" / name).read_text(encoding="utf-8"))
        assert doc["features"], name
        for f in doc["features"]:
            assert set(f["properties"]) == props
            for lon, lat in (f["geometry"]["coordinates"][0] if f["geometry"]["type"] == "Polygon"
                             else f["geometry"]["coordinates"]):
                assert 27.0 < lat < 31.5 and 118.0 < lon < 123.0
    roads = json.loads((week / "registry" / "roads.geojson").read_text(encoding="utf-8"))
    classes = {f["properties"]["road_class"]: f["properties"]["speed_limit_kmh"]
               for f in roads["features"]}
    assert classes == {"expressway": 80, "other": 60}


def test_identities_are_valid_where_no_defect(week: Path) -> None:
    veh = _read(week / "registry" / "vehicles.csv")
    defects = _read(week / "truth" / "registry_defects.csv").set_index("vehicle_id")["defects"]
    clean = veh[veh["vehicle_id"].map(defects) == ""]
    assert len(clean) > 0
    assert clean["plate"].map(lambda p: bool(PLATE_RE.match(p)) and p.startswith("浙")).all()
    assert clean["vin"].map(lambda v: bool(VIN_RE.match(v)) and identity.vin_check_digit(v) == v[8]).all()
    assert (clean["plate_color"] == "2").all()
    assert veh["terminal_phone"].str.fullmatch(r"\d{12}|\d{20}").all()
    drivers = _read(week / "registry" / "drivers.csv")
    assert drivers["id_number"].map(lambda s: identity.id_check_digit(s[:17]) == s[17]).all()
    assert set(drivers["role"]) == {"driver", "escort"}
    assert drivers["name"].map(lambda s: bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", s))).all()


def test_identity_check_digits_known_values() -> None:
    assert identity.id_check_digit("11010519491231002") == "X"  # GB 11643 example
    assert identity.vin_check_digit("1M8GDM9AXKP042788") == "X"  # ISO 3779 example
    assert identity.vin_check_digit("11111111111111111") == "1"


def test_conformance_truth_matches_an_independent_check(week: Path) -> None:
    veh = _read(week / "registry" / "vehicles.csv")
    by_vehicle = _read(week / "truth" / "expected_rates_by_vehicle.csv")
    key = veh["plate"] + "|" + veh["plate_color"]
    ok = (veh["plate"].map(lambda s: bool(PLATE_RE.match(s)))
          & veh["plate_color"].isin(["1", "2", "3", "4", "5", "9", "91", "92", "93", "94"])
          & veh["vin"].map(lambda s: bool(VIN_RE.match(s)))
          & (veh[["transport_permit_no", "owner_name", "vehicle_type", "tonnage_t",
                  "hazmat_class", "terminal_id", "maker_id", "device_model"]] != "").all(axis=1)
          & ~key.duplicated(keep=False))
    truth = by_vehicle.drop_duplicates("vehicle_id").set_index("vehicle_id")["conformant"] == "True"
    assert (ok.values == truth.loc[veh["vehicle_id"]].values).all()


def test_domain_answers_follow_the_defect_kind(week: Path, week_decoded: object) -> None:
    dec = week_decoded
    veh = _read(week / "registry" / "vehicles.csv").set_index("terminal_phone")
    kinds = _read(week / "truth" / "registry_defects.csv").set_index("vehicle_id")["domain_kind"]
    domains = _read(week / "registry" / "providers.csv").set_index("provider_id")["platform_domain"]
    recs = dec.records  # type: ignore[attr-defined]
    answers = recs[(recs["msg_id"] == 0x0104) & (recs["status"] == "ok")]
    assert len(answers) > 0
    for r in answers.itertuples():
        v = veh.loc[r.phone]
        body = dec.bodies[(r.file, r.offset)]  # type: ignore[attr-defined]
        main = body["params"]["0x0013"].rsplit(":", 1)[0] if ":" in body["params"]["0x0013"] \
            else body["params"]["0x0013"]
        kind = kinds[v["vehicle_id"]]
        assert kind != "no_answer"
        if kind in ("correct", "backup_ip"):
            assert main == domains[v["provider_id"]]
        else:
            assert main != domains[v["provider_id"]]
