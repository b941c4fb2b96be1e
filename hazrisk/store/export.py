"""``hazrisk export``: core tables to Parquet, partitioned by Beijing day and provider.

Layout (Hive style, readable by DuckDB, Spark, pandas/pyarrow datasets)::

    OUT/positions/date=2026-10-01/provider=P01/data_0.parquet
    OUT/alarms/...  OUT/safety_events/...  OUT/heartbeats/... (telematics: date x provider)
    OUT/registry/vehicles.parquet ...                        (registries: one file each)

``provider`` is the registry provider of the vehicle for positions, alarms and safety events
(``unknown`` for unregistered terminals) and the gateway the dump came from for the other
telematics tables. The export is written to a temporary folder and renamed into place. Core
tables hold personal data as given: the export is for authorised tools (use the published mart
for others).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.store.connect import StoreError

_FILE = "LEFT JOIN meta.ingested_files f ON f.file_id = t.source_file_id"
_DAY = "CAST(timezone('Asia/Shanghai', {t}) AS DATE)"


@dataclass(frozen=True)
class ExportSpec:
    name: str
    table: str
    date_sql: str
    provider_sql: str
    join: str = _FILE


#: Fixed whitelist of exported relations and their partition expressions.
TELEMATICS: tuple[ExportSpec, ...] = (
    ExportSpec("positions", "core.positions", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", ""),
    ExportSpec("alarms", "core.alarms", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", ""),
    ExportSpec("safety_events", "core.safety_events", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", ""),
    *(
        ExportSpec(name, f"core.{name}",
                   "coalesce(" + _DAY.format(t="t.recv_time") + ", f.source_date)",
                   "coalesce(f.source_provider_id, 'unknown')")
        for name in ("heartbeats", "registrations", "authentications", "param_answers",
                     "text_messages", "multimedia")
    ),
    ExportSpec("frames_rejected", "quarantine.frames_rejected",
               "coalesce(" + _DAY.format(t="t.recv_time") + ", f.source_date)",
               "coalesce(f.source_provider_id, 'unknown')"),
)
REGISTRY: tuple[str, ...] = (
    "enterprises", "providers", "device_makers", "insurers", "vehicles", "drivers", "images",
    "phone_verifications", "fences", "roads", "handling_log", "fault_tickets", "policies",
    "claims",
)


@dataclass
class ExportResult:
    out: str
    rows: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "rows": self.rows}


def export(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str]) -> ExportResult:
    """Write the export to ``out`` (replacing a previous export there)."""
    out_path = Path(out)
    if (out_path.exists() and not (out_path / "_hazrisk_export").exists()
            and any(out_path.iterdir())):
        raise StoreError(f"{out_path}: exists and is not a hazrisk export; choose another "
                             "folder")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", dir=out_path.parent))
    result = ExportResult(str(out_path))
    try:
        for spec in TELEMATICS:  # identifiers and expressions from the whitelist above
            (n,) = con.execute(f"SELECT count(*) FROM {spec.table}").fetchall()[0]
            result.rows[spec.name] = int(n)
            if not n:
                continue
            target = tmp / spec.name
            con.execute(
                f"COPY (SELECT t.*, {spec.date_sql} AS date, {spec.provider_sql} AS provider "
                f"FROM {spec.table} t {spec.join}) TO $p "
                "(FORMAT parquet, PARTITION_BY (date, provider), COMPRESSION zstd)",
                {"p": str(target)},
            )
        (tmp / "registry").mkdir()
        for name in REGISTRY:
            (n,) = con.execute(f"SELECT count(*) FROM core.{name}").fetchall()[0]
            result.rows[f"registry/{name}"] = int(n)
            con.execute(f"COPY core.{name} TO $p (FORMAT parquet)",
                        {"p": str(tmp / "registry" / f"{name}.parquet")})
        (tmp / "_hazrisk_export").write_text("hazrisk core export\n", encoding="utf-8")
        old = None
        if out_path.exists():
            old = out_path.with_name(f".{out_path.name}.old-{os.getpid()}")
            os.replace(out_path, old)
        os.replace(tmp, out_path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return result
