"""Quality profiles of platform operators (providers) and device makers — data only.

Each provider has one gateway, hence one dump format (``bin`` raw capture or ``log`` hex log),
so a frame is never written in both formats. Rates are per registry record, per terminal or
per frame as named. All names are fictional.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProviderProfile:
    provider_id: str
    name: str
    platform_domain: str
    dump_format: str            # "bin" | "log"
    share_2019: float           # terminals speaking JT/T 808-2019 (20-digit phones)
    # registry defects (per vehicle record)
    p_bad_plate: float
    p_bad_colour: float
    p_bad_vin: float
    p_vin_check_warning: float  # wrong check digit only: a warning, still conformant
    p_missing_field: float
    p_duplicate_plate: float
    # terminal server setting (0x0104 answer): correct / wrong domain / bare IP / no answer
    domain_mix: tuple[float, float, float, float]
    # images: per slot missing, corrupt, duplicate
    p_img_missing: float
    p_img_corrupt: float
    p_img_duplicate: float
    # operator phone: invalid number, stale verification, failed, never verified
    phone_mix: tuple[float, float, float, float]
    # reporting
    moving_intervals: tuple[int, ...]   # 0x0029 choices (s)
    parked_interval: int                # 0x0027 (s)
    p_misconfigured: float              # terminal with too-long intervals (60 s / 600 s)
    heartbeat_s: int
    # connectivity
    p_never_online: float
    signal_loss_per_day: float
    backfill_loss: float                # share of outage points lost (blind-area storage)
    p_dropped: float                    # real-time frames lost in transit
    latency_ms: float                   # median receive latency
    # field-level quality faults per 0x0200 frame
    p_drift: float              # share of terminals with a drifting GNSS (bad antenna ...)
    p_invalid_bcd: float
    p_lat_out_of_range: float
    p_future_time: float
    p_speed_out_of_range: float
    # frame-level corruption per frame
    p_bad_checksum: float
    p_truncated: float
    p_garbage: float
    ghost_per_100: float                # unregistered terminals sending to this gateway
    # monitoring centre
    p_remind: float
    remind_delay_s: float               # median delay of 0x8300 after a violation starts


PROVIDERS: tuple[ProviderProfile, ...] = (
    ProviderProfile("P01", "浙江安途北斗科技有限公司", "jt808.antu-bd.com.cn", "bin", 0.0,
                    0.005, 0.003, 0.005, 0.02, 0.01, 0.004, (0.96, 0.02, 0.01, 0.01),
                    0.01, 0.005, 0.005, (0.005, 0.01, 0.005, 0.01), (30, 30, 20), 300,
                    0.01, 180, 0.01, 0.6, 0.01, 0.0005, 700,
                    0.01, 0.0001, 0.0001, 0.0001, 0.00005, 0.0002, 0.0001, 0.0001, 0.0,
                    0.95, 60),
    ProviderProfile("P02", "杭州云驰物联网络有限公司", "gps.yunchi-iot.cn", "log", 0.6,
                    0.01, 0.005, 0.01, 0.03, 0.03, 0.006, (0.88, 0.05, 0.04, 0.03),
                    0.03, 0.02, 0.02, (0.01, 0.03, 0.01, 0.02), (30, 15), 300,
                    0.03, 120, 0.02, 1.0, 0.03, 0.002, 900,
                    0.02, 0.0003, 0.0003, 0.0002, 0.0001, 0.0005, 0.0003, 0.0003, 1.0,
                    0.85, 120),
    ProviderProfile("P03", "宁波港通卫星定位服务有限公司", "808.gangtong-sat.com", "bin", 0.0,
                    0.02, 0.01, 0.02, 0.05, 0.06, 0.01, (0.80, 0.08, 0.07, 0.05),
                    0.05, 0.03, 0.03, (0.03, 0.06, 0.02, 0.04), (30,), 300,
                    0.08, 60, 0.04, 1.6, 0.08, 0.004, 1500,
                    0.04, 0.0008, 0.0006, 0.0005, 0.0003, 0.001, 0.0006, 0.0005, 2.0,
                    0.70, 300),
    ProviderProfile("P04", "温州瓯越车联科技有限公司", "jtt808.ouyue-cl.com", "log", 0.3,
                    0.04, 0.02, 0.03, 0.06, 0.10, 0.015, (0.70, 0.12, 0.10, 0.08),
                    0.08, 0.05, 0.05, (0.05, 0.10, 0.03, 0.06), (30, 30, 60), 300,
                    0.12, 60, 0.06, 2.2, 0.15, 0.008, 2500,
                    0.08, 0.0015, 0.001, 0.001, 0.0005, 0.002, 0.001, 0.001, 3.0,
                    0.55, 600),
    ProviderProfile("P05", "金华汇通智能交通有限公司", "bd.huitong-its.cn", "bin", 1.0,
                    0.008, 0.004, 0.008, 0.02, 0.02, 0.005, (0.92, 0.03, 0.03, 0.02),
                    0.02, 0.01, 0.01, (0.01, 0.02, 0.01, 0.01), (20, 30, 10), 300,
                    0.02, 120, 0.015, 0.8, 0.02, 0.001, 800,
                    0.02, 0.0002, 0.0002, 0.0002, 0.0001, 0.0003, 0.0002, 0.0002, 0.5,
                    0.90, 90),
    ProviderProfile("P06", "台州海宇定位科技有限公司", "gnss.haiyu-loc.com", "log", 0.0,
                    0.03, 0.015, 0.025, 0.04, 0.08, 0.012, (0.75, 0.10, 0.10, 0.05),
                    0.06, 0.04, 0.04, (0.04, 0.08, 0.03, 0.05), (30, 60), 600,
                    0.10, 180, 0.05, 1.8, 0.12, 0.006, 2000,
                    0.06, 0.001, 0.0008, 0.0008, 0.0004, 0.0015, 0.0008, 0.0008, 2.5,
                    0.60, 420),
    ProviderProfile("P07", "湖州太湖北斗运营服务有限公司", "jt808.taihu-bds.cn", "bin", 0.5,
                    0.015, 0.008, 0.015, 0.03, 0.05, 0.008, (0.85, 0.06, 0.05, 0.04),
                    0.04, 0.02, 0.02, (0.02, 0.05, 0.02, 0.03), (30, 20), 300,
                    0.05, 120, 0.03, 1.2, 0.05, 0.003, 1200,
                    0.03, 0.0005, 0.0004, 0.0004, 0.0002, 0.0008, 0.0004, 0.0004, 1.5,
                    0.78, 180),
    ProviderProfile("P08", "丽水瓯江卫星导航有限公司", "gps.oujiang-nav.com", "log", 0.2,
                    0.05, 0.03, 0.04, 0.08, 0.14, 0.02, (0.60, 0.15, 0.15, 0.10),
                    0.10, 0.07, 0.06, (0.07, 0.12, 0.04, 0.08), (30, 60), 600,
                    0.15, 60, 0.08, 2.8, 0.20, 0.01, 3000,
                    0.10, 0.002, 0.0015, 0.0012, 0.0006, 0.0025, 0.0012, 0.0012, 4.0,
                    0.45, 900),
)


@dataclass(frozen=True)
class MakerProfile:
    maker_id: str
    name: str
    models: tuple[str, ...]
    fault_per_day: float        # device faults per terminal-day
    repair_median_h: float      # median ticket repair time
    preservation: float         # share of outage points a faulty terminal keeps for backfill
    items: tuple[str, ...]      # 0x0200 additional items the terminal sends


MAKERS: tuple[MakerProfile, ...] = (
    MakerProfile("M01", "深圳星驰电子有限公司", ("XC-6800", "XC-7200"), 0.002, 6.0, 0.98,
                 ("0x01", "0x30", "0x31")),
    MakerProfile("M02", "厦门海迅通信技术有限公司", ("HX-808G", "HX-808A"), 0.004, 10.0, 0.92,
                 ("0x01", "0x02", "0x03", "0x30", "0x31")),
    MakerProfile("M03", "杭州鸿途物联科技有限公司", ("HT-N5",), 0.006, 16.0, 0.85,
                 ("0x01", "0x03", "0x30", "0x31")),
    MakerProfile("M04", "广州北辰智能设备有限公司", ("BC-T3", "BC-T5"), 0.010, 28.0, 0.60,
                 ("0x01", "0x31")),
    MakerProfile("M05", "宁波远航电子科技有限公司", ("YH-2019S",), 0.015, 40.0, 0.40,
                 ("0x01", "0x02", "0x30", "0x31")),
)
MAKER_SHARE = (0.30, 0.25, 0.20, 0.15, 0.10)

#: (insurer_id, name)
INSURERS: tuple[tuple[str, str], ...] = (
    ("I01", "钱塘财产保险股份有限公司浙江分公司"),
    ("I02", "东海安邦财产保险股份有限公司浙江分公司"),
    ("I03", "之江联合保险股份有限公司"),
)

#: vehicle types with (tonnage range t, hazmat classes, weight)
VEHICLE_TYPES: tuple[tuple[str, tuple[float, float], tuple[int, ...], float], ...] = (
    ("重型罐式货车", (15.0, 25.0), (2, 3, 8, 6), 0.45),
    ("重型半挂牵引车", (25.0, 40.0), (2, 3, 8, 5, 6), 0.25),
    ("中型罐式货车", (6.0, 12.0), (3, 8, 2), 0.12),
    ("重型厢式货车", (12.0, 20.0), (4, 5, 6, 9, 1), 0.12),
    ("轻型厢式货车", (1.5, 4.5), (9, 6, 8, 2), 0.06),
)
#: hazmat classes (GB 6944) weights among vehicles: gases 2, flammable liquids 3, corrosives 8 ...
HAZMAT_WEIGHT = {1: 0.01, 2: 0.22, 3: 0.40, 4: 0.03, 5: 0.05, 6: 0.06, 8: 0.20, 9: 0.03}
