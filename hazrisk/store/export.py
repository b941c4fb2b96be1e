"""``hazrisk export``: core tables to Parquet, partitioned by Beijing day and provider.

Layout (Hive style, readable by DuckDB, Spark, pandas/pyarrow datasets)::

    OUT/positions/date=2026-10-01/provider=P01/data_0.parquet
    OUT/alarms/...  OUT/safety_events/...  OUT/heartbeats/... (telematics: date x provider)
    OUT/driver_reports/...      (0x0702 driver-identity reports: unmasked exports only)
    OUT/registry/vehicles.parquet ...                        (registries: one file each)
    OUT/meta/ingested_files.parquet ...       (the files, registry imports and retention runs)
    OUT/meta/digests.parquet      (what each dump file put in each table: rows and a digest)

Inside each ``date=`` / ``provider=`` folder the positions, alarms and safety events are
written ordered by vehicle, terminal and time (pos_seq last), so a vehicle's day is one
contiguous run of rows and Parquet row-group statistics on ``vehicle_id`` let a reader skip
the rest (the layout the Spark engine, :mod:`hazrisk.spark`, reads by day and vehicle).

``provider`` is the registry provider of the vehicle for positions, alarms and safety events
(``unknown`` for unregistered terminals) and the gateway the dump came from for the other
telematics tables; a row without a date goes to ``date=undated`` (never Hive's
``__HIVE_DEFAULT_PARTITION__``).

``meta/digests.parquet`` describes the export's content by piece: one row per telematics table
(positions aside: they are read in place, never copied) and dump file (``source_file_id``),
and one per registry / meta file (``source_file_id`` NULL), with its number of rows and an
order-independent digest of those rows as exported (``sum(hash(row))``, as text). A reader that
keeps copies of the export (the Spark engine's results warehouse, :mod:`hazrisk.spark.inputs`)
copies again only the pieces whose digest changed, new or gone. The export is written to a temporary folder and renamed into
place.

Personal data is **masked by default** with the mart's rules (:func:`hazrisk.store.mask_pii`):
drivers' names, ID numbers and phones, owners' and safety managers' names and phones, operator
phones and terminal SIM numbers (``terminal_phone``). ``masked=False`` (``--unmasked``) writes
them in clear, for authorised use only.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.sqlfiles import SqlFolder
from hazrisk.store.connect import StoreError

_FILE = "LEFT JOIN meta.ingested_files f ON f.file_id = t.source_file_id"
_BY_VEHICLE = "ORDER BY t.vehicle_id NULLS LAST, t.terminal_phone, t.device_time"
_DAY = "core.local_day({t})"  # the Beijing day (hazrisk/sql/localtime.sql)
#: Partition of rows with no date (a named folder instead of __HIVE_DEFAULT_PARTITION__).
UNDATED = "undated"
#: Personal columns per exported relation and the mask each gets (``mart.mask_<kind>``).
PII: dict[str, dict[str, str]] = {
    "drivers": {"name": "name", "id_number": "id", "phone": "phone"},
    "vehicles": {"owner_name": "name", "operator_phone": "phone", "terminal_phone": "phone"},
    "enterprises": {"safety_manager": "name", "safety_manager_phone": "phone"},
    "phone_verifications": {"operator_phone": "phone"},
    "handling_log": {"terminal_phone": "phone", "operator": "name"},
    "fault_tickets": {"terminal_phone": "phone"},
}
_TELEMATICS_PII = {"terminal_phone": "phone"}


@dataclass(frozen=True)
class ExportSpec:
    name: str
    table: str
    date_sql: str
    provider_sql: str
    join: str = _FILE
    order_sql: str = ""  # rows ordered by vehicle inside each partition's files
    where: str = ""  # a fixed filter of the relation's rows
    personal: bool = False  # its rows are personal data as a whole: unmasked exports only
    digests: bool = True  # rows and digest per dump file in meta/digests.parquet


#: Fixed whitelist of exported relations and their partition expressions.
TELEMATICS: tuple[ExportSpec, ...] = (
    ExportSpec("positions", "core.positions", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", "", _BY_VEHICLE + ", t.pos_seq",
               digests=False),
    ExportSpec("alarms", "core.alarms", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", "", _BY_VEHICLE),
    ExportSpec("safety_events", "core.safety_events", _DAY.format(t="t.device_time"),
               "coalesce(t.provider_id, 'unknown')", "", _BY_VEHICLE),
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
    # 0x0702 驾驶员身份信息采集上报: who drove when (safety.driver_sessions); the bodies carry
    # drivers' names and qualification numbers, so a masked export leaves them out
    ExportSpec("driver_reports", "raw.messages",
               "coalesce(" + _DAY.format(t="t.recv_time") + ", f.source_date)",
               "coalesce(f.source_provider_id, 'unknown')", where="WHERE t.msg_id = 1794",
               personal=True),
)
REGISTRY: tuple[str, ...] = (
    "enterprises", "providers", "device_makers", "insurers", "vehicles", "drivers", "images",
    "phone_verifications", "fences", "roads", "handling_log", "fault_tickets", "policies",
    "claims",
)
#: The bookkeeping a reader of the export needs besides the data (which dump files and registry
#: imports it holds, what retention removed): one file each under ``meta/``.
META: tuple[str, ...] = ("ingested_files", "registry_imports", "retention_runs")
#: Rows and digest of each piece of the export (see the module's text).
DIGESTS = "meta/digests.parquet"
#: Digest of the rows ``x`` of one piece (sums of 64-bit hashes: order-independent).
_DIGEST = "count(*) AS rows, CAST(sum(hash(x)) AS VARCHAR) AS digest"


@dataclass
class ExportResult:
    out: str
    rows: dict[str, int] = field(default_factory=dict)
    masked: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "masked": self.masked, "rows": self.rows}


def _select(con: duckdb.DuckDBPyConnection, relation: str, pii: dict[str, str],
            masked: bool) -> str:
    """``t.*`` or the column list with personal columns masked (names from the catalog of a
    whitelisted relation, masks from :data:`PII`)."""
    if not masked:
        return "t.*"
    schema, name = relation.split(".")
    cols = [c for (c,) in SqlFolder("hazrisk.store").run(
        con, "export", "columns", {"schema": schema, "table": name}).fetchall()]
    return ", ".join(f'mart.mask_{pii[c]}(t."{c}") AS "{c}"' if c in pii else f't."{c}"'
                     for c in cols)


def export(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str], *,
           masked: bool = True) -> ExportResult:
    """Write the export to ``out`` (replacing a previous export there); personal data masked
    unless ``masked=False``."""
    out_path = Path(out)
    if out_path.exists() and not out_path.is_dir():
        raise StoreError(f"{out_path}: is a file; --out names the folder the export goes to")
    if (out_path.exists() and not (out_path / "_hazrisk_export").exists()
            and any(out_path.iterdir())):
        raise StoreError(f"{out_path}: exists and is not a hazrisk export; choose another "
                             "folder")
    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_path.name}.", dir=out_path.parent))
    except OSError as exc:
        raise StoreError(f"{exc.filename or out_path.parent}: cannot write the export there "
                         f"({exc.strerror or exc})") from None
    result = ExportResult(str(out_path), masked=masked)
    digests: list[str] = []  # SELECTs of (table, source_file_id, rows, digest), unioned
    try:
        for spec in TELEMATICS:  # identifiers and expressions from the whitelist above
            if spec.personal and masked:
                continue
            (n,) = con.execute(f"SELECT count(*) FROM {spec.table} t {spec.where}"
                               ).fetchall()[0]
            result.rows[spec.name] = int(n)
            if not n:
                continue
            target = tmp / spec.name
            cols = _select(con, spec.table, _TELEMATICS_PII, masked)
            con.execute(
                f"COPY (SELECT {cols}, coalesce(CAST({spec.date_sql} AS VARCHAR), "
                f"'{UNDATED}') AS date, {spec.provider_sql} AS provider "
                f"FROM {spec.table} t {spec.join} {spec.where} {spec.order_sql}) TO $p "
                "(FORMAT parquet, PARTITION_BY (date, provider), COMPRESSION zstd)",
                {"p": str(target)},
            )
            if spec.digests:
                digests.append(f"SELECT '{spec.name}' AS \"table\", source_file_id, {_DIGEST} "
                               f"FROM (SELECT {cols} FROM {spec.table} t {spec.where}) x "
                               "GROUP BY source_file_id")
        (tmp / "registry").mkdir()
        for name in REGISTRY:
            (n,) = con.execute(f"SELECT count(*) FROM core.{name}").fetchall()[0]
            result.rows[f"registry/{name}"] = int(n)
            cols = _select(con, f"core.{name}", PII.get(name, {}), masked)
            con.execute(f"COPY (SELECT {cols} FROM core.{name} t) TO $p (FORMAT parquet)",
                        {"p": str(tmp / "registry" / f"{name}.parquet")})
            digests.append(f"SELECT 'registry/{name}', CAST(NULL AS INTEGER), {_DIGEST} "
                           f"FROM (SELECT {cols} FROM core.{name} t) x")
        (tmp / "meta").mkdir()
        for name in META:
            (n,) = con.execute(f"SELECT count(*) FROM meta.{name}").fetchall()[0]
            result.rows[f"meta/{name}"] = int(n)
            con.execute(f"COPY (SELECT * FROM meta.{name}) TO $p (FORMAT parquet)",
                        {"p": str(tmp / "meta" / f"{name}.parquet")})
            digests.append(f"SELECT 'meta/{name}', CAST(NULL AS INTEGER), {_DIGEST} "
                           f"FROM meta.{name} x")
        con.execute(f"COPY ({' UNION ALL '.join(digests)} ORDER BY ALL) TO $p "
                    "(FORMAT parquet)", {"p": str(tmp / DIGESTS)})
        (tmp / "_hazrisk_export").write_text(
            "hazrisk core export (" + ("personal data masked" if masked else
                                       "UNMASKED personal data: authorised use only") + ")\n",
            encoding="utf-8")
        old = None
        if out_path.exists():
            old = out_path.with_name(f".{out_path.name}.old-{os.getpid()}")
            os.replace(out_path, old)
        os.replace(tmp, out_path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except (duckdb.Error, OSError) as exc:  # disk full, permissions: nothing half-written
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StoreError(f"{out_path}: export failed, nothing written ({text})") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return result
