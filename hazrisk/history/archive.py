"""``hazrisk history import``: vehicle-month histories exported by an existing platform.

The CSV contract is README "Vehicle-month history files": a header row, one vehicle-month a
row, UTF-8 (a BOM is tolerated) or GBK/GB18030 as Chinese Excel saves it. Rows are validated
one by one with the registry's machinery (:func:`hazrisk.store.registry_import.validate_rows`): a row
without ``vehicle_id`` or a readable ``month``, with an unreadable or negative figure, a share
outside [0, 1], more days than the month has, more reminded/handled/escalated events than
violations (or escalated than handled), more qualified positions than positions, or repeating
a vehicle-month of the file is **rejected** and kept in ``quarantine.history_rejects`` with file,
row, column and reason. Empty cells are NULL (the platform did not report the figure).

Loaded rows go to ``safety.vehicle_month_archive`` (with file, row and sha256); a file whose
content was imported before is skipped. ``safety.vehicle_months`` then takes, for the months
the file touches, the latest archive row of each vehicle-month that detection does not cover
(``source = 'archive'``): detection wins, and where both exist the difference is reported and
stays queryable in ``safety.vehicle_month_differences``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hazrisk import __version__
from hazrisk.safety.tables import (
    create_mart_views,
    ensure_schema,
    next_month,
    write_vehicle_months,
)
from hazrisk.store.registry_import import (
    Col,
    FileSpec,
    RegistryFileError,
    RowProblem,
    iter_csv_text,
    validate_rows,
)

_INT = ("days_registered", "days_online", "positions", "positions_qualified", "drift_points",
        "n_speeding", "n_fatigue", "n_night_ban", "n_off_route", "n_offline_displacement",
        "n_adas", "n_dsm", "n_violations", "n_reminded", "n_handled", "n_escalated")
_FLOAT = ("km", "driving_h", "night_km", "night_km_share", "offline_min", "offline_share",
          "data_quality_rate", "median_time_to_reminder_s")
_SHARES = ("night_km_share", "offline_share", "data_quality_rate")
#: (smaller, larger): a row where smaller > larger is rejected (reported on ``smaller``).
_ORDER = (("n_reminded", "n_violations"), ("n_handled", "n_violations"),
          ("n_escalated", "n_handled"), ("positions_qualified", "positions"),
          ("days_online", "days_registered"), ("night_km", "km"))

SPEC = FileSpec(
    "vehicle_months", "vehicle_months", "safety.vehicle_month_archive",
    (Col("vehicle_id", required=True), Col("month", "month", required=True),
     Col("enterprise_id"), Col("provider_id"),
     *(Col(c, "int", strict=True) for c in _INT[:2]),
     *(Col(c, "float", strict=True) for c in _FLOAT[:6]),
     *(Col(c, "int", strict=True) for c in _INT[2:5]),
     Col("data_quality_rate", "float", strict=True),
     *(Col(c, "int", strict=True) for c in _INT[5:]),
     Col("median_time_to_reminder_s", "float", strict=True)),
    key=("vehicle_id", "month"))
COLUMNS: tuple[str, ...] = tuple(SPEC.column_names)
ENCODINGS = ("utf-8-sig", "gb18030")
CHUNK_ROWS = 20_000
#: Measures compared where detection and an archive cover the same vehicle-month.
COMPARED = ("km", "driving_h", "offline_share", "n_speeding", "n_fatigue", "n_night_ban",
            "n_off_route", "n_adas", "n_dsm", "n_violations")


@dataclass
class HistoryFileReport:
    """What importing one archive file did."""

    path: str
    status: str  # imported | unchanged | failed
    sha256: str = ""
    encoding: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    months: tuple[str, str] | None = None
    archive_rows_used: int = 0  # vehicle-months of this file that detection does not cover
    overlap: dict[str, Any] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path, "status": self.status, "sha256": self.sha256,
            "encoding": self.encoding, "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded, "rows_rejected": self.rows_rejected,
            "months": list(self.months) if self.months else None,
            "archive_rows_used": self.archive_rows_used, "overlap": self.overlap,
            "problems": [p.message() for p in self.problems], "warnings": self.warnings,
            "error": self.error,
        }


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Text and encoding: UTF-8 (BOM tolerated), else GB18030 (a superset of GBK)."""
    for enc in ENCODINGS:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise RegistryFileError(f"{path}: neither UTF-8 nor GBK/GB18030 text")


def _days_in_month(m: date) -> int:
    return (next_month(m) - m).days


def check_rows(path: str, good: list[dict[str, Any]]) -> tuple[list[dict[str, Any]],
                                                                list[RowProblem]]:
    """Domain checks on typed rows: non-negative figures, shares, days, event ordering."""
    kept: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for row in good:
        reason: tuple[str, str] | None = None
        for c in (*_INT, *_FLOAT):
            v = row.get(c)
            if v is not None and v < 0:
                reason = (c, f"{c} = {v} is negative")
                break
        if reason is None:
            for c in _SHARES:
                v = row.get(c)
                if v is not None and v > 1:
                    reason = (c, f"{c} = {v} is above 1 (a share)")
                    break
        if reason is None:
            n_days = _days_in_month(row["month"])
            for c in ("days_registered", "days_online"):
                v = row.get(c)
                if v is not None and v > n_days:
                    reason = (c, f"{c} = {v} but {row['month']:%Y-%m} has {n_days} days")
                    break
        if reason is None:
            for small, large in _ORDER:
                a, b = row.get(small), row.get(large)
                if a is not None and b is not None and a > b:
                    reason = (small, f"{small} = {a} is above {large} = {b}")
                    break
        if reason is None:
            kept.append(row)
        else:
            raw = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            problems.append(RowProblem(path, int(row["source_row"]), reason[0], "row_rejected",
                                       reason[1], raw))
    return kept, problems


def _already(con: duckdb.DuckDBPyConnection, sha: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM safety.history_imports WHERE file_sha256 = $s",
                            {"s": sha}).fetchall()[0][0])


def import_history_file(con: duckdb.DuckDBPyConnection, path: Path, *,
                        chunk_rows: int = CHUNK_ROWS) -> HistoryFileReport:
    """Import one archive file (one transaction, validated and staged ``chunk_rows`` rows at
    a time so memory stays bounded); see the module docstring."""
    fr = HistoryFileReport(str(path), "failed")
    data = path.read_bytes()
    fr.sha256 = hashlib.sha256(data).hexdigest()
    ensure_schema(con)
    if _already(con, fr.sha256):
        fr.status = "unchanged"
        return fr
    try:
        text, fr.encoding = decode(data, str(path))
        del data
        header, records = iter_csv_text(text, str(path))
        missing = [c for c in ("vehicle_id", "month") if c not in header]
        if missing:
            raise RegistryFileError(f"{path}: header lacks required column(s) {missing}; "
                                    f"expected columns: {', '.join(COLUMNS)}")
    except RegistryFileError as exc:
        fr.error = str(exc)
        return fr
    absent = [c for c in COLUMNS if c not in header]
    if absent:
        fr.warnings.append(f"{path}: header lacks column(s) {absent}: imported as NULL")
    extra = [h for h in header if h and h not in COLUMNS]
    if extra:
        fr.warnings.append(f"{path}: column(s) {extra} not in the README contract: ignored")
    now = datetime.now(UTC)
    span: list[date] = []
    con.execute("BEGIN TRANSACTION")
    try:
        seen: dict[tuple[str, date], int] = {}
        for chunk in _chunks(records, chunk_rows):
            fr.rows_read += len(chunk)
            good = _validate_chunk(fr, str(path), chunk, seen)
            if good:
                _stage(con, fr, path, good, now)
                months = [r["month"] for r in good]
                span = [min([*span, *months]), max([*span, *months])]
        for p in fr.problems:
            con.execute("INSERT INTO quarantine.history_rejects VALUES ($sha, $file, $row, $col, "
                        "$reason, $raw, $now)",
                        {"sha": fr.sha256, "file": path.name, "row": p.row, "col": p.column,
                         "reason": p.error, "now": now,
                         "raw": json.dumps(p.row_data, ensure_ascii=False, default=str)})
        fr.rows_rejected = len({p.row for p in fr.problems})
        con.execute("INSERT INTO safety.history_imports VALUES ($sha, $file, $path, $enc, $read, "
                    "$ok, $bad, $now, $v)",
                    {"sha": fr.sha256, "file": path.name, "path": str(path.resolve()),
                     "enc": fr.encoding, "read": fr.rows_read, "ok": fr.rows_loaded,
                     "bad": fr.rows_rejected, "now": now, "v": __version__})
        if span:
            fr.months = (f"{span[0]:%Y-%m}", f"{span[1]:%Y-%m}")
            write_vehicle_months(con, span[0], next_month(span[1]), now, detected=False)
        create_mart_views(con)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    fr.problems.sort(key=lambda p: p.row)
    fr.status = "imported"
    fr.archive_rows_used = int(con.execute(
        "SELECT count(*) FROM safety.vehicle_months v "
        "JOIN safety.vehicle_month_archive_latest a USING (vehicle_id, month) "
        "WHERE v.source = 'archive' AND a.file_sha256 = $s", {"s": fr.sha256}).fetchall()[0][0])
    fr.overlap = differences(con, fr.sha256)
    return fr


def _chunks(records: Iterator[tuple[int, dict[str, Any]]], n: int
            ) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    chunk: list[tuple[int, dict[str, Any]]] = []
    for rec in records:
        chunk.append(rec)
        if len(chunk) >= n:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _validate_chunk(fr: HistoryFileReport, path: str, chunk: list[tuple[int, dict[str, Any]]],
                    seen: dict[tuple[str, date], int]) -> list[dict[str, Any]]:
    """Rows of a chunk that pass every check; problems go to ``fr.problems``. Every measure is
    strict, so an unreadable value rejects its row (nothing is nulled)."""
    width = [RowProblem(path, n, None, "row_rejected", r["__width_error__"], r)
             for n, r in chunk if "__width_error__" in r]
    bad_rows = {p.row for p in width}
    good, problems = validate_rows(SPEC, path, [(n, r) for n, r in chunk if n not in bad_rows])
    good, domain = check_rows(path, good)
    kept: list[dict[str, Any]] = []
    for row in good:  # a vehicle-month repeated across chunks (within one: validate_rows)
        key = (row["vehicle_id"], row["month"])
        first = seen.setdefault(key, int(row["source_row"]))
        if first != row["source_row"]:
            problems.append(RowProblem(
                path, int(row["source_row"]), "vehicle_id", "row_rejected",
                f"duplicate key (vehicle_id={key[0]}, month={key[1]}) (first at row {first})",
                {k: (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}))
        else:
            kept.append(row)
    fr.problems.extend(width + problems + domain)
    fr.rows_loaded += len(kept)
    return kept


def _stage(con: duckdb.DuckDBPyConnection, fr: HistoryFileReport, path: Path,
           good: list[dict[str, Any]], now: datetime) -> None:
    frame = pd.DataFrame(good, columns=["source_row", *COLUMNS])
    con.register("_history_staged", frame)
    try:
        cols = ", ".join(COLUMNS)
        con.execute(
            f"INSERT INTO safety.vehicle_month_archive (file_sha256, source_file, row_no, "
            f"imported_at, {cols}) SELECT $sha, $file, source_row, $now, {cols} "
            f"FROM _history_staged",
            {"sha": fr.sha256, "file": path.name, "now": now})
    finally:
        con.unregister("_history_staged")


def differences(con: duckdb.DuckDBPyConnection, sha256: str) -> dict[str, Any]:
    """Vehicle-months of one archive file that detection also covers, and per measure the
    detected and archived totals, their difference and the mean absolute difference."""
    d = con.execute("SELECT * FROM safety.vehicle_month_differences WHERE file_sha256 = $s",
                    {"s": sha256}).df()
    out: dict[str, Any] = {"vehicle_months": len(d), "measures": {}}
    for m in COMPARED:
        both = d[[f"{m}_detected", f"{m}_archive"]].dropna()
        if both.empty:
            continue
        det, arc = both[f"{m}_detected"].astype(float), both[f"{m}_archive"].astype(float)
        out["measures"][m] = {
            "n": len(both), "detected": round(float(det.sum()), 6),
            "archive": round(float(arc.sum()), 6),
            "diff": round(float(det.sum() - arc.sum()), 6),
            "mean_abs_diff": round(float((det - arc).abs().mean()), 6),
        }
    return out


def find_history_files(target: Path) -> tuple[list[Path], list[str]]:
    """CSV files to import under ``target`` (a file, a folder, or a folder with
    ``history/``) and the other files left alone."""
    if target.is_file():
        return [target], []
    folder = target / "history" if (target / "history").is_dir() else target
    files = sorted(p for p in folder.iterdir() if p.is_file())
    return ([p for p in files if p.suffix.lower() == ".csv"],
            [str(p) for p in files if p.suffix.lower() != ".csv"])


__all__ = ["COLUMNS", "HistoryFileReport", "check_rows", "decode", "differences",
           "find_history_files", "import_history_file"]
