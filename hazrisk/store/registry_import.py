"""``hazrisk registry import DIR``: registry CSV/GeoJSON files into ``core.*`` tables.

Files are read (:mod:`hazrisk.store.registry_files`) and validated row by row
(:mod:`hazrisk.store.registry_specs`) first; every problem goes to
``quarantine.registry_rejects`` and into the report with file, row and column.

Then the import is written **in one transaction across all its files**: a newer file replaces
the previous import of its kind, the same content (sha256) again is left as it is, and after
vehicles change positions are re-resolved to vehicles
(:func:`hazrisk.store.resolve.resolve_terminals`). When any file fails - unreadable, a
required column missing, or refused by the safeguards below - nothing of the run is written.

Safeguards (conf ``[registry]``, ``--accept-shrink`` overrides both): a file whose rows are
mostly rejected (share > ``max_rejected_share``) or that keeps fewer than ``min_kept_share`` of
the rows of the previous import of its kind (a header-only or truncated export) is refused, so
a careless export never replaces a good registry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.config import Rules, load_rules
from hazrisk.sqlfiles import SqlFolder, registered, transaction
from hazrisk.store.left_alone import record_left_alone
from hazrisk.store.registry_files import (
    RegistryFileError,
    _read_csv,
    _read_geojson,
    _read_xlsx,
    find_registry_files,
    iter_csv_text,
    parse_csv_text,
)
from hazrisk.store.registry_specs import (
    _ARROW,
    SPECS,
    TABLES,
    Col,
    FileSpec,
    RowProblem,
    parse_date,
    parse_month,
    validate_rows,
)
from hazrisk.store.resolve import resolve_terminals

_sql = SqlFolder("hazrisk.store")

# The reading and validation API other importers (hazrisk.history) build on, re-exported.
__all__ = ["SPECS", "Col", "FileReport", "FileSpec", "ImportReport",
           "RegistryFileError", "RowProblem", "import_registry", "iter_csv_text",
           "parse_csv_text", "parse_date", "parse_month", "validate_rows"]


@dataclass
class FileReport:
    kind: str
    path: str
    status: str  # imported | unchanged | failed | refused | not_imported | skipped
    rows_ok: int = 0
    rows_rejected: int = 0
    values_nulled: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    encoding: str | None = None
    previous_rows: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "status": self.status,
            "rows_ok": self.rows_ok,
            "rows_rejected": self.rows_rejected,
            "values_nulled": self.values_nulled,
            "previous_rows": self.previous_rows,
            "encoding": self.encoding,
            "problems": [p.message() for p in self.problems],
            "warnings": self.warnings,
            "error": self.error,
        }


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(f.status in ("failed", "refused") for f in self.files)

    @property
    def summary(self) -> str:
        """One line: what was imported, or why nothing was."""
        bad = [f for f in self.files if f.status in ("failed", "refused")]
        if bad:
            return (f"nothing imported: {len(bad)} file(s) failed or refused ("
                    + ", ".join(Path(f.path).name for f in bad)
                    + "); the previous registry is unchanged")
        n = sum(f.status == "imported" for f in self.files)
        same = sum(f.status == "unchanged" for f in self.files)
        return f"{n} file(s) imported, {same} unchanged"

    def to_json(self) -> dict[str, Any]:
        return {"ok": not self.failed, "summary": self.summary,
                "files": [f.to_json() for f in self.files], "left_alone": self.left_alone}


@dataclass
class _Staged:
    spec: FileSpec
    path: Path
    sha: str
    good: list[dict[str, Any]]
    report: FileReport


def import_registry(
    con: duckdb.DuckDBPyConnection,
    folder: str | Path,
    *,
    force: bool = False,
    accept_shrink: bool = False,
    encoding: str | None = None,
    rules: Rules | None = None,
) -> ImportReport:
    """Import every registry file found in ``folder`` (or its registry/, logs/, insurance/),
    all or nothing.

    Parameters
    ----------
    force
        Re-import files whose content equals the last import of their kind.
    accept_shrink
        Import files the ``[registry]`` safeguards refuse (mostly rejected, or far fewer rows
        than the previous import).
    encoding
        Text encoding of the CSV files (default: UTF-8, else GBK/GB18030 detected).
    """
    folder = Path(folder)
    report = ImportReport()
    if not folder.is_dir():
        report.files.append(FileReport("?", str(folder), "failed",
                                       error=f"{folder}: not a directory"))
        return report
    conf = (rules or load_rules()).registry
    found, left, warnings = find_registry_files(folder)
    report.left_alone = left
    record_left_alone(con, left, "registry import")
    if warnings:
        report.files.append(FileReport("-", str(folder), "skipped", warnings=warnings))
    staged: list[_Staged] = []
    for spec, path in found:
        st = _stage(con, spec, path, force=force, encoding=encoding,
                    max_cell_chars=int(conf.max_cell_chars))
        report.files.append(st.report if isinstance(st, _Staged) else st)
        if isinstance(st, _Staged):
            if not accept_shrink:
                _safeguard(st.report, float(conf.max_rejected_share),
                           float(conf.min_kept_share))
            staged.append(st)
    if report.failed:
        for st in staged:
            if st.report.status == "imported":
                st.report.status = "not_imported"
        return report
    record_left_alone(con, left, "registry import")
    _write_all(con, staged, report)
    return report


def _stage(con: duckdb.DuckDBPyConnection, spec: FileSpec, path: Path, *, force: bool,
           encoding: str | None, max_cell_chars: int) -> _Staged | FileReport:
    """Read and validate one file (nothing written); a FileReport alone when it is unchanged
    or cannot be read."""
    if spec.table not in TABLES:  # pragma: no cover - specs are static
        raise AssertionError(spec.table)
    fr = FileReport(spec.kind, str(path), "imported")
    try:
        data = path.read_bytes()
    except OSError as exc:
        fr.status, fr.error = "failed", f"{path}: cannot read: {exc.strerror or exc}"
        return fr
    sha = hashlib.sha256(data).hexdigest()
    last = _sql.run(con, "registry_import", "last_import", {"kind": spec.kind}).fetchall()
    if last:
        fr.previous_rows = int(last[0][1])
    if last and last[0][0] == sha and not force:
        fr.status = "unchanged"  # the same content again: nothing to do, nothing to warn about
        fr.rows_ok = fr.previous_rows or 0
        return fr
    try:
        if spec.geo:
            raw_rows = _read_geojson(data, str(path), spec, max_cell_chars=max_cell_chars)
        elif path.suffix == ".xlsx":
            header, raw_rows = _read_xlsx(path)
            _check_header(spec, header, str(path), fr)
        else:
            header, raw_rows, fr.encoding = _read_csv(data, str(path), encoding=encoding,
                                                      max_cell_chars=max_cell_chars)
            _check_header(spec, header, str(path), fr)
    except RegistryFileError as exc:
        fr.status, fr.error = "failed", str(exc)
        return fr
    pre_problems = _structural_problems(spec, str(path), raw_rows)
    bad_rows = {p.row for p in pre_problems}
    good, problems = validate_rows(
        spec, str(path), [(n, r) for n, r in raw_rows if n not in bad_rows]
    )
    problems = sorted(pre_problems + problems, key=lambda p: p.row)
    if spec.geo:
        by_row = dict(raw_rows)
        for row in good:
            raw = by_row[row["source_row"]]
            row["geometry_wkt"] = raw["__wkt__"]
            row["properties_json"] = json.dumps(raw["__properties__"], ensure_ascii=False,
                                                default=str)
            if spec.discriminator:
                row["kind"] = spec.discriminator
            if "__geometry_warning__" in raw:
                fr.warnings.append(f"{path}: feature {row['source_row']}: "
                                   f"{raw['__geometry_warning__']}")
    fr.problems = problems
    fr.rows_ok = len(good)
    fr.rows_rejected = len({p.row for p in problems if p.action == "row_rejected"})
    fr.values_nulled = sum(1 for p in problems if p.action == "value_nulled")
    return _Staged(spec, path, sha, good, fr)


def _safeguard(fr: FileReport, max_rejected_share: float, min_kept_share: float) -> None:
    """Refuse a file that is mostly rejected or shrinks the previous import too much."""
    total = fr.rows_ok + fr.rows_rejected
    if total and fr.rows_rejected / total > max_rejected_share:
        fr.status = "refused"
        fr.error = (f"{fr.path}: {fr.rows_rejected} of {total} rows rejected (more than "
                    f"{max_rejected_share:.0%}, conf registry.max_rejected_share): not imported, "
                    "the previous import stays; fix the file or use --accept-shrink")
    elif fr.previous_rows and fr.rows_ok < min_kept_share * fr.previous_rows:
        fr.status = "refused"
        fr.error = (f"{fr.path}: {fr.rows_ok} valid rows where the previous {fr.kind} import "
                    f"had {fr.previous_rows} (below {min_kept_share:.0%}, conf "
                    "registry.min_kept_share): not imported, the previous import stays; "
                    "use --accept-shrink if the registry really shrank")


def _check_header(spec: FileSpec, header: list[str], path: str, fr: FileReport) -> None:
    missing_required = [c.name for c in spec.columns if c.required and c.name not in header]
    if missing_required:
        raise RegistryFileError(
            f"{path}: header lacks required column(s) {missing_required}; "
            f"expected columns: {', '.join(spec.column_names)}")
    missing = [c.name for c in spec.columns if c.name not in header]
    if missing:
        fr.warnings.append(f"{path}: header lacks column(s) {missing}: imported as NULL")
    extra = [h for h in header if h and h not in spec.column_names]
    if extra:
        fr.warnings.append(f"{path}: column(s) {extra} not in the README contract: ignored")


def _structural_problems(
    spec: FileSpec, path: str, rows: list[tuple[int, dict[str, Any]]]
) -> list[RowProblem]:
    out = []
    for n, r in rows:
        if "__width_error__" in r:
            out.append(RowProblem(path, n, None, "row_rejected", r["__width_error__"], r))
        elif "__cell_error__" in r:
            column, error = r["__cell_error__"]
            out.append(RowProblem(path, n, column, "row_rejected", error, r))
        elif "__geometry_error__" in r:
            out.append(RowProblem(path, n, "geometry", "row_rejected", r["__geometry_error__"], r))
    return out


def _write_all(con: duckdb.DuckDBPyConnection, staged: list[_Staged],
               report: ImportReport) -> None:
    """Write every staged file in one transaction; on any error nothing is written."""
    if not staged:
        return
    current: _Staged | None = None
    try:
        with transaction(con):
            (next_id,) = _sql.run(con, "registry_import", "next_import_id").fetchall()[0]
            for i, st in enumerate(staged):
                current = st
                _write(con, st, int(next_id) + i)
            current = None
            if any(st.spec.kind == "vehicles" for st in staged):
                resolve_terminals(con)
    except (duckdb.Error, OSError, ValueError) as exc:
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        for st in staged:
            st.report.status = "not_imported"
        target = current.report if current else staged[-1].report
        target.status = "failed"
        target.error = f"{target.path}: import failed: {text}"


def _write(con: duckdb.DuckDBPyConnection, st: _Staged, import_id: int) -> None:
    spec, good, fr = st.spec, st.good, st.report
    problems = fr.problems
    cols = spec.column_names + ["import_id", "source_row"]
    if spec.geo:
        cols += ["geometry_wkt", "properties_json"]
        if spec.discriminator:
            cols.append("kind")
    types = {c.name: _ARROW[c.type] for c in spec.columns}
    arrays = []
    for c in cols:
        if c == "import_id":
            arrays.append(pa.array([import_id] * len(good), pa.int32()))
        elif c == "source_row":
            arrays.append(pa.array([r["source_row"] for r in good], pa.int32()))
        else:
            arrays.append(pa.array([r.get(c) for r in good], types.get(c, pa.string())))
    # one clear_/insert_ pair of statements per spec (sql/registry_import.sql)
    with registered(con, "_registry_staged", pa.table(arrays, names=cols)):
        _sql.run(con, "registry_import", f"clear_{spec.kind}", {"kind": spec.discriminator})
        _sql.run(con, "registry_import", f"insert_{spec.kind}")
    _sql.run(con, "registry_import", "delete_rejects", {"kind": spec.kind})
    if problems:
        rejects = pa.table({
            "import_id": pa.array([import_id] * len(problems), pa.int32()),
            "kind": [spec.kind] * len(problems),
            "path": [str(st.path)] * len(problems),
            "row_number": pa.array([p.row for p in problems], pa.int32()),
            "action": [p.action for p in problems],
            "column_name": [p.column for p in problems],
            "error": [p.error for p in problems],
            "row_json": [
                json.dumps({k: v for k, v in p.row_data.items() if not k.startswith("__")},
                           ensure_ascii=False, default=str)
                for p in problems
            ],
        })
        with registered(con, "_registry_rejects", rejects):
            _sql.run(con, "registry_import", "insert_rejects")
    _sql.run(con, "registry_import", "insert_import",
             {"id": import_id, "kind": spec.kind, "path": str(st.path), "sha256": st.sha,
              "ok": fr.rows_ok, "bad": fr.rows_rejected})
