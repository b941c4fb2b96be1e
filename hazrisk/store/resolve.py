"""Terminal -> vehicle/enterprise/provider resolution for stored positions and events.

Positions, alarms and safety events are resolved through ``core.terminal_assignments`` at
``coalesce(device_time, recv_time)``, else (raw capture, invalid BCD time) at the noon
(Beijing) of the dump's day. Statements: ``sql/resolve.sql``; the keyed assignments are the
view ``store.keyed_assignments`` (``sql/views/011``). Positions store the answer as one INTEGER
``assign_key`` into ``store.assign_keys`` (vehicle_id, enterprise_id, provider_id; appends are
cheaper than three VARCHAR columns), alarms and safety events as the three columns. New rows
are resolved as they are ingested; :func:`resolve_terminals` re-resolves everything after the
registry changes (only rows whose answer changed are rewritten).
"""

from __future__ import annotations

import re

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hazrisk.sqlfiles import SqlFolder, registered

_sql = SqlFolder("hazrisk.store")

#: Tables with resolved vehicle/enterprise/provider columns (fixed whitelist; identifiers
#: never come from input). store.positions has the key instead.
EVENT_TABLES: tuple[str, ...] = ("store.alarms", "store.safety_events")

# The key tables grow append-only: a phone / triple met for the first time gets the next
# keys. ``{rel}``: a relation name checked by _relation().
_ADD_TERMINALS = """
INSERT INTO store.terminals
SELECT (SELECT coalesce(max(term_key), 0) FROM store.terminals)
       + row_number() OVER (ORDER BY terminal_phone), terminal_phone
FROM (SELECT DISTINCT terminal_phone FROM {rel} WHERE terminal_phone IS NOT NULL) a
WHERE NOT EXISTS (SELECT 1 FROM store.terminals t WHERE t.terminal_phone = a.terminal_phone)
"""
_ADD_ASSIGN_KEYS = """
INSERT INTO store.assign_keys
SELECT (SELECT coalesce(max(assign_key), 0) FROM store.assign_keys)
       + row_number() OVER (ORDER BY vehicle_id, enterprise_id, provider_id),
       vehicle_id, enterprise_id, provider_id
FROM (SELECT DISTINCT vehicle_id, enterprise_id, provider_id FROM {rel}
      WHERE vehicle_id IS NOT NULL OR enterprise_id IS NOT NULL OR provider_id IS NOT NULL) a
WHERE NOT EXISTS (
    SELECT 1 FROM store.assign_keys k
    WHERE k.vehicle_id IS NOT DISTINCT FROM a.vehicle_id
      AND k.enterprise_id IS NOT DISTINCT FROM a.enterprise_id
      AND k.provider_id IS NOT DISTINCT FROM a.provider_id)
"""

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


def _relation(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"not a plain relation name: {name!r}")
    return name


def add_terminals(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Give the phones (``terminal_phone``) of ``relation`` their ``store.terminals`` keys."""
    con.execute(_ADD_TERMINALS.format(rel=_relation(relation)))


def add_assign_keys(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Give the (vehicle_id, enterprise_id, provider_id) of ``relation`` their keys."""
    con.execute(_ADD_ASSIGN_KEYS.format(rel=_relation(relation)))


def ensure_assign_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Give every (vehicle, enterprise, provider) of ``core.terminal_assignments`` a key."""
    add_assign_keys(con, "core.terminal_assignments")


def term_keys(con: duckdb.DuckDBPyConnection, phones: list[str]) -> dict[str, int]:
    """``store.terminals`` keys of ``phones`` (new phones added, in the caller's
    transaction)."""
    with registered(con, "_phones",
                    pa.table({"terminal_phone": pa.array(phones, pa.string())})):
        add_terminals(con, "_phones")
        rows = _sql.run(con, "resolve", "term_keys").fetchall()
    return {p: int(k) for p, k in rows}


def resolve_terminals(con: duckdb.DuckDBPyConnection) -> int:
    """Re-resolve every stored position (and its alarms/safety events); rows changed.

    Runs inside the caller's transaction.
    """
    ensure_assign_keys(con)
    _sql.run(con, "resolve", "resolve_positions")
    (changed,) = _sql.run(con, "resolve", "resolved_count").fetchall()[0]
    if changed:
        _sql.run(con, "resolve", "update_position_keys")
        for table in EVENT_TABLES:  # whitelisted identifiers
            con.execute(
                f"UPDATE {table} t SET vehicle_id = r.vehicle_id, "
                "enterprise_id = r.enterprise_id, provider_id = r.provider_id "
                "FROM _resolved r WHERE t.pos_seq = r.pos_seq"
            )
    _sql.run(con, "resolve", "drop_resolved")
    return int(changed)


class Assigner:
    """``core.terminal_assignments`` held in memory to resolve a file's positions vectorised.

    Same rule as :func:`resolve_terminals`: the assignment of
    ``core.terminal_key(terminal_phone)`` whose ``[valid_from_ts, valid_to_ts)`` holds
    ``coalesce(device_time, recv_time, noon of the dump's day)``; no time, or no such
    assignment, gives NULL. Built once per file (the registry does not change during an
    ingest); building it gives the registry's triples their ``store.assign_keys`` keys.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection | None) -> None:
        by_key: dict[str, list[tuple[int, int, int]]] = {}
        if con is not None:
            ensure_assign_keys(con)
            rows = _sql.run(con, "resolve", "assignments").fetchall()
            for key, a, b, k in rows:
                by_key.setdefault(key, []).append((int(a), int(b), int(k)))
        self.index(by_key)

    def index(self, by_key: dict[str, list[tuple[int, int, int]]]) -> None:
        """Hold ``by_key`` (normalised phone -> ``[(from_us, to_us, assign_key)]``, a later
        interval overriding an earlier one) flat: each key's intervals in a run."""
        self.by_key = by_key
        self._run: dict[str, tuple[int, int]] = {}
        flat: list[tuple[int, int, int]] = []
        for key, ivs in self.by_key.items():
            self._run[key] = (len(flat), len(ivs))
            flat.extend(ivs)
        iv = np.asarray(flat, np.int64).reshape(-1, 3)
        self._from, self._to, self._key = iv[:, 0], iv[:, 1], iv[:, 2].astype(np.int32)

    @classmethod
    def empty(cls) -> Assigner:
        return cls(None)

    def resolve(self, phone: pa.Array, t_us: np.ndarray, t_valid: np.ndarray) -> pa.Array:
        """``assign_key`` per row (INT32, NULL = unknown); ``phone`` dictionary-encoded.

        Vectorised over rows: each dictionary word's run of intervals, then one pass per
        interval rank (a terminal has one to a few), a later interval overriding an earlier
        one as in the registry's order."""
        n = len(phone)
        out = np.full(n, -1, np.int32)
        if self.by_key and n:
            words = phone.dictionary.to_pylist()
            runs = [self._run.get(w.lstrip("0") if w else w, (0, 0)) for w in words]
            lo = np.fromiter((r[0] for r in runs), np.int64, len(runs))
            cnt = np.fromiter((r[1] for r in runs), np.int64, len(runs))
            idx = np.asarray(pc.fill_null(phone.indices, len(words)).to_numpy(
                zero_copy_only=False), np.int64)
            lo, cnt = np.append(lo, 0)[idx], np.append(cnt, 0)[idx]  # per row (null: none)
            for j in range(int(cnt.max(initial=0))):
                sel = np.flatnonzero(cnt > j) if j else np.flatnonzero(cnt)
                i = lo[sel] + j
                t = t_us[sel]
                hit = t_valid[sel] & (t >= self._from[i]) & (t < self._to[i])
                out[sel[hit]] = self._key[i[hit]]
        return pa.array(out, pa.int32(), mask=out < 0)


def insert_keyed_positions(con: duckdb.DuckDBPyConnection, relation: str) -> None:
    """Append the rows of ``relation`` (a registered or temporary table named by a plain
    identifier, with store.positions columns but ``terminal_phone`` and ``vehicle_id,
    enterprise_id, provider_id`` instead of ``term_key`` and ``assign_key``) to
    ``store.positions``, giving new phones and triples their keys. For positions resolved
    elsewhere: synthetic benchmark data, tests, other tools' exports."""
    add_terminals(con, relation)
    add_assign_keys(con, relation)
    con.execute(f"""
        INSERT INTO store.positions BY NAME
        SELECT s.* EXCLUDE (terminal_phone, vehicle_id, enterprise_id, provider_id),
               tk.term_key, k.assign_key
        FROM {_relation(relation)} s
        JOIN store.terminals tk ON tk.terminal_phone = s.terminal_phone
        LEFT JOIN store.assign_keys k
          ON k.vehicle_id IS NOT DISTINCT FROM s.vehicle_id
         AND k.enterprise_id IS NOT DISTINCT FROM s.enterprise_id
         AND k.provider_id IS NOT DISTINCT FROM s.provider_id
         AND (s.vehicle_id IS NOT NULL OR s.enterprise_id IS NOT NULL
              OR s.provider_id IS NOT NULL)""")
