"""The metric registry: the one source of truth for every provider rate and device KPI.

Each :class:`Metric` carries its id (the English id used in JSON, SQL and the CLI), Chinese and
English names, definition, direction, floor, weights and sources. The seven seed rates come
from 交通运输部办公厅《道路货运车辆动态监控服务商服务评价办法》(交办运〔2016〕169号), whose
annex with the definitions is not public, so each definition here is the project's documented
default; the national indicators and their scoring from 交通运输部《全国重点营运车辆联网联控
系统考核管理办法》(交运发〔2016〕160号) and its 考核表. Weights and floors come from the rules
configuration
(``[rate_weights]``, ``[rate_national_weights]``, ``[rate_floors]``, ``[completeness]
score_floor``, ``[drift] vehicle_rate_ceiling``) so the association changes them in
``conf/rules.toml`` without code changes.

>>> from hazrisk.config import load_rules
>>> reg = metric_registry(load_rules())
>>> reg["trajectory_completeness_km"].floor
0.7
>>> reg["drift_vehicles"].direction
'lower'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from hazrisk.config import Rules, load_rules

Direction = Literal["higher", "lower"]
Party = Literal["provider", "device_maker"]


@dataclass(frozen=True)
class Metric:
    """One rate: what it counts, how it scores, where each default comes from.

    ``floor`` is the threshold beyond which the metric scores zero: for ``direction='higher'``
    a rate below it scores 0 (e.g. 轨迹完整率 < 70 %); for ``direction='lower'`` a rate above
    it scores 0 (漂移车辆率 > 5 %). Points: ``weight × rate`` (higher) or ``weight × (1 − rate)``
    (lower), the national 2016 table's forms.
    """

    id: str
    name_zh: str
    name_en: str
    number: str  # '1'..'7' for the seven seed rates, 'N1'.. national, 'D1'.. device makers
    party: Party
    unit: str  # what numerator/denominator count
    numerator: str
    denominator: str
    definition: str
    direction: Direction = "higher"
    floor: float | None = None
    weight: float = 0.0
    national_weight: float = 0.0
    interval: str = "Wilson score interval (95 %) on numerator/denominator"
    source: str = ""
    floor_source: str = ""
    weight_source: str = ""
    national_weight_source: str = ""
    target: float | None = None  # device makers: the rate the implementing opinion demands
    target_source: str = ""

    def points(self, rate: float | None, *, national: bool = False) -> float | None:
        """Score points for ``rate`` under the composite (or the national) weights."""
        w = self.national_weight if national else self.weight
        if rate is None:
            return None
        if self.floor is not None and (
            rate < self.floor if self.direction == "higher" else rate > self.floor
        ):
            return 0.0
        return w * (rate if self.direction == "higher" else 1.0 - rate)

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


_SVC = "交通运输部办公厅《道路货运车辆动态监控服务商服务评价办法》(交办运〔2016〕169号)"
_NET = "交通运输部《全国重点营运车辆联网联控系统考核管理办法》(交运发〔2016〕160号) 考核表"
_HUBEI = "湖北省重点营运车辆联网联控工作考核与监督管理实施办法"
_OWN = "definition: project default (the 169号 annex defining it is not public)"

#: The metrics in display order, with their definitions (weights/floors filled from the rules).
_BASE: tuple[Metric, ...] = (
    Metric(
        "vehicle_data_conformance", "车辆数据规范率", "vehicle data conformance", "1", "provider",
        "vehicles", "conformant vehicles", "vehicles in network",
        "plate matches the Chinese plate pattern; plate colour a JT/T 697.7 code; VIN 17 "
        "characters without I/O/Q (bad check digit: warning only); transport permit no., owner, "
        "vehicle type, tonnage, hazmat class, terminal id and SIM, terminal maker and model all "
        "present; no other vehicle with the same plate and colour",
        source=f"{_SVC} rate (1); {_OWN}; plate colours JT/T 697.7-2014, VIN GB 16735",
    ),
    Metric(
        "terminal_domain_correctness", "终端域名设置正确率", "terminal domain correctness", "2",
        "provider", "vehicles", "vehicles whose terminal server setting is correct",
        "vehicles in network",
        "the latest 0x0104 answer (at most [domain] max_answer_age_days old at the period end) "
        "has 0x0013 (and 0x0017 if present) as domain names, not bare IPs, equal to the "
        "provider's approved platform_domain; no answer counts as not correct",
        source=(
            f"{_SVC} rate (2)"
            "; 《道路运输车辆动态监督管理办法》(2022年修正) 第十六条 (no change of the "
            "terminal's monitoring-centre domain)"
            f"; server parameters 0x0013/0x0017 of JT/T 808-2019; {_OWN}"),
    ),
    Metric(
        "image_upload_correctness", "图片上传正确率", "image upload correctness", "3", "provider",
        "vehicles", "vehicles with all three images correct", "vehicles in network",
        "registration certificate, driving licence and vehicle-body photo (latest upload per "
        "slot up to the period end) all present, decodable (JPEG/PNG magic number), and not the "
        "same file (sha256) as another slot of the same or of another vehicle",
        source=f"{_SVC} rate (3); {_OWN}",
    ),
    Metric(
        "operator_phone_verification", "车辆经营者手机号码验证率", "operator phone verification",
        "4", "provider", "vehicles", "vehicles whose operator mobile is verified",
        "vehicles in network",
        "operator phone is a mainland mobile ([phone] pattern) with a passed verification of "
        "that number at most [phone] max_verification_age_days old at the period end",
        source=f"{_SVC} rate (4); {_OWN}",
    ),
    Metric(
        "upload_interval_qualification", "数据上传时间间隔合格率", "upload interval qualification",
        "5", "provider", "position records", "position records with a qualified interval",
        "all position records",
        "per vehicle in GNSS-time order (backfilled records included, judged on GNSS time), the "
        "gap to the previous record is at most [upload_interval] moving_max_s when the vehicle "
        "is moving or ACC on and parked_max_s when parked (state of the record that opens the "
        "gap, [rates] interval_state); a vehicle's first record has no gap and qualifies; a "
        "record without a valid GNSS time does not qualify; heartbeats are not records",
        source=(
            f"{_SVC} rate (5); {_OWN}"
            "; report intervals: JT/T 808-2019 parameters 0x0027/0x0029, backfill 0x0704"),
    ),
    Metric(
        "trajectory_completeness", "轨迹完整率（车辆日）", "trajectory completeness (vehicle-days)",
        "6", "provider", "vehicle-days", "complete vehicle-day trajectories",
        "vehicle-days of online vehicles",
        "a segment between consecutive qualified, non-drift fixes is incomplete when longer "
        "than [completeness] gap_km AND longer than gap_s; a vehicle-day (Beijing day, with at "
        "least one qualified record) is complete when no segment ending that day is incomplete "
        "(the seed's count form)",
        source=(
            f"{_NET} (轨迹完整率, < 70 % scores 0); the seed\'s count form"
            "; gap thresholds: project default"),
    ),
    Metric(
        "trajectory_completeness_km", "轨迹完整率（里程）", "trajectory completeness (mileage)",
        "6", "provider", "km", "km of complete segments", "km of all segments",
        "the same segments: km in complete segments / km in all segments (great-circle km "
        "between consecutive qualified, non-drift fixes; national practice)",
        interval=(
            "Wilson score interval (95 %) on the km ratio with n = vehicle-days with mileage "
            "(segments within a vehicle-day are not independent)"
        ),
        source=f"{_NET} (轨迹完整率, < 70 % scores 0); mileage form 完整里程/总里程 of the {_HUBEI}",
    ),
    Metric(
        "data_qualification", "数据合格率", "data qualification", "7", "provider",
        "position records", "qualified records", "all records",
        "the vehicle is registered; GNSS time valid and ≤ receive time + [validity] "
        "time_max_future_s when the receive time is known; lon/lat within [validity] ranges and "
        "not 0; GNSS and tachograph speed within 0–160 km/h; heading 0–359; altitude "
        "−200–6500 m; no reserved bits set in the status/alarm words (JT/T 808 tables 24–25 for "
        "the frame's protocol version)",
        source=(
            f"{_NET}, note on unqualified data and the reasonable ranges (JT/T 809-2011 §4.5.8"
            "; < 80 % scores 0); reserved bits: JT/T 808-2019 tables 24-25"),
    ),
    Metric(
        "network_entry", "入网率", "network entry rate", "N1", "provider", "vehicles",
        "registered vehicles that ever sent a qualified record (up to the period end)",
        "vehicles registered with the provider during the period",
        "a vehicle is 入网 once it has transmitted at least one qualified record",
        source=(
            f"{_NET} (车辆入网率, < 90 % scores 0)"
            "; 入网 = at least one qualified record, as the Jiangsu provincial interpretation (2021-02-04) words it"),
    ),
    Metric(
        "online", "上线率", "online rate", "N2", "provider", "vehicles",
        "vehicles with ≥ 1 qualified record in the period", "vehicles in network",
        "a vehicle is 上线 in the period when it delivered at least one qualified record",
        source=(
            f"{_NET} (车辆上线率)"
            "; 上线 = at least one qualified record in the period: project default"),
    ),
    Metric(
        "drift_vehicles", "漂移车辆率", "drift vehicle rate", "N3", "provider", "vehicles",
        "online vehicles with ≥ 1 drift point", "online vehicles",
        "a qualified fix drifts when it is an isolated spike more than [drift] spike_km from "
        "both neighbouring qualified fixes that are within neighbour_km of each other, or one "
        "of 1-3 fixes reached and left by legs faster than implied_speed_kmh while the fixes "
        "around them are consistent; judged per vehicle-day (hazrisk.drift, shared with "
        "detection)",
        direction="lower",
        source=(
            f"{_NET} (卫星定位漂移车辆率: 15 − rate × 15, > 5 % scores 0)"
            "; drift-point definition: project default"),
    ),
    Metric(
        "platform_connectivity", "平台连通率（代理指标）", "platform connectivity (proxy)", "N4",
        "provider", "minutes", "minutes with terminal data",
        "minutes from the first to the last day with data in the period",
        "PROXY, never scored: the dumps hold no platform-link evidence (JT/T 809 main/sub link "
        "keep-alives), so this measures fleet activity, not the link: a minute is online when "
        "the provider's gateway delivered at least one real-time (not backfilled) position, "
        "timed by its receive time (GNSS time when the dump has no receive time), or a "
        "heartbeat with a receive time",
        interval="Wilson score interval (95 %) on minutes (minutes are not independent trials)",
        source=f"{_NET} note ① and the {_HUBEI} (平台连通率 = 累计在线时间 / 考核总时间)",
    ),
    Metric(
        "repair_24h", "24小时故障修复率", "24-hour fault repair rate", "D1", "device_maker",
        "fault tickets", "faults repaired within [device] repair_within_s",
        "faults reported in the period",
        "per device maker and model (ticket's maker/model, else the vehicle's): a ticket "
        "repaired within 24 h of its report; an open ticket is not repaired, except one "
        "reported less than 24 h before the data ends (censored: left out, listed)",
        source=(
            "the association's evaluation of device makers (24小时故障修复率)"
            "; no regulation defines it: project default"),
    ),
    Metric(
        "data_preservation", "故障期间数据保存率", "data preservation during outages", "D2",
        "device_maker", "points", "points recovered by 0x0704 backfill",
        "points expected during the outages",
        "an outage is a gap between consecutive real-time records longer than [rates] "
        "outage_factor (2) × the report interval (moving/ACC on when the gap opened or moved "
        "more than [completeness] gap_km across it: the moving interval, else the parked "
        "one), or with a backfilled point inside; expected points = report steps − 1, the "
        "gap split at its backfilled points, each stretch counted at the moving interval for "
        "the time driven (both ends driving, else the straight-line displacement at the "
        "driving end's speed; an average below [rates] outage_parked_below_kmh is mostly "
        "parked) and at the parked interval for the rest, at least one step; recovered = "
        "backfilled points, capped per vehicle-day at the expected count; per device maker "
        "and model",
        source=(
            "the association's evaluation of device makers (故障期间数据保存率, 100 % demanded)"
            "; recovery by JT/T 808-2019 0x0704 backfill; expected points: project default"),
    ),
)

PROVIDER_METRICS: tuple[str, ...] = tuple(m.id for m in _BASE if m.party == "provider")
DEVICE_METRICS: tuple[str, ...] = tuple(m.id for m in _BASE if m.party == "device_maker")


class MetricRegistry(Mapping[str, Metric]):
    """Metrics by id, in display order."""

    def __init__(self, metrics: tuple[Metric, ...]) -> None:
        self._metrics = {m.id: m for m in metrics}

    def __getitem__(self, key: str) -> Metric:
        try:
            return self._metrics[key]
        except KeyError:
            raise KeyError(f"unknown metric {key!r}; known: {', '.join(self._metrics)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._metrics)

    def __len__(self) -> int:
        return len(self._metrics)

    def provider(self) -> list[Metric]:
        return [m for m in self._metrics.values() if m.party == "provider"]

    def device(self) -> list[Metric]:
        return [m for m in self._metrics.values() if m.party == "device_maker"]


def metric_registry(rules: Rules | None = None) -> MetricRegistry:
    """The registry with weights and floors from ``rules`` (the defaults when ``None``)."""
    rules = rules or load_rules()
    floors: dict[str, tuple[float, str]] = {
        "trajectory_completeness": (
            float(rules.completeness.score_floor), rules.source("completeness.score_floor")),
        "trajectory_completeness_km": (
            float(rules.completeness.score_floor), rules.source("completeness.score_floor")),
        "drift_vehicles": (
            float(rules.drift.vehicle_rate_ceiling), rules.source("drift.vehicle_rate_ceiling")),
    }
    if float(rules.rate_weights.get("platform_connectivity", 0)) or float(
            rules.rate_national_weights.get("platform_connectivity", 0)):
        raise ValueError("platform_connectivity is a proxy (no platform-link evidence in the "
                         "dumps) and cannot carry a score weight; set it to 0")
    targets = {
        "repair_24h": (float(rules.device.repair_target), rules.source("device.repair_target")),
        "data_preservation": (float(rules.device.preservation_target),
                              rules.source("device.preservation_target")),
    }
    for key in rules.rate_floors:
        floors[key] = (float(rules.rate_floors[key]), rules.source(f"rate_floors.{key}"))
    out = []
    for m in _BASE:
        changes: dict[str, object] = {}
        if m.id in rules.rate_weights:
            changes["weight"] = float(rules.rate_weights[m.id])
            changes["weight_source"] = rules.source(f"rate_weights.{m.id}")
        if m.id in rules.rate_national_weights:
            changes["national_weight"] = float(rules.rate_national_weights[m.id])
            changes["national_weight_source"] = rules.source(f"rate_national_weights.{m.id}")
        if m.id in floors:
            changes["floor"], changes["floor_source"] = floors[m.id]
        if m.id in targets:
            changes["target"], changes["target_source"] = targets[m.id]
        out.append(replace(m, **changes))  # type: ignore[arg-type]
    return MetricRegistry(tuple(out))
