"""The registry as a provider exports it — with defects at provider-specific rates — and fences.

Defects (recorded per vehicle in ``truth/registry_defects.csv``):

* vehicle records (车辆数据规范率): ``bad_plate`` (no 浙, too short, space, lower case),
  ``bad_colour`` (0 or 6), ``bad_vin`` (16/18 characters or I/O/Q), ``missing:<column>``
  (one required column blank; never ``terminal_phone``, the join key), ``duplicate_plate``
  (a second record with the same plate and colour: every record of the group fails), and
  ``vin_check_digit`` (wrong check digit only: a warning, the record stays conformant);
* terminal server setting (终端域名设置正确率), answered in 0x0104: ``correct``,
  ``wrong_domain``, ``bare_ip``, ``backup_ip`` (0x0013 right, 0x0017 a bare IP) or
  ``no_answer``; 2019 terminals answer ``host:port`` as JT/T 808-2019 prescribes;
* images (图片上传正确率): per slot ``missing`` (no row), ``corrupt`` (magic not JPEG/PNG),
  ``duplicate`` (same sha256 as another slot or another vehicle's image);
* operator phone (手机号码验证率): ``invalid`` number, ``stale`` (last pass > 400 days before
  the start), ``failed``, ``never`` verified.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from hazrisk.simulate.fleet import geo
from hazrisk.simulate.fleet.actors import Fleet
from hazrisk.simulate.rng import rng_for

REQUIRED = ("transport_permit_no", "owner_name", "vehicle_type", "tonnage_t", "hazmat_class",
            "terminal_id", "maker_id", "device_model")
VEHICLE_COLUMNS = ("vehicle_id", "terminal_phone", "terminal_id", "plate", "plate_color", "vin",
                   "enterprise_id", "provider_id", "vehicle_type", "tonnage_t", "hazmat_class",
                   "transport_permit_no", "owner_name", "operator_phone", "maker_id",
                   "device_model", "valid_from", "valid_to", "build_year")
SLOTS = ("registration_cert", "driving_licence", "body_photo")
JPEG = "ffd8ffe000104a46"
PNG = "89504e470d0a1a0a"
BAD_MAGIC = ("0000000000000000", "3c68746d6c3e0a3c", "504b030414000000")
_TO_M = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)


def _bad_plate(rng: np.random.Generator, plate: str) -> str:
    forms = [plate[1:], plate[:-1], f"{plate[:2]} {plate[2:]}", plate[:2] + plate[2:].lower()
             if any(c.isalpha() for c in plate[2:]) else plate[1:], f"{plate[:2]}-{plate[2:]}"]
    return forms[int(rng.integers(0, len(forms)))]


def _bad_vin(rng: np.random.Generator, vin: str) -> str:
    k = int(rng.integers(0, 3))
    if k == 0:
        return vin[:16]
    if k == 1:
        return vin + str(int(rng.integers(0, 10)))
    p = int(rng.integers(11, 17))
    return vin[:p] + "IOQ"[int(rng.integers(0, 3))] + vin[p + 1:]


def apply_defects(fleet: Fleet) -> dict[str, pd.DataFrame]:
    """Registry tables with defects, plus per-vehicle truth of what was injected."""
    rng = rng_for(fleet.seed, "registry")
    veh = fleet.vehicles
    reg = veh[veh["registered"]].copy()
    truth_rows: list[dict[str, Any]] = []
    domain_kind: dict[str, str] = {}
    never: dict[str, bool] = {}
    for i in reg.index:
        row = reg.loc[i]
        prov = fleet.provider(str(row["provider_id"]))
        defects: list[str] = []
        if rng.random() < prov.p_bad_plate:
            reg.at[i, "plate"] = _bad_plate(rng, str(row["plate"]))
            defects.append("bad_plate")
        if rng.random() < prov.p_bad_colour:
            reg.at[i, "plate_color"] = int(rng.choice([0, 6]))
            defects.append("bad_colour")
        if rng.random() < prov.p_bad_vin:
            reg.at[i, "vin"] = _bad_vin(rng, str(row["vin"]))
            defects.append("bad_vin")
        elif rng.random() < prov.p_vin_check_warning:
            v = str(row["vin"])
            reg.at[i, "vin"] = v[:8] + str((int(v[8]) + 1) % 10 if v[8].isdigit() else 1) + v[9:]
            defects.append("vin_check_digit")
        if rng.random() < prov.p_missing_field:
            col = REQUIRED[int(rng.integers(0, len(REQUIRED)))]
            reg[col] = reg[col].astype(object)
            reg.at[i, col] = None
            defects.append(f"missing:{col}")
        kinds = ("correct", "wrong_domain", "bare_ip", "no_answer")
        kind = str(rng.choice(kinds, p=np.array(prov.domain_mix) / sum(prov.domain_mix)))
        if kind == "wrong_domain" and rng.random() < 0.3:
            kind = "backup_ip"
        domain_kind[str(row["vehicle_id"])] = kind
        never[str(row["vehicle_id"])] = bool(rng.random() < prov.p_never_online)
        truth_rows.append({"vehicle_id": row["vehicle_id"], "defects": ";".join(defects)})
    # duplicates: copy plate + colour from another vehicle
    ids = list(reg.index)
    for i in ids:
        prov = fleet.provider(str(reg.at[i, "provider_id"]))
        if len(ids) > 1 and rng.random() < prov.p_duplicate_plate:
            j = ids[int(rng.integers(0, len(ids)))]
            if j != i:
                reg.loc[i, ["plate", "plate_color"]] = reg.loc[j, ["plate", "plate_color"]].to_numpy()
                k = ids.index(i)
                truth_rows[k]["defects"] = ";".join(
                    [d for d in [truth_rows[k]["defects"], "duplicate_plate"] if d])
    truth = pd.DataFrame(truth_rows)
    truth["domain_kind"] = truth["vehicle_id"].map(domain_kind)
    truth["never_online"] = truth["vehicle_id"].map(never)
    reg["valid_to"] = None
    images, img_truth = _images(fleet, reg, rng)
    phones, phone_truth = _phones(fleet, reg, rng)
    truth = truth.merge(img_truth, on="vehicle_id").merge(phone_truth, on="vehicle_id")
    return {"vehicles": reg.loc[:, list(VEHICLE_COLUMNS)].reset_index(drop=True),
            "images": images, "phone_verifications": phones, "truth": truth}


def _images(fleet: Fleet, reg: pd.DataFrame, rng: np.random.Generator
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    for _, v in reg.iterrows():
        prov = fleet.provider(str(v["provider_id"]))
        notes: list[str] = []
        up = dt.datetime.combine(v["valid_from"], dt.time(9)) + dt.timedelta(
            days=int(rng.integers(1, 20)), seconds=int(rng.integers(0, 30000)))
        for slot in SLOTS:
            u = rng.random()
            if u < prov.p_img_missing:
                notes.append(f"{slot}:missing")
                continue
            png = rng.random() < 0.2
            digest = hashlib.sha256(f"{fleet.seed}:{v['vehicle_id']}:{slot}".encode()).hexdigest()
            row = {"vehicle_id": v["vehicle_id"], "slot": slot,
                   "file_name": f"{v['vehicle_id']}_{slot}.{'png' if png else 'jpg'}",
                   "sha256": digest, "size_bytes": int(rng.integers(60_000, 900_000)),
                   "magic_hex": PNG if png else JPEG,
                   "uploaded_at": (up + dt.timedelta(seconds=int(rng.integers(0, 600)))).isoformat()}
            if u < prov.p_img_missing + prov.p_img_corrupt:
                row["magic_hex"] = BAD_MAGIC[int(rng.integers(0, len(BAD_MAGIC)))]
                row["size_bytes"] = int(rng.integers(0, 4000))
                notes.append(f"{slot}:corrupt")
            elif u < prov.p_img_missing + prov.p_img_corrupt + prov.p_img_duplicate and rows:
                src = rows[int(rng.integers(0, len(rows)))]
                row.update({k: src[k] for k in ("sha256", "size_bytes", "magic_hex")})
                notes.append(f"{slot}:duplicate")
            rows.append(row)
        truth.append({"vehicle_id": v["vehicle_id"], "image_defects": ";".join(notes)})
    return pd.DataFrame(rows), pd.DataFrame(truth)


def _phones(fleet: Fleet, reg: pd.DataFrame, rng: np.random.Generator
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    start = dt.datetime.combine(fleet.start, dt.time(0))
    for i in reg.index:
        v = reg.loc[i]
        prov = fleet.provider(str(v["provider_id"]))
        mix = np.array(prov.phone_mix)
        kind = str(rng.choice(["invalid", "stale", "failed", "never", "ok"],
                              p=np.append(mix, 1 - mix.sum())))
        phone = str(v["operator_phone"])
        if kind == "invalid":
            phone = ["0574-" + phone[-8:], phone[:10], "12" + phone[2:], phone + "0"][
                int(rng.integers(0, 4))]
            reg.at[i, "operator_phone"] = phone

        def at(lo: int, hi: int) -> str:
            return (start - dt.timedelta(days=int(rng.integers(lo, hi)),
                                         seconds=int(rng.integers(0, 86400)))).isoformat()

        if kind == "ok":
            if rng.random() < 0.3:  # an older verification too
                rows.append({"vehicle_id": v["vehicle_id"], "operator_phone": phone,
                             "verified_at": at(420, 900), "result": "pass"})
            rows.append({"vehicle_id": v["vehicle_id"], "operator_phone": phone,
                         "verified_at": at(5, 300), "result": "pass"})
        elif kind == "stale":
            rows.append({"vehicle_id": v["vehicle_id"], "operator_phone": phone,
                         "verified_at": at(400, 1100), "result": "pass"})
        elif kind == "failed" or (kind == "invalid" and rng.random() < 0.5):
            rows.append({"vehicle_id": v["vehicle_id"], "operator_phone": phone,
                         "verified_at": at(5, 300), "result": "fail"})
        truth.append({"vehicle_id": v["vehicle_id"], "phone_kind": kind})
    df = pd.DataFrame(rows, columns=["vehicle_id", "operator_phone", "verified_at", "result"])
    return df.sort_values(["vehicle_id", "verified_at"], kind="stable").reset_index(drop=True), \
        pd.DataFrame(truth)


# --------------------------------------------------------------------------------------------
# Fences: approved routes (buffered LineStrings) and operating areas (polygons)
# --------------------------------------------------------------------------------------------


def fences(fleet: Fleet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """GeoJSON features for routes.geojson and areas.geojson (README 'Registry files')."""
    rng = rng_for(fleet.seed, "fences")
    net = fleet.network
    routes: list[dict[str, Any]] = []
    areas: list[dict[str, Any]] = []
    for _, ent in fleet.enterprises.iterrows():
        eid = str(ent["enterprise_id"])
        home = str(ent["home_node"])
        legs: list[tuple[str, str]] = []
        for load, unload in fleet.lanes[eid]:
            for a, b in ((home, load), (load, unload), (unload, home)):
                if a != b and (a, b) not in legs and (b, a) not in legs:
                    legs.append((a, b))
        for k, (a, b) in enumerate(legs):
            r = net.route(a, b)
            routes.append({"type": "Feature", "properties": {
                "fence_id": f"R{eid[1:]}-{k + 1:02d}", "enterprise_id": eid, "vehicle_id": None,
                "name": f"{net.nodes[a][0]}—{net.nodes[b][0]}",
                "buffer_m": 1000 if rng.random() < 0.3 else 500},
                "geometry": {"type": "LineString", "coordinates": [
                    [round(float(lo), 6), round(float(la), 6)] for la, lo in zip(r.lat, r.lon, strict=True)]}})
        _, lat, lon, _ = net.nodes[home]
        radius = float(rng.uniform(15.0, 30.0))
        ang = np.linspace(0, 2 * np.pi, 33)[:-1]
        ring = [[round(lon + radius * np.sin(a) / (111.2 * np.cos(np.radians(lat))), 6),
                 round(lat + radius * np.cos(a) / 111.2, 6)] for a in ang]
        ring.append(ring[0])
        areas.append({"type": "Feature", "properties": {
            "fence_id": f"A{eid[1:]}-01", "enterprise_id": eid, "vehicle_id": None,
            "name": f"{geo.city_of(home) and geo.CITY_NAME[geo.city_of(home)]}经营区域"},
            "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return routes, areas


def allowed_checker(routes: list[dict[str, Any]], areas: list[dict[str, Any]]
                    ) -> dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]:
    """enterprise_id -> f(lat, lon) -> inside any approved route buffer or area (EPSG:4549)."""
    parts: dict[str, list[Any]] = {}
    for f in routes:
        xy = np.array(f["geometry"]["coordinates"])
        x, y = _TO_M.transform(xy[:, 0], xy[:, 1])
        parts.setdefault(f["properties"]["enterprise_id"], []).append(
            shapely.buffer(shapely.linestrings(np.column_stack([x, y])), f["properties"]["buffer_m"]))
    for f in areas:
        xy = np.array(f["geometry"]["coordinates"][0])
        x, y = _TO_M.transform(xy[:, 0], xy[:, 1])
        parts.setdefault(f["properties"]["enterprise_id"], []).append(
            shapely.polygons(np.column_stack([x, y])))
    out: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {}
    for eid, geoms in parts.items():
        union = shapely.union_all(geoms)
        shapely.prepare(union)

        def check(lat: np.ndarray, lon: np.ndarray, g: Any = union) -> np.ndarray:
            x, y = _TO_M.transform(lon, lat)
            return np.asarray(shapely.contains_xy(g, x, y), dtype=bool)

        out[eid] = check
    return out
