"""The export's 0x0702 driver-identity reports (驾驶员身份信息采集上报): in an unmasked export
only, as the stored rows of that message alone (the Spark engine links violations to their
drivers from them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds

from hazrisk.store.export import export


def test_driver_reports_only_in_an_unmasked_export(ingested_sample: Any,
                                                   tmp_path: Path) -> None:
    con = duckdb.connect(str(ingested_sample.db), read_only=True)
    try:
        (stored,) = con.execute(
            "SELECT count(*) FROM raw.messages WHERE msg_id = 1794").fetchone()
        masked = export(con, tmp_path / "masked")
        clear = export(con, tmp_path / "clear", masked=False)
    finally:
        con.close()
    assert stored > 0
    assert not (tmp_path / "masked" / "driver_reports").exists()
    assert "driver_reports" not in masked.rows
    rows = ds.dataset(tmp_path / "clear" / "driver_reports", partitioning="hive").to_table()
    assert clear.rows["driver_reports"] == rows.num_rows == stored
    assert set(rows.column("msg_id").to_pylist()) == {0x0702}
    assert any("driver_name" in (b or "") for b in rows.column("body_json").to_pylist())  # clear
