"""Terminal -> vehicle/enterprise/provider resolution for stored positions and events.

Positions, alarms and safety events carry ``vehicle_id, enterprise_id, provider_id`` resolved
through ``core.terminal_assignments`` at ``coalesce(device_time, recv_time)``. New rows are
resolved as they are ingested; :func:`resolve_terminals` re-resolves everything after the
registry changes (only rows whose answer changed are rewritten).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

#: Tables with resolved columns (fixed whitelist; identifiers never come from input).
RESOLVED_TABLES: tuple[str, ...] = ("store.positions", "store.alarms", "store.safety_events")

#: When a position has neither a valid device time nor a receive time (raw capture, invalid
#: BCD time), the noon (Beijing) of its dump's day stands in: ``FALLBACK_SQL``.
FALLBACK_SQL = "timezone('Asia/Shanghai', CAST(f.source_date AS TIMESTAMP) + INTERVAL 12 HOUR)"

_RESOLVE_POSITIONS = f"""
CREATE OR REPLACE TEMP TABLE _resolved AS
WITH p AS (
    SELECT p.pos_seq, p.terminal_phone, p.vehicle_id, p.enterprise_id, p.provider_id,
           coalesce(p.device_time, p.recv_time, {FALLBACK_SQL}) AS t
    FROM store.positions p
    LEFT JOIN meta.ingested_files f ON f.file_id = p.source_file_id
)
SELECT p.pos_seq, a.vehicle_id, a.enterprise_id, a.provider_id
FROM p
LEFT JOIN core.terminal_assignments a
  ON a.terminal_key = core.terminal_key(p.terminal_phone)
 AND p.t >= a.valid_from_ts AND p.t < a.valid_to_ts
WHERE p.vehicle_id IS DISTINCT FROM a.vehicle_id
   OR p.enterprise_id IS DISTINCT FROM a.enterprise_id
   OR p.provider_id IS DISTINCT FROM a.provider_id
"""


def resolve_terminals(con: duckdb.DuckDBPyConnection) -> int:
    """Re-resolve every stored position (and its alarms/safety events); rows changed.

    Runs inside the caller's transaction.
    """
    con.execute(_RESOLVE_POSITIONS)
    (changed,) = con.execute("SELECT count(*) FROM _resolved").fetchall()[0]
    if changed:
        for table in RESOLVED_TABLES:  # whitelisted identifiers
            con.execute(
                f"UPDATE {table} t SET vehicle_id = r.vehicle_id, "
                "enterprise_id = r.enterprise_id, provider_id = r.provider_id "
                "FROM _resolved r WHERE t.pos_seq = r.pos_seq"
            )
    con.execute("DROP TABLE _resolved")
    return int(changed)


class Assigner:
    """``core.terminal_assignments`` held in memory to resolve a file's positions vectorised.

    Same rule as :func:`resolve_terminals`: the assignment of
    ``core.terminal_key(terminal_phone)`` whose ``[valid_from_ts, valid_to_ts)`` holds
    ``coalesce(device_time, recv_time, noon of the dump's day)``; no time, or no such
    assignment, gives NULLs. Built once per file (the registry does not change
    during an ingest).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None) -> None:
        self.by_key: dict[str, list[tuple[int, int, str | None, str | None, str | None]]] = {}
        if con is None:
            return
        rows = con.execute(
            "SELECT terminal_key, coalesce(epoch_us(valid_from_ts), -4611686018427387904), "
            "coalesce(epoch_us(valid_to_ts), 4611686018427387904), vehicle_id, "
            "enterprise_id, provider_id FROM core.terminal_assignments "
            "ORDER BY terminal_key, valid_from_ts"
        ).fetchall()
        for key, a, b, v, e, p in rows:
            self.by_key.setdefault(key, []).append((int(a), int(b), v, e, p))

    @classmethod
    def empty(cls) -> Assigner:
        return cls(None)

    def resolve(self, phone: pa.Array, t_us: np.ndarray, t_valid: np.ndarray) -> pa.Table:
        """``vehicle_id, enterprise_id, provider_id`` per row (``phone`` dictionary-encoded)."""
        n = len(phone)
        idx = np.asarray(phone.indices.to_numpy(zero_copy_only=False), np.int64)
        words = phone.dictionary.to_pylist()
        out = np.full(n, -1, np.int64)  # index into `values`
        values: list[tuple[str | None, str | None, str | None]] = []
        if self.by_key:
            order = np.argsort(idx, kind="stable")
            bounds = np.searchsorted(idx[order], np.arange(len(words) + 1))
            for d, word in enumerate(words):
                ivs = self.by_key.get(word.lstrip("0") if word else word)
                if not ivs:
                    continue
                rows = order[bounds[d] : bounds[d + 1]]
                if rows.size == 0:
                    continue
                t = t_us[rows]
                ok = t_valid[rows]
                for a, b, v, e, p in ivs:
                    hit = ok & (t >= a) & (t < b)
                    if hit.any():
                        out[rows[hit]] = len(values)
                        values.append((v, e, p))
        cols = []
        for k in range(3):
            dictionary = pa.array([val[k] for val in values] or [None], pa.string())
            indices = pa.array(out if values else np.full(n, 0), pa.int32(), mask=out < 0)
            cols.append(pa.DictionaryArray.from_arrays(indices, dictionary))
        return pa.table(cols, names=["vehicle_id", "enterprise_id", "provider_id"])
