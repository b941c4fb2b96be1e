"""One vehicle end to end: true track, events, terminal plan, frames, and its truth rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hazrisk.simulate import wire
from hazrisk.simulate.dumps import frames
from hazrisk.simulate.dumps.writer import KIND_GARBAGE, KIND_TRUNCATED, RECV, _ranges
from hazrisk.simulate.fleet import geo
from hazrisk.simulate.fleet.profiles import MakerProfile, ProviderProfile
from hazrisk.simulate.movement import drivers, events
from hazrisk.simulate.movement.track import DAY, Track, simulate_track
from hazrisk.simulate.rng import rng_for
from hazrisk.simulate.terminal import monitor, recording, tampering
from hazrisk.simulate.truth import observable, rates

HEADER = {2013: 12, 2019: 17}
_EXPECT = {"bad_checksum": ("rejected", "bad_checksum"), "truncated": ("rejected", "truncated"),
           "garbage": ("garbage", "garbage"), "invalid_bcd_time": ("ok", "invalid_bcd_time"),
           "lat_out_of_range": ("ok", "lat_out_of_range"),
           "speed_out_of_range": ("ok", "speed_out_of_range"),
           "no_fix": ("ok", "lat_out_of_range;lon_out_of_range"), "drift": ("ok", ""),
           "future_time": ("ok", ""), "dropped": ("missing", ""),
           "backfill_lost": ("missing", ""), "pending_backfill": ("missing", ""),
           "unrecorded": ("missing", "")}


@dataclass
class Context:
    seed: int
    t0: int
    t_end: int
    days: int
    rules: Any
    network: Any
    lanes: dict[str, list[tuple[str, str]]]
    allowed: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]]
    providers: dict[str, ProviderProfile]
    makers: dict[str, MakerProfile]
    culture: dict[str, float]
    operators: dict[str, list[str]]
    domains: dict[str, str]
    crew: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # vehicle -> drivers
    names: dict[str, dict[str, int]] = field(default_factory=dict)  # enterprise -> name counts


@dataclass
class VehicleResult:
    vidx: int
    provider_id: str
    meta: np.ndarray
    flat: np.ndarray
    track: Track
    faults: list[dict[str, Any]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    outages: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    handling: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    observed: list[dict[str, Any]] = field(default_factory=list)
    delivery: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    periods: list[dict[str, Any]] = field(default_factory=list)
    days: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    tampering: list[dict[str, Any]] = field(default_factory=list)
    preservation: dict[str, int] = field(default_factory=dict)


def _params(veh: dict[str, Any], prov: ProviderProfile, kind: str, version: int) -> dict[str, Any]:
    main = prov.platform_domain
    backup: str | None = None
    if kind == "wrong_domain":
        main = ("jt1.gghypt.net", "gps.old-platform.cn", "jt808.test.local")[
            int(veh["terminal_phone"][-1]) % 3]
    elif kind == "bare_ip":
        main = f"115.236.{int(veh['terminal_phone'][-3:]) % 250}.{int(veh['terminal_phone'][-2:]) + 10}"
    elif kind == "backup_ip":
        backup = f"60.191.{int(veh['terminal_phone'][-2:])}.7"
    elif int(veh["terminal_phone"][-1]) % 3 == 0:
        backup = prov.platform_domain
    port = 7000 + int(prov.provider_id[1:]) * 11
    p: dict[str, Any] = {"0x0001": int(veh["heartbeat_s"])}
    p["0x0013"] = f"{main}:{port}" if version == 2019 else main
    if backup is not None:
        p["0x0017"] = f"{backup}:{port}" if version == 2019 else backup
    if version != 2019:
        p["0x0018"] = port
    p["0x0027"] = int(veh["parked_interval_s"])
    p["0x0029"] = int(veh["moving_interval_s"])
    return p


def run_vehicle(ctx: Context, veh: dict[str, Any], vidx: int) -> VehicleResult:
    vid = str(veh["vehicle_id"])
    prov = ctx.providers[str(veh["provider_id"])]
    maker = ctx.makers[str(veh["maker_id"])]
    version = int(veh["protocol_version"])
    phone = str(veh["terminal_phone"])
    eid = str(veh["enterprise_id"])
    track = simulate_track(veh, ctx.lanes[eid], ctx.network, ctx.t0, ctx.days,
                           rng_for(ctx.seed, "move", vid))
    alarms = events.make_alarms(track, veh, rng_for(ctx.seed, "alarms", vid))
    violations = events.detect(track, ctx.rules, ctx.allowed[eid])
    plan = recording.plan_terminal(track, veh, prov, maker, rng_for(ctx.seed, "terminal", vid),
                                  ctx.t0, ctx.t_end)
    t = track.t
    rt = ((plan.state == recording.REALTIME) | (plan.state == recording.NO_FIX))
    seen = rt & ~plan.dropped & (plan.ffault != recording.F_CHECKSUM)
    rng = rng_for(ctx.seed, "frames", vid)
    reminders, handling, alarm_cases = monitor.plan_handling(
        violations, alarms, seen, t, ctx.culture[eid], prov, ctx.operators[eid],
        rng_for(ctx.seed, "monitor", vid), ctx.t_end)
    # --- rare messages -----------------------------------------------------------------
    rare: list[frames.Msg] = []
    crew = drivers.roster(ctx.crew.get(vid, []), version, ctx.names.get(eid, {}))
    shifts = drivers.shifts(track, crew, rng_for(ctx.seed, "drivers", vid))
    cards, sessions = drivers.card_messages(shifts, seen, t, version, ctx.t_end, 300)
    rare.extend(frames.Msg(s, r, 0x0702, body, True) for s, r, body in cards)
    items = maker.items
    ok_alarm = np.isin(alarms["idx"], np.flatnonzero(seen & (plan.qfault == 0) & (plan.ffault == 0)))
    alarm_idx = alarms["idx"][ok_alarm]
    clean = plan.qfault == 0
    clean[alarm_idx] = False
    plan.alarm = tampering.alarm_bits(tampering.kind_of(vidx, bool(veh["registered"])), track,
                                      clean, rng_for(ctx.seed, "tampering", vid))
    for n, k in enumerate(np.flatnonzero(ok_alarm)):
        i = int(alarms["idx"][k])
        body = frames.alarm_body(track, veh, items, i, int(alarms["system"][k]),
                                 int(alarms["alarm_type"][k]), int(alarms["level"][k]), n + 1)
        rare.append(frames.Msg(int(t[i]) * 1000 + 200, int(t[i]) * 1000 + 200 + int(plan.latency_ms[i]),
                               0x0200, body, True, i))
    for c, when in enumerate(plan.connects):
        if c == 0 and rng.random() < 0.15:
            rare.append(frames.Msg(when * 1000, when * 1000 + 300, 0x0100, _register(veh, version), True))
            rare.append(frames.Msg(when * 1000 + 600, when * 1000 + 600, 0x8100,
                                   {"reply_serial": 0, "result": 0, "auth_code": _auth(phone)}, False))
        auth: dict[str, Any] = {"auth_code": _auth(phone)}
        if version == 2019:
            auth.update({"imei": f"86{int(phone[-11:]):013d}", "software_version": "V3.1.8"})
        rare.append(frames.Msg(when * 1000 + 900, when * 1000 + 1200, 0x0102, auth, True))
    answers: list[dict[str, Any]] = []
    kind = str(veh.get("domain_kind", "correct"))
    on_t = t[seen]
    for week in range(0, ctx.days, 7):
        q = ctx.t0 + week * DAY + 10 * 3600 + int(rng.integers(0, 1800))
        j = int(np.searchsorted(on_t, q))
        if j >= len(on_t) or on_t[j] >= ctx.t0 + (week + 7) * DAY:
            continue
        tq = int(on_t[j]) + 1
        rare.append(frames.Msg(tq * 1000, tq * 1000, 0x8104, {}, False))
        if kind != "no_answer":
            params = _params(veh, prov, kind, version)
            ta = tq * 1000 + int(rng.integers(400, 2500))
            ra = ta + int(plan.latency_ms[0])
            rare.append(frames.Msg(ta, ra, 0x0104, {"reply_serial": -1, "params": params}, True))
            answers.append({"vehicle_id": vid, "provider_id": prov.provider_id,
                            "recv_ms": ra, "main": params["0x0013"],
                            "backup": params.get("0x0017")})
    for r in reminders:
        body = {"flags": monitor.TEXT_FLAGS, "text": r["text"]}
        if version == 2019:
            body = {"flags": monitor.TEXT_FLAGS, "text_type": 1, "text": r["text"]}
        rare.append(frames.Msg(r["time"] * 1000, r["time"] * 1000, 0x8300, body, False))
    # --- bulk: real-time 0x0200 ----------------------------------------------------------
    rt_idx = np.flatnonzero(rt)
    bulk_idx = rt_idx[~np.isin(rt_idx, alarm_idx)]
    batch = max(1, min(15, 1000 // (2 + 28 + sum(2 + wire.ITEM_WIDTH[k][0] for k in items))))
    bf_groups: list[tuple[int, np.ndarray]] = []
    for rec_t, idx in plan.backfill:
        for s in range(0, len(idx), batch):
            bf_groups.append((rec_t * 1000 + 3000 + 1000 * (s // batch), idx[s:s + batch]))
    # serials: every uplink message in send order
    up_send = np.concatenate([t[bulk_idx] * 1000 + 200, [g[0] for g in bf_groups],
                              [m.send_ms for m in rare if m.up]]).astype(np.int64)
    hb = _heartbeats(up_send, plan, int(veh["heartbeat_s"]), ctx.t_end)
    all_send = np.concatenate([up_send, hb * 1000])
    order = np.argsort(all_send, kind="stable")
    serial = np.empty(len(all_send), np.int64)
    s0 = int(rng.integers(0, 65536))
    serial[order] = (s0 + np.arange(len(all_send))) & 0xFFFF
    nb, ng = len(bulk_idx), len(bf_groups)
    n_up_rare = sum(1 for m in rare if m.up)
    ph = wire.phone_bcd(phone, version)
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    # real-time reports
    rows = frames.bodies(track, plan, veh, items, bulk_idx)
    flat, lens = wire.frames_fixed(0x0200, rows, ph, serial[:nb], version)
    meta = frames.make_meta(t[bulk_idx] * 1000 + 200 + plan.latency_ms[bulk_idx], RECV, lens)
    keep = ~plan.dropped[bulk_idx]
    faults: list[dict[str, Any]] = []
    fault_base = vidx << 24

    def fault(kind: str, i: int, msg_id: int, ser: int) -> int:
        fid = fault_base + len(faults)
        status, reason = _EXPECT[kind]
        faults.append({"fault_id": fid, "kind": kind, "vehicle_id": vid, "terminal_phone": phone,
                       "provider_id": prov.provider_id, "msg_id": msg_id, "serial": ser,
                       "sample_time": int(t[i]) if i >= 0 else None,
                       "expected_status": status, "expected_reason": reason})
        return fid

    starts = np.cumsum(lens) - lens
    g_set = np.zeros(len(t), bool)
    g_set[plan.garbage_after] = True
    g_set[alarm_idx] = False
    special = np.flatnonzero(plan.dropped[bulk_idx] | (plan.qfault[bulk_idx] > 0)
                             | (plan.ffault[bulk_idx] > 0) | g_set[bulk_idx])
    extra: list[bytes] = []
    extra_at = len(flat)
    src_start = starts.copy()
    src_len = lens.copy()
    for k in special:
        i = int(bulk_idx[k])
        if plan.dropped[i]:
            fault("dropped", i, 0x0200, int(serial[k]))
            continue
        q, ff = int(plan.qfault[i]), int(plan.ffault[i])
        fr = flat[starts[k]:starts[k] + lens[k]].tobytes()
        if q:
            meta["fault_id"][k] = fault(recording.Q_NAMES[q], i, 0x0200, int(serial[k]))
        if ff:
            fr, cut = frames.corrupt(rng, fr, ff, HEADER[version])
            if cut >= 0:
                meta["fault_id"][k] = fault(recording.F_NAMES[ff], i, 0x0200, int(serial[k]))
                if ff == recording.F_TRUNCATED:
                    meta["kind"][k], meta["split"][k] = KIND_TRUNCATED, cut
        elif g_set[i] and not q:  # garbage right behind this frame
            meta["kind"][k], meta["split"][k] = KIND_GARBAGE, len(fr)
            fr += frames.garbage_blob(rng)
            meta["fault_id"][k] = fault("garbage", i, -1, -1)
        src_start[k], src_len[k] = extra_at, len(fr)
        meta["length"][k] = len(fr)
        extra.append(fr)
        extra_at += len(fr)
    if extra:
        flat = np.concatenate([flat, np.frombuffer(b"".join(extra), np.uint8)])
    flat = flat[_ranges(src_start[keep], src_len[keep])]
    meta = meta[keep]
    parts.append((meta, flat, meta["length"]))
    # blind-area backfill
    if bf_groups:
        bodies_bf = [wire.batch_bodies(frames.bodies(track, plan, veh, items, idx, sent=False),
                                       1, batch)[0] for _, idx in bf_groups]
        flat, lens = wire.frames_var(0x0704, bodies_bf, ph, serial[nb:nb + ng], version)
        recv = np.array([g[0] for g in bf_groups]) + int(np.median(plan.latency_ms))
        parts.append((frames.make_meta(recv, RECV, lens), flat, lens))
    # heartbeats
    if len(hb):
        flat, lens = wire.frames_fixed(0x0002, np.zeros((len(hb), 0), np.uint8), ph,
                                       serial[nb + ng + n_up_rare:], version)
        parts.append((frames.make_meta(hb * 1000 + 150, RECV, lens), flat, lens))
    # rare messages: uplink serials from the shared sequence, downlink from the platform
    serial_of: dict[int, int] = {}
    k_up, k_down = nb + ng, int(rng.integers(0, 65536))
    last_down: dict[int, int] = {}
    for j, m in enumerate(rare):
        if m.up:
            serial_of[j] = int(serial[k_up])
            k_up += 1
        else:
            serial_of[j] = k_down & 0xFFFF
            k_down += 1
            last_down[m.msg_id] = serial_of[j]
        if m.msg_id == 0x0104:
            m.body["reply_serial"] = last_down.get(0x8104, 0)
        if m.msg_id == 0x8100:
            m.body["reply_serial"] = serial_of.get(j - 1, 0)
    rmeta, rflat = frames.encode_rare(rare, phone, version, serial_of)
    parts.append((rmeta, rflat, rmeta["length"]))
    meta_all, flat_all = frames.assemble(parts)
    keep_all = meta_all["recv_ms"] < ctx.t_end * 1000
    meta_all["vidx"] = vidx
    order = np.lexsort((meta_all["direction"], meta_all["recv_ms"]))
    meta_all["seq"][order] = np.arange(len(meta_all))
    ends = np.cumsum(meta_all["length"].astype(np.int64))
    starts = ends - meta_all["length"]
    if not keep_all.all():
        flat_all = flat_all[_ranges(starts[keep_all], meta_all["length"][keep_all].astype(np.int64))]
        meta_all = meta_all[keep_all]
    # missing points
    for i in plan.backfill_lost:
        fault("backfill_lost", int(i), 0x0704, -1)
    for i in plan.pending:
        fault("pending_backfill", int(i), 0x0704, -1)
    # delivered records -> rate contributions
    rec = _records(track, plan, bulk_idx[keep], alarm_idx, bf_groups,
                   int(np.median(plan.latency_ms)) if len(plan.latency_ms) else 0, ctx.t_end * 1000)
    delivery = observable.delivery_codes(plan, rt, rec, ctx.t_end)
    good = np.zeros(len(t), bool)
    good[rec["idx"][rec["lat"] != 0]] = True
    for o in plan.outages:
        sl = slice(int(np.searchsorted(t, o["start"])), int(np.searchsorted(t, o["end"])))
        o["recovered_points"] = int(good[sl].sum())
    violations.extend(events.offline_displacement(rec, track, ctx.rules))
    violations.extend(events.faulty_dispatch(track, plan.tickets, ctx.t_end))
    observed = observable.observability(track, delivery, violations, alarm_cases, alarms, ok_alarm, ctx,
                              eid)
    cases = violations + alarm_cases
    on, seen_on = drivers.on_duty(shifts, sessions,
                                  np.array([int(c["start"]) for c in cases], np.int64))
    for case, d_true, d_seen in zip(cases, on, seen_on, strict=True):
        case["driver_id"], case["driver_id_observable"] = d_true, d_seen
    res = VehicleResult(vidx, prov.provider_id, meta_all, flat_all, track, faults=faults,
                        violations=violations, alarms=alarm_cases, outages=plan.outages,
                        tickets=plan.tickets, handling=handling, answers=answers,
                        delivery=delivery, observed=observed, sessions=sessions)
    res.preservation = observable.preservation(plan.state, delivery)
    if plan.alarm.any():
        bf = delivery == 4
        res.tampering = tampering.expected(
            plan.alarm, np.isin(delivery, (0, 1, 4)) & (plan.qfault != recording.Q_BCD),
            np.where(bf, t, plan.sent_time), np.where(bf, track.speed, plan.sent_speed),
            int(ctx.rules.safety.power_pulls_min), float(ctx.rules.safety.moving_speed_kmh))
    res.periods, res.days = rates.record_contrib(vid, prov.provider_id, bool(veh["registered"]),
                                                 rec, ctx.rules)
    return res


def _register(veh: dict[str, Any], version: int) -> dict[str, Any]:
    maker = str(veh["maker_id"])
    city = geo.CITY_GB[str(veh["city_code"])]
    return {"province_id": 33, "city_id": int(city[2:]) * 100,
            "maker_id": (maker * 3)[:11 if version == 2019 else 5],
            "model": str(veh["device_model"]), "terminal_id": str(veh["terminal_id"]),
            "plate_color": 2, "plate": str(veh["plate"])}


def _auth(phone: str) -> str:
    return "AC" + phone[-8:]


def _heartbeats(send_ms: np.ndarray, plan: recording.Plan, hb_s: int, t_end: int) -> np.ndarray:
    """0x0002 times (s) in connected gaps longer than the heartbeat interval."""
    if not len(send_ms):
        return np.zeros(0, np.int64)
    s = np.sort(send_ms) // 1000
    disc = np.array(sorted(plan.disconnects), dtype=np.int64)
    period = np.searchsorted(disc, s, side="right")
    gap = np.diff(s)
    same = period[1:] == period[:-1]
    n = np.where(same, (gap - 1) // hb_s, 0)
    n = np.maximum(n, 0)
    base = np.repeat(s[:-1], n)
    k = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n) + 1
    hb = base + k * hb_s
    return hb[hb < t_end].astype(np.int64)


def _records(track: Track, plan: recording.Plan, rt_idx: np.ndarray, alarm_idx: np.ndarray,
             bf_groups: list[tuple[int, np.ndarray]], bf_latency: int, t_end_ms: int
             ) -> dict[str, np.ndarray]:
    """Location records the decoder will see (rejected frames hold none)."""
    rt_idx = rt_idx[plan.ffault[rt_idx] != recording.F_CHECKSUM]
    rt_all = np.concatenate([rt_idx, alarm_idx]).astype(np.int64)
    bf = np.concatenate([g[1] for g in bf_groups]) if bf_groups else np.zeros(0, np.int64)
    bf_recv = np.concatenate([np.full(len(g[1]), g[0] + bf_latency) for g in bf_groups]) if bf_groups \
        else np.zeros(0, np.int64)
    idx = np.concatenate([rt_all, bf]).astype(np.int64)
    backfill = np.concatenate([np.zeros(len(rt_all), bool), np.ones(len(bf), bool)])
    sent = ~backfill
    recv = np.concatenate([track.t[rt_all] * 1000 + 200 + plan.latency_ms[rt_all], bf_recv])
    inside = recv < t_end_ms
    idx, backfill, sent, recv = idx[inside], backfill[inside], sent[inside], recv[inside]
    out = {"time": np.where(sent, plan.sent_time[idx], track.t[idx]),
           "time_ok": ~(sent & (plan.qfault[idx] == recording.Q_BCD)),
           "recv_ms": recv,
           "lat": np.where(sent, plan.sent_lat[idx], track.lat[idx]),
           "lon": np.where(sent, plan.sent_lon[idx], track.lon[idx]),
           "speed": np.where(sent, plan.sent_speed[idx], track.speed[idx]),
           "acc": track.acc[idx], "drift": sent & (plan.qfault[idx] == recording.Q_DRIFT),
           "backfill": backfill, "idx": idx}
    return out


