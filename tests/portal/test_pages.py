"""Every page x role through Streamlit's AppTest on a snapshot of the committed sample: renders
without exceptions, shows the CLI's figures for the same period, hides what the role may not
see (asserted on the rendered elements)."""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from hazrisk.portal.scope import PAGES, ROLE_PAGES
from hazrisk.portal.users import User
from tests.portal.conftest import APP, ROLE_USERS, cli_json, render_app

PERIOD = "2026-10"
USERS = ROLE_USERS


@pytest.fixture()
def portal(published, monkeypatch, tmp_path):
    monkeypatch.setenv("HAZRISK_SNAPSHOT", str(published.snapshot))
    monkeypatch.setenv("HAZRISK_REPORTS", str(tmp_path / "reports"))
    monkeypatch.setenv("HAZRISK_USERS", str(tmp_path / "users.json"))

    def render(role: str, page: str, user: User | None = None, **state) -> AppTest:
        return render_app(user or USERS[role], page, **state)
    return render


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


def column(at: AppTest, heading: str) -> list:
    """Values of the first shown table with a column whose heading starts with ``heading``."""
    for df in frames(at):
        for c in df.columns:
            if str(c).startswith(heading):
                return list(df[c])
    raise AssertionError(f"no table with a column {heading!r}")


def chart_specs(at: AppTest) -> list[str]:
    """The Vega-Lite specs (JSON text) of the page's charts."""
    def walk(node):
        for child in getattr(node, "children", {}).values():
            yield child
            yield from walk(child)
    return [e.proto.spec for e in walk(at.main) if getattr(e, "type", "") == "vega_lite_chart"]


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "error")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize(("role", "page"), [(r, p) for r, pages in ROLE_PAGES.items()
                                            for p in pages])
def test_every_page_renders_for_every_role(portal, role, page):
    at = portal(role, page)
    assert at.title, "a page title"
    text = texts(at)
    assert "·" in at.title[0].value  # Chinese first, English beside
    if page not in ("insurance", "reports"):
        assert at.dataframe, f"{role}/{page} shows no table"
    # every table has its CSV download
    assert len([b for b in at.get("download_button")]) >= len(at.dataframe)
    assert "Traceback" not in text


def test_pages_a_role_may_not_open_are_not_reachable(portal):
    """Another role's page is never registered: switching to it fails, or (when AppTest
    resolves it anyway) the run shows no content of that page."""
    for role, allowed in ROLE_PAGES.items():
        for page in set(ROLE_PAGES["evaluator"]) - set(allowed):
            at = portal(role, allowed[0])
            try:
                at.switch_page(f"screens/{page}.py")
            except ValueError as exc:
                assert "Could not find a navigation page" in str(exc)
                continue
            at.run()
            assert not at.exception
            assert all(PAGES[page][0] not in t.value for t in at.title), (role, page)


def test_provider_page_shows_the_cli_ranking_and_rates(portal, published):
    ranking = published.ranking_json
    rates = {r["metric"]: r for r in published.rates_json if r["provider"] == "P01"}
    at = portal("evaluator", "providers", prov_period=PERIOD, prov_provider="P01")
    shown = dict(zip(column(at, "服务商编号"), column(at, "得分"), strict=True))
    assert shown == pytest.approx({r["provider_id"]: r["score"] for r in ranking})
    rate_table = frames(at)[1]
    names = list(rate_table["指标 metric"])
    pct = list(rate_table["比率 rate (%)"])
    for name, value in zip(names, pct, strict=True):
        cli = next(r for r in rates.values() if r["name_zh"] == name)
        assert value == pytest.approx(cli["rate"] * 100)


def test_drill_down_names_the_failing_vehicles_and_checks(portal):
    at = portal("evaluator", "providers", prov_period=PERIOD, prov_provider="P01",
                prov_metric="image_upload_correctness")
    failing = frames(at)[-1]
    assert len(failing) == 6  # 13 of 19 vehicles pass rate 3 in the sample (CLI: 13/19)
    assert failing["不合格检查项 failing checks"].str.len().min() > 0


def test_operator_drills_into_its_own_provider_only(portal):
    at = portal("operator", "providers", prov_period=PERIOD)
    box = at.selectbox(key="prov_provider")
    assert box.options == ["P01 浙江安途北斗科技有限公司"]
    at = portal("operator", "quality", dq_period=PERIOD)
    gateways = set(column(at, "网关服务商"))
    assert gateways == {"P01"}


def test_device_page_equals_cli(portal, published):
    cli = cli_json(["devices", "--db", str(published.warehouse), "--period", PERIOD])
    at = portal("evaluator", "devices", dev_period=PERIOD)
    shown = frames(at)
    rates = [x for df in shown for x in df["比率 rate (%)"]]
    expected = sorted(r["rate"] * 100 for r in cli)
    assert sorted(rates) == pytest.approx(expected)


def test_enterprise_page_equals_cli_league_and_scopes_violations(portal, published):
    league = published.safety_json
    at = portal("enterprise", "enterprises", ent_period="2026-10")
    km = dict(zip(column(at, "企业编号"), column(at, "里程"), strict=True))
    assert km == pytest.approx({r["enterprise_id"]: r["km"] for r in league})
    assert at.selectbox(key="ent_enterprise").options == ["E0001 衢州鑫海危险品运输有限公司"]
    violations = next(df for df in frames(at) if "处置情况 handling" in df.columns)
    assert "车牌 plate" in violations.columns
    assert violations["车牌 plate"].str.startswith("浙H").all()
    n_e1 = next(r["n_violations"] for r in league if r["enterprise_id"] == "E0001")
    assert len(violations) == n_e1
    maps = [s for s in chart_specs(at) if "geoshape" in s]
    assert len(maps) == 1 and "lon_deg" in maps[0] and "Quzhou" in maps[0]  # city outlines, no tiles
    vehicles = next(df for df in frames(at) if "车辆类型 vehicle type" in df.columns)
    drivers = next(df for df in frames(at) if "驾驶员编号 driver" in df.columns)
    n_vehicles = next(r["vehicles"] for r in league if r["enterprise_id"] == "E0001")
    assert len(vehicles) == n_vehicles and vehicles["车牌 plate"].str.startswith("浙H").all()
    assert set(drivers["车辆编号 vehicle"]) <= set(vehicles["车辆编号 vehicle"])
    assert not drivers["姓名 name"].str.contains(r"\*").any()  # its own: in clear


def test_other_enterprise_by_url_parameter_is_refused(portal):
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["user"] = USERS["enterprise"]
    at.run()
    at.switch_page("screens/enterprises.py")
    at.query_params["enterprise"] = "E0002"
    at.run()
    assert any("E0002" in e.value for e in at.error)
    assert not any("车牌 plate" in df.columns for df in frames(at))


def test_public_and_insurer_see_no_vehicle_records_or_personal_data(portal):
    for role in ("public", "insurer"):
        for page in ROLE_PAGES[role]:
            at = portal(role, page)
            for df in frames(at):
                assert not {"车牌 plate", "车辆编号 vehicle", "终端手机号 terminal SIM"} & set(
                    df.columns), (role, page, list(df.columns))
    at = portal("insurer", "enterprises", ent_period="2026-10")
    assert at.selectbox(key="ent_enterprise").options == ["E0003 台州嘉泰运输有限公司",
                                                          "E0004 温州正和物流有限公司"]
    assert "aggregates only" in texts(at)


def test_insurance_notice_until_models_are_published(portal):
    at = portal("insurer", "insurance")
    assert "mart.premium_factors" in texts(at)


def test_login_form_sets_the_role_at_the_first_submit(portal, tmp_path):
    """The sidebar's login form of the real app (``apps/app.py``), in a fresh AppTest (a fresh
    session of a fresh process: AppTest resets Streamlit's page-folder detection): a wrong
    password is refused, the first right one takes, logout returns to the public role. With a
    ``pages/`` folder beside ``app.py`` the first submit was silently dropped (the first run
    went through Streamlit's folder-pages mode, which hashes the form's widget ids
    differently from the runs after it)."""
    from hazrisk.portal.users import add_user

    add_user("ent1", "portal-pass-1", "enterprise", scope="E0001",
             path=tmp_path / "users.json")
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.sidebar.text_input(key="login_name").input("ent1")
    at.sidebar.text_input(key="login_password").input("portal-pass-1")
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert "user" in at.session_state and at.session_state["user"].scope == "E0001"
    assert any("企业安全管理员 enterprise · E0001" in m.value for m in at.sidebar.markdown)
    at.sidebar.button(key="logout").click().run()
    assert "user" not in at.session_state
    at.sidebar.text_input(key="login_name").input("ent1")
    at.sidebar.text_input(key="login_password").input("wrong-password")
    at.sidebar.button[0].click().run()
    assert any("wrong login" in e.value for e in at.sidebar.error)
    assert "user" not in at.session_state


def test_reports_page_lists_newest_first_and_handles_none(portal, tmp_path):
    at = portal("evaluator", "reports")
    assert "no generated reports" in texts(at)
    import json
    import os

    for i, (kind, run) in enumerate([("provider_evaluation", "2026-09"),
                                     ("provider_evaluation", "2026-10")]):
        folder = tmp_path / "reports" / kind / run
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("<html><body>报告</body></html>", encoding="utf-8")
        (folder / "lineage.json").write_text(json.dumps(
            {"finished_at": f"2026-11-0{i + 1}T08:00:00+00:00", "title": "服务商评价",
             "period": {"label": run}, "status": "succeeded"}))
        os.utime(folder / "report.html", (1_000_000 + i, 1_000_000 + i))
    at = portal("evaluator", "reports")
    labels = [e.label for e in at.expander]
    assert labels[0].startswith("provider_evaluation · 2026-10")
    assert labels[1].startswith("provider_evaluation · 2026-09")


def test_csv_download_is_utf8_with_bom_and_bilingual_headings(monkeypatch):
    monkeypatch.syspath_prepend(str(APP.parent))
    import widgets

    shown = widgets.display_frame(pd.DataFrame({"provider_id": ["P01"], "rate": [0.9876]}))
    data = widgets.csv_bytes(shown)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "服务商编号 provider,比率 rate (%)"
    assert text.splitlines()[1] == "P01,98.76"
    assert "\r\n" in text


@pytest.fixture()
def with_factors(published, tmp_path, monkeypatch):
    """A copy of the sample snapshot with risk-model tables as the risk models publish them
    (factor = clip(balance x product of parts), no discount when not trusted)."""
    import shutil

    import duckdb

    snap = tmp_path / "with_factors.duckdb"
    shutil.copy(published.snapshot, snap)
    snap.chmod(0o644)
    con = duckdb.connect(str(snap))
    con.execute("""
        CREATE TABLE mart.premium_factors AS SELECT * FROM (VALUES
          ('enterprise', 'E0001', NULL, 2026, 1.2, 1.05, 1.10, 1.00, 1.00, 1.155, true, 1.04, 'm1',
           now()),
          ('enterprise', 'E0002', NULL, 2026, 1.1, 1.00, 1.05, 1.00, 1.00, 1.05, true, 1.04, 'm1',
           now()),
          ('enterprise', 'E0003', NULL, 2026, 1.0, 0.90, 0.95, 1.00, 1.00, 0.855, false, 1.04,
           'm1', now()),
          ('enterprise', 'E0004', NULL, 2026, 0.95, 0.95, 0.96, 1.00, 1.00, 0.912, true, 1.04,
           'm1', now()),
          ('enterprise', 'E0005', NULL, 2026, 1.3, 1.10, 1.10, 1.05, 1.00, 1.27, true, 1.04, 'm1',
           now()),
          ('enterprise', 'E0006', NULL, 2026, 1.05, 1.00, 1.00, 1.00, 1.00, 1.0, true, 1.04, 'm1',
           now()),
          ('vehicle', 'E0001', 'V00001', 2026, 1.1, 1.0, 1.05, 1.0, 1.0, 1.05, true, 1.04, 'm1',
           now()))
          t(level, enterprise_id, vehicle_id, year, factor, claims_record, behaviour, management,
            data_quality, raw_factor, trusted, balance_constant, model, computed_at)""")
    con.execute("""CREATE TABLE mart.model_cards AS SELECT 'm1' AS model, now() AS fitted_at,
        '2023-2025' AS train_years, 2026 AS test_year, DATE '2026-09-30' AS as_at,
        'abc' AS fingerprint, '0.1.0' AS hazrisk_version,
        '{"metrics": {"comparison": [{"model": "glm", "gini": 0.31}]}}' AS card_json,
        '# 模型卡 m1' AS card_markdown""")
    con.close()
    monkeypatch.setenv("HAZRISK_SNAPSHOT", str(snap))
    return snap


def test_insurance_page_shows_parts_and_what_if_within_scope(portal, with_factors):
    at = portal("insurer", "insurance")
    assert [o.split()[0] for o in at.selectbox(key="ins_enterprise").options] == ["E0003",
                                                                                 "E0004"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["调整系数 factor"] == "1.000 ×"  # E0003: 1.04 x 0.855 = 0.889, no discount
    assert metrics["假设系数 what-if factor"] == "1.000 ×"
    at = portal("enterprise", "insurance")
    assert [o.split()[0] for o in at.selectbox(key="ins_enterprise").options] == ["E0001"]
    at.slider(key="ins_whatif_E0001_behaviour").set_value(0.9).run()
    # 1.04 x 1.05 x 0.9 x 1 x 1 = 0.9828
    assert {m.label: m.value for m in at.metric}["假设系数 what-if factor"] == "0.983 ×"
    assert any("gini" in df.columns for df in frames(at))  # the model card's validation


def test_other_enterprise_by_widget_value_is_not_shown(portal):
    """A forged widget value (session state set to another enterprise) never reaches its data:
    Streamlit refuses a value outside the options, and the data layer refuses the party."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["user"] = USERS["enterprise"]
    at.run()
    at.switch_page("screens/enterprises.py")
    at.session_state["ent_period"] = PERIOD
    at.session_state["ent_enterprise"] = "E0002"
    at.run()
    assert not at.exception
    assert at.selectbox(key="ent_enterprise").value == "E0001"
    for df in frames(at):
        if "车牌 plate" in df.columns:
            assert df["车牌 plate"].str.startswith("浙H").all()  # E0001's plates only


def test_data_layer_refuses_parties_outside_the_scope(portal, monkeypatch):
    monkeypatch.syspath_prepend(str(APP.parent))
    import data
    from hazrisk.portal.scope import NotAuthorised, viewer_for

    ent = viewer_for(USERS["enterprise"])
    for call in (lambda: data.violations(ent, PERIOD, "E0002"),
                 lambda: data.enterprise_history(ent, "E0002"),
                 lambda: data.people(ent, "E0002", PERIOD),
                 lambda: data.failing_vehicles(ent, PERIOD, "P01", "data_qualification"),
                 lambda: data.registry_rejects(ent),
                 lambda: data.reports(ent)):
        with pytest.raises(NotAuthorised):
            call()
    op = viewer_for(USERS["operator"])
    with pytest.raises(NotAuthorised):
        data.failing_vehicles(op, PERIOD, "P02", "data_qualification")
    assert set(data.failing_vehicles(op, PERIOD, "P01", "data_qualification")["provider_id"]) <= {
        "P01"}


def test_quality_page_names_reasons_in_chinese_with_the_id_beside(portal):
    """Quarantine reasons: Chinese label first, the decoder's id beside, from the one reason
    catalogue (``hazrisk.jt808.errors.REASON_NAMES``)."""
    from hazrisk.jt808.errors import REASON_NAMES, REASONS

    assert tuple(REASON_NAMES) == REASONS
    assert all("\u4e00" <= zh[0] <= "\u9fff" and en for zh, en in REASON_NAMES.values())
    at = portal("evaluator", "quality", dq_period=PERIOD)
    by_reason = next(df for df in frames(at) if "原因 reason" in df.columns)
    # the sample's two reasons (data/sample/README: bad_checksum and truncated faults)
    assert set(by_reason["原因 reason"]) == {"校验码错误 bad_checksum", "帧不完整 truncated"}
    at = portal("operator", "quality", dq_period=PERIOD)
    own = next(df for df in frames(at) if "原因 reason" in df.columns)
    assert set(own["原因 reason"]) <= {"校验码错误 bad_checksum", "帧不完整 truncated"}
    assert len(own) > 0


def _insured_by(insurer: str) -> list[str]:
    """The enterprises ``insurer`` holds policies of in the book's latest policy year, read
    from the committed sample's policies.csv (independently of the portal's SQL)."""
    import csv

    from tests.portal.conftest import SAMPLE

    with open(SAMPLE / "insurance" / "policies.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    latest = max(int(r["year"]) for r in rows)
    return sorted({r["enterprise_id"] for r in rows
                   if r["insurer_id"] == insurer and int(r["year"]) == latest})


@pytest.mark.parametrize("insurer", ["I01", "I03"])
def test_insurer_sees_exactly_the_enterprises_its_policies_name(portal, with_factors, insurer):
    """An insurer's scope comes from the published policies (mart.insured_enterprises, latest
    policy year), not from the users file: it sees exactly those enterprises' factors, and a
    forged widget value or URL parameter for another enterprise reaches nothing."""
    user = User("ins", "insurer", scope=insurer)
    expected = _insured_by(insurer)
    assert expected == {"I01": ["E0003", "E0004"], "I03": ["E0001", "E0002", "E0005"]}[insurer]
    at = portal("insurer", "insurance", user=user)
    assert sorted(column(at, "企业编号")) == expected  # the factors table
    assert sorted(o.split()[0] for o in at.selectbox(key="ins_enterprise").options) == expected
    assert any(f"承保企业 insured enterprises (2025 保单年度 policy year): {', '.join(expected)}"
               == c.value for c in at.sidebar.caption)
    outside = next(e for e in ("E0001", "E0003", "E0006") if e not in expected)
    at = portal("insurer", "insurance", user=user, ins_enterprise=outside)  # forged value
    assert at.selectbox(key="ins_enterprise").value in expected
    assert outside not in column(at, "企业编号")
    assert outside not in texts(at)
    at = portal("insurer", "enterprises", user=user, ent_period=PERIOD)
    assert [o.split()[0] for o in at.selectbox(key="ent_enterprise").options] == expected
    at.query_params["enterprise"] = outside
    at.run()
    assert any(outside in e.value and "outside your scope" in e.value for e in at.error)


def test_insurer_data_layer_is_limited_to_its_policies(portal, with_factors, monkeypatch):
    monkeypatch.syspath_prepend(str(APP.parent))
    import data
    from hazrisk.portal.scope import NotAuthorised

    v = data.viewer(User("ins", "insurer", scope="I01"))
    assert v.enterprises == frozenset({"E0003", "E0004"})
    assert set(data.premium(v)["premium_factors"]["enterprise_id"]) == {"E0003", "E0004"}
    for call in (lambda: data.enterprise_history(v, "E0001"),
                 lambda: data.rule_rates(v, PERIOD, "E0005"),
                 lambda: data.violations(v, PERIOD, "E0003")):  # aggregates only
        with pytest.raises(NotAuthorised):
            call()
    assert data.viewer(User("ins", "insurer", scope="I99")).enterprises == frozenset()
