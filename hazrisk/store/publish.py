"""``hazrisk publish``: the mart as a separate read-only DuckDB file (and Parquet), atomically.

DuckDB allows one writer or many readers per file, so the app and notebooks never open the
warehouse ingest writes to. They open the published snapshot, which is written to a temporary
file next to the target and renamed into place (``os.replace``: readers see the old file or
the new one, never a partial one; a reader that has the old file open keeps reading it).

Every relation in schema ``mart`` (tables and views, also those other areas add) becomes a
table ``mart.<name>`` in the snapshot (and a view ``<name>`` in its main schema, so readers may
leave out the schema; a file named ``mart.duckdb``, whose catalog name would clash with the
schema, is refused); ``mart._published`` records when and from which warehouse
file (its name, not its path). Personal data is masked in the ``mart.*`` views
(:func:`mask_pii` is the same rule in Python). Every table and column keeps the comment
(Chinese and English) of its mart view (:mod:`hazrisk.store.mart_docs`). Parquet files carry
the Beijing zone on their times.

Beside the snapshot, publish writes the restricted publication ``<out stem>.restricted.duckdb``
(mode 0600): the few personal columns an authorised portal role sees unmasked
(:mod:`hazrisk.store.restricted`; ``restricted=False`` / ``--no-restricted`` writes none and
removes an earlier one). It is renamed into place just before the snapshot.

A run killed half-way leaves a ``.<out>.publish-<pid>.duckdb.tmp`` file (and a private
``.<out>.restricted-<pid>.d`` folder); the next run removes those of processes that are gone.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from hazrisk.localtime import TIMEZONE
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
    restricted: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"out": self.out, "tables": self.tables, "parquet_dir": self.parquet_dir,
                "published_at": self.published_at, "restricted": self.restricted}


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


#: Snapshot names that would clash with a schema of the snapshot (DuckDB names the catalog
#: after the file: ``mart.duckdb`` makes ``mart.<table>`` ambiguous for every reader).
RESERVED_STEMS = frozenset({"mart", "main", "src", "system", "temp", "memory"})


def check_target(db_path: Path, out_path: Path, *, restricted: bool = True) -> None:
    """Refuse a snapshot target that would confuse readers or replace what publish did not
    make: a folder, the warehouse itself, a reserved name, an existing non-snapshot file (and,
    with ``restricted``, such a file where the restricted publication goes)."""
    if out_path.is_dir():
        raise StoreError(f"{out_path}: is a folder; --out names the snapshot file "
                         "(e.g. published.duckdb)")
    if out_path.exists() and out_path.resolve() == db_path.resolve():
        raise StoreError(f"{out_path}: the snapshot must be a different file from the warehouse")
    if out_path.stem.lower() in RESERVED_STEMS:
        raise StoreError(f"{out_path}: a snapshot named {out_path.name} would make "
                         f"'{out_path.stem}.<table>' ambiguous for readers (DuckDB names the "
                         "catalog after the file); choose another name, e.g. published.duckdb")
    if out_path.exists():
        from hazrisk.cliutil import is_published_snapshot

        if not is_published_snapshot(out_path):
            raise StoreError(f"{out_path}: exists and is not a snapshot written by hazrisk "
                             "publish; not replaced (choose another name)")
    if restricted:
        from hazrisk.store.restricted import check_restricted_target, restricted_path

        check_restricted_target(restricted_path(out_path))


PARQUET_TMP = ".publish-"


def _tmp_prefix(out_path: Path) -> str:
    return f".{out_path.name}.publish-"


def remove_stale_tmp(folder: Path, prefix: str) -> list[Path]:
    """Delete temporary files of publish runs that no longer run (killed): ``<prefix><pid>``
    followed by anything, whose process is gone."""
    removed = []
    for p in folder.glob(prefix + "*"):
        pid_text = p.name[len(prefix):].split(".")[0]
        if pid_text.isdigit() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # an earlier run of this same process was interrupted
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def publish(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    parquet_dir: str | os.PathLike[str] | None = None,
    restricted: bool = True,
) -> PublishResult:
    """Copy every ``mart.*`` relation of ``db`` into a fresh file, then rename it to ``out``;
    with ``restricted`` also write the restricted publication beside it
    (:mod:`hazrisk.store.restricted`), else remove one an earlier publish wrote.

    Raises :class:`StoreError` (naming the path and the cause) when the target is unusable or
    a write fails (full disk, read-only folder): the previous snapshot and Parquet files then
    stay as they were, and no temporary file is left.
    """
    db_path, out_path = Path(db), Path(out)
    if not db_path.exists():
        raise StoreError(f"{db_path}: no such database")
    check_target(db_path, out_path, restricted=restricted)
    from hazrisk.store import restricted as personal

    try:
        out_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{exc.filename or out_path.parent}: cannot publish "
                         f"({exc.strerror or exc})") from None
    prefix = _tmp_prefix(out_path)
    remove_stale_tmp(out_path.parent, prefix)
    tmp = out_path.parent / f"{prefix}{os.getpid()}.duckdb.tmp"
    parquet = Path(parquet_dir) if parquet_dir is not None else None
    result = PublishResult(str(out_path))
    staged: list[tuple[Path, Path]] = []
    private: Path | None = None
    try:
        if parquet is not None:
            _check_writable(parquet)
            remove_stale_tmp(parquet, PARQUET_TMP)
        _build(db_path, tmp, result, parquet, staged)
        if restricted:
            private = personal.build(db_path, out_path, result.published_at)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)
        for part, target in staged:  # all Parquet files written: put them in place
            os.replace(part, target)
        if private is not None:
            os.replace(private, personal.restricted_path(out_path))
            result.restricted = str(personal.restricted_path(out_path))
        else:
            personal.remove_published(personal.restricted_path(out_path))
        os.replace(tmp, out_path)
    except (OSError, duckdb.Error) as exc:
        where = getattr(exc, "filename", None) or out_path
        text = getattr(exc, "strerror", None) or (str(exc).strip().splitlines() or ["?"])[0]
        raise StoreError(f"{where}: cannot publish ({text}); the previous snapshot is "
                         "unchanged") from None
    finally:
        for leftover in [tmp, Path(str(tmp) + ".wal")] + [p for p, _ in staged]:
            with contextlib.suppress(OSError):
                leftover.unlink()
        personal.discard(private)
    return result


def _check_writable(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder}: is a file; --parquet names a folder")
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreError(f"{folder}: not writable (--parquet); the previous snapshot is "
                         "unchanged")


def _build(db_path: Path, tmp: Path, result: PublishResult, parquet: Path | None,
           staged: list[tuple[Path, Path]]) -> None:
    con = duckdb.connect(str(tmp))
    try:
        con.execute("SET TimeZone = 'Asia/Shanghai'")
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
            {"at": result.published_at, "src": db_path.name,
             "tables": json.dumps(result.tables)},
        )
        from hazrisk.store.mart_docs import apply_comments, copy_comments

        copy_comments(con, "src", here)  # what the views carry, then the catalogue's
        apply_comments(con, here)  # the mart tables and _published
        con.execute("DETACH src")
        con.execute("CHECKPOINT")
        if parquet is not None:
            result.parquet_dir = str(parquet)
            staged.extend(_write_parquet(con, here, names + ["_published"], parquet))
    finally:
        con.close()


def _write_parquet(
    con: duckdb.DuckDBPyConnection, catalog: str, names: list[str], folder: Path
) -> list[tuple[Path, Path]]:
    """One Parquet file per mart table, written to temporary names (renamed by the caller
    once all are written). Times carry the Beijing zone (pandas shows +08:00)."""
    import pyarrow.parquet as pq

    out = []
    for name in names:
        target = folder / f"{name}.parquet"
        part = folder / f"{PARQUET_TMP}{os.getpid()}.{name}.parquet.tmp"
        out.append((part, target))
        reader = con.sql(f'SELECT * FROM "{catalog}".mart."{name}"').to_arrow_reader()
        schema = _beijing(reader.schema)
        with pq.ParquetWriter(part, schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch.cast(schema) if batch.schema != schema else batch)
    return out


def _beijing(schema: Any) -> Any:
    import pyarrow as pa

    fields = []
    for f in schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            f = f.with_type(pa.timestamp(f.type.unit, tz=TIMEZONE))
        fields.append(f)
    return pa.schema(fields, metadata=schema.metadata)


def open_published(path: str | os.PathLike[str]) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a published snapshot, in Beijing time (times reach pandas as
    ``+08:00``, in agreement with the ``day`` columns)."""
    p = Path(path)
    if not p.exists():
        raise StoreError(f"{p}: no published snapshot (run `hazrisk publish`)")
    con = duckdb.connect(str(p), read_only=True)
    con.execute("SET TimeZone = 'Asia/Shanghai'")
    return con


