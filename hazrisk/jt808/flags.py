"""Alarm and status words of the location report as named flags.

JT/T 808-2013 tables 24 (报警标志位定义) and 25 (状态位定义), with the 2019 additions. The
decoded body keeps both words as plain integers (``alarm``, ``status``); these helpers name
their bits.

>>> alarm_names(0b11)
['emergency', 'overspeed']
>>> status_names(0b0110)
['positioned', 'south']
>>> bool(Status.WEST & 0b1000)
True
"""

from __future__ import annotations

import enum


class Alarm(enum.IntFlag):
    """报警标志位 (JT/T 808-2013 table 24; bits 15-17 defined from 2019)."""

    EMERGENCY = 1 << 0  # 紧急报警
    OVERSPEED = 1 << 1  # 超速报警
    FATIGUE = 1 << 2  # 疲劳驾驶报警
    DANGER_WARNING = 1 << 3  # 危险预警 (2019: 危险驾驶行为报警)
    GNSS_FAULT = 1 << 4  # GNSS 模块发生故障
    GNSS_ANTENNA_OPEN = 1 << 5  # GNSS 天线未接或被剪断
    GNSS_ANTENNA_SHORT = 1 << 6  # GNSS 天线短路
    POWER_UNDERVOLTAGE = 1 << 7  # 终端主电源欠压
    POWER_DOWN = 1 << 8  # 终端主电源掉电
    DISPLAY_FAULT = 1 << 9  # 终端 LCD 或显示器故障
    TTS_FAULT = 1 << 10  # TTS 模块故障
    CAMERA_FAULT = 1 << 11  # 摄像头故障
    IC_CARD_FAULT = 1 << 12  # 道路运输证 IC 卡模块故障
    OVERSPEED_WARNING = 1 << 13  # 超速预警
    FATIGUE_WARNING = 1 << 14  # 疲劳驾驶预警
    ILLEGAL_DRIVING = 1 << 15  # 违规行驶报警 (2019)
    TIRE_PRESSURE_WARNING = 1 << 16  # 胎压预警 (2019)
    RIGHT_BLIND_SPOT = 1 << 17  # 右转盲区异常报警 (2019)
    DAILY_DRIVING_OVERTIME = 1 << 18  # 当天累计驾驶超时
    PARKING_OVERTIME = 1 << 19  # 超时停车
    AREA_IN_OUT = 1 << 20  # 进出区域
    ROUTE_IN_OUT = 1 << 21  # 进出路线
    ROUTE_TIME = 1 << 22  # 路段行驶时间不足/过长
    ROUTE_DEVIATION = 1 << 23  # 路线偏离报警
    VSS_FAULT = 1 << 24  # 车辆 VSS 故障
    FUEL_ABNORMAL = 1 << 25  # 车辆油量异常
    STOLEN = 1 << 26  # 车辆被盗
    ILLEGAL_IGNITION = 1 << 27  # 车辆非法点火
    ILLEGAL_DISPLACEMENT = 1 << 28  # 车辆非法位移
    COLLISION_WARNING = 1 << 29  # 碰撞预警
    ROLLOVER_WARNING = 1 << 30  # 侧翻预警
    ILLEGAL_DOOR_OPEN = 1 << 31  # 非法开门报警


class Status(enum.IntFlag):
    """状态位 (JT/T 808-2013 table 25; bit 22 from 2019). Bits 8-9 are the load state."""

    ACC_ON = 1 << 0  # ACC 开
    POSITIONED = 1 << 1  # 定位
    SOUTH = 1 << 2  # 南纬
    WEST = 1 << 3  # 西经
    OUT_OF_SERVICE = 1 << 4  # 停运状态
    COORDS_ENCRYPTED = 1 << 5  # 经纬度已经保密插件加密
    LOAD_BIT0 = 1 << 8  # 00 空车, 01 半载, 10 保留, 11 满载
    LOAD_BIT1 = 1 << 9
    OIL_CUT = 1 << 10  # 车辆油路断开
    CIRCUIT_CUT = 1 << 11  # 车辆电路断开
    DOOR_LOCKED = 1 << 12  # 车门加锁
    DOOR1_OPEN = 1 << 13  # 门 1 开 (前门)
    DOOR2_OPEN = 1 << 14  # 门 2 开 (中门)
    DOOR3_OPEN = 1 << 15  # 门 3 开 (后门)
    DOOR4_OPEN = 1 << 16  # 门 4 开 (驾驶席门)
    DOOR5_OPEN = 1 << 17  # 门 5 开 (自定义)
    GPS = 1 << 18  # 使用 GPS 卫星定位
    BEIDOU = 1 << 19  # 使用北斗卫星定位
    GLONASS = 1 << 20  # 使用 GLONASS 卫星定位
    GALILEO = 1 << 21  # 使用 Galileo 卫星定位
    MOVING = 1 << 22  # 车辆处于行驶状态 (2019)


#: Alarm bits reserved in 2013 (defined in 2019).
ALARM_RESERVED_MASK_2013 = 0x0003_8000
ALARM_RESERVED_MASK_2019 = 0
#: Status bits reserved: 6-7 and 23-31 (and 22 in 2013).
STATUS_RESERVED_MASK_2019 = 0xFF80_00C0
STATUS_RESERVED_MASK_2013 = STATUS_RESERVED_MASK_2019 | (1 << 22)

LOAD_STATES = {0: "empty", 1: "half", 2: "reserved", 3: "full"}


def _names(flag_type: type[enum.IntFlag], value: int, skip: frozenset[str]) -> list[str]:
    return [
        m.name.lower()
        for m in flag_type
        if m.name is not None and m.name not in skip and value & m.value
    ]


def alarm_names(alarm: int) -> list[str]:
    """Names of the set alarm bits, lowest bit first."""
    return _names(Alarm, alarm, frozenset())


def status_names(status: int) -> list[str]:
    """Names of the set status bits (the load state is :func:`load_state`)."""
    return _names(Status, status, frozenset({"LOAD_BIT0", "LOAD_BIT1"}))


def load_state(status: int) -> str:
    """Load state from status bits 8-9: ``empty``, ``half``, ``reserved`` or ``full``."""
    return LOAD_STATES[(status >> 8) & 0x3]
