"""Terminal parameters (终端参数项) of 0x8103 / 0x0104: the table and the list codec.

JT/T 808-2019 §8 设置终端参数 / 查询终端参数应答, table 13 (终端参数项数据格式) and table 14
(终端参数设置各参数项定义及说明): ``id DWORD, length BYTE, value BYTE[length]``.

Decoding is forgiving, because real terminals are: strings (server addresses 0x0013/0x0017...)
lose their NUL padding and terminator; numeric parameters sent in a non-standard width
(0x0090 as 4 bytes instead of a BYTE) are read as integers of whatever width 1/2/4/8 they
have; byte-array parameters, JT/T 1078 structures and unknown or vendor ids are kept as
``{"raw_hex": ...}``. ``params`` is keyed ``"0x0013"``; a repeated id gets ``"0x0013#2"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hazrisk.jt808.errors import EncodeError
from hazrisk.jt808.fields import Body, Ctx, Fatal, Field, decode_string, encode_string, join
from hazrisk.jt808.items import parse_key, unique_key

U8, U16, U32, STR, BYTES = "u8", "u16", "u32", "str", "bytes"
_WIDTH = {U8: 1, U16: 2, U32: 4}

#: id -> (kind, name, 中文名). Source: JT/T 808-2013 table 12 / 2019 table 14; 1078 rows from
#: JT/T 1078-2016 table 2.
PARAMS: dict[int, tuple[str, str, str]] = {
    0x0001: (U32, "heartbeat_interval_s", "终端心跳发送间隔"),
    0x0002: (U32, "tcp_reply_timeout_s", "TCP 消息应答超时时间"),
    0x0003: (U32, "tcp_retransmissions", "TCP 消息重传次数"),
    0x0004: (U32, "udp_reply_timeout_s", "UDP 消息应答超时时间"),
    0x0005: (U32, "udp_retransmissions", "UDP 消息重传次数"),
    0x0006: (U32, "sms_reply_timeout_s", "SMS 消息应答超时时间"),
    0x0007: (U32, "sms_retransmissions", "SMS 消息重传次数"),
    0x0010: (STR, "main_apn", "主服务器 APN"),
    0x0011: (STR, "main_dial_user", "主服务器无线通信拨号用户名"),
    0x0012: (STR, "main_dial_password", "主服务器无线通信拨号密码"),
    0x0013: (STR, "main_server_address", "主服务器地址, IP 或域名 (2019: 主机:端口;...)"),
    0x0014: (STR, "backup_apn", "备份服务器 APN"),
    0x0015: (STR, "backup_dial_user", "备份服务器无线通信拨号用户名"),
    0x0016: (STR, "backup_dial_password", "备份服务器无线通信拨号密码"),
    0x0017: (STR, "backup_server_address", "备份服务器地址, IP 或域名"),
    0x0018: (U32, "server_tcp_port", "服务器 TCP 端口 (2013)"),
    0x0019: (U32, "server_udp_port", "服务器 UDP 端口 (2013)"),
    0x001A: (STR, "ic_auth_main_server", "道路运输证 IC 卡认证主服务器 IP 地址或域名"),
    0x001B: (U32, "ic_auth_tcp_port", "道路运输证 IC 卡认证主服务器 TCP 端口"),
    0x001C: (U32, "ic_auth_udp_port", "道路运输证 IC 卡认证主服务器 UDP 端口"),
    0x001D: (STR, "ic_auth_backup_server", "道路运输证 IC 卡认证备份服务器 IP 地址或域名"),
    0x0020: (U32, "report_strategy", "位置汇报策略"),
    0x0021: (U32, "report_scheme", "位置汇报方案"),
    0x0022: (U32, "no_driver_report_interval_s", "驾驶员未登录汇报时间间隔"),
    0x0023: (STR, "slave_apn", "从服务器 APN (2019)"),
    0x0024: (STR, "slave_dial_user", "从服务器无线通信拨号用户名 (2019)"),
    0x0025: (STR, "slave_dial_password", "从服务器无线通信拨号密码 (2019)"),
    0x0026: (STR, "slave_backup_address", "从服务器备份地址 (2019)"),
    0x0027: (U32, "sleep_report_interval_s", "休眠时汇报时间间隔"),
    0x0028: (U32, "emergency_report_interval_s", "紧急报警时汇报时间间隔"),
    0x0029: (U32, "default_report_interval_s", "缺省时间汇报间隔"),
    0x002C: (U32, "default_report_distance_m", "缺省距离汇报间隔"),
    0x002D: (U32, "no_driver_report_distance_m", "驾驶员未登录汇报距离间隔"),
    0x002E: (U32, "sleep_report_distance_m", "休眠时汇报距离间隔"),
    0x002F: (U32, "emergency_report_distance_m", "紧急报警时汇报距离间隔"),
    0x0030: (U32, "corner_angle_deg", "拐点补传角度"),
    0x0031: (U16, "fence_radius_m", "电子围栏半径 (非法位移阈值)"),
    0x0032: (BYTES, "illegal_driving_period", "违规行驶时段范围 BYTE[4] (2019)"),
    0x0040: (STR, "platform_phone", "监控平台电话号码"),
    0x0041: (STR, "reset_phone", "复位电话号码"),
    0x0042: (STR, "factory_reset_phone", "恢复出厂设置电话号码"),
    0x0043: (STR, "platform_sms_phone", "监控平台 SMS 电话号码"),
    0x0044: (STR, "sms_alarm_phone", "接收终端 SMS 文本报警号码"),
    0x0045: (U32, "answer_strategy", "终端电话接听策略"),
    0x0046: (U32, "max_call_s", "每次最长通话时间"),
    0x0047: (U32, "max_call_month_s", "当月最长通话时间"),
    0x0048: (STR, "monitor_phone", "监听电话号码"),
    0x0049: (STR, "privileged_sms_phone", "监管平台特权短信号码"),
    0x0050: (U32, "alarm_mask", "报警屏蔽字"),
    0x0051: (U32, "alarm_sms_switch", "报警发送文本 SMS 开关"),
    0x0052: (U32, "alarm_photo_switch", "报警拍摄开关"),
    0x0053: (U32, "alarm_photo_store_flags", "报警拍摄存储标志"),
    0x0054: (U32, "key_alarm_flags", "关键标志"),
    0x0055: (U32, "max_speed_kmh", "最高速度"),
    0x0056: (U32, "overspeed_duration_s", "超速持续时间"),
    0x0057: (U32, "continuous_driving_limit_s", "连续驾驶时间门限"),
    0x0058: (U32, "daily_driving_limit_s", "当天累计驾驶时间门限"),
    0x0059: (U32, "min_rest_s", "最小休息时间"),
    0x005A: (U32, "max_parking_s", "最长停车时间"),
    0x005B: (U16, "overspeed_warning_delta_01kmh", "超速预警差值, 1/10 km/h"),
    0x005C: (U16, "fatigue_warning_delta_s", "疲劳驾驶预警差值"),
    0x005D: (U16, "collision_alarm_params", "碰撞报警参数设置"),
    0x005E: (U16, "rollover_angle_deg", "侧翻报警参数设置"),
    0x0064: (U32, "timed_photo_control", "定时拍照控制"),
    0x0065: (U32, "distance_photo_control", "定距拍照控制"),
    0x0070: (U32, "image_quality", "图像/视频质量 1-10"),
    0x0071: (U32, "brightness", "亮度 0-255"),
    0x0072: (U32, "contrast", "对比度 0-127"),
    0x0073: (U32, "saturation", "饱和度 0-127"),
    0x0074: (U32, "chroma", "色度 0-255"),
    0x0075: (BYTES, "av_params", "音视频参数设置 (JT/T 1078)"),
    0x0076: (BYTES, "av_channels", "音视频通道列表设置 (JT/T 1078)"),
    0x0077: (BYTES, "single_channel_video", "单独视频通道参数设置 (JT/T 1078)"),
    0x0079: (BYTES, "special_alarm_recording", "特殊报警录像参数设置 (JT/T 1078)"),
    0x007A: (U32, "video_alarm_mask", "视频相关报警屏蔽字 (JT/T 1078)"),
    0x007B: (BYTES, "image_analysis_alarm", "图像分析报警参数设置 (JT/T 1078)"),
    0x007C: (BYTES, "sleep_wake", "终端休眠唤醒模式设置 (JT/T 1078)"),
    0x0080: (U32, "odometer_01km", "车辆里程表读数, 1/10 km"),
    0x0081: (U16, "province_id", "车辆所在的省域 ID"),
    0x0082: (U16, "city_id", "车辆所在的市域 ID"),
    0x0083: (STR, "plate", "机动车号牌"),
    0x0084: (U8, "plate_color", "车牌颜色"),
    0x0090: (U8, "gnss_mode", "GNSS 定位模式"),
    0x0091: (U8, "gnss_baud_rate", "GNSS 波特率"),
    0x0092: (U8, "gnss_output_rate", "GNSS 模块详细定位数据输出频率"),
    0x0093: (U32, "gnss_sample_interval_s", "GNSS 模块详细定位数据采集频率"),
    0x0094: (U8, "gnss_upload_mode", "GNSS 模块详细定位数据上传方式"),
    0x0095: (U32, "gnss_upload_setting", "GNSS 模块详细定位数据上传设置"),
    0x0100: (U32, "can1_sample_interval_ms", "CAN 总线通道 1 采集时间间隔"),
    0x0101: (U16, "can1_upload_interval_s", "CAN 总线通道 1 上传时间间隔"),
    0x0102: (U32, "can2_sample_interval_ms", "CAN 总线通道 2 采集时间间隔"),
    0x0103: (U16, "can2_upload_interval_s", "CAN 总线通道 2 上传时间间隔"),
}
#: 0x0110-0x01FF: CAN 总线 ID 单独采集设置 BYTE[8]
CAN_ID_RANGE = range(0x0110, 0x0200)


def param_kind(param_id: int) -> str | None:
    if param_id in PARAMS:
        return PARAMS[param_id][0]
    if param_id in CAN_ID_RANGE:
        return BYTES
    return None


def decode_param(param_id: int, data: bytes) -> Any:
    kind = param_kind(param_id)
    if kind == STR:
        return decode_string(data)
    if kind in _WIDTH and len(data) in (1, 2, 4, 8):
        return int.from_bytes(data, "big")
    return {"raw_hex": data.hex()}


def encode_param(key: str, param_id: int, value: Any) -> bytes:
    if isinstance(value, Mapping):
        if set(value) != {"raw_hex"}:
            raise EncodeError(f"param {key}: a dict value must be {{'raw_hex': ...}}")
        try:
            return bytes.fromhex(value["raw_hex"])
        except (TypeError, ValueError):
            raise EncodeError(f"param {key}: raw_hex is not hex") from None
    kind = param_kind(param_id)
    if kind == STR:
        return encode_string(f"param {key}", value)
    if kind in _WIDTH and isinstance(value, int) and not isinstance(value, bool):
        for width in (_WIDTH[kind], 2, 4, 8):
            if 0 <= value < (1 << (8 * width)):
                return value.to_bytes(width, "big")
        raise EncodeError(f"param {key}: {value} does not fit 8 bytes")
    raise EncodeError(f"param {key}: {value!r} does not suit a {kind or 'unknown'} parameter")


class Params(Field):
    """``count BYTE`` then parameter items; decoded as ``params`` keyed ``"0x0013"``.

    Items are read to the end of the body; the count byte is not trusted (one real terminal
    sends 9 with 7 items) and is rewritten from ``len(params)`` when encoding.
    """

    def __init__(self, name: str = "params", doc: str = "参数项列表") -> None:
        self.name, self.doc = name, doc

    def decode(self, buf: bytes, pos: int, end: int, out: Body, ctx: Ctx, path: str) -> int:
        here = join(path, self.name)
        if pos >= end:
            raise Fatal("bad_body", join(path, "count"), pos, "no parameter count left")
        count = buf[pos]
        pos += 1
        params: Body = {}
        i = 0
        while pos < end:  # the count is advisory: real terminals get it wrong
            i += 1
            if pos + 5 > end:
                raise Fatal(
                    "bad_body", here, pos,
                    f"parameter {i} (count says {count}): {end - pos} bytes left, "
                    "its header needs 5",
                )
            param_id = int.from_bytes(buf[pos : pos + 4], "big")
            n = buf[pos + 4]
            key = unique_key(f"0x{param_id:04X}", params)
            if pos + 5 + n > end:
                raise Fatal(
                    "bad_body", join(here, key), pos,
                    f"declares {n} bytes, {end - pos - 5} left",
                )
            params[key] = decode_param(param_id, buf[pos + 5 : pos + 5 + n])
            pos += 5 + n
        out[self.name] = params
        return pos

    def encode(self, body: Mapping[str, Any]) -> bytes:
        params = body.get(self.name)
        if not isinstance(params, Mapping):
            raise EncodeError(f"{self.name}: expected a dict keyed '0x0013'...")
        if len(params) > 255:
            raise EncodeError(f"{self.name}: {len(params)} parameters, a BYTE count holds 255")
        parts = [bytes([len(params)])]
        for key, value in params.items():
            param_id = parse_key(key, 4)
            data = encode_param(key, param_id, value)
            if len(data) > 255:
                raise EncodeError(f"param {key}: {len(data)} bytes, a BYTE length holds 255")
            parts.append(param_id.to_bytes(4, "big") + bytes([len(data)]) + data)
        return b"".join(parts)
