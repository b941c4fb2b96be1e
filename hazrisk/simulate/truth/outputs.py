"""Writing the registry, logs and ``truth/`` files (deterministic bytes: fixed order, no clocks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hazrisk.localtime import OFFSET_S, TIMEZONE
from hazrisk.simulate.dumps.writer import Located
from hazrisk.simulate.fleet.actors import Fleet
from hazrisk.simulate.fleet.geo import CLASS_NAME
from hazrisk.simulate.truth import rates
from hazrisk.simulate.truth.handling import add_escalation
from hazrisk.simulate.truth.verdicts import expected_verdicts
from hazrisk.simulate.vehicle import VehicleResult

DELIVERY = ("realtime", "faulted", "rejected", "dropped", "backfill", "backfill_lost",
            "pending_backfill", "unrecorded", "after_window")
TRAJ_SCHEMA = pa.schema([
    ("vehicle_id", pa.dictionary(pa.int32(), pa.string())),
    ("time", pa.timestamp("s", tz=TIMEZONE)),
    ("lat", pa.float64()), ("lon", pa.float64()), ("speed", pa.float64()),
    ("road_class", pa.dictionary(pa.int8(), pa.string())),
    ("moving", pa.bool_()), ("acc_on", pa.bool_()), ("heading", pa.int16()),
    ("altitude_m", pa.int16()), ("odometer_km", pa.float64()),
    ("delivery", pa.dictionary(pa.int8(), pa.string())),
])


def iso(t: Any) -> Any:
    """Epoch seconds -> ISO 8601 Beijing time strings (None stays None)."""
    s = pd.Series(t, dtype="Float64")
    out = pd.to_datetime(s.astype("Int64"), unit="s", utc=True).dt.tz_convert(TIMEZONE)
    return out.dt.strftime("%Y-%m-%dT%H:%M:%S+08:00").where(s.notna(), None)


def csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def geojson(features: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n",
                    encoding="utf-8")


def write_registry(out: Path, fleet: Fleet, reg: dict[str, pd.DataFrame],
                   routes: list[dict[str, Any]], areas: list[dict[str, Any]]) -> None:
    r = out / "registry"
    csv(fleet.enterprises[["enterprise_id", "name", "city", "license_no", "safety_manager",
                           "safety_manager_phone"]], r / "enterprises.csv")
    csv(pd.DataFrame([(p.provider_id, p.name, p.platform_domain) for p in fleet.providers],
                     columns=["provider_id", "name", "platform_domain"]), r / "providers.csv")
    csv(pd.DataFrame([(m.maker_id, m.name) for m in fleet.makers],
                     columns=["maker_id", "name"]), r / "device_makers.csv")
    csv(fleet.insurers, r / "insurers.csv")
    csv(reg["vehicles"], r / "vehicles.csv")
    csv(fleet.drivers, r / "drivers.csv")
    csv(reg["images"], r / "images.csv")
    csv(reg["phone_verifications"], r / "phone_verifications.csv")
    geojson(routes, r / "routes.geojson")
    geojson(areas, r / "areas.geojson")
    geojson(fleet.network.roads_features(), r / "roads.geojson")
    t = out / "truth"
    csv(reg["truth"], t / "registry_defects.csv")
    csv(fleet.enterprises, t / "enterprises.csv")
    csv(fleet.vehicles.drop(columns=["driver_effect"]), t / "vehicles.csv")
    csv(pd.DataFrame([p.__dict__ for p in fleet.providers]).astype(str), t / "providers.csv")
    csv(pd.DataFrame([m.__dict__ for m in fleet.makers]).astype(str), t / "device_makers.csv")


class Collector:
    """Truth rows per vehicle; trajectories streamed to parquet per flush."""

    def __init__(self, out: Path, fleet: Fleet, vehicles: pd.DataFrame) -> None:
        self.out = out
        self.fleet = fleet
        (out / "truth").mkdir(parents=True, exist_ok=True)
        self.writer = pq.ParquetWriter(
            out / "truth" / "trajectories.parquet", TRAJ_SCHEMA, compression="zstd",
            use_dictionary=["vehicle_id", "road_class", "delivery", "speed", "heading",
                            "altitude_m"],
            use_byte_stream_split=["lat", "lon", "odometer_km"])
        self.batch: list[pa.RecordBatch] = []
        self.rows: dict[str, list[dict[str, Any]]] = {k: [] for k in (
            "faults", "violations", "observed", "alarms", "outages", "tickets", "handling",
            "answers", "periods", "days", "preservation", "sessions", "tampering")}
        self.n_frames = 0

    def add(self, veh: dict[str, Any], res: VehicleResult) -> None:
        tr = res.track
        vid = str(veh["vehicle_id"])
        n = len(tr)
        cls = np.asarray(tr.road_class, dtype=np.int8)
        self.batch.append(pa.RecordBatch.from_arrays([
            pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([vid])),
            pa.array(tr.t, pa.timestamp("s", tz=TIMEZONE)),
            pa.array(tr.lat), pa.array(tr.lon), pa.array(tr.speed),
            pa.DictionaryArray.from_arrays(pa.array(cls), pa.array(list(CLASS_NAME))),
            pa.array(tr.speed > 0), pa.array(tr.acc), pa.array(tr.heading.astype(np.int16)),
            pa.array(tr.altitude.astype(np.int16)), pa.array(tr.odo_km),
            pa.DictionaryArray.from_arrays(pa.array(res.delivery.astype(np.int8)),
                                           pa.array(list(DELIVERY))),
        ], schema=TRAJ_SCHEMA))
        ident = {"vehicle_id": vid, "enterprise_id": veh["enterprise_id"],
                 "provider_id": veh["provider_id"], "terminal_phone": veh["terminal_phone"]}
        for key, items in (("faults", res.faults), ("violations", res.violations),
                           ("observed", res.observed), ("alarms", res.alarms), ("outages", res.outages),
                           ("tickets", res.tickets), ("handling", res.handling)):
            for row in items:
                self.rows[key].append({**ident, "maker_id": veh["maker_id"],
                                       "device_model": veh["device_model"], **row})
        self.rows["sessions"].extend({**ident, **row} for row in res.sessions)
        self.rows["tampering"].extend({**ident, **row} for row in res.tampering)
        self.rows["answers"].extend(res.answers)
        self.rows["periods"].extend(res.periods)
        self.rows["days"].extend(res.days)
        if res.preservation:
            self.rows["preservation"].append({"vehicle_id": vid, "maker_id": veh["maker_id"],
                                              "device_model": veh["device_model"],
                                              **res.preservation})
        self.n_frames += len(res.meta)

    def flush(self) -> None:
        if self.batch:
            self.writer.write_table(pa.Table.from_batches(self.batch))
            self.batch = []

    def finish(self, located: list[Located], reg: dict[str, pd.DataFrame], t_end: int,
               rules: Any) -> dict[str, Any]:
        self.flush()
        self.writer.close()
        t = self.out / "truth"
        r = self.rows
        # faults with their place in the dumps
        faults = pd.DataFrame(r["faults"])
        loc = pd.DataFrame([x.__dict__ for x in located],
                           columns=["fault_id", "file", "offset", "length", "line"])
        if len(faults):
            faults = faults.drop(columns=["maker_id", "device_model", "enterprise_id"]) \
                .merge(loc, on="fault_id", how="left")
            faults["sample_time"] = iso(faults["sample_time"])
            faults["line"] = faults["line"].where(faults["line"] > 0).astype("Int64")
            faults["offset"] = faults["offset"].astype("Int64")
            faults["length"] = faults["length"].astype("Int64")
            faults = faults.sort_values(["file", "offset", "fault_id"], na_position="last",
                                        kind="stable").reset_index(drop=True)
        faults.to_parquet(t / "faults.parquet", index=False, compression="zstd")
        counts = (faults.assign(file=faults["file"].fillna("")).groupby(
            ["provider_id", "file", "kind", "expected_status", "expected_reason"],
            as_index=False).size().rename(columns={"size": "count"})) if len(faults) else \
            pd.DataFrame(columns=["provider_id", "file", "kind", "expected_status",
                                  "expected_reason", "count"])
        csv(counts, t / "fault_counts.csv")
        self._events(t, rules)
        self._logs()
        # expected rates and device KPIs
        periods = sorted({p["period"] for p in r["periods"]} | set(_months(self.fleet, t_end)))
        answers = pd.DataFrame(r["answers"], columns=["vehicle_id", "provider_id", "recv_ms",
                                                      "main", "backup"])
        answers["time"] = pd.to_datetime(answers["recv_ms"], unit="ms", utc=True).dt.tz_convert(
            TIMEZONE)
        answers["backup"] = answers["backup"].astype(object).where(answers["backup"].notna(), None)
        sim_end = pd.Timestamp(t_end, unit="s", tz="UTC").tz_convert(TIMEZONE)
        domains = {p.provider_id: p.platform_domain for p in self.fleet.providers}
        reg_rows = rates.registry_rates(reg["vehicles"], reg["images"],
                                        reg["phone_verifications"], answers, domains, periods,
                                        sim_end, rules)
        rec_rows = pd.DataFrame(r["periods"])
        expected = rates.aggregate(reg_rows, rec_rows, rules)
        csv(expected, t / "expected_rates.csv")
        csv(reg_rows, t / "expected_rates_by_vehicle.csv")
        csv(pd.DataFrame(r["days"]), t / "vehicle_days.csv")
        kpis = _device_kpis(pd.DataFrame(r["tickets"]), pd.DataFrame(r["preservation"]), rules,
                            t_end)
        csv(kpis, t / "expected_device_kpis.csv")
        csv(expected_verdicts(expected, kpis, sorted(set(rec_rows["period"])) if len(rec_rows)
                              else periods, rules), t / "expected_verdicts.csv")
        return {"frames": self.n_frames, "faults": len(faults),
                "fault_kinds": {str(k): int(v) for k, v in faults["kind"].value_counts()
                                .sort_index().items()} if len(faults) else {}}

    def _events(self, t: Path, rules: Any) -> None:
        r = self.rows
        v = pd.DataFrame(r["violations"])
        if len(v):
            v = v.drop(columns=["start_idx", "end_idx", "maker_id", "device_model"],
                       errors="ignore")
            v["duration_s"] = v["end"] - v["start"]
            v = add_escalation(v, rules)
            for c in ("start", "end", "reminder_time", "spell_start"):
                if c in v:
                    v[c] = iso(v[c])
            v = v.sort_values(["vehicle_id", "start", "rule", "subkind"], kind="stable")
            v.insert(0, "event_id", [f"EV{i + 1:07d}" for i in range(len(v))])
        csv(v, t / "violations.csv")
        o = pd.DataFrame(r["observed"], columns=[
            "vehicle_id", "enterprise_id", "provider_id", "terminal_phone", "rule", "subkind",
            "start", "end", "in_truth", "max_speed_kmh", "limit_kmh", "over_ratio", "severity",
            "spell_start", "driving_s"])
        o["duration_s"] = o["end"] - o["start"]
        for c in ("start", "end", "spell_start"):
            o[c] = iso(o[c])
        o = o.sort_values(["vehicle_id", "start", "rule", "subkind"], kind="stable")
        csv(o, t / "violations_observable_only.csv")
        a = pd.DataFrame(r["alarms"])
        if len(a):
            a = add_escalation(a, rules)
            a = a.drop(columns=["start_idx", "end_idx", "end", "alarm_k", "maker_id",
                                "device_model"], errors="ignore")
            a = a.rename(columns={"start": "time", "rule": "system", "subkind": "alarm_type"})
            for c in ("time", "reminder_time"):
                a[c] = iso(a[c])
        csv(a, t / "alarms.csv")
        o = pd.DataFrame(r["outages"])
        if len(o):
            for c in ("start", "end"):
                o[c] = iso(o[c])
        csv(o, t / "outages.csv")
        d = pd.DataFrame(r["sessions"], columns=[
            "vehicle_id", "enterprise_id", "provider_id", "terminal_phone", "driver_id",
            "start", "end", "in_reported", "out_reported"])
        d = d.sort_values(["vehicle_id", "start"], kind="stable")
        d["start"], d["end"] = iso(d["start"]), iso(d["end"])
        csv(d, t / "driver_sessions.csv")
        k = pd.DataFrame(r["tampering"], columns=[
            "vehicle_id", "enterprise_id", "provider_id", "terminal_phone", "day", "kind",
            "reports", "moving_reports"])
        k["day"] = pd.to_datetime(k["day"].astype("int64"), unit="D").dt.strftime("%Y-%m-%d")
        csv(k.sort_values(["vehicle_id", "day", "kind"], kind="stable"), t / "tampering.csv")

    def _logs(self) -> None:
        r = self.rows
        h = pd.DataFrame(r["handling"], columns=["vehicle_id", "terminal_phone", "event_time",
                                                  "action_time", "action", "rule", "operator",
                                                  "note"])
        h = h.sort_values(["action_time", "vehicle_id", "event_time", "action"], kind="stable")
        h["event_time"], h["action_time"] = iso(h["event_time"]), iso(h["action_time"])
        h.insert(0, "log_id", [f"H{i + 1:07d}" for i in range(len(h))])
        csv(h, self.out / "logs" / "handling_log.csv")
        k = pd.DataFrame(r["tickets"], columns=["vehicle_id", "terminal_phone", "maker_id",
                                                 "device_model", "fault_kind", "started_at",
                                                 "reported_at", "repaired_at"])
        k = k.sort_values(["reported_at", "vehicle_id"], kind="stable")
        for c in ("reported_at", "repaired_at"):
            k[c] = iso(k[c])
        k.insert(0, "ticket_id", [f"T{i + 1:06d}" for i in range(len(k))])
        csv(k.drop(columns=["started_at"]), self.out / "logs" / "fault_tickets.csv")


def _months(fleet: Fleet, t_end: int) -> list[str]:
    t0 = (pd.Timestamp(fleet.start) - pd.Timestamp("1970-01-01")).days * 86400 - OFFSET_S
    return sorted(set(rates.month_of(np.arange(t0, t_end, 86400))))


def _device_kpis(tickets: pd.DataFrame, pres: pd.DataFrame, rules: Any, t_end: int
                 ) -> pd.DataFrame:
    """Per maker (device_model '*') and per maker and model: D1 24 h repair rate (tickets; a
    ticket still open and reported less than 24 h before the window's end is ``censored``: its
    24 h are not over, so it is left out of the rate, counted apart) and
    D2 data preservation (samples of the outages recovered by 0x0704 backfill / samples the
    terminal should have recorded during them; truth.observable.preservation)."""
    cols = ["maker_id", "device_model"]
    tk = tickets if len(tickets) else pd.DataFrame(columns=[*cols, "reported_at", "repaired_at"])
    ps = pres if len(pres) else pd.DataFrame(columns=[*cols, "expected_points",
                                                      "recovered_points"])
    keys = sorted(set(map(tuple, tk[cols].astype(str).values))
                  | set(map(tuple, ps[cols].astype(str).values)))
    groups = sorted({(m, "*") for m, _ in keys} | set(keys),
                    key=lambda k: (k[0], k[1] != "*", k[1]))
    limit = int(rules.device.repair_within_s)
    rows = []
    for m, model in groups:
        pick_t = (tk["maker_id"] == m) & ((tk["device_model"] == model) | (model == "*"))
        pick_p = (ps["maker_id"] == m) & ((ps["device_model"] == model) | (model == "*"))
        t = tk[pick_t]
        cens = t["repaired_at"].isna() & (t_end - t["reported_at"] < limit)
        ok = t["repaired_at"].notna() & ((t["repaired_at"].fillna(0) - t["reported_at"]) <= limit)
        judged = int((~cens).sum())
        exp = int(ps.loc[pick_p, "expected_points"].sum())
        rec = int(ps.loc[pick_p, "recovered_points"].sum())
        rows.append({"maker_id": m, "device_model": model, "faults": len(t),
                     "censored": int(cens.sum()), "repaired_within_24h": int(ok.sum()),
                     "repair_24h_rate": round(int(ok.sum()) / judged, 6) if judged else None,
                     "expected_points": exp, "recovered_points": rec,
                     "data_preservation_rate": round(rec / exp, 6) if exp else None})
    return pd.DataFrame(rows, columns=[*cols, "faults", "censored", "repaired_within_24h",
                                       "repair_24h_rate", "expected_points", "recovered_points",
                                       "data_preservation_rate"])


def write_readmes(out: Path) -> None:
    from hazrisk.simulate.truth.readme import TRUTH_README

    (out / "truth" / "README.md").write_text(TRUTH_README, encoding="utf-8")
