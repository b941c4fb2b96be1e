"""THE message table: one entry per message id, driving both encode and decode.

Each :class:`MessageSpec` names the message (English key and 中文名), cites its clause of
JT/T 808, and gives its body layout per layout version (2011 / 2013 / 2019). A layout is a
:class:`~hazrisk.jt808.fields.Struct` of fields whose keys carry their unit (``speed_kmh``,
``altitude_m``, ``lat_deg``) and whose scale is declared once (``UInt(..., div=10)``).

Message ids not in the table decode to ``{"raw_hex": ...}`` and are not rejected; any body
may also be given to the encoder as ``{"raw_hex": ...}``.

Layout choice (:meth:`MessageSpec.pick`): the frame's header version selects 2013 or 2019;
0x0100 also tells 2011 from 2013 by body length (a 2013 body is at least 37 bytes: 2+2+5+20+
7+1 before the plate; a 2011 body at least 25), as only the length distinguishes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hazrisk.jt808.errors import EncodeError
from hazrisk.jt808.fields import (
    BcdDate,
    BcdTime,
    Body,
    Ctx,
    Fatal,
    Field,
    FixedStr,
    LatLon,
    LenStr,
    Nested,
    RestHex,
    RestStr,
    SInt,
    StatusWord,
    Struct,
    UInt,
    When,
    join,
)
from hazrisk.jt808.flags import Status
from hazrisk.jt808.items import Items
from hazrisk.jt808.params import Params

# --------------------------------------------------------------------------------------------
# The location block (位置基本信息, JT/T 808-2019 table 23) and its additional items
# --------------------------------------------------------------------------------------------

LOCATION_BASIC = Struct(
    UInt("alarm", 4, doc="报警标志 (table 24, hazrisk.jt808.flags.Alarm)"),
    StatusWord("status", {"lat_deg": Status.SOUTH, "lon_deg": Status.WEST},
               doc="状态 (table 25, hazrisk.jt808.flags.Status)"),
    LatLon("lat_deg", "status", Status.SOUTH, "纬度, south when status bit 2"),
    LatLon("lon_deg", "status", Status.WEST, "经度, west when status bit 3"),
    SInt("altitude_m", 2, "高程 m (read as signed: below sea level is negative)"),
    UInt("speed_kmh", 2, 10, "速度, 1/10 km/h"),
    UInt("heading_deg", 2, doc="方向 0-359, 正北为 0, 顺时针"),
    BcdTime("device_time", "时间 YY-MM-DD-hh-mm-ss (GMT+8)"),
)
LOCATION = LOCATION_BASIC + Struct(Items())


class Batch(Field):
    """0x0704 body after nothing: ``count WORD, batch_type BYTE, {length WORD, location}*``."""

    name = "positions"

    def __init__(self) -> None:
        self.doc = "位置汇报数据项: batch_type 0 正常位置批量汇报, 1 盲区补报"

    @property
    def keys(self) -> tuple[str, ...]:
        return ("batch_type", "positions")

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        if pos + 3 > end:
            raise Fatal("bad_body", join(path, "count"), pos, f"{end - pos} bytes, needs 3")
        count = int.from_bytes(buf[pos : pos + 2], "big")
        out["batch_type"] = buf[pos + 2]
        pos += 3
        positions = []
        for i in range(count):
            here = join(path, f"positions[{i}]")
            if pos + 2 > end:
                raise Fatal("bad_body", here, pos, f"position {i + 1} of {count} missing")
            n = int.from_bytes(buf[pos : pos + 2], "big")
            if pos + 2 + n > end:
                raise Fatal("bad_body", here, pos, f"declares {n} bytes, {end - pos - 2} left")
            positions.append(LOCATION.decode_exact(buf, pos + 2, pos + 2 + n, ctx, here))
            pos += 2 + n
        out["positions"] = positions
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        positions = body.get("positions")
        batch_type = body.get("batch_type")
        if not isinstance(positions, list) or not isinstance(batch_type, int):
            raise EncodeError("0x0704 needs 'batch_type' (int) and 'positions' (list)")
        if len(positions) > 0xFFFF or not 0 <= batch_type <= 0xFF:
            raise EncodeError("0x0704: too many positions or batch_type out of range")
        parts = [len(positions).to_bytes(2, "big"), bytes([batch_type])]
        for loc in positions:
            data = LOCATION.encode(loc)
            parts.append(len(data).to_bytes(2, "big") + data)
        return b"".join(parts)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _one(layout: Struct) -> dict[int, Struct]:
    return {2013: layout}


@dataclass(frozen=True)
class MessageSpec:
    """One message id: names, clause, layouts per version, where its location fixes are."""

    msg_id: int
    name: str
    zh: str
    clause: str
    direction: str  # "up" (terminal -> platform) or "down"
    layouts: Mapping[int, Struct]
    locations: Callable[[Body], list[Body]] = field(default=lambda body: [])

    def pick(self, version: int, body: bytes | None = None) -> int:
        """The layout version to use for header ``version`` (and, for 0x0100, the body)."""
        if self.msg_id == 0x0100 and version != 2019:
            if version == 2011:
                return 2011
            return 2011 if body is not None and len(body) < 37 else 2013
        if version == 2019 and 2019 in self.layouts:
            return 2019
        return 2013 if 2013 in self.layouts else next(iter(self.layouts))

    def layout(self, version: int, body: bytes | None = None) -> Struct:
        return self.layouts[self.pick(version, body)]


_REPLY = Struct(
    UInt("reply_serial", 2, doc="应答流水号"),
    UInt("reply_msg_id", 2, doc="应答 ID"),
    UInt("result", 1, doc="结果 0 成功/确认 1 失败 2 消息有误 3 不支持 (4 报警处理确认)"),
)
_EMPTY = Struct()


def _register(maker: int, model: int, terminal: int) -> Struct:
    return Struct(
        UInt("province_id", 2, doc="省域 ID (GB/T 2260 前两位)"),
        UInt("city_id", 2, doc="市县域 ID (GB/T 2260 后四位)"),
        FixedStr("maker_id", maker, "制造商 ID"),
        FixedStr("model", model, "终端型号"),
        FixedStr("terminal_id", terminal, "终端 ID"),
        UInt("plate_color", 1, doc="车牌颜色 (JT/T 697.7); 0 = 未上牌, plate holds the VIN"),
        RestStr("plate", "机动车号牌 (GBK)"),
    )


def _driver(version: int) -> Struct:
    identity: list[Field] = [
        LenStr("driver_name", "驾驶员姓名"),
        FixedStr("qualification_no", 20, "从业资格证编码"),
        LenStr("issuer", "发证机构名称"),
        BcdDate("cert_expiry", "证件有效期 YYYYMMDD"),
    ]
    if version == 2019:
        identity.append(FixedStr("id_card_no", 20, "驾驶员身份证号 (2019)"))
    return Struct(
        UInt("card_status", 1, doc="状态 0x01 插入 0x02 拔出"),
        BcdTime("time", "插卡/拔卡时间"),
        When(
            lambda d: d.get("card_status") == 1,
            UInt("ic_result", 1, doc="IC 卡读取结果 0 成功"),
            When(lambda d: d.get("ic_result") == 0, *identity),
        ),
    )


def _text(version: int) -> Struct:
    fields: list[Field] = [UInt("flags", 1, doc="标志 (table: 紧急/终端显示器显示/TTS 播读...)")]
    if version == 2019:
        fields.append(UInt("text_type", 1, doc="文本类型 1 通知 2 服务 (2019)"))
    fields.append(RestStr("text", "文本信息 (GBK)"))
    return Struct(*fields)


_MEDIA_HEAD = (
    UInt("media_id", 4, doc="多媒体数据 ID"),
    UInt("media_type", 1, doc="0 图像 1 音频 2 视频"),
    UInt("media_format", 1, doc="0 JPEG 1 TIF 2 MP3 3 WAV 4 WMV"),
    UInt("event", 1, doc="事件项编码"),
    UInt("channel", 1, doc="通道 ID"),
)

_S = "JT/T 808-2019 §8"

MESSAGES: dict[int, MessageSpec] = {
    spec.msg_id: spec
    for spec in (
        MessageSpec(0x0001, "terminal_reply", "终端通用应答", f"{_S}.1", "up", _one(_REPLY)),
        MessageSpec(0x8001, "platform_reply", "平台通用应答", f"{_S}.2", "down", _one(_REPLY)),
        MessageSpec(0x0002, "heartbeat", "终端心跳", f"{_S}.3", "up", _one(_EMPTY)),
        MessageSpec(0x0003, "logout", "终端注销", f"{_S} 终端注销", "up", _one(_EMPTY)),
        MessageSpec(0x0100, "register", "终端注册", f"{_S} 终端注册, table 8", "up", {
            2011: _register(5, 8, 7),
            2013: _register(5, 20, 7),
            2019: _register(11, 30, 30),
        }),
        MessageSpec(0x8100, "register_reply", "终端注册应答", f"{_S} 终端注册应答", "down", _one(Struct(
            UInt("reply_serial", 2, doc="应答流水号"),
            UInt("result", 1, doc="0 成功 1 车辆已被注册 2 数据库中无该车辆 3 终端已被注册 4 无该终端"),
            When(lambda d: d.get("result") == 0, RestStr("auth_code", "鉴权码")),
        ))),
        MessageSpec(0x0102, "auth", "终端鉴权", f"{_S} 终端鉴权", "up", {
            2013: Struct(RestStr("auth_code", "鉴权码")),
            2019: Struct(
                LenStr("auth_code", "鉴权码 (2019: 长度 + 内容)"),
                FixedStr("imei", 15, "终端 IMEI"),
                FixedStr("software_version", 20, "软件版本号"),
            ),
        }),
        MessageSpec(0x8103, "set_params", "设置终端参数", f"{_S} 设置终端参数, tables 13-14",
                    "down", _one(Struct(Params()))),
        MessageSpec(0x8104, "query_params", "查询终端参数", f"{_S} 查询终端参数", "down",
                    _one(_EMPTY)),
        MessageSpec(0x0104, "query_params_reply", "查询终端参数应答", f"{_S} 查询终端参数应答",
                    "up", _one(Struct(UInt("reply_serial", 2, doc="应答流水号"), Params()))),
        MessageSpec(0x0200, "location", "位置信息汇报", f"{_S} 位置信息汇报, tables 23-32",
                    "up", _one(LOCATION), lambda body: [body]),
        MessageSpec(0x0702, "driver_identity", "驾驶员身份信息采集上报",
                    f"{_S} 驾驶员身份信息采集上报", "up", {2013: _driver(2013), 2019: _driver(2019)}),
        MessageSpec(0x0704, "location_batch", "定位数据批量上传", f"{_S} 定位数据批量上传", "up",
                    _one(Struct(Batch())), lambda body: list(body.get("positions", []))),
        MessageSpec(0x0800, "media_event", "多媒体事件信息上传", f"{_S} 多媒体事件信息上传", "up",
                    _one(Struct(*_MEDIA_HEAD))),
        MessageSpec(0x0801, "media_data", "多媒体数据上传", f"{_S} 多媒体数据上传", "up",
                    _one(Struct(*_MEDIA_HEAD, Nested("location", LOCATION_BASIC, "位置基本信息"),
                                RestHex("data_hex", "多媒体数据包"))),
                    lambda body: [body["location"]] if "location" in body else []),
        MessageSpec(0x8300, "text", "文本信息下发", f"{_S} 文本信息下发", "down",
                    {2013: _text(2013), 2019: _text(2019)}),
    )
}

