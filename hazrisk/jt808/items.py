"""0x0200 additional items (位置附加信息项): the table and the TLV walker.

JT/T 808-2019 §8 位置信息汇报, table 27 (附加信息定义): after the 28-byte basic block come
``id BYTE, length BYTE, value BYTE[length]`` records. Each known id has one or more layouts
told apart by the length; unknown ids and vendor items (0xE0-0xFF and others) are kept as
``{"raw_hex": ...}``. Active-safety items 0x64-0x67 follow T/JSATL12-2017 (苏标) §4.5 and
its provincial variants, whose alarm-identification block (报警标识号) is 16, 32, 38, 39 or
40 bytes long and is told by the item length:

====  ===================  ========  ==============================================
len   terminal_id          reserved  where
====  ===================  ========  ==============================================
16    BYTE[7]              BYTE      T/JSATL12-2017 table 4-16 (苏标)
32    BYTE[23]             BYTE      assumed: the 16-byte block with a longer id
38    BYTE[30]             —         30-byte id variants without the reserved byte
39    BYTE[30]             BYTE      30-byte id, one reserved byte
40    BYTE[30]             BYTE[2]   粤标 (Guangdong)
====  ===================  ========  ==============================================

followed by ``time BCD[6], seq BYTE, attachment_count BYTE`` (in that order, before the
reserved bytes). Decoded items carry ``ident_len`` so they re-encode with the same block.

Items keys are ``"0x01"``-style hex ids; a repeated id gets ``"0x61#2"``, ``"0x61#3"``...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hazrisk.jt808.errors import EncodeError
from hazrisk.jt808.fields import (
    BcdTime,
    Body,
    ByteList,
    Const,
    Ctx,
    Fatal,
    Field,
    FixedStr,
    ListOf,
    SignMagnitude16,
    Struct,
    UInt,
    join,
)


@dataclass(frozen=True)
class ItemLayout:
    """One layout of an item: picked by ``lengths`` or by ``match(value_bytes)``."""

    layout: Struct
    lengths: frozenset[int] = frozenset()
    match: Callable[[bytes], bool] | None = None
    standard: bool = True

    def fits(self, data: bytes) -> bool:
        return len(data) in self.lengths if self.match is None else self.match(data)

    def selects(self, value: Mapping[str, Any]) -> bool:
        keys = set(value) - set(self.layout.optional_keys)
        if keys != set(self.layout.keys):
            return False
        return all(value.get(f.name) == f.value for f in self.layout.fields if isinstance(f, Const))


@dataclass(frozen=True)
class ItemSpec:
    item_id: int
    name: str
    zh: str
    layouts: tuple[ItemLayout, ...]
    source: str = "JT/T 808-2019 table 27"


def _fixed(*fields: Field, standard: bool = True) -> ItemLayout:
    layout = Struct(*fields)
    assert layout.fixed_size is not None
    return ItemLayout(layout, frozenset({layout.fixed_size}), standard=standard)


# --------------------------------------------------------------------------------------------
# Active safety (T/JSATL12-2017 and provincial variants)
# --------------------------------------------------------------------------------------------

#: ident_len -> (terminal_id width, reserved width)
ALARM_IDENT_LAYOUTS: dict[int, tuple[int, int]] = {16: (7, 1), 32: (23, 1), 38: (30, 0), 39: (30, 1), 40: (30, 2)}


def _ident_block(ident_len: int) -> tuple[Field, ...]:
    tid, reserved = ALARM_IDENT_LAYOUTS[ident_len]
    fields: list[Field] = [
        FixedStr("terminal_id", tid, "终端 ID"),
        BcdTime("time", "报警标识号时间 YYMMDDhhmmss"),
        UInt("seq", 1, doc="同一时间点报警的序号"),
        UInt("attachment_count", 1, doc="附件数量"),
    ]
    if reserved:
        fields.append(UInt("reserved", reserved, doc="预留"))
    fields.append(Const("ident_len", ident_len, "报警标识号长度 (variant)"))
    return tuple(fields)


def _position_tail() -> tuple[Field, ...]:
    return (
        UInt("altitude_m", 2, doc="高程 m"),
        UInt("lat_deg", 4, 1_000_000, "纬度 (unsigned, 1e-6 deg)"),
        UInt("lon_deg", 4, 1_000_000, "经度 (unsigned, 1e-6 deg)"),
        BcdTime("alarm_time", "日期时间"),
        UInt("vehicle_status", 2, doc="车辆状态"),
    )


_ADAS_HEAD = (
    UInt("alarm_id", 4, doc="报警 ID"),
    UInt("flag", 1, doc="标志状态 0 不可用 1 开始 2 结束"),
    UInt("alarm_type", 1, doc="报警/事件类型"),
    UInt("level", 1, doc="报警级别"),
    UInt("front_speed_kmh", 1, doc="前车车速 km/h"),
    UInt("front_distance_100ms", 1, doc="前车/行人距离, 100 ms"),
    UInt("deviation_type", 1, doc="偏离类型"),
    UInt("road_sign_type", 1, doc="道路标志识别类型"),
    UInt("road_sign_value", 1, doc="道路标志识别数据"),
    UInt("speed_kmh", 1, doc="车速 km/h"),
    *_position_tail(),
)
_DSM_HEAD = (
    UInt("alarm_id", 4, doc="报警 ID"),
    UInt("flag", 1, doc="标志状态"),
    UInt("alarm_type", 1, doc="报警/事件类型"),
    UInt("level", 1, doc="报警级别"),
    UInt("fatigue_level", 1, doc="疲劳程度"),
    UInt("dsm_reserved", 4, doc="预留 BYTE[4]"),
    UInt("speed_kmh", 1, doc="车速 km/h"),
    *_position_tail(),
)
_TPMS_HEAD = (
    UInt("alarm_id", 4, doc="报警 ID"),
    UInt("flag", 1, doc="标志状态"),
    UInt("speed_kmh", 1, doc="车速 km/h"),
    *_position_tail(),
)
_BSD_HEAD = (
    UInt("alarm_id", 4, doc="报警 ID"),
    UInt("flag", 1, doc="标志状态"),
    UInt("alarm_type", 1, doc="报警/事件类型"),
    UInt("speed_kmh", 1, doc="车速 km/h"),
    *_position_tail(),
)
_TPMS_EVENT = Struct(
    UInt("position", 1, doc="胎压报警位置"),
    UInt("alarm_type", 2, doc="报警/事件类型"),
    UInt("pressure_kpa", 2, doc="胎压 kPa"),
    UInt("temperature_c", 2, doc="胎温 ℃"),
    UInt("battery_pct", 2, doc="电池电量 %"),
)
_TPMS_HEAD_SIZE = 24


def _alarm_layouts(head: tuple[Field, ...]) -> tuple[ItemLayout, ...]:
    return tuple(_fixed(*head, *_ident_block(n)) for n in ALARM_IDENT_LAYOUTS)


def _tpms_match(ident_len: int) -> Callable[[bytes], bool]:
    at = _TPMS_HEAD_SIZE + ident_len

    def match(data: bytes) -> bool:
        return len(data) > at and len(data) == at + 1 + 9 * data[at]

    return match


def _tpms_layouts() -> tuple[ItemLayout, ...]:
    return tuple(
        ItemLayout(
            Struct(*_TPMS_HEAD, *_ident_block(n), ListOf("events", _TPMS_EVENT, "报警/事件信息列表")),
            match=_tpms_match(n),
        )
        for n in ALARM_IDENT_LAYOUTS
    )


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

_1078 = "JT/T 1078-2016 table 14 (视频相关报警附加信息)"

ITEMS: dict[int, ItemSpec] = {
    spec.item_id: spec
    for spec in (
        ItemSpec(0x01, "mileage", "里程, 1/10 km", (_fixed(UInt("mileage_km", 4, 10)),)),
        ItemSpec(0x02, "fuel", "油量, 1/10 L", (_fixed(UInt("fuel_l", 2, 10)),)),
        ItemSpec(0x03, "tacho_speed", "行驶记录功能获取的速度, 1/10 km/h",
                 (_fixed(UInt("tacho_speed_kmh", 2, 10)),)),
        ItemSpec(0x04, "manual_alarm", "需要人工确认报警事件的 ID",
                 (_fixed(UInt("manual_alarm_event_id", 2)),)),
        ItemSpec(0x05, "tire_pressure", "胎压 BYTE[30] (2019; 0xFF 无效)",
                 (_fixed(ByteList("tire_pressures", 30)),)),
        ItemSpec(0x06, "carriage_temperature", "车厢温度 ℃ (2019; 最高位为符号)",
                 (_fixed(SignMagnitude16("carriage_temp_c")),)),
        ItemSpec(0x11, "overspeed", "超速报警附加信息 (table 28)", (
            _fixed(UInt("position_type", 1)),
            _fixed(UInt("position_type", 1), UInt("area_id", 4)),
        )),
        ItemSpec(0x12, "area_in_out", "进出区域/路线报警附加信息 (table 29)", (
            _fixed(UInt("position_type", 1), UInt("area_id", 4), UInt("in_out", 1)),
        )),
        ItemSpec(0x13, "route_time", "路段行驶时间不足/过长报警附加信息 (table 30)", (
            _fixed(UInt("route_id", 4), UInt("drive_time_s", 2), UInt("result", 1)),
        )),
        ItemSpec(0x14, "video_alarm", "视频相关报警", (_fixed(UInt("video_alarm_bits", 4)),), _1078),
        ItemSpec(0x15, "video_signal_loss", "视频信号丢失报警状态",
                 (_fixed(UInt("video_signal_loss_channels", 4)),), _1078),
        ItemSpec(0x16, "video_occlusion", "视频信号遮挡报警状态",
                 (_fixed(UInt("video_occlusion_channels", 4)),), _1078),
        ItemSpec(0x17, "storage_fault", "存储器故障报警状态",
                 (_fixed(UInt("storage_fault_bits", 2)),), _1078),
        ItemSpec(0x18, "abnormal_driving", "异常驾驶行为报警详细描述", (
            _fixed(UInt("abnormal_driving_bits", 2)),
            _fixed(UInt("abnormal_driving_bits", 2), UInt("fatigue_level", 1)),
        ), _1078),
        ItemSpec(0x25, "ext_signal", "扩展车辆信号状态位 (table 31)",
                 (_fixed(UInt("ext_signal_status", 4)),)),
        ItemSpec(0x2A, "io_status", "IO 状态位 (table 32)", (_fixed(UInt("io_status", 2)),)),
        ItemSpec(0x2B, "analog", "模拟量: bit0-15 AD0, bit16-31 AD1", (
            _fixed(UInt("analog", 4)),
            _fixed(UInt("analog", 4), UInt("analog_ext", 4), standard=False),
        )),
        ItemSpec(0x30, "rssi", "无线通信网络信号强度", (_fixed(UInt("rssi", 1)),)),
        ItemSpec(0x31, "gnss_count", "GNSS 定位卫星数", (_fixed(UInt("gnss_count", 1)),)),
        ItemSpec(0x64, "adas", "高级驾驶辅助系统报警信息", _alarm_layouts(_ADAS_HEAD),
                 "T/JSATL12-2017 table 4-15"),
        ItemSpec(0x65, "dsm", "驾驶员状态监测系统报警信息", _alarm_layouts(_DSM_HEAD),
                 "T/JSATL12-2017 table 4-17"),
        ItemSpec(0x66, "tpms", "胎压监测系统报警信息", _tpms_layouts(),
                 "T/JSATL12-2017 table 4-18"),
        ItemSpec(0x67, "bsd", "盲区监测系统报警信息", _alarm_layouts(_BSD_HEAD),
                 "T/JSATL12-2017 table 4-20"),
    )
}


_KEYS = tuple(f"0x{i:02X}" for i in range(256))


def item_key(item_id: int, seen: Mapping[str, Any]) -> str:
    return unique_key(_KEYS[item_id] if item_id < 256 else f"0x{item_id:02X}", seen)


def unique_key(key: str, seen: Mapping[str, Any]) -> str:
    """``key``, or ``key#2``, ``key#3`` ... when an id repeats in one message."""
    if key not in seen:
        return key
    n = 2
    while f"{key}#{n}" in seen:
        n += 1
    return f"{key}#{n}"


def parse_key(key: str, width: int) -> int:
    """``"0x2B"`` or ``"0x2B#2"`` -> 0x2B."""
    try:
        value = int(key.split("#", 1)[0], 16)
    except ValueError:
        raise EncodeError(f"bad id key {key!r}") from None
    if not 0 <= value < (1 << (8 * width)):
        raise EncodeError(f"id key {key!r} out of range")
    return value


def decode_item(item_id: int, buf: bytes, start: int, end: int, ctx: Ctx, path: str) -> Body:
    """Decode the value ``buf[start:end]`` of item ``item_id`` (positions stay buffer-relative)."""
    data = buf[start:end]
    position = start - 2
    spec = ITEMS.get(item_id)
    if spec is None:
        return {"raw_hex": data.hex()}
    for layout in spec.layouts:
        if layout.fits(data):
            if not layout.standard:
                ctx.deviation(
                    "item_bad_length", path, position,
                    f"{len(data)} bytes tolerated, the standard gives "
                    f"{sorted(n for lay in spec.layouts if lay.standard for n in lay.lengths)}",
                )
            return layout.layout.decode_exact(buf, start, end, ctx, path)
    ctx.deviation("item_bad_length", path, position, f"{len(data)} bytes do not fit any layout")
    return {"raw_hex": data.hex()}


def encode_item(item_id: int, value: Mapping[str, Any]) -> bytes:
    if not isinstance(value, Mapping):
        raise EncodeError(f"item 0x{item_id:02X}: expected a dict, got {value!r}")
    if set(value) == {"raw_hex"}:
        try:
            return bytes.fromhex(value["raw_hex"])
        except (TypeError, ValueError):
            raise EncodeError(f"item 0x{item_id:02X}: raw_hex is not hex") from None
    spec = ITEMS.get(item_id)
    if spec is None:
        raise EncodeError(f"item 0x{item_id:02X} is not in the table: give {{'raw_hex': ...}}")
    for layout in spec.layouts:
        if layout.selects(value):
            return layout.layout.encode(value)
    raise EncodeError(f"item 0x{item_id:02X}: keys {sorted(value)} match no layout")


class Items(Field):
    """The additional-item list filling the rest of a location body (``items`` dict)."""

    def __init__(self, name: str = "items", doc: str = "位置附加信息项列表") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        items: Body = {}
        here = join(path, self.name)
        while pos < end:
            if pos + 2 > end:
                raise Fatal("item_overrun", here, pos, "1 byte left, an item needs id and length")
            item_id, n = buf[pos], buf[pos + 1]
            key = item_key(item_id, items)
            if pos + 2 + n > end:
                raise Fatal(
                    "item_overrun", join(here, key), pos,
                    f"declares {n} bytes, {end - pos - 2} left",
                )
            items[key] = decode_item(item_id, buf, pos + 2, pos + 2 + n, ctx, join(here, key))
            pos += 2 + n
        out[self.name] = items
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        items = body.get(self.name, {})
        if not isinstance(items, Mapping):
            raise EncodeError(f"{self.name}: expected a dict keyed '0x01'...")
        parts = []
        for key, value in items.items():
            item_id = parse_key(key, 1)
            data = encode_item(item_id, value)
            if len(data) > 255:
                raise EncodeError(f"item {key}: {len(data)} bytes, a BYTE length holds 255")
            parts.append(bytes([item_id, len(data)]) + data)
        return b"".join(parts)
