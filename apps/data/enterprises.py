"""Enterprises: league table, handling, rule rates, monthly history, violations, the fleet
(vehicles and drivers) and the drivers' monthly safety records, personal data masked except
for the enterprise's own (:mod:`hazrisk.portal.personal`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from labels import HANDLING

from data.core import read, scoped, snapshot_path
from hazrisk.portal.personal import PersonalUnavailable, own_personal, unmask
from hazrisk.portal.scope import NotAuthorised, Viewer


def league_table(v: Viewer, period: str) -> pd.DataFrame:
    """The league table (enterprise aggregates; public)."""
    return read("league_table", period).reset_index(drop=True)


def handling(v: Viewer, period: str) -> pd.DataFrame:
    """Handling per enterprise: the viewer's enterprises (all for the evaluator)."""
    return scoped(read("handling", period), v)


def rule_rates(v: Viewer, period: str, enterprise: str) -> pd.DataFrame:
    v.check_enterprise(enterprise)
    df = read("rule_rates", period)
    return scoped(df[df["enterprise_id"] == enterprise], v)


def enterprise_history(v: Viewer, enterprise: str) -> pd.DataFrame:
    v.check_enterprise(enterprise)
    return read("enterprise_history", enterprise).reset_index(drop=True)


def violations(v: Viewer, period: str, enterprise: str) -> pd.DataFrame:
    """One enterprise's violations with coordinates and handling (vehicle-level records)."""
    v.check_enterprise(enterprise)
    if not v.vehicle_detail:
        raise NotAuthorised("此角色只可查看汇总 / this role sees aggregates only")
    df = read("violations_geo", period, enterprise=enterprise)
    vehicles = read("parties").get("vehicles")
    if vehicles is not None:
        plates = vehicles.drop_duplicates("vehicle_id").set_index("vehicle_id")["plate"]
        df = df.assign(plate=df["vehicle_id"].map(plates))
    df["handling_status"] = df["handling_status"].map(lambda s: HANDLING.get(s, s))
    return scoped(df, v)


@dataclass(frozen=True)
class People:
    """One enterprise's people as the viewer may see them: ``vehicles`` (owners, operator
    phones), ``drivers`` (names, phones), ``driver_safety`` (the drivers' records of one
    month, ``mart.driver_safety``) and ``note``, what the personal columns show."""

    vehicles: pd.DataFrame
    drivers: pd.DataFrame
    driver_safety: pd.DataFrame
    note: str


def people(v: Viewer, enterprise: str, period: str) -> People:
    """One enterprise's vehicles, drivers and the drivers' safety records of ``period``,
    personal data masked as published, except for the enterprise itself, which sees its own
    drivers' names and phones and its vehicles' owners and operator phones in clear (the
    restricted publication, read once per call for the viewer's own enterprise only and never
    cached; :mod:`hazrisk.portal.personal`). ID numbers stay masked for every role."""
    v.check_enterprise(enterprise)
    if not v.vehicle_detail:
        raise NotAuthorised("此角色只可查看汇总 / this role sees aggregates only")
    tables = read("parties")
    shown = []
    for name in ("vehicles", "drivers"):
        df = tables.get(name, pd.DataFrame(columns=["enterprise_id"]))
        shown.append(scoped(df[df["enterprise_id"] == enterprise], v))
    vehicles, drivers = shown
    safety = scoped(read("driver_safety", period, enterprise=enterprise), v)
    if not v.sees_personal_of(enterprise):
        return People(vehicles, drivers, safety, (
            "个人信息脱敏显示 · personal data masked (only an enterprise sees its own drivers' "
            "names and phones)"))
    try:
        own = own_personal(snapshot_path(), enterprise)
    except PersonalUnavailable as exc:
        return People(vehicles, drivers, safety,
                      f"个人信息脱敏显示 · personal data masked: {exc}")
    vehicles = unmask(vehicles, own.vehicles, ["vehicle_id", "valid_from"],
                      ["owner_name", "operator_phone"])
    drivers = unmask(drivers, own.drivers, ["driver_id"], ["name", "phone"])
    safety = unmask(safety, own.drivers.rename(columns={"name": "driver_name"}), ["driver_id"],
                    ["driver_name"])
    return People(vehicles, drivers, safety, (
        "本企业驾驶员姓名、手机号及业户信息为全文（授权发布）；身份证号与终端号脱敏 · your own "
        "drivers' names and phones and your vehicles' owners in full (restricted publication); "
        "ID and SIM numbers masked"))
