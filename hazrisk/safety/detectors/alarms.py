"""Active-safety alarms (主动安全报警): ADAS (0x64) and DSM (0x65) events by type and level.

One event per alarm: the rows of ``core.safety_events`` sharing (terminal, system, alarm id,
type) — a terminal reports an alarm's start and end (flag 1/2) and may repeat it — collapse to
one event from the first to the last time (the alarm-identification time when present, else
the position's time); the level is the highest reported. Rule id ``<system>_<type>``
(苏标 T/JSATL12-2017 tables 4-15 and 4-17), e.g. ``dsm_phone``, ``adas_forward_collision``.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from hazrisk.jt808.alarm_types import ADAS_TYPES, DSM_TYPES
from hazrisk.sqlfiles import SqlFolder

read_sql = SqlFolder("hazrisk.safety").text


def load_alarm_events(con: duckdb.DuckDBPyConnection, t0: object, t1: object) -> pd.DataFrame:
    """Alarm events starting in [t0, t1) (timestamps), one row each, with the rule id."""
    df = con.sql(read_sql("alarm_events"), params={"t0": t0, "t1": t1}).to_df()
    if df.empty:
        df["rule_id"] = pd.Series(dtype=object)
        return df
    names = {**{("adas", k): v[0] for k, v in ADAS_TYPES.items()},
             **{("dsm", k): v[0] for k, v in DSM_TYPES.items()}}
    lookup = pd.Series(list(names.values()), index=pd.MultiIndex.from_tuples(list(names)))
    typ = df["alarm_type"].astype("Int64")
    key = pd.MultiIndex.from_arrays([df["system"], typ.fillna(-1).astype(np.int64)])
    name = lookup.reindex(key).to_numpy(dtype=object)
    fallback = np.where(typ.isna(), "type_unknown",
                        "type_0x" + typ.fillna(0).astype(np.int64).map("{:02x}".format)
                        .to_numpy(dtype=object))
    name = np.where(pd.isna(name), fallback, name)
    df["rule_id"] = df["system"].to_numpy(dtype=object) + "_" + name
    return df
