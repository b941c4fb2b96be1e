"""Which [validity] rules the stored quality flags were computed under, and recomputing them.

``store.positions.quality_flags`` holds the data-qualification bits of
:func:`hazrisk.validity.check_bits`, computed at ingest under the rules ``hazrisk ingest`` was
given. Each committed file records the fingerprint of those rules (``meta.file_validity``;
the values in ``meta.validity_rules``). A run of the rates or the detection under other
``[validity]`` rules would mix two definitions (stored flags of one, thresholds of the other),
so it is refused with one line naming the keys that differ (:func:`require_current`);
``hazrisk ingest --reflag --conf FILE`` recomputes the stored flags from the stored fields
under the new rules (:func:`reflag`), file by file. Nothing else is changed: the stored
positions themselves are the decoder's and stay as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from hazrisk.sqlfiles import SqlFolder, bind, registered, transaction
from hazrisk.validity import Validity, check_bits

_sql = SqlFolder("hazrisk.store")


def record_file(con: duckdb.DuckDBPyConnection, file_id: int, v: Validity) -> None:
    """Record that ``file_id``'s flags were computed under ``v`` (in the caller's transaction)."""
    sha = v.fingerprint()
    _sql.run(con, "validity_flags", "remember_rules",
             {"sha": sha, "bounds": json.dumps(v.as_dict(), sort_keys=True)})
    _sql.run(con, "validity_flags", "record_file", {"f": file_id, "sha": sha})


@dataclass(frozen=True)
class OtherRules:
    """Committed files whose flags were computed under other rules (``bounds`` None: before
    the rules were recorded)."""

    bounds: dict[str, float] | None
    file_ids: list[int]
    first_path: str


def other_files(con: duckdb.DuckDBPyConnection, v: Validity) -> list[OtherRules]:
    """The committed files not flagged under ``v``, grouped by their rules."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for r in _sql.query(con, "validity_flags", "other_files", {"sha": v.fingerprint()}):
        if _sql.query(con, "validity_flags", "file_has_positions", {"f": r["file_id"]})[0]["has"]:
            groups.setdefault(r["validity_sha256"], []).append(r)
    out = [OtherRules(json.loads(rs[0]["bounds_json"]) if rs[0]["bounds_json"] else None,
                      [int(r["file_id"]) for r in rs], min(str(r["path"]) for r in rs))
           for rs in groups.values()]
    return sorted(out, key=lambda o: -len(o.file_ids))


def mismatch_message(others: list[OtherRules], v: Validity) -> str | None:
    """One line on files flagged under other rules (None when there are none)."""
    if not others:
        return None
    n = sum(len(o.file_ids) for o in others)
    first = others[0]
    if first.bounds is None:
        why = "before the [validity] rules were recorded with them"
    else:
        why = "under other [validity] rules (" + ", ".join(v.differences(first.bounds)) + ")"
    return (f"the quality flags of {n} ingested file(s) (e.g. {first.first_path}) were "
            f"computed {why}; run `hazrisk ingest --reflag --db DB` with this run's --conf "
            "first, or run with the rules they were ingested under")


def require_current(con: duckdb.DuckDBPyConnection, v: Validity) -> None:
    """Raise :class:`hazrisk.cliutil.CliError` (exit 1) when some file's flags were computed
    under other ``[validity]`` rules than ``v``."""
    from hazrisk.cliutil import EXIT_FAILED, CliError

    msg = mismatch_message(other_files(con, v), v)
    if msg is not None:
        raise CliError(msg, EXIT_FAILED)


def reflag(con: duckdb.DuckDBPyConnection, v: Validity,
           progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Recompute the flags of every file not flagged under ``v``; one transaction per file.

    Returns (files, rows whose flags changed)."""
    files = changed = 0
    for other in other_files(con, v):
        for f in other.file_ids:
            with transaction(con):
                sql = _sql.statement("validity_flags", "file_inputs")
                table = con.sql(sql, params=bind(sql, {"f": f})).to_arrow_table()
                bits = check_bits(table, v)
                old = np.asarray(table.column("quality_flags").to_numpy(zero_copy_only=False))
                diff = np.flatnonzero(bits != old)
                if diff.size:
                    seq = table.column("pos_seq").to_numpy(zero_copy_only=False)[diff]
                    new = pa.table({"pos_seq": pa.array(seq), "bits": pa.array(bits[diff])})
                    with registered(con, "_validity_flags", new):
                        _sql.run(con, "validity_flags", "update_flags")
                record_file(con, f, v)
            files += 1
            changed += int(diff.size)
            if progress is not None:
                progress(files, changed)
    return files, changed
