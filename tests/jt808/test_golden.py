"""Golden frames for every message in the table.

Each frame was written by hand from JT/T 808-2013/2019 (header + body, commented below) and
closed with an independent XOR/escape (``jt808_testkit.wire``). One helper checks parse,
build and size together: decoding gives the expected values, encoding the expected body gives
the same bytes back (for canonical frames), and the record length is the frame length.

All frames: phone 013800138000 (2019: 00000000013800138000), serial 0x007E (sent as 7D 02).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from jt808_testkit import header2013, header2019, wire

from hazrisk.jt808 import BEIJING, MESSAGES, decode_frame, encode_message

T0 = datetime(2026, 10, 1, 8, 0, 0, tzinfo=BEIJING)
HZ = {"lat_deg": 30.274084, "lon_deg": 120.15507, "altitude_m": 15, "speed_kmh": 65.2,
      "heading_deg": 90, "device_time": T0}
LOC = {"alarm": 0, "status": 3, **HZ}  # ACC on + positioned, Hangzhou, 65.2 km/h east

GOLDEN: dict[str, tuple[int, int, str, dict[str, Any] | None, bool]] = {
    # name: (msg_id, version, frame hex, expected body, canonical: encode(body) == frame)
    # 0x0001 终端通用应答: reply serial 0x0010, reply id 0x8103, result 0
    "0001": (0x0001, 2013, "7E00010005013800138000007D020010810300427E",
             {"reply_serial": 16, "reply_msg_id": 0x8103, "result": 0}, True),
    # 0x8001 平台通用应答: reply serial 0x007E (escaped), reply id 0x0200, result 0
    "8001": (0x8001, 2013, "7E80010005013800138000007D02007D020200002C7E",
             {"reply_serial": 126, "reply_msg_id": 0x0200, "result": 0}, True),
    # 0x0002 终端心跳 and 0x0003 终端注销: empty bodies
    "0002": (0x0002, 2013, "7E00020000013800138000007D02D67E", {}, True),
    "0003": (0x0003, 2013, "7E00030000013800138000007D02D77E", {}, True),
    # 0x0100 终端注册 2013: province 0x0021 (浙江 33), city 0x0100, maker 'HZRSK' BYTE[5],
    # model 'HZ-T808' BYTE[20], terminal 'T000001' BYTE[7], colour 2, plate 浙A12345 (GBK)
    "0100-2013": (0x0100, 2013,
                  "7E0100002D013800138000007D0200210100485A52534B485A2D54383038000000000000000000"
                  "000000005430303030303102D5E3413132333435CA7E",
                  {"province_id": 33, "city_id": 256, "maker_id": "HZRSK", "model": "HZ-T808",
                   "terminal_id": "T000001", "plate_color": 2, "plate": "浙A12345"}, True),
    # 0x0100 2011: model BYTE[8] (body 33 bytes, told from 2013 by length only)
    "0100-2011": (0x0100, 2011,
                  "7E01000021013800138000007D0200210100485A52534B485A543830380000543030303030310"
                  "2D5E3413132333435EB7E",
                  {"province_id": 33, "city_id": 256, "maker_id": "HZRSK", "model": "HZT808",
                   "terminal_id": "T000001", "plate_color": 2, "plate": "浙A12345"}, True),
    # 0x0100 2019: maker BYTE[11], model BYTE[30], terminal BYTE[30]
    "0100-2019": (0x0100, 2019,
                  "7E010040540100000000013800138000007D0200210100485A52534B000000000000485A2D5438"
                  "3038000000000000000000000000000000000000000000000054303030303031000000000000"
                  "000000000000000000000000000000000002D5E3413132333435F27E",
                  {"province_id": 33, "city_id": 256, "maker_id": "HZRSK", "model": "HZ-T808",
                   "terminal_id": "T000001", "plate_color": 2, "plate": "浙A12345"}, True),
    # 0x8100 终端注册应答: serial 1, result 0, auth code 'AUTH0001'; result 1: no auth code
    "8100-ok": (0x8100, 2013, "7E8100000B013800138000007D020001004155544830303031567E",
                {"reply_serial": 1, "result": 0, "auth_code": "AUTH0001"}, True),
    "8100-fail": (0x8100, 2013, "7E81000003013800138000007D02000101567E",
                  {"reply_serial": 1, "result": 1}, True),
    # 0x0102 终端鉴权 2013: the whole body is the auth code
    "0102-2013": (0x0102, 2013, "7E01020008013800138000007D024155544830303031D67E",
                  {"auth_code": "AUTH0001"}, True),
    # 0x0102 2019: length 8 + code, IMEI BYTE[15], software version BYTE[20]
    "0102-2019": (0x0102, 2019,
                  "7E0102402C0100000000013800138000007D020841555448303030313836303030303030303030"
                  "3030303156312E302E300000000000000000000000000000E37E",
                  {"auth_code": "AUTH0001", "imei": "860000000000001",
                   "software_version": "V1.0.0"}, True),
    # 0x8103 设置终端参数: 2 params: 0x0029 DWORD 30 s; 0x0013 STRING '10.0.0.1:7611'
    "8103": (0x8103, 2013,
             "7E8103001C013800138000007D020200000029040000001E000000130D31302E302E302E313A373631"
             "31407E",
             {"params": {"0x0029": 30, "0x0013": "10.0.0.1:7611"}}, True),
    # 0x8104 查询终端参数: empty
    "8104": (0x8104, 2013, "7E81040000013800138000007D02517E", {}, True),
    # 0x0104 查询终端参数应答: reply serial 5; 0x0001 DWORD 60; 0x0013 '10.0.0.1:7611'
    "0104": (0x0104, 2013,
             "7E0104001E013800138000007D0200050200000001040000003C000000130D31302E302E302E313A"
             "37363131CA7E",
             {"reply_serial": 5, "params": {"0x0001": 60, "0x0013": "10.0.0.1:7611"}}, True),
    # 0x0104 as real terminals send it: 0x0013 NUL-padded to 16 bytes, 0x0090 (a BYTE in the
    # standard) sent as a DWORD. Decoded tolerantly; re-encoding gives the standard widths.
    "0104-tolerant": (0x0104, 2013,
                      "7E0104002A013800138000007D0200050300000001040000003C000000131031302E302E30"
                      "2E3100000000000000000000009004000000034E7E",
                      {"reply_serial": 5,
                       "params": {"0x0001": 60, "0x0013": "10.0.0.1", "0x0090": 3}}, False),
    # 0x0200 位置信息汇报: alarm 0, status 3, lat 30.274084 (0x01CDF224), lon 120.155070
    # (0x07296BBE), alt 15, speed 652 (65.2 km/h), heading 90, 2026-10-01 08:00:00; items
    # 0x01 mileage 123456 (12345.6 km), 0x02 fuel 500 (50.0 L), 0x03 tacho 650 (65.0 km/h),
    # 0x25 0, 0x2A 0, 0x30 rssi 31, 0x31 12 satellites
    "0200": (0x0200, 2013,
             "7E0200003A013800138000007D02000000000000000301CDF22407296BBE000F028C005A26100108"
             "000001040001E240020201F40302028A2504000000002A02000030011F31010C2B7E",
             {**LOC, "items": {
                 "0x01": {"mileage_km": 12345.6}, "0x02": {"fuel_l": 50.0},
                 "0x03": {"tacho_speed_kmh": 65.0}, "0x25": {"ext_signal_status": 0},
                 "0x2A": {"io_status": 0}, "0x30": {"rssi": 31}, "0x31": {"gnss_count": 12}}},
             True),
    # 0x0200 implausible but decodable: status 0x0F (south + west), lat 33.868820, lon
    # 151.209296, altitude 0xFED4 = -300 m, speed 1700 (170 km/h), heading 400, BCD month 13
    "0200-implausible": (0x0200, 2013,
                         "7E0200001C013800138000007D02000000000000000F0204CC1409034550FED406A40190"
                         "261301080000217E",
                         {"alarm": 0, "status": 15, "lat_deg": -33.86882, "lon_deg": -151.209296,
                          "altitude_m": -300, "speed_kmh": 170.0, "heading_deg": 400,
                          "device_time": None, "device_time_bcd": "261301080000", "items": {}},
                         True),
    # 0x0200 with alarm items: 0x04 event 7; 0x11 (5 bytes) type 1 area 10; 0x12 type 2 area
    # 20 out; 0x13 route 30, 3600 s, too short; 0x2B 242; 0x64 ADAS (苏标 16-byte block);
    # 0x65 DSM (粤标 40-byte block, 30-byte terminal id); vendor 0xE1
    "0200-safety": (0x0200, 2013,
                    "7E020000BD013800138000007D02000000010000000301CDF22407296BBE000F028C005A2610"
                    "01080000040200071105010000000A120602000000140113070000001E0E10002B04000000F2"
                    "642F000000010101023C0A0100003C000F01CDF22407296BBE26100108000000035430303030"
                    "303126100108000000020065470000000201020103000000003C000F01CDF22407296BBE2610"
                    "0108000000035430303030303100000000000000000000000000000000000000000000002610"
                    "0108000001010000E103AABBCCDB7E",
                    {**LOC, "alarm": 1, "items": {
                        "0x04": {"manual_alarm_event_id": 7},
                        "0x11": {"position_type": 1, "area_id": 10},
                        "0x12": {"position_type": 2, "area_id": 20, "in_out": 1},
                        "0x13": {"route_id": 30, "drive_time_s": 3600, "result": 0},
                        "0x2B": {"analog": 242},
                        "0x64": {"alarm_id": 1, "flag": 1, "alarm_type": 1, "level": 2,
                                 "front_speed_kmh": 60, "front_distance_100ms": 10,
                                 "deviation_type": 1, "road_sign_type": 0, "road_sign_value": 0,
                                 "speed_kmh": 60, "altitude_m": 15, "lat_deg": 30.274084,
                                 "lon_deg": 120.15507, "alarm_time": T0, "vehicle_status": 3,
                                 "terminal_id": "T000001", "time": T0, "seq": 0,
                                 "attachment_count": 2, "reserved": 0, "ident_len": 16},
                        "0x65": {"alarm_id": 2, "flag": 1, "alarm_type": 2, "level": 1,
                                 "fatigue_level": 3, "dsm_reserved": 0, "speed_kmh": 60,
                                 "altitude_m": 15, "lat_deg": 30.274084, "lon_deg": 120.15507,
                                 "alarm_time": T0, "vehicle_status": 3, "terminal_id": "T000001",
                                 "time": T0, "seq": 1, "attachment_count": 1, "reserved": 0,
                                 "ident_len": 40},
                        "0xE1": {"raw_hex": "aabbcc"}}},
                    True),
    # 0x0702 驾驶员身份信息采集上报 2013: card in (1), time, IC ok (0), name 张三 (4 bytes GBK),
    # qualification '330100000000000001' BYTE[20], issuer 杭州运管, valid to 2030-12-31
    "0702-2013": (0x0702, 2013,
                  "7E0702002E013800138000007D02012610010800000004D5C5C8FD33333031303030303030303030"
                  "3030303031000008BABCD6DDD4CBB9DC20301231AC7E",
                  {"card_status": 1, "time": T0, "ic_result": 0, "driver_name": "张三",
                   "qualification_no": "330100000000000001", "issuer": "杭州运管",
                   "cert_expiry": date(2030, 12, 31)}, True),
    # 0x0702 2019 adds the driver's ID card number BYTE[20]
    "0702-2019": (0x0702, 2019,
                  "7E070240420100000000013800138000007D02012610010800000004D5C5C8FD33333031303030"
                  "3030303030303030303031000008BABCD6DDD4CBB9DC2030123133333031303231393930303130"
                  "31313233340000877E",
                  {"card_status": 1, "time": T0, "ic_result": 0, "driver_name": "张三",
                   "qualification_no": "330100000000000001", "issuer": "杭州运管",
                   "cert_expiry": date(2030, 12, 31), "id_card_no": "330102199001011234"}, True),
    # 0x0702 card out (2): status and time only
    "0702-out": (0x0702, 2013, "7E07020007013800138000007D0202261001090000EA7E",
                 {"card_status": 2, "time": datetime(2026, 10, 1, 9, 0, 0, tzinfo=BEIJING)}, True),
    # 0x0704 定位数据批量上传: 2 positions, type 1 (盲区补报); the second with items 0x01, 0x31
    "0704": (0x0704, 2013,
             "7E07040048013800138000007D02000201001C000000000000000301CDF22407296BBE000F028C005A"
             "2610010800000025000000000000000301CDF22407296BBE000F028C005A26100108003001040001E2"
             "4031010C0F7E",
             {"batch_type": 1, "positions": [
                 {**LOC, "items": {}},
                 {**LOC, "device_time": datetime(2026, 10, 1, 8, 0, 30, tzinfo=BEIJING),
                  "items": {"0x01": {"mileage_km": 12345.6}, "0x31": {"gnss_count": 12}}}]},
             True),
    # 0x0800 多媒体事件信息上传: id 1, image (0), JPEG (0), event 1, channel 1
    "0800": (0x0800, 2013, "7E08000008013800138000007D020000000100000101D57E",
             {"media_id": 1, "media_type": 0, "media_format": 0, "event": 1, "channel": 1}, True),
    # 0x0801 多媒体数据上传: media header + 28-byte location + a tiny JPEG
    "0801": (0x0801, 2013,
             "7E08010030013800138000007D020000000100000101000000000000000301CDF22407296BBE000F02"
             "8C005A261001080000FFD8FFE000104A464946FFD9E77E",
             {"media_id": 1, "media_type": 0, "media_format": 0, "event": 1, "channel": 1,
              "location": dict(LOC), "data_hex": "ffd8ffe000104a464946ffd9"}, True),
    # 0x8300 文本信息下发 2013: flags 0x08 (TTS 播读), text 请注意安全驾驶 (GBK)
    "8300-2013": (0x8300, 2013, "7E8300000F013800138000007D0208C7EBD7A2D2E2B0B2C8ABBCDDCABB487E",
                  {"flags": 8, "text": "请注意安全驾驶"}, True),
    # 0x8300 2019 adds the text type (1 通知)
    "8300-2019": (0x8300, 2019,
                  "7E830040100100000000013800138000007D020801C7EBD7A2D2E2B0B2C8ABBCDDCABB177E",
                  {"flags": 8, "text_type": 1, "text": "请注意安全驾驶"}, True),
    # 0x0900 (not in the table): kept raw, not rejected
    "0900": (0x0900, 2013, "7E09000006013800138000007D02F001020304052A7E",
             {"raw_hex": "f00102030405"}, True),
}

PHONE = "013800138000"
QUALITY = {"0200-implausible": ["invalid_bcd_time", "lat_out_of_range", "lon_out_of_range",
                                "speed_out_of_range", "heading_out_of_range",
                                "altitude_out_of_range"]}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden(name: str) -> None:
    msg_id, version, frame_hex, body, canonical = GOLDEN[name]
    frame = bytes.fromhex(frame_hex)
    rec = decode_frame(frame, offset=100)
    assert (rec.status, rec.reason) == ("ok", None), rec.detail
    assert (rec.offset, rec.length) == (100, len(frame))
    assert rec.msg_id == msg_id and rec.serial == 0x7E and rec.version == version
    assert rec.phone == (PHONE.rjust(20, "0") if version == 2019 else PHONE)
    assert rec.subpackage is None
    assert rec.body == body
    assert rec.quality == QUALITY.get(name, [])
    if canonical:
        assert body is not None
        again = encode_message(msg_id, body, phone=PHONE, serial=0x7E, version=version)
        assert again.hex().upper() == frame_hex


def test_every_message_has_a_golden_frame() -> None:
    covered = {(m, v if v != 2011 or m == 0x0100 else 2013) for m, v, *_ in GOLDEN.values()}
    for msg_id, spec in MESSAGES.items():
        for layout in spec.layouts:
            assert (msg_id, layout) in covered, f"0x{msg_id:04X} layout {layout} has no golden frame"


def test_golden_hex_matches_the_hand_written_fields() -> None:
    # the literal frames are the independent builder's output for the commented fields
    assert GOLDEN["0001"][2] == wire(header2013(0x0001, 5, PHONE, 0x7E) + "0010810300").hex().upper()
    assert GOLDEN["8300-2019"][2] == wire(
        header2019(0x8300, 16, PHONE, 0x7E) + "0801" + "请注意安全驾驶".encode("gbk").hex()
    ).hex().upper()
