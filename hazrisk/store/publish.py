"""``hazrisk publish``: the mart as a separate read-only DuckDB file (and Parquet), atomically.

DuckDB allows one writer or many readers per file, so the app and notebooks never open the
warehouse ingest writes to. They open the published snapshot, which is written to a temporary
file next to the target and renamed into place (``os.replace``: readers see the old file or
the new one, never a partial one; a reader that has the old file open keeps reading it).

Every relation in schema ``mart`` (tables and views, also those other areas add) becomes a
table ``mart.<name>`` in the snapshot (and a view ``<name>`` in its main schema, so readers may
leave out the schema; avoid naming the file ``mart.duckdb``, whose catalog name would clash
with the schema); ``mart._published`` records when and from what. Personal data is masked
in the ``mart.*`` views (:func:`mask_pii` is the same rule in Python).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.store.connect import StoreError

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")
_IDENT_ANY = re.compile(r"^[A-Za-z0-9_.\-]+$")


def mask_pii(value: str | None, kind: str) -> str | None:
    """Mask personal data for non-authorised readers (same rules as the ``mart.mask_*`` macros).

    ``kind``: ``name`` (keep the first character), ``phone`` / ``id`` (keep the first 3 and
    last 4 characters; short values keep less).

    >>> mask_pii("张三丰", "name"), mask_pii("13912345678", "phone")
    ('张**', '139****5678')
    >>> mask_pii("330102199001011234", "id")
    '330***********1234'
    """
    if value is None:
        return None
    n = len(value)
    if kind == "name":
        return value if n == 0 else value[0] + "*" * (n - 1)
    if kind in ("phone", "id"):
        if n <= 4:
            return "*" * n
        if n < 8:
            return "*" * (n - 2) + value[-2:]
        return value[:3] + "*" * (n - 7) + value[-4:]
    raise ValueError(f"unknown PII kind {kind!r} (name, phone, id)")


@dataclass
class PublishResult:
    out: str
    tables: dict[str, int] = field(default_factory=dict)
    parquet_dir: str | None = None
    published_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "tables": self.tables, "parquet_dir": self.parquet_dir,
                "published_at": self.published_at}


def mart_relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    """Names of the relations in ``<catalog>.mart`` (validated identifiers)."""
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = $c AND table_schema = 'mart' ORDER BY table_name",
        {"c": catalog},
    ).fetchall()
    names = [r[0] for r in rows]
    bad = [n for n in names if not _IDENT.match(n)]
    if bad:
        raise StoreError(f"mart relation names must be lower-case identifiers: {bad}")
    return names


def publish(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    parquet_dir: str | os.PathLike[str] | None = None,
) -> PublishResult:
    """Copy every ``mart.*`` relation of ``db`` into a fresh file, then rename it to ``out``."""
    db_path, out_path = Path(db), Path(out)
    if not db_path.exists():
        raise StoreError(f"{db_path}: no such database")
    if out_path.resolve() == db_path.resolve():
        raise StoreError(f"{out_path}: the snapshot must be a different file from the warehouse")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".publish-", suffix=".duckdb.tmp",
                                    dir=out_path.parent)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB creates the file itself
    tmp = Path(tmp_name)
    result = PublishResult(str(out_path))
    try:
        con = duckdb.connect(str(tmp))
        try:
            try:
                con.execute("ATTACH $p AS src (READ_ONLY)", {"p": str(db_path)})
            except duckdb.Error as exc:
                raise StoreError(
                    f"{db_path}: cannot open for reading ({exc}); is an ingest running? "
                    "publish after it finishes") from exc
            names = mart_relations(con, "src")
            (here,) = con.execute("SELECT current_database()").fetchall()[0]
            if not _IDENT_ANY.match(here):
                raise StoreError(f"unexpected catalog name {here!r}")
            con.execute("CREATE SCHEMA mart")
            for name in names:  # validated identifiers from the source catalog
                con.execute(f'CREATE TABLE "{here}".mart."{name}" AS '
                            f'SELECT * FROM src.mart."{name}"')
                result.tables[name] = int(con.execute(
                    f'SELECT count(*) FROM "{here}".mart."{name}"').fetchall()[0][0])
            for name in names:  # also unqualified, for readers (main schema views)
                con.execute(f'CREATE VIEW "{here}".main."{name}" AS '
                            f'SELECT * FROM "{here}".mart."{name}"')
            result.published_at = datetime.now().astimezone().isoformat()
            con.execute(
                f'CREATE TABLE "{here}".mart._published AS SELECT $at::TIMESTAMPTZ AS '
                "published_at, $src AS source_db, $tables AS tables_json",
                {"at": result.published_at, "src": str(db_path.resolve()),
                 "tables": json.dumps(result.tables)},
            )
            con.execute("DETACH src")
            con.execute("CHECKPOINT")
            if parquet_dir is not None:
                result.parquet_dir = str(parquet_dir)
                _write_parquet(con, here, names + ["_published"], Path(parquet_dir))
        finally:
            con.close()
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        os.replace(tmp, out_path)
    finally:
        for leftover in (tmp, Path(str(tmp) + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return result


def _write_parquet(
    con: duckdb.DuckDBPyConnection, catalog: str, names: list[str], folder: Path
) -> None:
    """One Parquet file per mart table, each written to a temp name then renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        target = folder / f"{name}.parquet"
        tmp = folder / f".{name}.parquet.tmp"
        con.execute(f'COPY (SELECT * FROM "{catalog}".mart."{name}") TO $p (FORMAT parquet)',
                    {"p": str(tmp)})
        os.replace(tmp, target)


def open_published(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published snapshot."""
    p = Path(path)
    if not p.exists():
        raise StoreError(f"{p}: no published snapshot (run `hazrisk publish`)")
    return duckdb.connect(str(p), read_only=True)


