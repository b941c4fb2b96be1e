"""The monitoring centre: 0x8300 reminders after violations, and the handling log.

The centre can only react to what it received in real time: a violation (or ADAS/DSM alarm)
gets a reminder only when at least one of its samples arrived in real time. With the
provider's probability (scaled by the enterprise's safety culture) it reminds the driver after a
log-normal delay (median ``remind_delay_s``): by 0x8300 text with TTS (most) or by phone (no
frame). Serious or continuing violations are escalated to the enterprise safety department,
serious speeding sometimes to the police; reviewed false ADAS/DSM alarms are dismissed.
Everything else stays unhandled (no row) — the handling rate is part of the truth.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hazrisk.jt808.alarm_types import ADAS_TYPES, DSM_TYPES
from hazrisk.simulate.fleet.profiles import ProviderProfile

TEXTS = {
    "speeding": "【监控中心】您已超速行驶,本路段危险货物运输车辆限速{limit}公里/小时,请立即减速慢行!",
    "fatigue": "【监控中心】您已连续驾驶超过规定时间,请就近停车休息不少于20分钟。",
    "night_ban": "【监控中心】00:00-06:00危险货物运输车辆禁止在高速公路通行,请就近驶离并停车。",
    "off_route": "【监控中心】车辆已偏离核定线路或区域,请按核定线路行驶。",
    "adas": "【监控中心】检测到{what},请保持车距、谨慎驾驶。",
    "dsm": "【监控中心】检测到驾驶员{what},请规范驾驶。",
}
_ZH = {"fatigue": "疲劳驾驶", "phone": "接打电话", "smoking": "抽烟", "distraction": "分神驾驶",
       "forward_collision": "前向碰撞预警", "lane_departure": "车道偏离",
       "headway_too_close": "车距过近", "frequent_lane_change": "频繁变道"}
TEXT_FLAGS = 0x0C  # 终端显示器显示 | 终端 TTS 播读 (JT/T 808-2013 table 38)


def plan_handling(violations: list[dict[str, Any]], alarms: dict[str, np.ndarray],
                  seen: np.ndarray, t: np.ndarray, culture: float, prov: ProviderProfile,
                  operators: list[str], rng: np.random.Generator, t_end: int
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(reminders to send as 0x8300, handling-log rows, alarm cases) for one vehicle.

    ``seen`` marks samples received in real time. Each violation dict (and each alarm case)
    gains ``seen_realtime``, ``reminder_time``, ``reminder_via`` and ``actions``.
    """
    reminders: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    p_remind = float(np.clip(prov.p_remind + 0.05 * culture, 0.05, 0.99))
    cases: list[dict[str, Any]] = list(violations)
    for k in range(len(alarms["idx"])):
        i = int(alarms["idx"][k])
        sys_ = "adas" if int(alarms["system"][k]) == 0x64 else "dsm"
        names = ADAS_TYPES if sys_ == "adas" else DSM_TYPES
        cases.append({"rule": sys_, "subkind": names[int(alarms["alarm_type"][k])][0],
                      "start": int(t[i]), "end": int(t[i]), "start_idx": i, "end_idx": i,
                      "true_event": bool(alarms["true_event"][k]), "alarm_k": k})
    for ev in cases:
        ev.update({"seen_realtime": False, "reminder_time": None, "reminder_via": None,
                   "actions": ""})
        if not seen[ev["start_idx"]:ev["end_idx"] + 1].any():
            continue
        ev["seen_realtime"] = True
        is_alarm = ev["rule"] in ("adas", "dsm")
        if is_alarm and ev["rule"] == "adas" and ev["subkind"] == "headway_too_close":
            continue  # the centre ignores headway warnings
        if rng.random() >= p_remind * (0.6 if is_alarm else 1.0):
            continue
        delay = float(np.clip(rng.lognormal(np.log(prov.remind_delay_s), 0.8), 15, 6 * 3600))
        when = int(ev["start"] + delay)
        if when >= t_end:
            continue
        op = operators[int(rng.integers(0, len(operators)))]
        actions: list[str] = []
        if is_alarm and not ev["true_event"] and rng.random() < 0.5:
            log.append(_row(ev, when, "dismissed", op, "核查视频为误报"))
            ev["actions"] = "dismissed"
            continue
        via_text = rng.random() < 0.85
        if via_text:
            what = _ZH.get(ev["subkind"], ev["subkind"])
            text = TEXTS[ev["rule"]].format(limit=int(ev.get("limit_kmh", 80)), what=what)
            reminders.append({"time": when, "text": text, "rule": ev["rule"]})
        log.append(_row(ev, when, "reminded", op, "TTS语音提醒" if via_text else "电话提醒驾驶员"))
        actions.append("reminded")
        ev["reminder_time"], ev["reminder_via"] = when, ("0x8300" if via_text else "phone")
        serious = ev.get("severity") == "serious" or ev["rule"] == "night_ban" or (
            ev["rule"] == "fatigue" and ev["end"] - ev["start"] > 3600)
        continued = ev["end"] > when + 300
        if (serious or continued) and rng.random() < 0.6:
            t2 = when + int(rng.uniform(600, 3600))
            if t2 < t_end:
                log.append(_row(ev, t2, "reported_safety_dept", op,
                                "违规持续,已通报企业安全管理部门"))
                actions.append("reported_safety_dept")
        if ev.get("severity") == "serious" and rng.random() < 0.3:
            t3 = when + int(rng.uniform(1800, 7200))
            if t3 < t_end:
                log.append(_row(ev, t3, "reported_police", op, "严重超速,已报告公安交管部门"))
                actions.append("reported_police")
        ev["actions"] = ";".join(actions)
    return reminders, log, cases[len(violations):]


def _row(ev: dict[str, Any], when: int, action: str, op: str, note: str) -> dict[str, Any]:
    rule = ev["rule"] if ev["rule"] not in ("adas", "dsm") else f"{ev['rule']}_{ev['subkind']}"
    return {"event_time": int(ev["start"]), "action_time": int(when), "action": action,
            "rule": rule, "operator": op, "note": note}
