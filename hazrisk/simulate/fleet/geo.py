"""Zhejiang geography for the simulator: cities, chemical parks and an approximate road network.

Coordinates are WGS84 degrees, approximate but plausible (city centres, park centres, the
expressway corridors between them). Road polylines are densified with a small deterministic
lateral wiggle so that they look like roads rather than chords; no randomness is involved, so
``roads.geojson`` is the same for every seed.

Road classes follow the hazmat speed rules (``conf/rules.toml [speed]``): ``expressway``
(80 km/h for hazmat vehicles) and ``other`` (60 km/h).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

EARTH_RADIUS_KM = 6371.0088

#: (code, Chinese name, English name, plate letter, lat, lon)
CITIES: tuple[tuple[str, str, str, str, float, float], ...] = (
    ("HZ", "杭州", "Hangzhou", "A", 30.2741, 120.1551),
    ("NB", "宁波", "Ningbo", "B", 29.8683, 121.5440),
    ("WZ", "温州", "Wenzhou", "C", 27.9938, 120.6994),
    ("SX", "绍兴", "Shaoxing", "D", 29.9971, 120.5860),
    ("HU", "湖州", "Huzhou", "E", 30.8930, 120.0868),
    ("JX", "嘉兴", "Jiaxing", "F", 30.7461, 120.7555),
    ("JH", "金华", "Jinhua", "G", 29.0790, 119.6474),
    ("QZ", "衢州", "Quzhou", "H", 28.9359, 118.8595),
    ("TZ", "台州", "Taizhou", "J", 28.6564, 121.4208),
    ("LS", "丽水", "Lishui", "K", 28.4672, 119.9229),
    ("ZS", "舟山", "Zhoushan", "L", 30.0160, 122.1070),
)
CITY_CODES = tuple(c[0] for c in CITIES)
CITY_NAME = {c[0]: c[1] for c in CITIES}
PLATE_LETTER = {c[0]: c[3] for c in CITIES}
#: GB/T 2260 prefecture codes (used for ID numbers, permits and 0x0100 city ids)
CITY_GB = {"HZ": "3301", "NB": "3302", "WZ": "3303", "JX": "3304", "HU": "3305", "SX": "3306",
           "JH": "3307", "QZ": "3308", "ZS": "3309", "TZ": "3310", "LS": "3311"}

#: Chemical parks and ports: (code, Chinese name, city, lat, lon)
PARKS: tuple[tuple[str, str, str, float, float], ...] = (
    ("ZH", "宁波石化经济技术开发区(镇海)", "NB", 29.9600, 121.7100),
    ("DX", "宁波大榭开发区", "NB", 29.9250, 121.9550),
    ("SYP", "杭州湾上虞经济技术开发区", "SX", 30.1450, 120.8650),
    ("ZP", "嘉兴港区乍浦化工园区", "JX", 30.6000, 121.0750),
    ("QZP", "衢州高新技术产业开发区", "QZ", 28.9950, 118.9200),
    ("LHP", "台州湾经济技术开发区(临海头门港)", "TZ", 28.7200, 121.5300),
    ("HZP", "杭州钱塘新区临江高新区", "HZ", 30.2950, 120.6250),
    ("WZP", "温州经济技术开发区", "WZ", 27.9300, 120.8200),
)
PARK_CITY = {p[0]: p[2] for p in PARKS}

#: Junction towns on the corridors: (code, Chinese name, lat, lon)
TOWNS: tuple[tuple[str, str, float, float], ...] = (
    ("XS", "萧山", 30.1850, 120.2640), ("SY", "上虞", 30.0320, 120.8700),
    ("YY", "余姚", 30.0400, 121.1500), ("CX", "慈溪", 30.1700, 121.2700),
    ("HY", "海盐", 30.5300, 120.9400), ("TX", "桐乡", 30.6300, 120.5600),
    ("DQ", "德清", 30.5400, 119.9800), ("ZJ", "诸暨", 29.7100, 120.2400),
    ("YW", "义乌", 29.3100, 120.0700), ("LY", "龙游", 29.0300, 119.1700),
    ("FH", "奉化", 29.6600, 121.4100), ("NH", "宁海", 29.2900, 121.4300),
    ("SM", "三门", 29.1000, 121.3800), ("LH", "临海", 28.8500, 121.1400),
    ("WL", "温岭", 28.3700, 121.3700), ("YQ", "乐清", 28.1200, 120.9600),
    ("QT", "青田", 28.1400, 120.2900), ("JY", "缙云", 28.6600, 120.0900),
    ("WY", "武义", 28.8900, 119.8100), ("DY", "东阳", 29.2700, 120.2400),
    ("SZ", "嵊州", 29.5900, 120.8200), ("TT", "天台", 29.1400, 121.0100),
    ("FY", "富阳", 30.0500, 119.9600), ("TL", "桐庐", 29.8000, 119.6900),
    ("JD", "建德", 29.4700, 119.2800), ("LX", "兰溪", 29.2100, 119.4600),
    ("JT", "金塘", 30.0300, 121.8800), ("CQ", "柴桥", 29.9000, 121.8300),
    ("HN", "海宁", 30.5100, 120.6800),
)

#: Expressways: (road id, name, node chain)
EXPRESSWAYS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("G60S", "G60沪昆高速(杭金衢段)", ("HZ", "XS", "ZJ", "YW", "JH", "LY", "QZ")),
    ("G92", "G92杭甬高速", ("XS", "SX", "SY", "YY", "NB")),
    ("G15N", "G15沈海高速(杭州湾跨海大桥)", ("JX", "HY", "CX", "NB")),
    ("G15S", "G15沈海高速(甬台温段)", ("NB", "FH", "NH", "SM", "LH", "TZ", "WL", "YQ", "WZ")),
    ("G60N", "G60沪昆高速(沪杭段)", ("JX", "TX", "HZ")),
    ("G25N", "G25长深高速(湖州段)", ("HU", "DQ", "HZ")),
    ("S12", "S12申嘉湖高速", ("HU", "JX")),
    ("G1512", "G1512甬金高速", ("NB", "FH", "SZ", "DY", "JH")),
    ("G1513", "G25/G1513金丽温高速", ("JH", "WY", "JY", "LS", "QT", "WZ")),
    ("S28", "S28台金高速", ("LH", "TT", "DY")),
    ("G9211", "G9211甬舟高速", ("ZH", "JT", "ZS")),
    ("S20", "宁波绕城/穿山疏港高速", ("NB", "ZH", "CQ")),
    ("G56", "G56杭瑞高速(杭新景段)", ("HZ", "FY", "TL", "JD")),
    ("S7", "乍嘉苏高速", ("JX", "ZP")),
    ("S24", "绍诸高速", ("SX", "ZJ")),
    ("G15W", "G15W常台高速(嘉绍大桥)", ("JX", "HN", "SY")),
)

#: Ordinary roads (national roads and park access roads): (road id, name, node chain, bulge km)
OTHER_ROADS: tuple[tuple[str, str, tuple[str, ...], float], ...] = (
    ("G329", "G329国道(杭甬)", ("XS", "SX", "SY", "YY", "NB"), 6.0),
    ("G104S", "G104国道(绍兴-温州)", ("SX", "SZ", "TT", "LH", "TZ", "YQ", "WZ"), 5.0),
    ("G320E", "G320国道(嘉兴-杭州)", ("JX", "TX", "HZ"), 5.0),
    ("G320W", "G320国道(杭州-衢州)", ("HZ", "FY", "TL", "JD", "LX", "LY", "QZ"), 4.0),
    ("G330", "G330国道(温州-金华)", ("WZ", "QT", "LS", "JY", "WY", "JH"), 5.0),
    ("G228", "G228国道(宁波-台州沿海)", ("NB", "FH", "NH", "SM", "LH"), -7.0),
    ("G104N", "G104国道(湖州-杭州)", ("HU", "DQ", "HZ"), 5.0),
    ("G235", "G235国道(杭州-诸暨-义乌)", ("XS", "ZJ", "YW", "JH"), -5.0),
    ("A-DX", "大榭疏港公路", ("CQ", "DX"), 0.5),
    ("A-SYP", "上虞滨海大道", ("SY", "SYP"), 0.8),
    ("A-ZP", "乍浦港区连接线", ("HY", "ZP"), 0.8),
    ("A-QZP", "衢州高新区连接线", ("QZ", "QZP"), 0.4),
    ("A-LHP", "头门港连接线", ("LH", "LHP"), 1.5),
    ("A-TZB", "台州湾大道", ("TZ", "LHP"), 1.0),
    ("A-BH", "滨海大道(钱塘-上虞)", ("HZP", "SYP"), 1.5),
    ("S101", "S101省道(乍浦-海宁)", ("ZP", "HN"), 2.0),
    ("A-HZP", "临江连接线", ("XS", "HZP"), 1.5),
    ("A-WZP", "温州经开区连接线", ("WZ", "WZP"), 0.8),
    ("A-ZH", "镇海疏港公路", ("NB", "ZH"), -1.0),
)

SPEED_LIMIT_KMH = {"expressway": 80, "other": 60}
CLASS_CODE = {"expressway": 0, "other": 1}
CLASS_NAME = ("expressway", "other")
_TYPICAL_KMH = {"expressway": 75.0, "other": 48.0}


def node_table() -> dict[str, tuple[str, float, float, str]]:
    """All network nodes: code -> (Chinese name, lat, lon, kind)."""
    nodes: dict[str, tuple[str, float, float, str]] = {}
    for code, zh, _en, _l, lat, lon in CITIES:
        nodes[code] = (zh, lat, lon, "city")
    for code, zh, _city, lat, lon in PARKS:
        nodes[code] = (zh, lat, lon, "park")
    for code, zh, lat, lon in TOWNS:
        nodes[code] = (zh, lat, lon, "town")
    return nodes


def haversine_km(lat1: np.ndarray | float, lon1: np.ndarray | float,
                 lat2: np.ndarray | float, lon2: np.ndarray | float) -> np.ndarray:
    """Great-circle distance in km (vectorised)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0))))


def _densify(lat_a: float, lon_a: float, lat_b: float, lon_b: float, bulge_km: float,
             phase: float) -> np.ndarray:
    """Points from a to b (a included, b excluded) every ~1.5 km, with a smooth bulge and wiggle."""
    dist = float(haversine_km(lat_a, lon_a, lat_b, lon_b))
    n = max(2, int(np.ceil(dist / 1.5)))
    s = np.arange(n) / n
    lat = lat_a + (lat_b - lat_a) * s
    lon = lon_a + (lon_b - lon_a) * s
    # unit normal in degrees (km -> deg)
    km_lat = 111.2
    km_lon = 111.2 * np.cos(np.radians((lat_a + lat_b) / 2))
    dx, dy = (lon_b - lon_a) * km_lon, (lat_b - lat_a) * km_lat
    norm = max(np.hypot(dx, dy), 1e-9)
    nx, ny = -dy / norm, dx / norm
    wiggle = 0.35 * np.sin(2 * np.pi * (s * dist / 9.0) + phase) * np.sin(np.pi * s)
    off = bulge_km * np.sin(np.pi * s) + wiggle * min(1.0, dist / 5.0)
    return np.column_stack([lat + off * ny / km_lat, lon + off * nx / km_lon])


@dataclass(frozen=True)
class Edge:
    road_id: str
    name: str
    road_class: str
    a: str
    b: str
    coords: np.ndarray  # (n, 2) lat, lon from a to b inclusive
    length_km: float


@dataclass(eq=False)
class Network:
    nodes: dict[str, tuple[str, float, float, str]]
    edges: list[Edge] = field(default_factory=list)
    adj: dict[str, list[tuple[int, bool]]] = field(default_factory=dict)  # node -> (edge, fwd)

    def route(self, a: str, b: str, *, expressway_penalty: float = 1.0) -> Route:
        """Fastest path a -> b (Dijkstra); ``expressway_penalty`` > 1 makes a toll-avoiding driver."""
        return _route_cached(self, a, b, expressway_penalty)

    def roads_features(self) -> list[dict[str, object]]:
        """GeoJSON features of roads.geojson (one per edge; README 'Registry files')."""
        feats: list[dict[str, object]] = []
        for i, e in enumerate(self.edges):
            feats.append({
                "type": "Feature",
                "properties": {"road_id": f"{e.road_id}-{i:02d}", "name": e.name,
                               "road_class": e.road_class,
                               "speed_limit_kmh": SPEED_LIMIT_KMH[e.road_class]},
                "geometry": {"type": "LineString",
                             "coordinates": [[round(float(lo), 6), round(float(la), 6)]
                                             for la, lo in e.coords]},
            })
        return feats


@dataclass(frozen=True)
class Route:
    """A path through the network as one polyline with per-segment road class."""

    nodes: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    cum_km: np.ndarray       # cumulative distance at each vertex
    seg_class: np.ndarray    # class code of the segment starting at each vertex (len n-1)
    edge_ids: tuple[int, ...]

    @property
    def length_km(self) -> float:
        return float(self.cum_km[-1])

    def at(self, dist_km: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(lat, lon, class code) at distances along the route."""
        d = np.clip(dist_km, 0.0, self.cum_km[-1])
        i = np.clip(np.searchsorted(self.cum_km, d, side="right") - 1, 0, len(self.cum_km) - 2)
        seg = self.cum_km[i + 1] - self.cum_km[i]
        f = np.where(seg > 0, (d - self.cum_km[i]) / np.where(seg > 0, seg, 1.0), 0.0)
        lat = self.lat[i] + f * (self.lat[i + 1] - self.lat[i])
        lon = self.lon[i] + f * (self.lon[i + 1] - self.lon[i])
        return lat, lon, self.seg_class[i]

    def class_runs(self) -> list[tuple[float, float, int]]:
        """(start km, end km, class code) runs of constant road class."""
        runs: list[tuple[float, float, int]] = []
        start = 0
        for j in range(1, len(self.seg_class) + 1):
            if j == len(self.seg_class) or self.seg_class[j] != self.seg_class[start]:
                runs.append((float(self.cum_km[start]), float(self.cum_km[j]),
                             int(self.seg_class[start])))
                start = j
        return runs


def build_network() -> Network:
    """The fixed road network (same for every seed)."""
    nodes = node_table()
    net = Network(nodes=nodes)
    specs: list[tuple[str, str, str, tuple[str, ...], float]] = [
        (rid, name, "expressway", chain, 0.0) for rid, name, chain in EXPRESSWAYS]
    specs += [(rid, name, "other", chain, bulge) for rid, name, chain, bulge in OTHER_ROADS]
    for k, (rid, name, cls, chain, bulge) in enumerate(specs):
        for j in range(len(chain) - 1):
            a, b = chain[j], chain[j + 1]
            _, la, loa, _ = nodes[a]
            _, lb, lob, _ = nodes[b]
            b_km = bulge * (1 if j % 2 == 0 else -1) if cls == "other" else 0.0
            pts = _densify(la, loa, lb, lob, b_km, phase=0.7 * k + 1.3 * j)
            coords = np.vstack([pts, [[lb, lob]]])
            seg = haversine_km(coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1])
            edge = Edge(rid, name, cls, a, b, coords, float(seg.sum()))
            idx = len(net.edges)
            net.edges.append(edge)
            net.adj.setdefault(a, []).append((idx, True))
            net.adj.setdefault(b, []).append((idx, False))
    return net


@lru_cache(maxsize=4096)
def _route_cached(net: Network, a: str, b: str, penalty: float) -> Route:
    if a == b:
        raise ValueError(f"route from {a} to itself")
    dist = {a: 0.0}
    prev: dict[str, tuple[str, int, bool]] = {}
    heap = [(0.0, a)]
    done: set[str] = set()
    while heap:
        d, u = heapq.heappop(heap)
        if u in done:
            continue
        done.add(u)
        if u == b:
            break
        for idx, fwd in net.adj.get(u, []):
            e = net.edges[idx]
            v = e.b if fwd else e.a
            hours = e.length_km / _TYPICAL_KMH[e.road_class]
            if e.road_class == "expressway":
                hours *= penalty
            nd = d + hours
            if nd < dist.get(v, np.inf) - 1e-12:
                dist[v] = nd
                prev[v] = (u, idx, fwd)
                heapq.heappush(heap, (nd, v))
    if b not in prev:
        raise ValueError(f"no route {a} -> {b}")
    path: list[tuple[int, bool]] = []
    names = [b]
    cur = b
    while cur != a:
        u, idx, fwd = prev[cur]
        path.append((idx, fwd))
        names.append(u)
        cur = u
    path.reverse()
    names.reverse()
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    cls: list[np.ndarray] = []
    for n, (idx, fwd) in enumerate(path):
        e = net.edges[idx]
        c = e.coords if fwd else e.coords[::-1]
        if n:
            c = c[1:]
        lats.append(c[:, 0])
        lons.append(c[:, 1])
        cls.append(np.full(len(c) - (0 if n else 1), CLASS_CODE[e.road_class], dtype=np.int8))
    lat = np.concatenate(lats)
    lon = np.concatenate(lons)
    seg = haversine_km(lat[:-1], lon[:-1], lat[1:], lon[1:])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    return Route(tuple(names), lat, lon, cum, np.concatenate(cls), tuple(i for i, _ in path))


def city_of(node: str) -> str:
    """The prefecture city a node belongs to (parks -> their city; towns -> nearest city)."""
    if node in CITY_NAME:
        return node
    if node in PARK_CITY:
        return PARK_CITY[node]
    nodes = node_table()
    _, lat, lon, _ = nodes[node]
    best = min(CITY_CODES, key=lambda c: float(haversine_km(lat, lon, nodes[c][1], nodes[c][2])))
    return best
