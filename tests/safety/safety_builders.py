"""Literal scenario builder for the safety detectors: a tiny in-memory warehouse.

Geometry is written in EPSG:4549 metres around a base point on the projection's central
meridian (120 E, 30 N) and converted to WGS84, so distances in scenarios are exact metres.
Times are Beijing wall-clock strings (``"2026-10-01 08:00:00"``) or epoch seconds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pandas as pd
from pyproj import Transformer
from warehouse_tables import storage_table

from hazrisk.safety import SafetyParams, detect
from hazrisk.safety.pipeline import DetectReport
from hazrisk.store.connect import connect
from hazrisk.store.resolve import insert_keyed_positions

BJ = ZoneInfo("Asia/Shanghai")
_INV = Transformer.from_crs("EPSG:4549", "EPSG:4326", always_xy=True)
_FWD = Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
X0, Y0 = _FWD.transform(120.0, 30.0)


def ts(text: str) -> float:
    """Beijing wall-clock 'YYYY-MM-DD HH:MM:SS' -> epoch seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=BJ).timestamp()


def lonlat(x_m: np.ndarray | float, y_m: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Metres east/north of the base point (EPSG:4549) -> lon, lat degrees."""
    lon, lat = _INV.transform(X0 + np.asarray(x_m, float), Y0 + np.asarray(y_m, float))
    return np.asarray(lon), np.asarray(lat)


def line_wkt(points_m: Sequence[tuple[float, float]]) -> str:
    xs, ys = zip(*points_m, strict=True)
    lon, lat = lonlat(np.array(xs), np.array(ys))
    return "LINESTRING (" + ", ".join(f"{a:.9f} {b:.9f}" for a, b in zip(lon, lat,
                                                                        strict=True)) + ")"


def polygon_wkt(points_m: Sequence[tuple[float, float]]) -> str:
    pts = list(points_m) + [points_m[0]]
    xs, ys = zip(*pts, strict=True)
    lon, lat = lonlat(np.array(xs), np.array(ys))
    return "POLYGON ((" + ", ".join(f"{a:.9f} {b:.9f}" for a, b in zip(lon, lat,
                                                                         strict=True)) + "))"


@dataclass
class World:
    con: duckdb.DuckDBPyConnection = field(default_factory=lambda: connect(":memory:"))
    _seq: int = 0
    _phones: dict[str, str] = field(default_factory=dict)
    _ents: dict[str, tuple[str, str]] = field(default_factory=dict)

    # -- registry ----------------------------------------------------------------------------
    def vehicle(self, vehicle_id: str = "V1", enterprise_id: str = "E1", provider_id: str = "P1",
                city: str = "杭州", phone: str | None = None,
                valid_from: str | None = None) -> str:
        phone = phone or f"0139{len(self._phones) + 1:08d}"
        self._phones[vehicle_id] = phone
        self._ents[vehicle_id] = (enterprise_id, provider_id)
        self.con.execute(
            "INSERT INTO core.vehicles (vehicle_id, terminal_phone, enterprise_id, provider_id, "
            "plate, valid_from, import_id, source_row) VALUES ($v, $p, $e, $pr, $pl, $vf, 1, 2)",
            {"v": vehicle_id, "p": phone, "e": enterprise_id, "pr": provider_id,
             "pl": "浙A" + vehicle_id, "vf": valid_from})
        if not self.con.execute("SELECT 1 FROM core.enterprises WHERE enterprise_id = $e",
                                {"e": enterprise_id}).fetchall():
            self.con.execute(
                "INSERT INTO core.enterprises (enterprise_id, name, city, import_id, source_row)"
                " VALUES ($e, $n, $c, 1, 2)", {"e": enterprise_id, "n": f"企业{enterprise_id}",
                                               "c": city})
        return phone

    def road(self, road_id: str, road_class: str, points_m: Sequence[tuple[float, float]],
             speed_limit_kmh: float | None = None) -> None:
        self.con.execute(
            "INSERT INTO core.roads (road_id, road_class, speed_limit_kmh, geometry_wkt, "
            "import_id, source_row) VALUES ($r, $c, $l, $g, 1, 2)",
            {"r": road_id, "c": road_class, "l": speed_limit_kmh, "g": line_wkt(points_m)})

    def route(self, fence_id: str, points_m: Sequence[tuple[float, float]], buffer_m: float,
              enterprise_id: str = "E1", vehicle_id: str | None = None) -> None:
        self.con.execute(
            "INSERT INTO core.fences (fence_id, kind, enterprise_id, vehicle_id, buffer_m, "
            "geometry_wkt, import_id, source_row) VALUES ($f, 'route', $e, $v, $b, $g, 1, 2)",
            {"f": fence_id, "e": enterprise_id, "v": vehicle_id, "b": buffer_m,
             "g": line_wkt(points_m)})

    def area(self, fence_id: str, points_m: Sequence[tuple[float, float]],
             enterprise_id: str = "E1", vehicle_id: str | None = None,
             speed_limit_kmh: float | None = None) -> None:
        props = None if speed_limit_kmh is None else f'{{"speed_limit_kmh": {speed_limit_kmh}}}'
        self.con.execute(
            "INSERT INTO core.fences (fence_id, kind, enterprise_id, vehicle_id, geometry_wkt, "
            "properties_json, import_id, source_row) "
            "VALUES ($f, 'area', $e, $v, $g, $pj, 1, 2)",
            {"f": fence_id, "e": enterprise_id, "v": vehicle_id, "g": polygon_wkt(points_m),
             "pj": props})

    # -- telematics --------------------------------------------------------------------------
    def _storage(self, name: str) -> str:
        """The writable table behind ``core.<name>`` (the documented relation may be a view
        over the warehouse's storage, showing rows of committed files only)."""
        target = storage_table(self.con, f"core.{name}")
        if target != f"core.{name}":  # a view over committed files: commit one
            self._ensure_file()
        return target

    def _columns(self, relation: str) -> set[str]:
        schema, table = relation.split(".")
        return {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = $s AND table_name = $t",
            {"s": schema, "t": table}).fetchall()}

    def _ensure_file(self) -> None:
        """A committed meta.ingested_files row for source_file_id 1 (rows of uncommitted files
        are hidden by the core views)."""
        if self.con.execute("SELECT count(*) FROM meta.ingested_files WHERE file_id = 1"
                            ).fetchall()[0][0]:
            return
        self.con.execute(
            "INSERT INTO meta.ingested_files (file_id, path, sha256, size_bytes, format, "
            "compressed, status, frames_ok, frames_rejected, garbage_bytes, garbage_spans, "
            "positions, positions_stored, duplicates, unknown_terminals, started_at, "
            "finished_at, duration_s) VALUES (1, 'builder', 'builder', 0, 'raw', false, 'ok', "
            "0, 0, 0, 0, 0, 0, 0, 0, now(), now(), 0)")
        from hazrisk.store.validity_flags import record_file
        from hazrisk.validity import Validity

        record_file(self.con, 1, Validity.from_rules())  # flags (all 0) under the default rules

    def fixes(self, vehicle_id: str, t: Sequence[float] | np.ndarray,
              x_m: Sequence[float] | np.ndarray | float,
              y_m: Sequence[float] | np.ndarray | float,
              speed: Sequence[float] | np.ndarray | float, *, backfill: bool = False,
              acc: bool | None = None) -> None:
        """Positions of a vehicle at epoch times ``t`` and metric offsets (broadcast). ACC is
        on while moving and off when stopped unless ``acc`` says otherwise."""
        enterprise_id, provider_id = self._ents[vehicle_id]
        tt = np.asarray(t, dtype=float)
        n = tt.size
        x = np.broadcast_to(np.asarray(x_m, float), (n,))
        y = np.broadcast_to(np.asarray(y_m, float), (n,))
        v = np.broadcast_to(np.asarray(speed, float), (n,))
        lon, lat = lonlat(x, y)
        seq = np.arange(self._seq, self._seq + n)
        self._seq += n
        df = pd.DataFrame({
            "pos_seq": seq, "terminal_phone": self._phones[vehicle_id], "vehicle_id": vehicle_id,
            "enterprise_id": enterprise_id, "provider_id": provider_id,
            "t_us": (tt * 1e6).round().astype(np.int64), "lat_deg": lat, "lon_deg": lon,
            "speed_kmh": v, "is_backfill": backfill,
            "status": np.where(v > 0 if acc is None else np.full(n, acc), 3, 2).astype(np.uint32),
        })
        self.con.register("_fixes", df)
        target = self._storage("positions")
        cols = self._columns(target)
        flags = ("0::UTINYINT AS quality_flags" if "quality_flags" in cols else
                 "status = 3 AS acc_on, true AS is_located, true AS quality_ok, "
                 "false AS q_invalid_bcd_time, false AS q_lat_out_of_range, "
                 "false AS q_lon_out_of_range, false AS q_speed_out_of_range, "
                 "false AS q_heading_out_of_range, false AS q_altitude_out_of_range")
        select = (
            "SELECT pos_seq, terminal_phone, vehicle_id, "
            "enterprise_id, provider_id, make_timestamptz(t_us) AS device_time, lat_deg, lon_deg,"
            " speed_kmh, 0::UINTEGER AS alarm, status::UINTEGER AS status, is_backfill, "
            "CASE WHEN is_backfill THEN 1796 ELSE 512 END AS msg_id, 0 AS pos_index, "
            + flags + ", 1 AS source_file_id, pos_seq AS source_offset FROM _fixes")
        if "assign_key" in cols:  # the resolution is stored as a key (store/sql/schema/050)
            self.con.execute("CREATE OR REPLACE TEMP TABLE _keyed AS " + select)
            insert_keyed_positions(self.con, "_keyed")
            self.con.execute("DROP TABLE _keyed")
        else:
            self.con.execute("INSERT INTO " + target + " BY NAME " + select)
        self.con.unregister("_fixes")

    def drive(self, vehicle_id: str, start: float, seconds: float, *, every: float = 30.0,
              speed: float = 50.0, x0: float = 0.0, y0: float = 0.0, heading: str = "east",
              stop_at_end: bool = True, **kw: object) -> tuple[float, float, float]:
        """Moving fixes every ``every`` s over ``seconds`` at ``speed`` (moving straight), then a
        stopped fix at the end. Returns (end time, x, y)."""
        n = int(round(seconds / every))
        t = start + np.arange(n) * every
        d = (t - start) * speed / 3.6
        dx, dy = (d, np.zeros(n)) if heading == "east" else (np.zeros(n), d)
        self.fixes(vehicle_id, t, x0 + dx, y0 + dy, speed, **kw)  # type: ignore[arg-type]
        t_end = start + n * every
        d_end = n * every * speed / 3.6
        xe, ye = (x0 + d_end, y0) if heading == "east" else (x0, y0 + d_end)
        if stop_at_end:
            self.fixes(vehicle_id, [t_end], xe, ye, 0.0, **kw)  # type: ignore[arg-type]
        return t_end, xe, ye

    def park(self, vehicle_id: str, start: float, seconds: float, x: float, y: float, *,
             every: float = 300.0) -> float:
        """Stopped fixes from ``start`` (exclusive) every ``every`` s up to ``start+seconds``."""
        n = int(seconds // every)
        t = start + np.arange(1, n + 1) * every
        if n:
            self.fixes(vehicle_id, t, x, y, 0.0)
        return start + seconds

    def text(self, vehicle_id: str, when: float, text: str = "【监控中心】请减速") -> None:
        self.con.execute(
            "INSERT INTO " + self._storage("text_messages") + " (terminal_phone, recv_time, "
            "direction, flags, text, "
            "source_file_id, source_offset) VALUES ($p, make_timestamptz($t), 'SEND', 12, $x, "
            "1, 0)", {"p": self._phones[vehicle_id], "t": int(when * 1e6), "x": text})

    def log(self, vehicle_id: str, event_time: float, action_time: float, action: str,
            rule: str | None = None) -> None:
        self.con.execute(
            "INSERT INTO core.handling_log (log_id, vehicle_id, event_time, action_time, action, "
            "rule, import_id, source_row) VALUES ($i, $v, make_timestamptz($e), "
            "make_timestamptz($a), $ac, $r, 1, 2)",
            {"i": f"L{event_time}{action}", "v": vehicle_id, "e": int(event_time * 1e6),
             "a": int(action_time * 1e6), "ac": action, "r": rule})

    def ticket(self, vehicle_id: str, reported: float, repaired: float | None) -> None:
        self.con.execute(
            "INSERT INTO core.fault_tickets (ticket_id, vehicle_id, reported_at, repaired_at, "
            "import_id, source_row) VALUES ($i, $v, make_timestamptz($a), "
            "make_timestamptz($b), 1, 2)",
            {"i": f"T{reported}", "v": vehicle_id, "a": int(reported * 1e6),
             "b": None if repaired is None else int(repaired * 1e6)})

    def alarm(self, vehicle_id: str, when: float, system: str, alarm_type: int, level: int = 1,
              alarm_id: int = 1) -> None:
        self.con.execute(
            "INSERT INTO " + self._storage("safety_events") + " (pos_seq, terminal_phone, "
            "vehicle_id, enterprise_id, "
            "provider_id, device_time, item_id, system, alarm_id, alarm_type, alarm_level, "
            "flag_status, lat_deg, lon_deg, speed_kmh, is_backfill, source_file_id, "
            "source_offset) VALUES (0, $p, $v, $e, 'P1', make_timestamptz($t), $item, $s, $a, "
            "$ty, $l, 0, 30.0, 120.0, 50.0, false, 1, 0)",
            {"p": self._phones[vehicle_id], "v": vehicle_id, "t": int(when * 1e6),
             "e": self._ents[vehicle_id][0], "item": 0x64 if system == "adas" else 0x65, "s": system, "a": alarm_id,
             "ty": alarm_type, "l": level})

    # -- running -----------------------------------------------------------------------------
    def detect(self, start: str = "2026-10-01", end: str = "2026-10-03",
               params: SafetyParams | None = None) -> DetectReport:
        """Detect with ``params``; by default the rules' thresholds with ``unmatched_road =
        "other"``: the scenarios draw every road that matters, so a fix on no drawn road is
        on an 'other' road (60 km/h). The default 'unknown' policy (an incomplete road layer)
        is tested on its own (test_safety_speeding.py::test_road_unknown)."""
        if params is None:
            params = replace(SafetyParams.from_rules(), unmatched_road="other")
        return detect(self.con, date.fromisoformat(start), date.fromisoformat(end),
                      params=params)

    def violations(self, rule_id: str | None = None) -> pd.DataFrame:
        df = self.con.sql(
            "SELECT *, epoch(start_time) AS start_t, epoch(end_time) AS end_t "
            "FROM safety.violations ORDER BY vehicle_id, start_time").to_df()
        return df if rule_id is None else df[df["rule_id"] == rule_id].reset_index(drop=True)
