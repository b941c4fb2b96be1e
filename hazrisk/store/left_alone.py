"""Record the files a command found but did not take (``meta.files_left_alone``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

from hazrisk.sqlfiles import SqlFolder

#: Why each command leaves a file alone (shown in the data-quality report).
REASONS = {
    "ingest": "not a dump (.bin, .log, .txt or their .gz) 非数据转储文件",
    "registry import": "not a registry file of the README contract 非登记文件",
    "history import": "not a .csv vehicle-month history file 非车辆月度历史档案文件",
}


def record_left_alone(con: duckdb.DuckDBPyConnection, paths: Iterable[str], command: str) -> int:
    """Upsert one row per path (``first_seen`` kept, ``last_seen`` now); returns the count."""
    reason = REASONS[command]
    n = 0
    now = datetime.now(UTC)
    for path in paths:
        SqlFolder("hazrisk.store").execute(
            con, "left_alone", {"path": path, "command": command, "reason": reason, "now": now})
        n += 1
    return n
