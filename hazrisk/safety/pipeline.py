"""Run every detector over a date range and (re)write the safety tables.

``detect(con, start, end)`` is idempotent for the Beijing days [start, end): it deletes the
violations whose start falls in the range and the vehicle-days of the range, recomputes them,
re-links handling, and rebuilds the enterprise months the range touches. The positions are read
once, as a (vehicle, time)-sorted stream, and processed in batches of whole vehicles of about
``batch_positions`` fixes (bounded memory); the range is read with ``CONTEXT_BEFORE`` /
``CONTEXT_AFTER`` hours around it so that stretches, gaps and 24 h windows crossing
the range boundary are seen whole. An event belongs to the day (and period) of its start.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.config import load_rules
from hazrisk.fix_batches import whole_vehicle_batches
from hazrisk.localtime import BEIJING
from hazrisk.safety.detectors.alarms import load_alarm_events
from hazrisk.safety.detectors.events import EVENT_COLUMNS
from hazrisk.safety.detectors.fatigue import detect_fatigue, fatigue_seconds, stretches
from hazrisk.safety.detectors.fences import detect_off_route
from hazrisk.safety.detectors.nightban import detect_night_ban
from hazrisk.safety.detectors.offline import detect_faulty_terminal, detect_offline_displacement
from hazrisk.safety.detectors.speeding import detect_speeding, match_limits
from hazrisk.safety.geo import FenceSet, RoadIndex
from hazrisk.safety.history import day_metrics
from hazrisk.safety.params import SafetyParams, rule_info
from hazrisk.safety.records import refuse_purged
from hazrisk.safety.tables import PositionParts, ensure_schema, write_results
from hazrisk.safety.track import Pairs, Track, pairs
from hazrisk.sqlfiles import SqlFolder
from hazrisk.store.validity_flags import require_current

read_sql = SqlFolder("hazrisk.safety").text

CONTEXT_BEFORE = timedelta(hours=26)
CONTEXT_AFTER = timedelta(hours=24)
STREAM_BATCH_ROWS = 262_144

STAGE_COLUMNS: tuple[str, ...] = (
    "rule_id", "rule_group", "rule_name_zh", "vehicle_id", "enterprise_id", "provider_id",
    "terminal_phone", "start_t", "end_t", "lat_deg", "lon_deg", "end_lat_deg", "end_lon_deg",
    "distance_km", "peak_speed_kmh", "avg_speed_kmh", "limit_kmh", "over_ratio", "severity",
    "alarm_type", "alarm_level", "params_json", "detail_json",
)


def beijing_midnight(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=BEIJING)


@dataclass
class DetectReport:
    """What a detection run did."""

    start: date
    end: date
    vehicles: int = 0
    positions: int = 0
    batches: int = 0
    violations: dict[str, int] = field(default_factory=dict)
    vehicle_days: int = 0
    enterprise_months: int = 0
    vehicle_months: int = 0
    duration_s: float = 0.0
    timings_s: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(), "end": self.end.isoformat(),
            "vehicles": self.vehicles, "positions": self.positions, "batches": self.batches,
            "violations": dict(sorted(self.violations.items())),
            "violations_total": int(sum(self.violations.values())),
            "vehicle_days": self.vehicle_days, "enterprise_months": self.enterprise_months,
            "vehicle_months": self.vehicle_months,
            "duration_s": round(self.duration_s, 3),
            "timings_s": {k: round(v, 3) for k, v in self.timings_s.items()},
        }


@dataclass
class Geography:
    roads: RoadIndex
    fences: FenceSet

    @classmethod
    def load(cls, con: duckdb.DuckDBPyConnection) -> Geography:
        return cls(RoadIndex.load(con), FenceSet.load(con))


def vehicle_batches(reader: pa.RecordBatchReader, batch_positions: int) -> Iterator[pa.Table]:
    """Cut a (vehicle, time)-sorted stream of positions into tables of whole vehicles, each of
    about ``batch_positions`` rows (a vehicle is never split across two tables)."""
    pending: list[pa.RecordBatch] = []
    rows = 0
    for rb in reader:
        if rb.num_rows == 0:
            continue
        pending.append(rb)
        rows += rb.num_rows
        if rows < batch_positions:
            continue
        table = pa.Table.from_batches(pending)
        vid = table.column("vehicle_id")
        last = vid[len(vid) - 1].as_py()
        # rows of the last vehicle stay for the next table (its track may continue)
        is_last = pc.equal(vid, last)
        first_of_last = len(vid) - int(pc.sum(is_last).as_py() or 0)
        if first_of_last == 0:
            continue  # one vehicle fills the whole batch: keep reading
        yield table.slice(0, first_of_last)
        rest = table.slice(first_of_last)
        pending = rest.to_batches()
        rows = rest.num_rows
    if rows:
        yield pa.Table.from_batches(pending)


def detect_track(track: Track, pr: Pairs, geo: Geography, tickets: pd.DataFrame,
                 p: SafetyParams) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """All trajectory detectors over one track: (events, per-step fatigue seconds, per-fix
    'judged on an unknown road above the other-road limit' flags)."""
    fr = match_limits(track, geo.roads, geo.fences, p)
    st = stretches(pr, p)
    frames = [
        detect_speeding(track, fr, geo.roads, p),
        detect_fatigue(track, pr, st, p),
        detect_night_ban(track, fr, geo.roads, p),
        detect_off_route(track, geo.fences, p),
        detect_offline_displacement(track, p),
        detect_faulty_terminal(track, pr, tickets, p),
    ]
    frames = [f for f in frames if len(f)]
    events = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=list(EVENT_COLUMNS))
    return events, fatigue_seconds(pr, st, p), fr.unknown & (track.speed > p.other_kmh)


@dataclass
class BatchResult:
    """One batch of whole vehicles: staged violations inside [T0, T1) and vehicle-day rows."""

    stage: pd.DataFrame
    days: pd.DataFrame
    vehicles: int
    positions: int


def detect_batches(reader: pa.RecordBatchReader, batch_positions: int, geo: Geography,
                   tickets: pd.DataFrame, T0: float, T1: float, p: SafetyParams,
                   timings: dict[str, float] | None = None) -> Iterator[BatchResult]:
    """The detection of the positions ``reader`` streams, sorted, batch by batch of whole
    vehicles (:func:`vehicle_batches`): the Spark executors' loop (:func:`detect_tables`)."""
    yield from detect_tables(vehicle_batches(reader, batch_positions), geo, tickets, T0, T1, p,
                             timings)


def detect_tables(tables: Iterable[pa.Table], geo: Geography, tickets: pd.DataFrame,
                  T0: float, T1: float, p: SafetyParams,
                  timings: dict[str, float] | None = None) -> Iterator[BatchResult]:
    """The detection of ``tables`` of whole vehicles, sorted by (vehicle, time, pos_seq): the
    one loop both engines run (:func:`detect` here, the Spark executors' kernel there).
    ``timings`` accumulates ``load`` (reading + track), ``detect`` and ``history`` seconds."""
    clock = time.perf_counter
    spent = timings if timings is not None else {"load": 0.0, "detect": 0.0, "history": 0.0}
    tic = clock()
    for table in tables:
        track = Track.from_arrow(table, p)
        del table  # the batch's Arrow copy is not needed beside the track
        pr = pairs(track, p)
        spent["load"] += clock() - tic
        tic = clock()
        events, fatigue_s, unknown = detect_track(track, pr, geo, tickets, p)
        events = events[(events["start_t"] >= T0) & (events["start_t"] < T1)]
        stage = stage_track_events(events, track, p)
        spent["detect"] += clock() - tic
        tic = clock()
        days = day_metrics(track, pr, fatigue_s, T0, T1, p, road_unknown=unknown)
        spent["history"] += clock() - tic
        yield BatchResult(stage, days, int(np.unique(track.vid).size), track.n)
        tic = clock()


def stage_track_events(events: pd.DataFrame, track: Track, p: SafetyParams) -> pd.DataFrame:
    """Trajectory events -> rows of the violations stage (vehicle, enterprise, place ...)."""
    if events.empty:
        return pd.DataFrame(columns=list(STAGE_COLUMNS))
    i0 = np.clip(events["i0"].to_numpy(np.int64), 0, track.n - 1)
    i1 = np.clip(events["i1"].to_numpy(np.int64), 0, track.n - 1)
    out = pd.DataFrame({
        "rule_id": events["rule_id"].to_numpy(dtype=object),
        "vehicle_id": track.vehicles[events["vid"].to_numpy(np.int64)],
        "enterprise_id": track.enterprises[track.ent[i0]],
        "provider_id": track.providers[track.prov[i0]],
        "terminal_phone": track.terminals[track.term[i0]],
        "start_t": events["start_t"].to_numpy(float),
        "end_t": events["end_t"].to_numpy(float),
        "lat_deg": track.lat[i0], "lon_deg": track.lon[i0],
        "end_lat_deg": track.lat[i1], "end_lon_deg": track.lon[i1],
    })
    for c in ("distance_km", "peak_speed_kmh", "avg_speed_kmh", "limit_kmh", "over_ratio",
              "severity", "detail_json"):
        out[c] = events[c].to_numpy()
    out["alarm_type"] = np.nan
    out["alarm_level"] = np.nan
    return _with_rule_columns(out, p)


def stage_alarm_events(df: pd.DataFrame, p: SafetyParams) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=list(STAGE_COLUMNS))
    out = pd.DataFrame({
        "rule_id": df["rule_id"].to_numpy(dtype=object),
        "vehicle_id": df["vehicle_id"].to_numpy(dtype=object),
        "enterprise_id": df["enterprise_id"].to_numpy(dtype=object),
        "provider_id": df["provider_id"].to_numpy(dtype=object),
        "terminal_phone": df["terminal_phone"].to_numpy(dtype=object),
        "start_t": df["start_us"].to_numpy(dtype=float) / 1e6,
        "end_t": df["end_us"].to_numpy(dtype=float) / 1e6,
        "lat_deg": df["lat_deg"].to_numpy(dtype=float),
        "lon_deg": df["lon_deg"].to_numpy(dtype=float),
        "end_lat_deg": df["end_lat_deg"].to_numpy(dtype=float),
        "end_lon_deg": df["end_lon_deg"].to_numpy(dtype=float),
        "distance_km": np.nan,
        "peak_speed_kmh": df["peak_speed_kmh"].to_numpy(dtype=float),
        "avg_speed_kmh": df["avg_speed_kmh"].to_numpy(dtype=float),
        "limit_kmh": np.nan, "over_ratio": np.nan, "severity": None,
        "alarm_type": df["alarm_type"].to_numpy(dtype=float),
        "alarm_level": df["alarm_level"].to_numpy(dtype=float),
        "detail_json": df[["reports", "any_backfill", "alarm_key"]].to_json(
            orient="records", lines=True).rstrip("\n").split("\n"),
    })
    return _with_rule_columns(out, p)


def _with_rule_columns(out: pd.DataFrame, p: SafetyParams) -> pd.DataFrame:
    rules = {r: rule_info(r) for r in pd.unique(out["rule_id"])}
    out["rule_group"] = out["rule_id"].map({r: i.group for r, i in rules.items()})
    out["rule_name_zh"] = out["rule_id"].map({r: i.name_zh for r, i in rules.items()})
    groups = {g: p.rule_params_json(g) for g in pd.unique(out["rule_group"])}
    out["params_json"] = out["rule_group"].map(groups)
    return out[list(STAGE_COLUMNS)]


@dataclass
class DetectRun:
    """One detection run of Beijing days [start, end): what both engines read on the driver
    before the per-vehicle work (:func:`begin_detect`) and what they store after it
    (:func:`finish_detect`)."""

    start: date
    end: date
    params: SafetyParams
    geo: Geography
    tickets: pd.DataFrame
    t0: datetime  # the range
    t1: datetime
    c0: datetime  # the positions read around it (CONTEXT_BEFORE / CONTEXT_AFTER)
    c1: datetime
    wall: float  # perf_counter at the start
    report: DetectReport
    run_id: str = ""  # the invocation's (safety.runs: its ranges share it); "" = a new one
    command: str = "detect"  # safety.runs.command

    @property
    def epoch_range(self) -> tuple[float, float]:
        """The range in epoch seconds (what the detectors compare)."""
        return self.t0.timestamp(), self.t1.timestamp()


def begin_detect(con: duckdb.DuckDBPyConnection, start: date, end: date,
                 params: SafetyParams | None = None,
                 geo: Geography | None = None, *, run_id: str | None = None,
                 command: str = "detect") -> DetectRun:
    """Check the range (not empty, not purged), create the safety schema and read the road
    index, fences (unless ``geo`` is given: loaded earlier, its route corridors reused) and
    fault tickets the detectors use. ``run_id`` / ``command``: the invocation this range
    belongs to, as ``safety.runs`` records it (default: a new run of ``detect``)."""
    if end <= start:
        raise ValueError(f"empty date range {start} .. {end}")
    refuse_purged(con, beijing_midnight(start),
                  f"detect {start}..{end - timedelta(days=1)}",
                  "safety.violations, safety.vehicle_days and safety.enterprise_months")
    p = params or SafetyParams.from_rules()
    require_current(con, p.validity)  # the stored flags were computed under these [validity]
    wall = time.perf_counter()
    ensure_schema(con)
    t0, t1 = beijing_midnight(start), beijing_midnight(end)
    c0, c1 = t0 - CONTEXT_BEFORE, t1 + CONTEXT_AFTER
    geo = geo or Geography.load(con)
    tickets = con.sql(read_sql("fault_tickets"), params={"t0": c0, "t1": c1}).to_df()
    return DetectRun(start, end, p, geo, tickets, t0, t1, c0, c1, wall,
                     DetectReport(start, end), run_id or uuid.uuid4().hex, command)


def finish_detect(con: duckdb.DuckDBPyConnection, run: DetectRun, staged: list[pd.DataFrame],
                  days: list[pd.DataFrame], timings: dict[str, float],
                  parts: PositionParts | None = None) -> DetectReport:
    """Stage the alarm events of the range with the detectors' events (``staged``), store
    everything with the vehicle-day metrics ``days`` (:func:`write_results`; ``parts``: the
    range's position counts and power pulls when computed elsewhere, else from ``con``'s
    positions) and complete the run's report (``timings`` plus ``alarms`` and ``write``)."""
    p, report = run.params, run.report
    tic = time.perf_counter()
    staged = [*staged, stage_alarm_events(load_alarm_events(con, run.t0, run.t1), p)]
    timings["alarms"] = time.perf_counter() - tic
    kept = [s for s in staged if len(s)]
    stage = (pd.concat(kept, ignore_index=True) if kept
             else pd.DataFrame(columns=list(STAGE_COLUMNS)))
    day_frame = pd.concat(days, ignore_index=True) if days else pd.DataFrame()
    tic = time.perf_counter()
    counts = write_results(con, stage, day_frame, run.start, run.end, run.t0, run.t1, p,
                           report_start=run.wall, vehicles=report.vehicles,
                           positions=report.positions, run_id=run.run_id or None,
                           command=run.command, parts=parts)
    timings["write"] = time.perf_counter() - tic
    report.violations = counts.violations
    report.vehicle_days = counts.vehicle_days
    report.enterprise_months = counts.enterprise_months
    report.vehicle_months = counts.vehicle_months
    report.duration_s = time.perf_counter() - run.wall
    report.timings_s = timings
    return report


def detect(
    con: duckdb.DuckDBPyConnection,
    start: date,
    end: date,
    *,
    params: SafetyParams | None = None,
    batch_positions: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    geo: Geography | None = None,
    run_id: str | None = None,
    command: str = "detect",
) -> DetectReport:
    """Detect violations and rebuild the safety histories for Beijing days [start, end).

    ``progress(fixes_done, 0)`` is called after each vehicle batch of about
    ``batch_positions`` fixes (default ``[daily] detect_batch_positions``). ``geo``: the roads
    and fences loaded by an earlier call on the same warehouse (``Geography.load``), whose
    route corridors, built as points need them, are reused (``hazrisk daily`` detects two days).
    ``run_id`` / ``command``: the invocation the range belongs to (``safety.runs`` gets one
    row per range; the ranges of one ``hazrisk daily`` share its run id).
    """
    run = begin_detect(con, start, end, params, geo, run_id=run_id, command=command)
    p, report = run.params, run.report
    if batch_positions is None:
        batch_positions = int(load_rules().daily.detect_batch_positions)
    timings: dict[str, float] = {"load": 0.0, "detect": 0.0, "history": 0.0}
    staged: list[pd.DataFrame] = []
    days: list[pd.DataFrame] = []
    tables = whole_vehicle_batches(con, read_sql("positions"), {"t0": run.c0, "t1": run.c1},
                                   batch_positions)
    for k, batch in enumerate(detect_tables(tables, run.geo, run.tickets, *run.epoch_range, p,
                                            timings)):
        staged.append(batch.stage)
        days.append(batch.days)
        report.vehicles += batch.vehicles
        report.positions += batch.positions
        report.batches = k + 1
        if progress is not None:
            progress(report.positions, 0)
    report = finish_detect(con, run, staged, days, timings)
    return report
