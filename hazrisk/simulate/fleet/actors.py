"""Actors: providers, device makers, insurers, enterprises, vehicles, drivers and escorts.

``make_fleet`` draws the true fleet (the ``vehicles`` frame holds true values and the latent
behaviour rates); :mod:`hazrisk.simulate.fleet.registry_files` derives the registry as exported, with its
defects. Enterprise safety culture is a latent standard normal (higher = safer); vehicle
behaviour rates are log-linear in ``-culture`` plus a driver effect.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.simulate.fleet import geo, identity
from hazrisk.simulate.fleet.profiles import (
    HAZMAT_WEIGHT,
    INSURERS,
    MAKER_SHARE,
    MAKERS,
    PROVIDERS,
    VEHICLE_TYPES,
    MakerProfile,
    ProviderProfile,
)
from hazrisk.simulate.rng import rng_for, seed_from

CITY_WEIGHT = {"NB": 0.22, "HZ": 0.14, "SX": 0.10, "JX": 0.10, "TZ": 0.09, "QZ": 0.07,
               "WZ": 0.08, "JH": 0.07, "HU": 0.05, "LS": 0.03, "ZS": 0.05}
CITY_ABBR = {"HZ": "杭", "NB": "甬", "WZ": "温", "SX": "绍", "HU": "湖", "JX": "嘉", "JH": "金",
             "QZ": "衢", "TZ": "台", "LS": "丽", "ZS": "舟"}
_NAME_WORDS = ("恒通", "顺达", "安达", "宏远", "鑫海", "华运", "诚信", "金桥", "东方", "通途", "远洋",
               "甬盛", "浙化", "昌隆", "万顺", "联运", "安捷", "永安", "嘉泰", "瑞丰", "海天", "中科",
               "明珠", "新港", "长运", "天成", "宝通", "正和", "弘毅", "立达")
_NAME_SUFFIX = ("危险品运输有限公司", "化工物流有限公司", "危险货物运输有限公司", "物流有限公司",
                "运输有限公司")


@dataclass
class Fleet:
    """The simulated fleet with its truth (registry defects are added by ``registry``)."""

    providers: list[ProviderProfile]
    makers: list[MakerProfile]
    insurers: pd.DataFrame
    enterprises: pd.DataFrame
    vehicles: pd.DataFrame          # true values, behaviour rates, terminal settings
    drivers: pd.DataFrame
    lanes: dict[str, list[tuple[str, str]]]   # enterprise -> [(load node, unload node)]
    network: geo.Network
    start: dt.date
    seed: int
    extra: dict[str, Any] = field(default_factory=dict)

    def provider(self, provider_id: str) -> ProviderProfile:
        return next(p for p in self.providers if p.provider_id == provider_id)

    def maker(self, maker_id: str) -> MakerProfile:
        return next(m for m in self.makers if m.maker_id == maker_id)


_FRAME_FAULTS = ("p_invalid_bcd", "p_lat_out_of_range", "p_future_time", "p_speed_out_of_range",
                 "p_bad_checksum", "p_truncated", "p_garbage", "p_dropped")


def _scaled(p: ProviderProfile, k: float) -> ProviderProfile:
    if k == 1.0:
        return p
    changes: dict[str, Any] = {f: min(0.2, getattr(p, f) * k) for f in _FRAME_FAULTS}
    changes["p_drift"] = min(1.0, p.p_drift * k)
    return dataclasses.replace(p, **changes)


def _sizes(rng: np.random.Generator, n_vehicles: int, n_providers: int) -> np.ndarray:
    n_ent = max(min(n_providers, max(1, n_vehicles // 2)), int(round(n_vehicles / 15)))
    n_ent = min(n_ent, n_vehicles)
    w = rng.lognormal(0.0, 1.2, n_ent)
    sizes = 1 + rng.multinomial(n_vehicles - n_ent, w / w.sum())
    return np.asarray(sorted(sizes, reverse=True))


def _enterprise_lanes(rng: np.random.Generator, home: str, net: geo.Network
                      ) -> list[tuple[str, str]]:
    nodes = net.nodes
    parks = [p[0] for p in geo.PARKS]
    customers = [c for c, v in nodes.items() if v[3] in ("city", "town", "park")]
    lanes: list[tuple[str, str]] = []
    n_lanes = int(rng.integers(2, 6))
    tries = 0
    while len(lanes) < n_lanes and tries < 200:
        tries += 1
        load = home if (rng.random() < 0.6 or nodes[home][3] == "park") else \
            parks[int(rng.integers(0, len(parks)))]
        if nodes[home][3] != "park" and rng.random() < 0.5:
            load = parks[int(rng.integers(0, len(parks)))]
        unload = customers[int(rng.integers(0, len(customers)))]
        if unload in (load, home):
            continue
        d = net.route(load, unload).length_km + (net.route(home, load).length_km
                                                 if load != home else 0.0)
        if not 40.0 <= d <= 280.0:
            continue
        if (load, unload) not in lanes:
            lanes.append((load, unload))
    if not lanes:  # always at least one lane
        lanes.append((home, "HZ" if home != "HZ" else "NB"))
    return lanes


def _phone(rng: np.random.Generator, version: int, used: set[str]) -> str:
    while True:
        core = "14" + f"{int(rng.integers(0, 10**9)):09d}"
        phone = ("0" + core) if version == 2013 else ("0" * 9 + core)
        if phone not in used:
            used.add(phone)
            return phone


def make_fleet(n_vehicles: int = 40, *, n_providers: int = 6, start: dt.date | str = "2026-10-01",
               random_state: int | np.random.Generator | None = 0,
               fault_scale: float = 1.0) -> Fleet:
    """Draw enterprises, vehicles, terminals, drivers and escorts.

    Parameters
    ----------
    n_vehicles : registered vehicles (ghost terminals are added by the terminal layer).
    n_providers : platform operators, 5-8 (profiles in :mod:`hazrisk.simulate.fleet.profiles`).
    start : first simulated day (registrations predate it).
    random_state : seed; the same seed gives the same fleet.
    fault_scale : multiplies the providers' frame-level fault rates (glitches, corruption,
        garbage); tests use it to see every kind of fault in a tiny simulation.
    """
    if not 1 <= n_providers <= len(PROVIDERS):
        raise ValueError(f"n_providers must be 1..{len(PROVIDERS)}, got {n_providers}")
    if n_vehicles < 1:
        raise ValueError("n_vehicles must be >= 1")
    seed = seed_from(random_state)
    start_d = dt.date.fromisoformat(start) if isinstance(start, str) else start
    rng = rng_for(seed, "fleet")
    net = geo.build_network()
    providers = [_scaled(p, fault_scale) for p in PROVIDERS[:n_providers]]
    share = np.array([1.4, 1.2, 1.0, 0.8, 1.0, 0.9, 0.7, 0.6][:n_providers])
    sizes = _sizes(rng, n_vehicles, n_providers)
    cities = list(CITY_WEIGHT)
    cw = np.array([CITY_WEIGHT[c] for c in cities])
    perm = rng.permutation(n_providers)
    ent_rows: list[dict[str, Any]] = []
    lanes: dict[str, list[tuple[str, str]]] = {}
    used_names: set[str] = set()
    for i, size in enumerate(sizes):
        eid = f"E{i + 1:04d}"
        city = cities[int(rng.choice(len(cities), p=cw / cw.sum()))]
        parks = [p[0] for p in geo.PARKS if p[2] == city]
        home = parks[int(rng.integers(0, len(parks)))] if parks and rng.random() < 0.6 else city
        prov = providers[int(perm[i])] if i < n_providers else \
            providers[int(rng.choice(n_providers, p=share / share.sum()))]
        name = ""
        while not name or name in used_names:
            name = (geo.CITY_NAME[city] + _NAME_WORDS[int(rng.integers(0, len(_NAME_WORDS)))]
                    + _NAME_SUFFIX[int(rng.integers(0, len(_NAME_SUFFIX)))])
            if name in used_names and rng.random() < 0.5:
                name = name.replace("有限公司", f"{int(rng.integers(2, 9))}分有限公司")
        used_names.add(name)
        gb = geo.CITY_GB[city]
        ent_rows.append({
            "enterprise_id": eid, "name": name, "city": geo.CITY_NAME[city], "city_code": city,
            "license_no": f"浙交运管许可{CITY_ABBR[city]}字{gb}00{int(rng.integers(0, 10**6)):06d}号",
            "safety_manager": identity.person_name(rng),
            "safety_manager_phone": identity.mobile(rng),
            "safety_culture": float(rng.standard_normal()),
            "home_node": home, "provider_id": prov.provider_id,
            "insurer_id": INSURERS[int(rng.integers(0, len(INSURERS)))][0],
            "n_vehicles": int(size),
        })
        lanes[eid] = _enterprise_lanes(rng, home, net)
    enterprises = pd.DataFrame(ent_rows)

    veh_rows: list[dict[str, Any]] = []
    drv_rows: list[dict[str, Any]] = []
    used_phones: set[str] = set()
    used_plates: set[str] = set()
    type_w = np.array([t[3] for t in VEHICLE_TYPES])
    maker_w = np.array(MAKER_SHARE)
    k = 0
    for ent in ent_rows:
        prov = next(p for p in providers if p.provider_id == ent["provider_id"])
        culture = ent["safety_culture"]
        for _ in range(ent["n_vehicles"]):
            k += 1
            vid = f"V{k:05d}"
            vt = VEHICLE_TYPES[int(rng.choice(len(VEHICLE_TYPES), p=type_w / type_w.sum()))]
            classes = np.array(vt[2])
            cw_h = np.array([HAZMAT_WEIGHT[c] for c in classes])
            hz = int(classes[int(rng.choice(len(classes), p=cw_h / cw_h.sum()))])
            version = 2019 if rng.random() < prov.share_2019 else 2013
            maker = MAKERS[int(rng.choice(len(MAKERS), p=maker_w / maker_w.sum()))]
            plate = ""
            while not plate or plate in used_plates:
                plate = identity.plate(rng, geo.PLATE_LETTER[ent["city_code"]])
            used_plates.add(plate)
            misconf = rng.random() < prov.p_misconfigured
            mov = int(prov.moving_intervals[int(rng.integers(0, len(prov.moving_intervals)))])
            driver_eff = float(rng.standard_normal())
            r = -0.6 * culture + 0.5 * driver_eff
            annual_km = float(np.clip(rng.lognormal(np.log(85_000), 0.3), 30_000, 160_000))
            reg_year = int(rng.integers(start_d.year - 8, start_d.year))
            veh_rows.append({
                "vehicle_id": vid, "enterprise_id": ent["enterprise_id"],
                "provider_id": prov.provider_id, "registered": True,
                "terminal_phone": _phone(rng, version, used_phones),
                "terminal_id": "".join(identity.VIN_CHARS[int(j)] for j in
                                       rng.integers(0, 33, 7 if version == 2013 else 12)),
                "protocol_version": version,
                "plate": plate, "plate_color": 2, "vin": identity.vin(rng, model_year=reg_year),
                "vehicle_type": vt[0],
                "tonnage_t": round(float(rng.uniform(*vt[1])), 1), "hazmat_class": hz,
                "build_year": reg_year,
                "transport_permit_no": f"{geo.CITY_GB[ent['city_code']]}0{int(rng.integers(0, 10**7)):07d}",
                "owner_name": ent["name"],
                "operator_phone": identity.mobile(rng) if rng.random() < 0.7
                else ent["safety_manager_phone"],
                "maker_id": maker.maker_id,
                "device_model": maker.models[int(rng.integers(0, len(maker.models)))],
                "valid_from": dt.date(reg_year, int(rng.integers(1, 13)), int(rng.integers(1, 29))),
                "moving_interval_s": 60 if misconf and rng.random() < 0.5 else mov,
                "parked_interval_s": 600 if misconf else prov.parked_interval,
                "heartbeat_s": prov.heartbeat_s,
                "home_node": ent["home_node"], "city_code": ent["city_code"],
                "driver_effect": driver_eff,
                "speeding_rate": float(np.exp(np.log(0.2) + 0.7 * r + 0.2 * rng.standard_normal())),
                "fatigue_rate": float(np.exp(np.log(0.5) + 0.8 * r + 0.2 * rng.standard_normal())),
                "night_share": float(1 / (1 + np.exp(2.0 - 0.6 * r - 0.3 * rng.standard_normal()))),
                "dsm_rate": float(np.exp(np.log(1.8) + 0.6 * r + 0.3 * rng.standard_normal())),
                "offline_share": float(1 / (1 + np.exp(3.5 - 0.5 * r - 0.3 * rng.standard_normal()))),
                "offroute_rate": float(1 / (1 + np.exp(3.4 - 0.6 * r))),
                "annual_km": annual_km,
            })
            n_drivers = 2 if rng.random() < 0.3 else 1
            for role, n in (("driver", n_drivers), ("escort", 1)):
                for _ in range(n):
                    male = role == "driver" or rng.random() < 0.5
                    drv_rows.append({
                        "driver_id": f"D{len(drv_rows) + 1:06d}",
                        "enterprise_id": ent["enterprise_id"], "vehicle_id": vid,
                        "name": identity.person_name(rng),
                        "id_number": identity.id_number(
                            rng, birth_year=int(rng.integers(start_d.year - 58, start_d.year - 24)),
                            male=male),
                        "phone": identity.mobile(rng), "role": role,
                    })
    vehicles = pd.DataFrame(veh_rows)
    insurers = pd.DataFrame(list(INSURERS), columns=["insurer_id", "name"])
    fleet = Fleet(providers=providers, makers=list(MAKERS), insurers=insurers,
                  enterprises=enterprises, vehicles=vehicles, drivers=pd.DataFrame(drv_rows),
                  lanes=lanes, network=net, start=start_d, seed=seed)
    fleet.vehicles = pd.concat([vehicles, _ghosts(fleet, rng, used_phones)], ignore_index=True)
    return fleet


def _ghosts(fleet: Fleet, rng: np.random.Generator, used: set[str]) -> pd.DataFrame:
    """Unregistered terminals that still send to a provider's gateway (not in vehicles.csv)."""
    rows: list[dict[str, Any]] = []
    veh = fleet.vehicles
    for prov in fleet.providers:
        mine = veh[veh["provider_id"] == prov.provider_id]
        n = int(rng.poisson(prov.ghost_per_100 * len(mine) / 100.0))
        for _ in range(n):
            base = {str(k): v for k, v in mine.iloc[int(rng.integers(0, len(mine)))].items()}
            base.update({
                "vehicle_id": f"G{len(rows) + 1:04d}", "registered": False,
                "terminal_phone": _phone(rng, int(base["protocol_version"]), used),
                "plate": identity.plate(rng, geo.PLATE_LETTER[str(base["city_code"])]),
                "vin": identity.vin(rng, model_year=2018),
            })
            rows.append(base)
    return pd.DataFrame(rows, columns=veh.columns)
