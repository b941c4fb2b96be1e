"""hazrisk.geodata: Zhejiang boundaries offline, WGS-84, names in both languages."""

from __future__ import annotations

import numpy as np
import pytest

from hazrisk import geodata


def test_eleven_cities_and_province_in_wgs84() -> None:
    cities = geodata.zhejiang("city")
    assert cities.crs.to_epsg() == 4326
    assert list(cities["short_zh"]) == list(geodata.CITIES)
    assert list(cities["name_en"]) == list(geodata.CITIES.values())
    assert cities["name_zh"].str.endswith("市").all()
    areas = cities.to_crs(4549).area / 1e6  # CGCS2000 GK CM 120E, km²
    by = dict(zip(cities["short_zh"], areas, strict=True))
    # published areas: 杭州 16,850 km², 舟山 1,440 km² of land (+ islands' coast in the data)
    assert 16_000 < by["杭州"] < 17_500 and 1_400 < by["舟山"] < 1_800
    prov = geodata.zhejiang("province")
    assert len(prov) == 1 and prov["name_en"].iloc[0] == "Zhejiang"
    assert abs(prov.to_crs(4549).area.iloc[0] / 1e6 - areas.sum()) < 0.02 * areas.sum()
    x0, y0, x1, y1 = prov.total_bounds
    assert 117.9 < x0 < 118.2 and 122.8 < x1 < 123.2 and 27.0 < y0 < 27.2 and 31.0 < y1 < 31.3


def test_points_fall_in_their_city() -> None:
    lon = np.array([120.155, 121.55, 120.70, 119.65, 0.0])
    lat = np.array([30.274, 29.875, 28.00, 29.08, 0.0])
    assert list(geodata.city_of(lon, lat)) == ["杭州", "宁波", "温州", "金华", None]


def test_gcj02_round_trip_under_a_metre() -> None:
    lon = np.array([118.5, 120.15, 122.3])
    lat = np.array([27.5, 30.27, 30.9])
    g_lon, g_lat = geodata.wgs84_to_gcj02(lon, lat)
    # the GCJ-02 offset in Zhejiang is a few hundred metres
    assert (np.hypot(g_lon - lon, g_lat - lat) > 0.002).all()
    w_lon, w_lat = geodata.gcj02_to_wgs84(g_lon, g_lat)
    assert np.abs(w_lon - lon).max() < 1e-5 and np.abs(w_lat - lat).max() < 1e-5


def test_bad_level() -> None:
    with pytest.raises(ValueError, match="city"):
        geodata.zhejiang("county")
