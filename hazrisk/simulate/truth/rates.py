"""Expected technical rates per provider and period, computed from the truth.

The definitions follow :mod:`hazrisk.rates.metrics` with the defaults of ``conf/rules.toml``;
where the text leaves a choice, the choice is stated here and in ``truth/README.md``:

* a *record* is a decoded location fix: each ``ok`` 0x0200 and each position of an ``ok``
  0x0704 (frames rejected by the decoder hold no record);
* data qualification (数据合格率): counted per provider folder and month of *receive* time;
  qualified = time parseable and <= receive + ``time_max_future_s``, lat/lon inside the
  validity box and not 0, speeds <= 160, heading <= 359, altitude in range, no reserved
  status/alarm bits, terminal registered (records of unregistered terminals count, unqualified);
* upload interval (数据上传时间间隔合格率): registered vehicles' records with a parseable time,
  per vehicle and month of GNSS time, sorted by GNSS time; the first record of a
  vehicle-month is qualified; otherwise moving or ACC on -> gap <= 30 s, else <= 300 s, the
  state taken from the record that opens the gap or the one that closes it as ``[rates]
  interval_state`` says (both variants are listed as well);
* drift: the injected drift points (always detectable by the default rule: 20-50 km jumps
  with regular real-time neighbours); drift is evaluated among qualified records;
* completeness (轨迹完整率): qualified non-drift fixes of a vehicle-day (Beijing day of GNSS
  time), consecutive fixes of the same day form a segment, haversine distance (R = 6371.0088
  km); a segment is incomplete when > 1 km and > 60 s; a vehicle-day trajectory exists when
  the vehicle has >= 1 qualified record that day and is complete without incomplete segment;
  the km form sums segment km;
* registry rates use the reference time ``min(first instant of the next month, end of the
  simulated window)``: 0x0104 answers at most 30 days old, verifications at most 365 days;
* vehicles in network per ``[rates] network_basis``: ``entered`` (default) = registered
  vehicles with a qualified record up to the period end, else all registered; rates 1-4 and
  上线率 are over them; 入网率 = entered / registered; 上线率 = with a qualified record in the
  period / in network; 漂移车辆率 = online vehicles with >= 1 drift point / online vehicles.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from hazrisk.localtime import TIMEZONE
from hazrisk.simulate.fleet.geo import haversine_km
from hazrisk.simulate.movement.track import BJ, DAY

PLATE_RE = re.compile(r"^[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
                      r"[A-HJ-NP-Z][A-HJ-NP-Z0-9]{4,5}[A-HJ-NP-Z0-9挂学警港澳]$")
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
COLOURS = {1, 2, 3, 4, 5, 9, 91, 92, 93, 94}
PHONE_RE = re.compile(r"^1[3-9][0-9]{9}$")
IP_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
RATE_NAMES = {
    "vehicle_data_conformance": "车辆数据规范率",
    "terminal_domain_correctness": "终端域名设置正确率",
    "image_upload_correctness": "图片上传正确率",
    "operator_phone_verification": "车辆经营者手机号码验证率",
    "upload_interval_qualification": "数据上传时间间隔合格率",
    "upload_interval_qualification_current_state": "数据上传时间间隔合格率(按本记录状态)",
    "upload_interval_qualification_previous_state": "数据上传时间间隔合格率(按前一记录状态)",
    "trajectory_completeness": "轨迹完整率(车辆日)",
    "trajectory_completeness_km": "轨迹完整率(里程)",
    "data_qualification": "数据合格率",
    "network_access_rate": "入网率",
    "online_rate": "上线率",
    "drift_vehicle_rate": "漂移车辆率",
}


def month_of(t_s: np.ndarray) -> np.ndarray:
    """'YYYY-MM' (Beijing) of epoch seconds."""
    return np.datetime_as_string((np.asarray(t_s) + BJ).astype("datetime64[s]").astype(
        "datetime64[M]"), unit="M")


def qualified(rec: dict[str, np.ndarray], rules: Any) -> np.ndarray:
    """Records the data-qualification rule accepts, registration aside (rules.md 数据合格率)."""
    v = rules.validity
    lat, lon = rec["lat"], rec["lon"]
    return np.asarray(rec["time_ok"]
                      & (rec["time"] * 1000 <= rec["recv_ms"] + v.time_max_future_s * 1000)
                      & (lat >= v.lat_min) & (lat <= v.lat_max) & (lon >= v.lon_min)
                      & (lon <= v.lon_max) & (lat != 0) & (lon != 0)
                      & (rec["speed"] <= v.gps_speed_max_kmh))


def record_contrib(vid: str, provider: str, registered: bool, rec: dict[str, np.ndarray],
                   rules: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per-period and per-day counts of one terminal's delivered records.

    ``rec`` arrays: ``time`` (GNSS s as sent), ``time_ok``, ``recv_ms``, ``lat``, ``lon``,
    ``speed``, ``acc``, ``drift``, ``backfill``.
    """
    up = rules.upload_interval
    comp = rules.completeness
    lat, lon, speed = rec["lat"], rec["lon"], rec["speed"]
    qual = qualified(rec, rules) & registered
    periods: dict[str, dict[str, Any]] = {}

    def row(p: str) -> dict[str, Any]:
        return periods.setdefault(p, {
            "vehicle_id": vid, "provider_id": provider, "period": p, "registered": registered,
            "dq_num": 0, "dq_den": 0, "iv_num": 0, "iv_prev_num": 0, "iv_den": 0,
            "online": False, "drift": False, "vehicle_days": 0, "complete_days": 0,
            "km_total": 0.0, "km_complete": 0.0})

    rmonth = month_of(rec["recv_ms"] // 1000)
    for p in np.unique(rmonth):
        sel = rmonth == p
        row(str(p))["dq_num"] += int(qual[sel].sum())
        row(str(p))["dq_den"] += int(sel.sum())
    days: list[dict[str, Any]] = []
    if not registered:
        return list(periods.values()), days
    ok = rec["time_ok"]
    order = np.flatnonzero(ok)[np.lexsort((rec["recv_ms"][ok], rec["time"][ok]))]
    t = rec["time"][order]
    gmonth = month_of(t)
    moving = rec["acc"][order] | (speed[order] > 0)
    for p in np.unique(gmonth):
        s = np.flatnonzero(gmonth == p)
        gap = np.diff(t[s])
        lim = np.where(moving[s][1:], up.moving_max_s, up.parked_max_s)
        lim_prev = np.where(moving[s][:-1], up.moving_max_s, up.parked_max_s)
        r = row(str(p))
        r["iv_den"] += len(s)
        r["iv_num"] += 1 + int((gap <= lim).sum())
        r["iv_prev_num"] += 1 + int((gap <= lim_prev).sum())
        q = qual[order][s]
        r["online"] = r["online"] or bool(q.any())
        r["drift"] = r["drift"] or bool((q & rec["drift"][order][s]).any())
    # completeness per Beijing day of GNSS time
    fix = order[qual[order] & ~rec["drift"][order]]
    qual_days = np.unique((rec["time"][order][qual[order]] + BJ) // DAY)
    fday = (rec["time"][fix] + BJ) // DAY
    for d in qual_days:
        f = fix[fday == d]
        seg_km = haversine_km(lat[f][:-1], lon[f][:-1], lat[f][1:], lon[f][1:]) if len(f) > 1 \
            else np.zeros(0)
        seg_s = np.diff(rec["time"][f])
        bad = (seg_km > comp.gap_km) & (seg_s > comp.gap_s)
        date = str(np.datetime64(int(d), "D"))
        r = row(date[:7])
        r["vehicle_days"] += 1
        r["complete_days"] += int(not bad.any())
        r["km_total"] += float(seg_km.sum())
        r["km_complete"] += float(seg_km[~bad].sum())
        days.append({"vehicle_id": vid, "date": date, "records": int(((rec["time"][order] + BJ)
                                                                       // DAY == d).sum()),
                     "qualified_fixes": int(len(f)), "incomplete_segments": int(bad.sum()),
                     "observed_km": round(float(seg_km.sum()), 3),
                     "complete_km": round(float(seg_km[~bad].sum()), 3)})
    return list(periods.values()), days


def _ref_times(periods: list[str], sim_end: pd.Timestamp) -> dict[str, pd.Timestamp]:
    out = {}
    for p in periods:
        nxt = (pd.Period(p, "M") + 1).start_time.tz_localize(TIMEZONE)
        out[p] = min(nxt, sim_end)
    return out


def registry_rates(reg: pd.DataFrame, images: pd.DataFrame, phones: pd.DataFrame,
                   answers: pd.DataFrame, domains: dict[str, str], periods: list[str],
                   sim_end: pd.Timestamp, rules: Any) -> pd.DataFrame:
    """Per vehicle and period: conformant, domain_ok, images_ok, phone_ok (booleans)."""
    plate_ok = reg["plate"].astype(str).map(lambda s: bool(PLATE_RE.match(s)))
    colour_ok = pd.to_numeric(reg["plate_color"], errors="coerce").isin(COLOURS)
    vin_ok = reg["vin"].astype(str).map(lambda s: bool(VIN_RE.match(s)))
    filled = reg[["transport_permit_no", "owner_name", "vehicle_type", "tonnage_t",
                  "hazmat_class", "terminal_id", "terminal_phone", "maker_id",
                  "device_model"]].notna().all(axis=1)
    key = reg["plate"].astype(str) + "|" + reg["plate_color"].astype(str)
    dup = key.duplicated(keep=False)
    conformant = plate_ok & colour_ok & vin_ok & filled & ~dup
    counts = images["sha256"].value_counts()
    img = images.assign(good=images["magic_hex"].str[:6].isin(["ffd8ff", "89504e"])
                        & images["sha256"].map(counts).eq(1))
    per = img.groupby("vehicle_id").agg(n=("slot", "nunique"), good=("good", "all"))
    images_ok = reg["vehicle_id"].map(lambda v: bool(v in per.index and per.at[v, "n"] == 3
                                                      and per.at[v, "good"]))
    ph = phones.assign(verified_at=pd.to_datetime(phones["verified_at"]).dt.tz_localize(
        TIMEZONE))
    ph = ph[ph["result"] == "pass"].merge(reg[["vehicle_id", "operator_phone"]],
                                          on=["vehicle_id", "operator_phone"])
    rows = []
    refs = _ref_times(periods, sim_end)
    for p in periods:
        ref = refs[p]
        fresh = ph[(ph["verified_at"] <= ref) & (ph["verified_at"] >= ref - pd.Timedelta(
            days=int(rules.phone.max_verification_age_days)))]
        verified = set(fresh["vehicle_id"])
        ans = answers[(answers["time"] <= ref) & (answers["time"] >= ref - pd.Timedelta(
            days=int(rules.domain.max_answer_age_days)))] if len(answers) else answers
        latest = ans.sort_values("time").groupby("vehicle_id").tail(1) if len(ans) else ans
        dom = {str(r["vehicle_id"]): _domain_ok(str(r["main"]), r["backup"],
                                                domains[str(r["provider_id"])])
               for r in latest.to_dict("records")} if len(latest) else {}
        conf, imgs = conformant.to_numpy(), images_ok.to_numpy()
        for k, v in enumerate(reg.to_dict("records")):
            vid = str(v["vehicle_id"])
            rows.append({"vehicle_id": vid, "provider_id": v["provider_id"], "period": p,
                         "conformant": bool(conf[k]), "domain_ok": bool(dom.get(vid, False)),
                         "images_ok": bool(imgs[k]),
                         "phone_ok": bool(PHONE_RE.match(str(v["operator_phone"])))
                         and vid in verified})
    return pd.DataFrame(rows)


def _host(addr: str) -> str:
    return addr.split(";")[0].rsplit(":", 1)[0] if ":" in addr else addr.split(";")[0]


def _domain_ok(main: str, backup: str | None, approved: str) -> bool:
    for addr in (main, backup):
        if addr is None or addr == "":
            continue
        host = _host(str(addr)).strip().lower()
        if IP_RE.match(host) or host != approved.lower():
            return False
    return bool(main)


def aggregate(reg_rows: pd.DataFrame, rec_rows: pd.DataFrame, rules: Any = None
              ) -> pd.DataFrame:
    """The expected-rates table: provider, period, rate, numerator, denominator, value.

    ``[rates] network_basis`` (rules): ``entered`` = vehicles in network are the registered
    vehicles with a qualified record up to the period end (the denominators of rates 1-4 and
    上线率), ``registered`` = all registered vehicles. ``[rates] interval_state``: the upload
    interval is judged by the ``previous`` (opening) or ``current`` (closing) record's state;
    both variants are listed too.
    """
    section = getattr(rules, "sections", {}).get("rates") if rules is not None else None
    basis = str(section["network_basis"]) if section is not None else "registered"
    state = str(section["interval_state"]) if section is not None else "current"
    out: list[dict[str, Any]] = []

    def add(p: str, per: str, rate: str, num: float, den: float) -> None:
        out.append({"provider_id": p, "period": per, "rate": rate, "name_zh": RATE_NAMES[rate],
                    "numerator": num, "denominator": den,
                    "value": round(num / den, 6) if den else None})

    periods = sorted(reg_rows["period"].unique())
    recs = rec_rows.groupby(["provider_id", "period", "vehicle_id"], as_index=False).agg(
        {c: ("max" if c in ("online", "drift", "registered") else "sum")
         for c in rec_rows.columns if c not in ("provider_id", "period", "vehicle_id")}) \
        if len(rec_rows) else rec_rows
    for prov in sorted(reg_rows["provider_id"].unique()):
        for per in periods:
            ever = recs[(recs["provider_id"] == prov) & (recs["period"] <= per)
                        & recs["online"] & recs["registered"]] if len(recs) else recs
            entered = set(ever["vehicle_id"]) if len(ever) else set()
            r_all = reg_rows[(reg_rows["provider_id"] == prov) & (reg_rows["period"] == per)]
            r = r_all[r_all["vehicle_id"].isin(entered)] if basis == "entered" else r_all
            n = len(r)
            add(prov, per, "vehicle_data_conformance", int(r["conformant"].sum()), n)
            add(prov, per, "terminal_domain_correctness", int(r["domain_ok"].sum()), n)
            add(prov, per, "image_upload_correctness", int(r["images_ok"].sum()), n)
            add(prov, per, "operator_phone_verification", int(r["phone_ok"].sum()), n)
            x = recs[(recs["provider_id"] == prov) & (recs["period"] == per)] if len(recs) else recs
            reg_x = x[x["registered"]] if len(x) else x

            def s(c: str, df: pd.DataFrame = reg_x) -> float:
                return float(df[c].sum()) if len(df) else 0.0

            by = {"current": s("iv_num"), "previous": s("iv_prev_num")}
            add(prov, per, "upload_interval_qualification", by[state], s("iv_den"))
            add(prov, per, "upload_interval_qualification_current_state", by["current"],
                s("iv_den"))
            add(prov, per, "upload_interval_qualification_previous_state", by["previous"],
                s("iv_den"))
            add(prov, per, "trajectory_completeness", s("complete_days"), s("vehicle_days"))
            add(prov, per, "trajectory_completeness_km", round(s("km_complete"), 3),
                round(s("km_total"), 3))
            add(prov, per, "data_qualification", float(x["dq_num"].sum()) if len(x) else 0.0,
                float(x["dq_den"].sum()) if len(x) else 0.0)
            online = set(reg_x.loc[reg_x["online"], "vehicle_id"]) if len(reg_x) else set()
            add(prov, per, "network_access_rate", len(entered), len(r_all))
            add(prov, per, "online_rate", len(online), n)
            drift = set(reg_x.loc[reg_x["online"] & reg_x["drift"], "vehicle_id"]) if len(reg_x) else set()
            add(prov, per, "drift_vehicle_rate", len(drift), len(online))
    return pd.DataFrame(out)
