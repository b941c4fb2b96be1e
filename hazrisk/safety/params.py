"""Detector parameters from ``conf/rules.toml`` and the registry of violation rules.

Naming: the *rules file* (``conf/rules.toml``, :class:`hazrisk.config.Rules`) holds every
threshold; a *violation rule* (:class:`ViolationRule`, ``safety.violations.rule_id``) is what
a detector finds. Code says ``conf``/``rules`` for the first and ``violation rule`` for the
second.

Every threshold comes from the rules file (sections ``[speed]``, ``[fatigue]``,
``[night_ban]``, ``[offline_displacement]``, ``[drift]``, ``[safety]``, ``[handling]``), each
with its source there. :class:`SafetyParams` is the frozen, typed view the detectors use;
:meth:`SafetyParams.rule_params` gives the parameters stored with each violation (the
``params_json`` column), so a stored event always says which thresholds produced it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from hazrisk.config import Rules, load_rules
from hazrisk.drift import DriftRules
from hazrisk.jt808.alarm_types import ADAS_TYPES, DSM_TYPES
from hazrisk.validity import Validity


@dataclass(frozen=True)
class ViolationRule:
    """A violation rule: id (``safety.violations.rule_id``), group, names."""

    rule_id: str
    group: str  # speeding / fatigue / night_ban / route / offline / terminal / adas / dsm
    name_zh: str
    name_en: str


#: Trajectory rules (ADAS/DSM rules are named per alarm type, see :func:`alarm_rule`).
VIOLATION_RULES: dict[str, ViolationRule] = {
    r.rule_id: r
    for r in (
        ViolationRule("speeding", "speeding", "超速", "speeding"),
        ViolationRule("fatigue_continuous", "fatigue", "连续驾驶超过4小时",
                      "continuous driving > 4 h"),
        ViolationRule("fatigue_night", "fatigue", "夜间连续驾驶超过2小时",
                      "night continuous driving > 2 h"),
        ViolationRule("fatigue_daily", "fatigue", "24小时累计驾驶超过8小时", "driving > 8 h in 24 h"),
        ViolationRule("night_ban", "night_ban", "高速公路夜间禁行时段行驶", "expressway night-ban driving"),
        ViolationRule("off_route", "route", "偏离核定线路和区域", "off every approved route and area"),
        ViolationRule("offline_displacement", "offline", "离线位移", "offline displacement"),
        ViolationRule("faulty_terminal_dispatch", "terminal", "终端故障/离线期间出车",
                      "moving with a faulty or offline terminal"),
    )
}

def alarm_rule(system: str, alarm_type: int | None) -> ViolationRule:
    """The rule of an ADAS/DSM alarm: ``adas_forward_collision``, ``dsm_phone`` ..."""
    table = ADAS_TYPES if system == "adas" else DSM_TYPES
    if alarm_type is not None and alarm_type in table:
        name, zh = table[alarm_type]
    else:
        code = "unknown" if alarm_type is None else f"0x{alarm_type:02x}"
        name, zh = f"type_{code}", f"类型{code}"
    return ViolationRule(f"{system}_{name}", system, f"{system.upper()} {zh}", f"{system} {name}")


def rule_info(rule_id: str) -> ViolationRule:
    """The :class:`ViolationRule` of a stored rule id (trajectory or ADAS/DSM)."""
    if rule_id in VIOLATION_RULES:
        return VIOLATION_RULES[rule_id]
    system, _, name = rule_id.partition("_")
    if system in ("adas", "dsm"):
        table = ADAS_TYPES if system == "adas" else DSM_TYPES
        for code, (n, _zh) in table.items():
            if n == name:
                return alarm_rule(system, code)
        return ViolationRule(rule_id, system, rule_id, rule_id)
    raise KeyError(rule_id)


def hhmm_to_s(text: str) -> int:
    """'22:00' -> seconds after midnight."""
    hh, mm = text.split(":")
    return int(hh) * 3600 + int(mm) * 60


@dataclass(frozen=True)
class SafetyParams:
    """Typed thresholds for the detectors (all from the rules file, no defaults of their own:
    build it with :meth:`from_rules`)."""

    # [speed]
    expressway_kmh: float
    other_kmh: float
    speed_min_duration_s: float
    speed_merge_s: float
    severity_bands: tuple[float, ...]
    # [fatigue]
    continuous_max_s: float
    rest_min_s: float
    night_start_s: int
    night_end_s: int
    night_continuous_max_s: float
    daily_max_s: float
    daily_window: str
    # [night_ban]
    ban_start_s: int
    ban_end_s: int
    ban_min_speed_kmh: float
    ban_min_duration_s: float
    # [offline_displacement]
    offline_gap_s: float
    offline_distance_km: float
    offline_max_km_per_min: float
    # [drift] (hazrisk.drift, the one loader)
    drift: DriftRules
    # [safety]
    moving_kmh: float
    gap_s: float
    stationary_km: float
    run_gap_s: float
    match_tolerance_m: float
    unmatched_road: str
    power_pulls_min: int
    fence_min_duration_s: float
    fence_merge_s: float
    data_day_min_share: float  # the days `detect` covers without a period (data_range.py)
    # [handling]
    reminder_window_s: float
    repeat_window_s: float
    log_tolerance_s: float
    # [validity] (hazrisk.validity, the one loader): detection reads the stored flags and
    # refuses a warehouse flagged under other bounds
    validity: Validity
    sources: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_rules(cls, rules: Rules | None = None) -> SafetyParams:
        """Read the parameters from a loaded rules file (default: ``load_rules()``)."""
        r = rules or load_rules()
        sp, fa, nb, od, sa, ha = (r.speed, r.fatigue, r.night_ban, r.offline_displacement,
                                  r.safety, r.handling)
        daily_window = str(sa.daily_window)
        if str(sa.unmatched_road) not in ("unknown", "other"):
            raise ValueError(f"{r.path}: safety.unmatched_road must be 'unknown' or 'other'")
        if daily_window not in ("rolling", "calendar_day"):
            raise ValueError(f"{r.path}: safety.daily_window must be 'rolling' or 'calendar_day'")
        if not 0.0 <= float(sa.data_day_min_share) <= 1.0:
            raise ValueError(f"{r.path}: safety.data_day_min_share = {sa.data_day_min_share!r} "
                             "must be a share from 0 to 1")
        sources: dict[str, str] = {}
        for sec in ("speed", "fatigue", "night_ban", "offline_displacement", "drift", "safety",
                    "handling", "validity"):
            for key, src in r.sections[sec].sources.items():
                sources[f"{sec}.{key}"] = src
        return cls(
            expressway_kmh=float(sp.hazmat_expressway_kmh),
            other_kmh=float(sp.hazmat_other_kmh),
            speed_min_duration_s=float(sp.event_min_duration_s),
            speed_merge_s=float(sp.merge_window_s),
            severity_bands=tuple(float(b) for b in sp.severity_bands),
            continuous_max_s=float(fa.continuous_max_s),
            rest_min_s=float(fa.rest_min_s),
            night_start_s=hhmm_to_s(fa.night_start),
            night_end_s=hhmm_to_s(fa.night_end),
            night_continuous_max_s=float(fa.night_continuous_max_s),
            daily_max_s=float(fa.daily_cumulative_max_s),
            daily_window=daily_window,
            ban_start_s=hhmm_to_s(nb.start),
            ban_end_s=hhmm_to_s(nb.end),
            ban_min_speed_kmh=float(nb.min_speed_kmh),
            ban_min_duration_s=float(nb.min_duration_s),
            offline_gap_s=float(od.gap_s),
            offline_distance_km=float(od.distance_km),
            offline_max_km_per_min=float(od.max_km_per_min),
            drift=DriftRules.from_rules(r),
            moving_kmh=float(sa.moving_speed_kmh),
            gap_s=float(sa.gap_s),
            stationary_km=float(sa.stationary_km),
            run_gap_s=float(sa.run_gap_s),
            match_tolerance_m=float(sa.map_match_tolerance_m),
            unmatched_road=str(sa.unmatched_road),
            power_pulls_min=int(sa.power_pulls_min),
            fence_min_duration_s=float(sa.fence_min_duration_s),
            fence_merge_s=float(sa.fence_merge_s),
            data_day_min_share=float(sa.data_day_min_share),
            reminder_window_s=float(ha.reminder_window_s),
            repeat_window_s=float(ha.repeat_window_s),
            log_tolerance_s=float(ha.log_tolerance_s),
            validity=Validity.from_rules(r),
            sources=sources,
        )

    @property
    def gap_max_kmh(self) -> float:
        """Fastest plausible average over a data gap (the offline-displacement bound)."""
        return self.offline_max_km_per_min * 60.0

    def rule_params(self, group: str) -> dict[str, Any]:
        """The parameters a rule group used, as stored in ``safety.violations.params_json``."""
        d = asdict(self)
        d.pop("sources")
        common = ["moving_kmh", "gap_s", "stationary_km", "run_gap_s"]
        keys: dict[str, list[str]] = {
            "speeding": ["expressway_kmh", "other_kmh", "speed_min_duration_s", "speed_merge_s",
                         "severity_bands", "match_tolerance_m",
                         "unmatched_road", "run_gap_s"],
            "fatigue": ["continuous_max_s", "rest_min_s", "night_start_s", "night_end_s",
                        "night_continuous_max_s", "daily_max_s", "daily_window",
                        "offline_max_km_per_min", *common],
            "night_ban": ["ban_start_s", "ban_end_s", "ban_min_speed_kmh", "ban_min_duration_s",
                          "match_tolerance_m", "run_gap_s"],
            "route": ["fence_min_duration_s", "fence_merge_s", "run_gap_s", "moving_kmh"],
            "offline": ["offline_gap_s", "offline_distance_km", "offline_max_km_per_min"],
            "terminal": ["offline_gap_s", *common],
            "adas": [],
            "dsm": [],
        }
        out = {k: d[k] for k in keys[group]}
        if "severity_bands" in out:
            out["severity_bands"] = list(out["severity_bands"])
        return out

    def rule_params_json(self, group: str) -> str:
        return json.dumps(self.rule_params(group), sort_keys=True, ensure_ascii=False)
