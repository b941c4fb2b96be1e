"""An enterprise's own personal data, unmasked, from the restricted publication.

The published snapshot masks names and phones for everyone. ``hazrisk publish`` also writes
``<snapshot>.restricted.duckdb`` (mode 0600; :mod:`hazrisk.store.restricted`) with the few
personal columns an enterprise may see of its own drivers and vehicles. This module is the only
reader of that file: the portal's data module calls :func:`own_personal` for the logged-in
enterprise only (the enterprise id comes from the session's user, checked against the viewer;
never from a widget or URL), the query binds it (``sql/own_*.sql``), and the result is not
cached (no personal data in a cache shared by sessions). :func:`unmask` puts the clear values
over the masked ones of rows already shown, so a row the masked snapshot does not list is never
added.

Who sees what (decided here, recorded in ``apps/README.md`` and ARCHITECTURE.md): the
enterprise its own drivers' and vehicles' names and phones; the association's evaluators
masked names (their work is with the enterprise, which answers for its drivers; PIPL art. 6,
the minimum necessary); insurers and the public no personal column at all; operators no page
with personal columns. ID numbers and SIM numbers are masked for every role.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb
import pandas as pd

from hazrisk.store.restricted import restricted_path


class PersonalUnavailable(RuntimeError):
    """The restricted publication is missing, unusable or readable by others (one-line text,
    Chinese and English, shown on the page; the data then stay masked)."""


@dataclass(frozen=True)
class OwnPersonal:
    """One enterprise's ``drivers`` (driver_id, enterprise_id, name, phone) and ``vehicles``
    (vehicle_id, valid_from, enterprise_id, owner_name, operator_phone), in clear."""

    drivers: pd.DataFrame
    vehicles: pd.DataFrame


@cache
def _sql(name: str) -> str:
    return resources.files("hazrisk.portal.sql").joinpath(f"{name}.sql").read_text("utf-8")


def own_personal(snapshot: str | os.PathLike[str], enterprise: str,
                 attempts: int = 5) -> OwnPersonal:
    """The unmasked personal columns of ``enterprise``'s own drivers and vehicles from the
    restricted publication beside ``snapshot``.

    Raises
    ------
    PersonalUnavailable
        No restricted publication, a file group or others may read (mode wider than 0600:
        not used), or not one ``hazrisk publish`` wrote.
    """
    path = restricted_path(snapshot)
    last: Exception | None = None
    for _ in range(attempts):  # publish may replace the file between stat and open
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            raise PersonalUnavailable(
                f"没有授权发布的个人信息文件 {path.name} · no restricted publication beside the "
                "snapshot (hazrisk publish writes it)") from None
        if mode & 0o077:
            raise PersonalUnavailable(
                f"{path.name} 的权限过宽 ({oct(mode)})，未使用 · readable by others "
                f"(mode {oct(mode)}), not used: chmod 600 it")
        con = duckdb.connect()
        try:
            con.execute("ATTACH $p AS personal (READ_ONLY)", {"p": str(path)})
            marked = con.execute(
                "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'personal' "
                "AND schema_name = 'restricted' AND table_name = '_published'").fetchall()[0][0]
            if not marked:
                raise PersonalUnavailable(f"{path.name}: 不是授权发布文件 · not a restricted "
                                          "publication written by hazrisk publish")
            params = {"enterprise": enterprise}
            return OwnPersonal(con.execute(_sql("own_drivers"), params).df(),
                               con.execute(_sql("own_vehicles"), params).df())
        except duckdb.IOException as exc:
            last = exc
        finally:
            con.close()
    raise PersonalUnavailable(f"{path.name}: 读取失败 · could not be read ({last})")


def unmask(shown: pd.DataFrame, clear: pd.DataFrame, keys: list[str],
           columns: list[str]) -> pd.DataFrame:
    """``shown`` with ``columns`` replaced by ``clear``'s values on matching ``keys`` and the
    same ``enterprise_id`` (rows without a match keep their masked value; no row is added)."""
    on = [*keys, "enterprise_id"]
    if shown.empty or clear.empty or not set(on) <= set(shown.columns):
        return shown
    right = clear[[*on, *columns]].drop_duplicates(on).rename(
        columns={c: f"{c}__clear" for c in columns})
    merged = shown.merge(right, on=on, how="left", validate="many_to_one")
    for c in columns:
        merged[c] = merged[f"{c}__clear"].where(merged[f"{c}__clear"].notna(), merged[c])
    return merged.drop(columns=[f"{c}__clear" for c in columns])
