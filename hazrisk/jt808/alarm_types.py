"""ADAS/DSM alarm and event types carried in location items 0x64 and 0x65.

The one table of these codes: 苏标 T/JSATL12-2017 (the JT/T 808 extension for active-safety
terminals that JT/T 1078-era platforms read), table 4-15 for ADAS (item 0x64) and table 4-17
for DSM (item 0x65). Each code maps to ``(name, 中文名)``; the name forms the safety rule id
(``adas_<name>``) and the simulator's event subkind.
"""

from __future__ import annotations

#: 苏标 T/JSATL12-2017 table 4-15 (ADAS, item 0x64) alarm/event types.
ADAS_TYPES: dict[int, tuple[str, str]] = {
    0x01: ("forward_collision", "前向碰撞报警"),
    0x02: ("lane_departure", "车道偏离报警"),
    0x03: ("headway_too_close", "车距过近报警"),
    0x04: ("pedestrian_collision", "行人碰撞报警"),
    0x05: ("frequent_lane_change", "频繁变道报警"),
    0x06: ("road_sign_overlimit", "道路标识超限报警"),
    0x07: ("obstacle", "障碍物报警"),
    0x10: ("road_sign_event", "道路标志识别事件"),
    0x11: ("active_capture", "主动抓拍事件"),
}
#: 苏标 T/JSATL12-2017 table 4-17 (DSM, item 0x65) alarm/event types.
DSM_TYPES: dict[int, tuple[str, str]] = {
    0x01: ("fatigue", "疲劳驾驶报警"),
    0x02: ("phone", "接打电话报警"),
    0x03: ("smoking", "抽烟报警"),
    0x04: ("distraction", "分神驾驶报警"),
    0x05: ("driver_abnormal", "驾驶员异常报警"),
    0x10: ("auto_capture", "自动抓拍事件"),
    0x11: ("driver_change", "驾驶员变更事件"),
}
