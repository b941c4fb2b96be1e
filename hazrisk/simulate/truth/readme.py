"""Text of ``truth/README.md`` (written with every simulation, so each output explains itself)."""

from __future__ import annotations

from pathlib import Path

from hazrisk.localtime import TIMEZONE

TRUTH_README = """\
# truth/ — the known answers of this simulation (never read by the pipeline)

Written by `hazrisk simulate` (package `hazrisk.simulate`). Times are ISO 8601 with `+08:00`
(Beijing) in CSV files and `timestamp[s, $TIMEZONE]` in Parquet files.

## Dumps: one gateway format per provider
Each provider has one gateway and so one dump format (`providers.csv` column `dump_format`):
`dumps/<provider>/<date>.bin` (raw TCP capture, both directions) or
`dumps/<provider>/<date>.log.gz` (`YYYY-MM-DD hh:mm:ss.fff RECV|SEND <hex>` per frame). A
frame is written exactly once, so ingesting the whole `dumps/` folder counts every frame once.
The capture starts with a gateway restart: each terminal authenticates (0x0102; some also
register, 0x0100/0x8100) before its first report and after every reconnection. The platform
asks for the terminal parameters (0x8104) on day 1 and every 7 days; terminals answer with
0x0104 (0x0013 main server, 0x0017 backup server when set, 0x0018 port for 2013 terminals,
0x0001/0x0027/0x0029 intervals). 2019 terminals answer `host:port` as JT/T 808-2019 says.
Reminders from the monitoring centre are 0x8300 frames (SEND). Blind-area points come back as
0x0704 batch type 1 after the reconnection, oldest points lost when storage overflowed.

## Files
| file | what |
|---|---|
| `trajectories.parquet` | every sample of the terminal's clock: `vehicle_id, time, lat, lon, speed, road_class, moving, acc_on, heading, altitude_m, odometer_km, delivery`; `delivery` says how the sample reached the platform: `realtime`, `faulted` (sent with a glitch, see faults), `rejected` (bad check code), `dropped` (lost in transit), `backfill` (0x0704), `backfill_lost`, `pending_backfill` (still stored at the end), `unrecorded` (terminal off), `after_window` (received after the last day) |
| `faults.parquet` | every injected fault: `fault_id, kind, vehicle_id, provider_id, terminal_phone, msg_id, serial, sample_time, expected_status, expected_reason, file, offset, length, line` (`line` for hex logs; `offset`/`length` are byte positions in the decompressed file, as `hazrisk.jt808.iter_records` reports them) |
| `fault_counts.csv` | faults counted by `provider_id, file, kind, expected_status, expected_reason` |
| `violations.csv` | true violation events found on the true track (definitions below) with `seen_realtime`, `reminder_time`, `reminder_via` (`0x8300`/`phone`), `actions`, and `observable` / `evidence` (see "Observable truth"), `driver_id` (true driver on duty at the start) and `driver_id_observable` (what the reported 0x0702 card events show by the warehouse's rule), and the handling truth: `reminded` (within 1 h), `continued_after_reminder`, `repeated_after_reminder`, `escalation_due`, `escalated`, `escalation_failure`, `dismissed`, `handled` (definitions below) |
| `driver_sessions.csv` | who was on duty: `vehicle_id, driver_id, start, end` per IC-card session (shift start/end, swaps at rests of two-driver shifts) with `in_reported` / `out_reported` (the 0x0702 reached the platform: the terminal was connected) |
| `tampering.csv` | expected `safety.tampering` rows of the injected tampering (one registered vehicle in nine: antenna cut / short or GNSS-fault bit episodes, or the power-down bit switched on three times in a day while driving): `vehicle_id, day, kind, reports, moving_reports` over the delivered reports (`hazrisk/simulate/terminal/tampering.py`) |
| `violations_observable_only.csv` | events the delivered samples show although the true track does not (`in_truth` false; see "Observable truth") |
| `alarms.csv` | ADAS (0x64) / DSM (0x65) alarms: `time, system, alarm_type, level, true_event` (false alarms too), `observable` (its real-time frame was received) and their handling |
| `outages.csv` | `signal_loss`, `power_off`, `never_online`, `fault_comm`, `fault_power`, `fault_gnss` intervals with `expected_points`, `moving_points`, `recovered_points` |
| `registry_defects.csv` | per registered vehicle: `defects`, `domain_kind`, `never_online`, `image_defects`, `phone_kind` |
| `expected_rates.csv` | the seven provider rates and 入网率/上线率/漂移车辆率 per `provider_id, period` with `numerator, denominator, value` |
| `expected_verdicts.csv` | 标准化评价 from the expected rates and KPIs under the conf's weights, floors, pass mark and targets: per provider and period `score, passed, reasons`; per device maker `passed, reasons` (24 h repair and preservation targets; `hazrisk/simulate/truth/verdicts.py`) |
| `expected_rates_by_vehicle.csv` | per vehicle and period: `conformant, domain_ok, images_ok, phone_ok` |
| `expected_device_kpis.csv` | per device maker (`device_model` `*`) and per maker and model: 24 h repair rate (tickets; `censored` open tickets left out) and data preservation during outages |
| `vehicle_days.csv` | per vehicle-day: records, qualified fixes, incomplete segments, observed and complete km |
| `vehicles.csv`, `enterprises.csv`, `providers.csv`, `device_makers.csv` | the true actors: latent `safety_culture`, behaviour rates, terminal intervals, provider and maker quality profiles |
| `claims_model.json`, `vehicle_years.parquet`, `claims_truth.parquet` | the claims generating process (insurance part); `claims_truth` has every claim with `loss_date`, `report_date`, `report_delay_days` (`insurance/claims.csv` only those reported by the last simulated day) |
| `history_model.json` | how `history/vehicle_months.csv` was drawn: detection factors, false-alarm rates, monthly km noise, calibration |

Fault kinds and what the decoder should say: `bad_checksum` (rejected, bad_checksum: one body
byte flipped), `truncated` (rejected, truncated: a frame broken off without its closing flag,
followed by its complete retransmission), `garbage` (bytes that are no frame: HTTP probes,
AT commands, TLS hellos ...), `invalid_bcd_time` (ok, quality flag: month nibble `1A`),
`lat_out_of_range` (ok, flag: latitude + 30°), `speed_out_of_range` (ok, flag: 165-250 km/h),
`no_fix` (ok, flags lat/lon out of range: a GNSS fault sends 0/0, not positioned), `drift`
(ok: a 20-50 km jump between regular neighbours, detectable by the default drift rule),
`future_time` (ok: device clock 15 min-2 h ahead, unqualified against the receive time; only
in hex-log providers, as a raw capture has no receive time to judge by). Not in
the dumps: `dropped`, `backfill_lost`, `pending_backfill`.

## Definitions used for the truth (defaults of conf/rules.toml)
- speeding: consecutive samples over the class limit (80 expressway / 60 other); an event when
  `t_last - t_first > 30 s` (超过30秒: exactly 30 s is not an event); events less than 60 s apart merge; serious at >= 50 % over.
- night_ban: consecutive expressway samples > 5 km/h in 00:00-06:00; event when `t_last - t_first > 60 s`.
- fatigue: a spell ends at a stop of >= 20 min (first to last stationary sample); `continuous`
  > 4 h (event from spell start + 4 h), `night` > 2 h inside 22:00-06:00, `daily` > 8 h of
  driving in a Beijing day (gaps after moving samples, gaps < 20 min).
- off_route: moving (> 5 km/h) samples outside every approved route buffer and operating area
  of the enterprise for >= 60 s; excursions less than 60 s apart merge.
- faulty_terminal_dispatch: the vehicle moved while a fault ticket of its terminal was open
  (from `reported_at` to `repaired_at`, or the end of the window): first to last moving sample.
- offline_displacement: consecutive real-time fixes >= 30 min apart, > 20 km apart, at
  <= 1.7 km/min (backfilled points do not count: the platform saw nothing at the time), among
  the fixes the data-qualification rule below accepts (drift excluded): a clock-jumped
  `future_time` fix (device time > receive + 5 min) does not split a silence.

## Observable truth (what a detector can see)
Detection works on the fixes that reached the platform; a violation whose evidence was never
delivered cannot be found by any detector. The simulator re-applies the same rules to the
samples delivered in real time or by backfill (`delivery` `realtime`/`backfill`), reading
silences by the gap policy of hazrisk.safety (`[safety]` in conf/rules.toml): a step longer
than 300 s is a *silence*; it is a stop when the vehicle stayed within 0.5 km with both ends
stopped, driving (its whole length, joining the fatigue spell) when it moved and no 20 min
rest can have fitted at the 1.7 km/min bound (`dt - km / 102 km/h < 20 min`), else *unknown*:
neither driving nor rest, it ends a fatigue spell. Speeding, night-ban and off-route runs break
at steps longer than 120 s (`run_gap_s`). A fix's state holds until the next fix.
- `violations.csv` `observable`: speeding, night_ban, fatigue, off_route — an event of that
  version with the same rule and subkind overlaps it (speeding, night_ban and off_route also
  need a delivered sample inside it); offline_displacement — always (judged on the received
  records); faulty_terminal_dispatch — a delivered moving (> 5 km/h) sample inside it.
  `evidence`: `delivered` (observable), `partial` (samples inside it were delivered but do not
  show it, e.g. 48 min of power-off silence with 33 km displacement inside a night spell: a
  20 min rest fits, so continuity is not evidenced), `none` (nothing delivered inside it).
- `violations_observable_only.csv`: events of that version that overlap no true event, e.g. a
  day of exactly 8 h 00 min of true driving shown as 8 h 00 min 58 s because a stopped fix was
  lost (the moving fix before it holds until the next delivered fix).
- `alarms.csv` `observable`: the alarm's real-time 0x0200 frame was received.
Detectors are compared with the observable truth: recall over observable events (true
observable plus observable-only), precision against every true event plus the observable-only.

- data qualification: per provider folder and month of receive time; a record is a location
  fix of an ok 0x0200 or 0x0704 (rejected frames hold none); qualified = parseable time <=
  receive + 5 min, lat/lon in the validity box and non-zero, speeds <= 160, terminal registered.
- upload interval: registered vehicles, per vehicle-month in GNSS-time order, first record
  qualified, then moving or ACC on -> gap <= 30 s, else <= 300 s; the state is the opening
  record's or the closing record's as `[rates] interval_state` says (default `previous`);
  `..._current_state` / `..._previous_state` list both.
- completeness: qualified non-drift fixes of a vehicle-day; a segment > 1 km and > 60 s is
  incomplete (haversine km); vehicle-day form and km form.
- registry rates: reference time = min(first instant of the next month, end of the window);
  0x0104 answer <= 30 days old with 0x0013 (and 0x0017 if present) a domain, not an IP, equal
  to the provider's `platform_domain` after removing `:port`; no answer = not correct; images:
  all three slots present, magic JPEG/PNG, sha256 unique among all images (every vehicle
  sharing a hash fails); operator phone `^1[3-9]\\d{9}$` with a `pass` verification of that
  number <= 365 days old; conformance: plate pattern, colour in JT/T 697.7, VIN 17 chars
  without I/O/Q (a wrong check digit is only a warning), required columns filled, no
  duplicate plate+colour (every record of the group fails).
- vehicles in network (`[rates] network_basis`, default `entered`): registered vehicles with
  a qualified record up to the period end; rates 1-4 and 上线率 count over them. 入网率 =
  entered / registered; 上线率 = with a qualified record in the period / in network;
  漂移车辆率: online vehicles with an injected drift point among their qualified records.
- handling (`[handling]`): reminded = a reminder within 1 h of the start; escalation due =
  reminded and the event still ran at the reminder or the same rule started again within 1 h
  after it; escalation failure = due and never reported to the safety department or police
  (implementing opinion 三.3(1)); dismissed (a reviewed false alarm) is not handled.
- device KPIs: repaired within 24 h of `reported_at` / tickets (open tickets are not
  repaired; an open ticket reported less than 24 h before the window's end is `censored` and
  left out of the rate); data preservation = outage samples delivered by 0x0704 blind-area backfill /
  outage samples, where an outage sample is a sample of the terminal's clock (the true track
  at its report interval) taken while it was offline (`signal_loss`, `fault_comm`: stored) or
  without power (`power_off`, `fault_power`: unrecorded), counted when the outage ended before
  the window's end (a real-time record received after it); GNSS faults (real-time reports
  without a fix) and never-online terminals leave no gap and do not count.
""".replace("$TIMEZONE", TIMEZONE)  # conf [period] timezone


def sample_readme(out: Path, params: dict[str, object]) -> str:
    """``README.md`` of a ``--sample`` output (data/sample), generated from the run itself."""
    import pandas as pd

    veh = pd.read_csv(out / "registry" / "vehicles.csv", dtype=str)
    prov = pd.read_csv(out / "truth" / "providers.csv", dtype=str)
    counts = pd.read_csv(out / "truth" / "fault_counts.csv", keep_default_na=False)
    viol = pd.read_csv(out / "truth" / "violations.csv")
    rows = []
    for p in prov.itertuples():
        n = int((veh["provider_id"] == p.provider_id).sum())
        if not n:
            continue
        files = sorted((out / "dumps" / str(p.provider_id)).iterdir())
        size = sum(f.stat().st_size for f in files)
        rows.append(f"| {p.provider_id} | {p.name} | {p.platform_domain} | "
                    f"{'raw .bin' if p.dump_format == 'bin' else 'hex .log.gz'} | {n} | "
                    f"{size / 1e6:.2f} MB |")
    kinds = counts.groupby("kind")["count"].sum()
    fault_line = ", ".join(f"{k} {int(v)}" for k, v in kinds.items())
    rules = ", ".join(f"{k} {int(v)}" for k, v in viol["rule"].value_counts().sort_index().items())
    cmd = (f"hazrisk simulate --vehicles {params['vehicles']} --days {params['days']} "
           f"--start {params['start']} --seed {params['seed']} --out data/sample --sample")
    return f"""\
# data/sample — a small simulated Zhejiang hazmat fleet with known truth

Generated by `make sample`, i.e.

    {cmd}

Do not edit by hand: this README is written by the same command (`--sample`), so it always
describes the data beside it. Same command, same bytes (`manifest.json` has the sha256 of
every file; the tests check them).

## What `--sample` means
Exactly the normal simulator output plus this README. Nothing is thinned out: every provider
writes its dumps in its one gateway format (raw `.bin` or hex `.log.gz`, never both, so
ingesting all of `dumps/` counts each frame once), the truth is complete, and the insurance
history has the same 5 policy years as a full run ({params.get('insurance_years')}); it is tiny.

## Contents
{len(veh)} registered vehicles over {params['days']} days from {params['start']}:

| provider | name | platform domain | dump format | vehicles | dump size |
|---|---|---|---|---|---|
{chr(10).join(rows)}

- `registry/`: enterprises, providers, device makers, insurers, vehicles (with injected
  defects), drivers and escorts, image records, phone verifications, routes/areas/roads GeoJSON
  (columns: README "Registry files").
- `logs/`: the monitoring centre's handling log and the device fault tickets.
- `insurance/`: policies and claims (with `report_date`: claims reported after the last
  simulated day are not in the export); `truth/claims_model.json` has the true coefficients
  and the reporting-delay distribution.
- `history/vehicle_months.csv`: the vehicle-month safety history an existing platform would
  export (README "Vehicle-month history files") for every month of the policy years and for
  the simulated month(s), drawn from the behaviour that drives trips and claims
  (`truth/history_model.json`); `hazrisk history import` loads it.
- `truth/`: see `truth/README.md` (trajectories, faults with file + offset, violations,
  expected provider rates, device KPIs, the latent actors).

Injected faults: {fault_line}.
True violations: {rules}.

Used by the tests (`tests/`), the notebooks and the demo as a ready-made small dataset; tests
that need particular faults simulate their own tiny fleets in seconds.
"""
