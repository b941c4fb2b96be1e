"""Personal data in the portal: the restricted publication ``hazrisk publish`` writes beside the
snapshot (mode 0600, only the columns an enterprise may see of its own people), and who sees
what on the rendered pages: an enterprise its own drivers' names and phones in clear, never
another's; every other role masked or nothing (asserted on the elements AppTest renders)."""

from __future__ import annotations

import csv
import shutil
import stat

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hazrisk.cli import main
from hazrisk.cliutil import is_published_snapshot, is_restricted_publication
from hazrisk.portal.scope import ROLE_PAGES
from hazrisk.portal.users import User
from hazrisk.store import mask_pii
from hazrisk.store.restricted import restricted_path
from tests.portal.conftest import ROLE_USERS, SAMPLE, _run, render_app

PERIOD = "2026-10"
ROLES = {**ROLE_USERS, "insurer": User("ins3", "insurer", scope="I03")}  # insures E0001


def _drivers() -> list[dict[str, str]]:
    with open(SAMPLE / "registry" / "drivers.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _render(role: str, page: str, **state) -> AppTest:
    return render_app(ROLES[role], page, **state)


def _shown(at: AppTest) -> str:
    """Every cell of every table and every text the run rendered (main area and sidebar)."""
    parts = [df.to_csv(index=False) for df in (d.value for d in at.dataframe)]
    for kind in ("title", "subheader", "markdown", "caption", "info", "error", "metric"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(o) for box in at.selectbox for o in box.options]
    return "\n".join(parts)


@pytest.fixture()
def portal(published, monkeypatch, tmp_path):
    monkeypatch.setenv("HAZRISK_SNAPSHOT", str(published.snapshot))
    monkeypatch.setenv("HAZRISK_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("HAZRISK_USERS", str(tmp_path / "users.json"))
    return published


def test_publish_writes_the_restricted_publication_beside_the_snapshot(published):
    import duckdb

    path = restricted_path(published.snapshot)
    assert path == published.snapshot.with_name("published.restricted.duckdb")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert is_restricted_publication(path) and not is_published_snapshot(path)
    assert not is_restricted_publication(published.snapshot)
    con = duckdb.connect(str(path), read_only=True)
    try:
        clear = dict(con.execute("SELECT driver_id, name FROM restricted.drivers").fetchall())
        columns = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'restricted'"
        ).fetchall()}
    finally:
        con.close()
    raw = _drivers()
    assert clear == {r["driver_id"]: r["name"] for r in raw}
    # ID numbers and terminal SIM numbers are not in the restricted publication at all
    assert not {"id_number", "terminal_phone", "terminal_id", "vin"} & columns
    leftovers = [p.name for p in path.parent.iterdir() if ".restricted-" in p.name]
    assert leftovers == []  # the private build folder is gone


def test_the_restricted_file_is_no_snapshot_and_no_warehouse(published, capsys):
    from hazrisk.snapshot import SnapshotError, open_snapshot

    path = restricted_path(published.snapshot)
    with pytest.raises(SnapshotError):
        open_snapshot(path)
    assert main(["app", "--snapshot", str(path)]) == 2
    assert "not a published snapshot" in capsys.readouterr().err
    assert main(["rates", "--db", str(path), "--period", PERIOD]) == 2
    assert "restricted publication" in capsys.readouterr().err


def test_no_restricted_removes_an_earlier_one_and_a_foreign_file_is_kept(published, tmp_path,
                                                                         capsys):
    import duckdb

    out = tmp_path / "p.duckdb"
    _run(["publish", "--db", str(published.warehouse), "--out", str(out)])
    restricted = restricted_path(out)
    assert is_restricted_publication(restricted)
    _run(["publish", "--db", str(published.warehouse), "--out", str(out), "--no-restricted"])
    assert not restricted.exists() and is_published_snapshot(out)
    con = duckdb.connect(str(restricted))  # somebody else's file under that name
    con.execute("CREATE TABLE notes AS SELECT 'keep me' AS t")
    con.close()
    before = restricted.read_bytes()
    assert main(["publish", "--db", str(published.warehouse), "--out", str(out)]) == 2
    assert "not a restricted publication written by hazrisk publish" in capsys.readouterr().err
    _run(["publish", "--db", str(published.warehouse), "--out", str(out), "--no-restricted"])
    assert restricted.read_bytes() == before


def test_enterprise_sees_its_own_drivers_in_clear_and_nobody_elses(portal):
    raw = _drivers()
    own = {r["driver_id"]: r for r in raw if r["enterprise_id"] == "E0001"}
    others = {r["name"] for r in raw if r["enterprise_id"] != "E0001"} - {
        r["name"] for r in own.values()}
    assert len(own) > 5 and len(others) > 20
    at = _render("enterprise", "enterprises", ent_period=PERIOD)
    drivers = next(d.value for d in at.dataframe if "驾驶员编号 driver" in d.value.columns)
    shown = drivers.set_index("驾驶员编号 driver")
    assert set(shown.index) == set(own)
    for driver_id, r in own.items():
        assert shown.loc[driver_id, "姓名 name"] == r["name"]
        assert shown.loc[driver_id, "手机号 phone"] == r["phone"]
        assert shown.loc[driver_id, "身份证号 ID number"] == mask_pii(r["id_number"], "id")
    assert any("全文" in c.value and "restricted publication" in c.value for c in at.caption)
    for page in ROLE_PAGES["enterprise"]:
        text = _shown(_render("enterprise", page, ent_period=PERIOD))
        assert not [n for n in others if n in text], page  # no other enterprise's driver
    # a forged widget value for another enterprise reaches neither its drivers nor its names
    at = _render("enterprise", "enterprises", ent_period=PERIOD, ent_enterprise="E0002")
    drivers = next(d.value for d in at.dataframe if "驾驶员编号 driver" in d.value.columns)
    assert set(drivers["驾驶员编号 driver"]) == set(own)
    assert not [n for n in others if n in _shown(at)]


def test_other_roles_never_see_a_name_or_phone_in_clear(portal):
    raw = _drivers()
    names = {r["name"] for r in raw}
    phones = {r["phone"] for r in raw}
    for role in ("public", "evaluator", "operator", "insurer"):
        for page in ROLE_PAGES[role]:
            text = _shown(_render(role, page, ent_period=PERIOD, ent_enterprise="E0001"))
            assert not [n for n in names if n in text], (role, page)
            assert not [p for p in phones if p in text], (role, page)
    at = _render("evaluator", "enterprises", ent_period=PERIOD, ent_enterprise="E0001")
    drivers = next(d.value for d in at.dataframe if "驾驶员编号 driver" in d.value.columns)
    assert len(drivers) > 5 and drivers["姓名 name"].str.contains(r"\*").all()
    assert any("personal data masked" in c.value for c in at.caption)


def test_a_restricted_file_others_may_read_is_not_used(published, monkeypatch, tmp_path):
    snap = tmp_path / "published.duckdb"
    shutil.copy(published.snapshot, snap)
    shutil.copy(restricted_path(published.snapshot), restricted_path(snap))
    restricted_path(snap).chmod(0o644)
    monkeypatch.setenv("HAZRISK_SNAPSHOT", str(snap))
    monkeypatch.setenv("HAZRISK_REPORTS", str(tmp_path / "reports"))
    at = _render("enterprise", "enterprises", ent_period=PERIOD)
    drivers = next(d.value for d in at.dataframe if "驾驶员编号 driver" in d.value.columns)
    assert drivers["姓名 name"].str.contains(r"\*").all()
    assert any("readable by others" in c.value for c in at.caption)
    restricted_path(snap).unlink()
    at = _render("enterprise", "enterprises", ent_period=PERIOD)
    assert any("no restricted publication" in c.value for c in at.caption)


def test_unmask_replaces_matching_rows_only():
    from hazrisk.portal.personal import unmask

    shown = pd.DataFrame({"driver_id": ["D1", "D2"], "enterprise_id": ["E1", "E1"],
                          "name": ["张**", "李*"]})
    clear = pd.DataFrame({"driver_id": ["D1", "D3", "D2"], "enterprise_id": ["E1", "E1", "E9"],
                          "name": ["张三丰", "王五", "李四"]})
    out = unmask(shown, clear, ["driver_id"], ["name"])
    assert list(out["name"]) == ["张三丰", "李*"]  # D2 of another enterprise: not unmasked
    assert list(out["driver_id"]) == ["D1", "D2"]  # no row added


def _driver_safety(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "驾驶员姓名 driver name" in d.value.columns)


def test_driver_safety_masked_for_the_evaluator_in_clear_for_the_enterprise(portal):
    """mart.driver_safety on the enterprises page: the evaluator sees the enterprise's drivers'
    months with masked names; the enterprise the same rows with its own drivers' names in
    clear (the restricted publication); ID numbers masked for both."""
    import duckdb

    con = duckdb.connect(str(portal.snapshot), read_only=True)
    try:
        published = con.execute(
            "SELECT driver_id, driver_name, n_violations FROM mart.driver_safety "
            "WHERE enterprise_id = 'E0001' AND period = $p", {"p": PERIOD}).fetchall()
    finally:
        con.close()
    raw = {r["driver_id"]: r for r in _drivers()}
    assert len(published) > 5
    at = _render("evaluator", "enterprises", ent_period=PERIOD, ent_enterprise="E0001")
    seen = _driver_safety(at).set_index("驾驶员编号 driver")
    assert set(seen.index) == {d for d, _, _ in published}
    for driver_id, masked, n in published:
        assert seen.loc[driver_id, "驾驶员姓名 driver name"] == masked
        assert "*" in masked
        assert seen.loc[driver_id].filter(like="违规数").iloc[0] == n
    at = _render("enterprise", "enterprises", ent_period=PERIOD)
    own = _driver_safety(at).set_index("驾驶员编号 driver")
    assert set(own.index) == set(seen.index)
    for driver_id in own.index:
        expected = raw[driver_id]["name"] if driver_id in raw else seen.loc[
            driver_id, "驾驶员姓名 driver name"]  # unregistered: no clear name published
        assert own.loc[driver_id, "驾驶员姓名 driver name"] == expected
        assert own.loc[driver_id, "身份证号 ID number"] == seen.loc[driver_id, "身份证号 ID number"]
    assert sum(d in raw for d in own.index) > 5
