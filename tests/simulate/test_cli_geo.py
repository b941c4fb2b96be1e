"""`hazrisk simulate` on the command line; the geography and the fleet's make-up."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hazrisk.cli import main
from hazrisk.simulate import make_fleet
from hazrisk.simulate.fleet import geo


def test_cli_writes_a_simulation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim"
    rc = main(["simulate", "--vehicles", "3", "--days", "1", "--seed", "2", "--out", str(out),
               "--providers", "5", "--no-progress", "--json"])
    assert rc == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] > 20 and summary["frames"] > 100
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["providers"] == 5


def test_cli_rejects_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--start", "2026-13-01", "--out", str(tmp_path)]) == 2
    assert main(["simulate", "--providers", "9", "--out", str(tmp_path)]) == 2
    assert "hazrisk simulate" in capsys.readouterr().err


def test_help_lists_simulate(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    assert "--vehicles" in capsys.readouterr().out


def test_network_connects_every_city_and_park() -> None:
    net = geo.build_network()
    places = list(geo.CITY_CODES) + [p[0] for p in geo.PARKS]
    for a in places:
        for b in places:
            if a != b:
                r = net.route(a, b)
                crow = float(geo.haversine_km(net.nodes[a][1], net.nodes[a][2],
                                              net.nodes[b][1], net.nodes[b][2]))
                assert crow <= r.length_km < 2.2 * crow + 30, (a, b)
    zh = net.nodes["ZH"]
    assert abs(zh[1] - 29.96) < 0.01 and abs(zh[2] - 121.71) < 0.01
    assert {e.road_class for e in net.edges} == {"expressway", "other"}


def test_toll_avoiding_route_leaves_the_expressway() -> None:
    net = geo.build_network()
    fast = net.route("ZH", "QZP")
    slow = net.route("ZH", "QZP", expressway_penalty=2.6)
    assert fast.edge_ids != slow.edge_ids
    share = [np.mean(r.seg_class == 1) for r in (fast, slow)]
    assert share[1] > share[0]


def test_fleet_make_up() -> None:
    fleet = make_fleet(400, n_providers=8, random_state=3)
    ent = fleet.enterprises
    assert ent["n_vehicles"].sum() == 400 and ent["n_vehicles"].max() >= 20
    assert ent["n_vehicles"].min() <= 5
    assert set(ent["provider_id"]) == {f"P0{k}" for k in range(1, 9)}
    veh = fleet.vehicles[fleet.vehicles["registered"]]
    assert veh["plate"].str[1].isin(list(geo.PLATE_LETTER.values())).all()
    assert set(veh["protocol_version"]) == {2013, 2019}
    assert veh.loc[veh["protocol_version"] == 2019, "terminal_phone"].str.len().eq(20).all()
    assert veh.loc[veh["protocol_version"] == 2013, "terminal_phone"].str.len().eq(12).all()
    assert veh["terminal_phone"].is_unique and veh["plate"].is_unique
    for col in ("speeding_rate", "fatigue_rate", "night_share", "dsm_rate", "offline_share",
                "annual_km"):
        assert (veh[col] > 0).all(), col
    # worse culture, worse behaviour
    merged = veh.merge(ent[["enterprise_id", "safety_culture"]], on="enterprise_id")
    assert np.corrcoef(merged["safety_culture"], np.log(merged["speeding_rate"]))[0, 1] < -0.2
    with pytest.raises(ValueError):
        make_fleet(10, n_providers=9)


def test_public_api_is_pinned(tmp_path: Path) -> None:
    import hazrisk.simulate as sim

    assert sorted(sim.__all__) == ["Fleet", "SimulationResult", "make_dumps", "make_fleet",
                                   "simulate"]
    fleet = sim.make_fleet(4, n_providers=5, start="2026-11-30", random_state=9)
    counts = sim.make_dumps(fleet, tmp_path, days=2)
    assert counts["frames"] > 0
    assert (tmp_path / "registry" / "vehicles.csv").exists()
    assert sorted(p.name for p in (tmp_path / "dumps").iterdir())
    expected = (tmp_path / "truth" / "expected_rates.csv").read_text(encoding="utf-8")
    assert "2026-11" in expected and "2026-12" in expected  # a window over two months
