"""``hazrisk registry import DIR``: registry CSV/GeoJSON files into ``core.*`` tables.

Each file (README "Registry files") has a spec: its table, its columns with types, its key and
closed value sets. Rows are validated one by one (registries are small); a row missing its key,
repeating a key, with an inverted validity interval or a value outside a closed set is
**rejected**; an unparsable optional value is **nulled** and the row kept (so the conformance
rates still see, e.g., a vehicle with a bad tonnage). Every problem goes to
``quarantine.registry_rejects`` and into the report with file, row and column.

Each file is imported in one transaction that first deletes the rows of the previous import of
that kind, so a newer version replaces the old one cleanly; the same content (sha256) again is
skipped. After vehicles change, positions are re-resolved to vehicles
(:func:`hazrisk.store.resolve.resolve_terminals`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from hazrisk.store.left_alone import record_left_alone
from hazrisk.store.resolve import resolve_terminals

BEIJING = ZoneInfo("Asia/Shanghai")
SEARCH_SUBDIRS = ("", "registry", "logs", "insurance")


@dataclass(frozen=True)
class Col:
    name: str
    type: str = "text"  # text | int | float | date | month | timestamp
    required: bool = False  # a row without it is rejected
    choices: frozenset[str] | None = None  # closed set (rejected otherwise)
    strict: bool = False  # an unreadable value rejects the row (instead of being nulled)


@dataclass(frozen=True)
class FileSpec:
    kind: str
    filename: str  # without extension for CSV kinds (".csv" / ".xlsx"), full name for GeoJSON
    table: str  # whitelisted identifier
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()
    geo: str | None = None  # None for tables; "route" | "area" | "road" for GeoJSON
    geometry_types: tuple[str, ...] = ()
    discriminator: str | None = None  # value of core.fences.kind for this file

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _t(name: str, **kw: Any) -> Col:
    return Col(name, "text", **kw)


_ROLE = frozenset({"driver", "escort"})
_SLOT = frozenset({"registration_cert", "driving_licence", "body_photo"})
_RESULT = frozenset({"pass", "fail"})
_ACTION = frozenset({"reminded", "reported_safety_dept", "reported_police", "dismissed"})
_ROAD_CLASS = frozenset({"expressway", "other"})

SPECS: tuple[FileSpec, ...] = (
    FileSpec("enterprises", "enterprises", "core.enterprises",
             (_t("enterprise_id", required=True), _t("name"), _t("city"), _t("license_no"),
              _t("safety_manager"), _t("safety_manager_phone")), key=("enterprise_id",)),
    FileSpec("providers", "providers", "core.providers",
             (_t("provider_id", required=True), _t("name"), _t("platform_domain")),
             key=("provider_id",)),
    FileSpec("device_makers", "device_makers", "core.device_makers",
             (_t("maker_id", required=True), _t("name")), key=("maker_id",)),
    FileSpec("insurers", "insurers", "core.insurers",
             (_t("insurer_id", required=True), _t("name")), key=("insurer_id",)),
    FileSpec("vehicles", "vehicles", "core.vehicles",
             (_t("vehicle_id", required=True), _t("terminal_phone"), _t("terminal_id"),
              _t("plate"), Col("plate_color", "int"), _t("vin"), _t("enterprise_id"),
              _t("provider_id"), _t("vehicle_type"), Col("tonnage_t", "float"),
              _t("hazmat_class"), _t("transport_permit_no"), _t("owner_name"),
              _t("operator_phone"), _t("maker_id"), _t("device_model"),
              Col("valid_from", "date", strict=True), Col("valid_to", "date", strict=True)),
             key=("vehicle_id", "valid_from")),
    FileSpec("drivers", "drivers", "core.drivers",
             (_t("driver_id", required=True), _t("enterprise_id"), _t("vehicle_id"), _t("name"),
              _t("id_number"), _t("phone"), _t("role", choices=_ROLE)), key=("driver_id",)),
    FileSpec("images", "images", "core.images",
             (_t("vehicle_id", required=True), _t("slot", required=True, choices=_SLOT),
              _t("file_name"), _t("sha256"), Col("size_bytes", "int"), _t("magic_hex"),
              Col("uploaded_at", "timestamp"))),
    FileSpec("phone_verifications", "phone_verifications", "core.phone_verifications",
             (_t("vehicle_id", required=True), _t("operator_phone"),
              Col("verified_at", "timestamp"), _t("result", choices=_RESULT))),
    FileSpec("handling_log", "handling_log", "core.handling_log",
             (_t("log_id", required=True), _t("vehicle_id"), _t("terminal_phone"),
              Col("event_time", "timestamp"), Col("action_time", "timestamp"),
              _t("action", choices=_ACTION), _t("rule"), _t("operator"), _t("note")),
             key=("log_id",)),
    FileSpec("fault_tickets", "fault_tickets", "core.fault_tickets",
             (_t("ticket_id", required=True), _t("vehicle_id"), _t("terminal_phone"),
              _t("maker_id"), _t("device_model"), _t("fault_kind"),
              Col("reported_at", "timestamp"), Col("repaired_at", "timestamp")),
             key=("ticket_id",)),
    FileSpec("policies", "policies", "core.policies",
             (_t("policy_id", required=True), _t("vehicle_id"), _t("enterprise_id"),
              _t("insurer_id"), Col("year", "int"), Col("start_date", "date"),
              Col("end_date", "date"), Col("exposure_years", "float"),
              Col("premium_cny", "float"), _t("hazmat_class")), key=("policy_id",)),
    FileSpec("claims", "claims", "core.claims",
             (_t("claim_id", required=True), _t("policy_id"), _t("vehicle_id"),
              _t("enterprise_id"), Col("loss_date", "date"), Col("amount_cny", "float"),
              _t("cause"), Col("report_date", "date")), key=("claim_id",)),
    FileSpec("routes", "routes.geojson", "core.fences",
             (_t("fence_id", required=True), _t("enterprise_id"), _t("vehicle_id"), _t("name"),
              Col("buffer_m", "float")), key=("fence_id",), geo="route",
             geometry_types=("LineString", "MultiLineString"), discriminator="route"),
    FileSpec("areas", "areas.geojson", "core.fences",
             (_t("fence_id", required=True), _t("enterprise_id"), _t("vehicle_id"), _t("name")),
             key=("fence_id",), geo="area", geometry_types=("Polygon", "MultiPolygon"),
             discriminator="area"),
    FileSpec("roads", "roads.geojson", "core.roads",
             (_t("road_id", required=True), _t("name"), _t("road_class", choices=_ROAD_CLASS),
              Col("speed_limit_kmh", "float")), key=("road_id",), geo="road",
             geometry_types=("LineString", "MultiLineString")),
)
#: Tables this module may write (identifiers are never taken from input).
TABLES = frozenset(s.table for s in SPECS)

# --------------------------------------------------------------------------------------------
# Reports
# --------------------------------------------------------------------------------------------


@dataclass
class RowProblem:
    path: str
    row: int
    column: str | None
    action: str  # row_rejected | value_nulled
    error: str
    row_data: dict[str, Any]

    def message(self) -> str:
        where = f"{self.path}: row {self.row}"
        if self.column:
            where += f", column {self.column}"
        verb = "row rejected" if self.action == "row_rejected" else "value set to NULL"
        return f"{where}: {self.error} ({verb})"


@dataclass
class FileReport:
    kind: str
    path: str
    status: str  # imported | unchanged | failed | skipped
    rows_ok: int = 0
    rows_rejected: int = 0
    values_nulled: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "status": self.status,
            "rows_ok": self.rows_ok,
            "rows_rejected": self.rows_rejected,
            "values_nulled": self.values_nulled,
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
        return any(f.status == "failed" for f in self.files)

    def to_json(self) -> dict[str, Any]:
        return {"files": [f.to_json() for f in self.files], "left_alone": self.left_alone}


class RegistryFileError(ValueError):
    """A registry file that cannot be imported at all (the message names the file)."""


# --------------------------------------------------------------------------------------------
# Parsing values
# --------------------------------------------------------------------------------------------


def parse_date(text: str) -> date:
    """``YYYY-MM-DD`` (or with ``/``); a midnight timestamp (``2026-10-01 00:00:00``, as Excel
    and spreadsheet exports write dates) is read as its date."""
    t = text.strip().replace("/", "-")
    try:
        return date.fromisoformat(t)
    except ValueError:
        stamp = datetime.fromisoformat(t)  # still a ValueError when not a timestamp either
        if stamp.time() != datetime.min.time():
            raise ValueError(f"a date has no time of day: {text!r}") from None
        return stamp.date()


def parse_timestamp(text: str) -> datetime:
    t = text.strip().replace("/", "-")
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    value = datetime.fromisoformat(t)
    return value if value.tzinfo else value.replace(tzinfo=BEIJING)


def parse_int(text: str) -> int:
    f = float(text)
    if not f.is_integer():
        raise ValueError(f"not an integer: {text!r}")
    return int(f)


def parse_float(text: str) -> float:
    f = float(text)
    if not math.isfinite(f):
        raise ValueError(f"not a finite number: {text!r}")
    return f


def parse_month(text: str) -> date:
    """A month as its first day: ``YYYY-MM``, ``YYYY/MM``, ``YYYY年M月`` or the month's first
    day as a date (``YYYY-MM-01``, as Excel writes a month cell)."""
    t = text.strip().replace("/", "-").replace("年", "-").rstrip("月")
    parts = t.split("-")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        return date(int(parts[0]), int(parts[1]), 1)
    d = parse_date(t)
    if d.day != 1:
        raise ValueError(f"a month is YYYY-MM or its first day, not {text!r}")
    return d


_PARSERS: dict[str, Callable[[str], Any]] = {
    "month": parse_month,
    "int": parse_int,
    "float": parse_float,
    "date": parse_date,
    "timestamp": parse_timestamp,
}
_ARROW: dict[str, pa.DataType] = {
    "text": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "date": pa.date32(),
    "month": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}


def _cell(raw: Any) -> str | None:
    if raw is None:
        return None
    text = str(raw).strip()
    return text or None


def validate_rows(
    spec: FileSpec, path: str, rows: Iterable[tuple[int, dict[str, Any]]]
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    """Typed rows (with ``source_row``) and the problems found, for one file."""
    good: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[Any, ...], int] = {}
    for row_no, raw in rows:
        typed: dict[str, Any] = {"source_row": row_no}
        row_problems: list[RowProblem] = []
        rejected = False
        for col in spec.columns:
            text = _cell(raw.get(col.name))
            if text is None:
                if col.required:
                    row_problems.append(RowProblem(path, row_no, col.name, "row_rejected",
                                                   "required value is empty", raw))
                    rejected = True
                typed[col.name] = None
                continue
            if col.choices is not None and text not in col.choices:
                row_problems.append(RowProblem(
                    path, row_no, col.name, "row_rejected",
                    f"{text!r} is not one of {sorted(col.choices)}", raw))
                rejected = True
                typed[col.name] = None
                continue
            parser = _PARSERS.get(col.type)
            if parser is None:
                typed[col.name] = text
                continue
            try:
                typed[col.name] = parser(text)
            except (ValueError, OverflowError) as exc:
                hard = col.required or col.strict
                action = "row_rejected" if hard else "value_nulled"
                rejected = rejected or hard
                row_problems.append(RowProblem(
                    path, row_no, col.name, action, f"cannot read {text!r} as {col.type}: {exc}",
                    raw))
                typed[col.name] = None
        vf, vt = typed.get("valid_from"), typed.get("valid_to")
        if not rejected and vf is not None and vt is not None and vt < vf:
            row_problems.append(RowProblem(path, row_no, "valid_to", "row_rejected",
                                           f"valid_to {vt} is before valid_from {vf}", raw))
            rejected = True
        ld, rd = typed.get("loss_date"), typed.get("report_date")
        if not rejected and ld is not None and rd is not None and rd < ld:
            row_problems.append(RowProblem(path, row_no, "report_date", "row_rejected",
                                           f"report_date {rd} is before loss_date {ld}", raw))
            rejected = True
        if not rejected and spec.key:
            key = tuple(typed.get(k) for k in spec.key)
            if key in seen:
                row_problems.append(RowProblem(
                    path, row_no, spec.key[0], "row_rejected",
                    f"duplicate key ({', '.join(f'{k}={v}' for k, v in zip(spec.key, key, strict=True))}) "
                    f"(first at row {seen[key]})",
                    raw))
                rejected = True
            else:
                seen[key] = row_no
        if rejected:
            # a rejected row is reported by its rejecting problems only
            problems.extend(p for p in row_problems if p.action == "row_rejected")
        else:
            problems.extend(row_problems)
            good.append(typed)
    return good, problems


# --------------------------------------------------------------------------------------------
# Reading files
# --------------------------------------------------------------------------------------------


def _read_csv(data: bytes, path: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RegistryFileError(f"{path}: not UTF-8 at byte {exc.start}") from exc
    return parse_csv_text(text, path)


def parse_csv_text(text: str, path: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and ``(row number, {column: text})`` records of decoded CSV text; the header
    is row 1, a record's row is the line it starts on, blank lines are skipped, a record
    whose width differs from the header's carries ``__width_error__``."""
    header, records = iter_csv_text(text, path)
    return header, list(records)


def iter_csv_text(text: str, path: str
                  ) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """:func:`parse_csv_text` with the records as an iterator (bounded memory)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RegistryFileError(f"{path}: empty file (no header row)") from None

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        prev_line = reader.line_num
        for values in reader:
            i, prev_line = prev_line + 1, reader.line_num  # row = line where the record starts
            if not values or all(not v.strip() for v in values):
                continue
            row: dict[str, Any] = dict(zip(header, values, strict=False))
            if len(values) != len(header):
                row["__width_error__"] = f"{len(values)} fields, header has {len(header)}"
            yield i, row

    return header, records()


def _read_xlsx(path: Path) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    import openpyxl  # optional dependency

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        raise RegistryFileError(f"{path}: not a readable Excel workbook ({exc})") from exc
    if not wb.worksheets:
        raise RegistryFileError(f"{path}: no worksheet")
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(it)]
    except StopIteration:
        raise RegistryFileError(f"{path}: empty sheet (no header row)") from None
    rows: list[tuple[int, dict[str, Any]]] = []
    for i, values in enumerate(it, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        row = {h: _xlsx_value(v) for h, v in zip(header, values, strict=False)}
        rows.append((i, row))
    return header, rows


def _xlsx_value(v: Any) -> str:
    """A cell as the text the same cell has in a CSV export (the validation reads text):
    empty for blank, ISO dates, whole numbers without ``.0`` (phone numbers typed as numbers
    in Excel keep their digits; a leading 0 is lost there and terminal keys ignore it)."""
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_geojson(data: bytes, path: str, spec: FileSpec) -> list[tuple[int, dict[str, Any]]]:
    from shapely.geometry import shape

    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RegistryFileError(f"{path}: not valid GeoJSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise RegistryFileError(f"{path}: expected a GeoJSON FeatureCollection")
    rows: list[tuple[int, dict[str, Any]]] = []
    for i, feat in enumerate(doc.get("features") or [], start=1):
        props = dict((feat or {}).get("properties") or {})
        row: dict[str, Any] = {k: (None if v is None else str(v)) for k, v in props.items()}
        row["__properties__"] = props
        geom = (feat or {}).get("geometry")
        try:
            g = shape(geom) if geom else None
        except Exception as exc:  # shapely raises several types on bad input
            row["__geometry_error__"] = f"unreadable geometry: {exc}"
            g = None
        if g is None and "__geometry_error__" not in row:
            row["__geometry_error__"] = "feature has no geometry"
        elif g is not None:
            if g.geom_type not in spec.geometry_types:
                row["__geometry_error__"] = (
                    f"geometry is {g.geom_type}, expected {' or '.join(spec.geometry_types)}")
            elif g.is_empty:
                row["__geometry_error__"] = "geometry is empty"
            else:
                row["__wkt__"] = g.wkt
                if not g.is_valid:
                    row["__geometry_warning__"] = "geometry is not valid (self-intersection?)"
        rows.append((i, row))
    return rows


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


def find_registry_files(folder: Path) -> tuple[list[tuple[FileSpec, Path]], list[str], list[str]]:
    """(spec, path) pairs found under ``folder``, files left alone, and warnings."""
    found: list[tuple[FileSpec, Path]] = []
    warnings: list[str] = []
    used: set[Path] = set()
    try:
        import openpyxl  # noqa: F401

        have_xlsx = True
    except ImportError:
        have_xlsx = False
    for spec in SPECS:
        names = [spec.filename] if spec.geo else [f"{spec.filename}.csv", f"{spec.filename}.xlsx"]
        hits = [
            folder / sub / name
            for sub in SEARCH_SUBDIRS
            for name in names
            if (folder / sub / name).is_file()
        ]
        for h in hits:
            used.add(h.resolve())
        if h_csv := [h for h in hits if h.suffix != ".xlsx"]:
            if len(hits) > 1:
                warnings.append(f"{spec.kind}: several files {[str(h) for h in hits]}; "
                                f"importing {h_csv[0]}")
            found.append((spec, h_csv[0]))
        elif hits:
            if have_xlsx:
                found.append((spec, hits[0]))
            else:
                warnings.append(f"{hits[0]}: Excel file not imported: openpyxl is not installed "
                                f"(export it as CSV, or `pip install openpyxl`)")
    left = []
    for sub in SEARCH_SUBDIRS:
        d = folder / sub
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.resolve() not in used:
                    left.append(str(p))
    return found, left, warnings


def import_registry(
    con: duckdb.DuckDBPyConnection, folder: str | Path, *, force: bool = False
) -> ImportReport:
    """Import every registry file found in ``folder`` (or its registry/, logs/, insurance/)."""
    folder = Path(folder)
    report = ImportReport()
    if not folder.is_dir():
        report.files.append(FileReport("?", str(folder), "failed",
                                       error=f"{folder}: not a directory"))
        return report
    found, left, warnings = find_registry_files(folder)
    report.left_alone = left
    record_left_alone(con, left, "registry import")
    if warnings:
        report.files.append(FileReport("-", str(folder), "skipped", warnings=warnings))
    vehicles_changed = False
    for spec, path in found:
        fr = import_file(con, spec, path, force=force, resolve=False)
        report.files.append(fr)
        vehicles_changed |= spec.kind == "vehicles" and fr.status == "imported"
    if vehicles_changed:
        con.execute("BEGIN TRANSACTION")
        try:
            resolve_terminals(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return report


def import_file(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    *,
    force: bool = False,
    resolve: bool = True,
) -> FileReport:
    """Import one registry file in one transaction (replacing the previous import)."""
    if spec.table not in TABLES:  # pragma: no cover - specs are static
        raise AssertionError(spec.table)
    fr = FileReport(spec.kind, str(path), "imported")
    try:
        data = path.read_bytes()
    except OSError as exc:
        fr.status, fr.error = "failed", f"{path}: cannot read: {exc.strerror or exc}"
        return fr
    sha = hashlib.sha256(data).hexdigest()
    last = con.execute(
        "SELECT sha256 FROM meta.registry_imports WHERE kind = $k "
        "ORDER BY import_id DESC LIMIT 1",
        {"k": spec.kind},
    ).fetchall()
    if last and last[0][0] == sha and not force:
        fr.status = "unchanged"
        fr.warnings.append(f"{path}: same content as the last {spec.kind} import; skipped")
        return fr
    try:
        if spec.geo:
            raw_rows = _read_geojson(data, str(path), spec)
        elif path.suffix == ".xlsx":
            header, raw_rows = _read_xlsx(path)
            _check_header(spec, header, str(path), fr)
        else:
            header, raw_rows = _read_csv(data, str(path))
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
    _write(con, spec, path, sha, good, problems, fr, resolve=resolve)
    return fr


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
        elif "__geometry_error__" in r:
            out.append(RowProblem(path, n, "geometry", "row_rejected", r["__geometry_error__"], r))
    return out


def _write(
    con: duckdb.DuckDBPyConnection,
    spec: FileSpec,
    path: Path,
    sha: str,
    good: list[dict[str, Any]],
    problems: list[RowProblem],
    fr: FileReport,
    *,
    resolve: bool,
) -> None:
    cols = spec.column_names + ["import_id", "source_row"]
    if spec.geo:
        cols += ["geometry_wkt", "properties_json"]
        if spec.discriminator:
            cols.append("kind")
    types = {c.name: _ARROW[c.type] for c in spec.columns}
    con.execute("BEGIN TRANSACTION")
    try:
        (import_id,) = con.execute(
            "SELECT coalesce(max(import_id), 0) + 1 FROM meta.registry_imports"
        ).fetchall()[0]
        arrays = []
        for c in cols:
            if c == "import_id":
                arrays.append(pa.array([import_id] * len(good), pa.int32()))
            elif c == "source_row":
                arrays.append(pa.array([r["source_row"] for r in good], pa.int32()))
            else:
                arrays.append(pa.array([r.get(c) for r in good], types.get(c, pa.string())))
        con.register("_registry_staged", pa.table(arrays, names=cols))
        # spec.table and column names come from the static SPECS whitelist, never from input.
        if spec.discriminator:
            con.execute(f"DELETE FROM {spec.table} WHERE kind = $k", {"k": spec.discriminator})
        else:
            con.execute(f"DELETE FROM {spec.table}")
        col_list = ", ".join(cols)
        con.execute(f"INSERT INTO {spec.table} ({col_list}) SELECT {col_list} FROM _registry_staged")
        con.unregister("_registry_staged")
        con.execute(
            "DELETE FROM quarantine.registry_rejects WHERE kind = $k", {"k": spec.kind}
        )
        if problems:
            con.register("_registry_rejects", pa.table({
                "import_id": pa.array([import_id] * len(problems), pa.int32()),
                "kind": [spec.kind] * len(problems),
                "path": [str(path)] * len(problems),
                "row_number": pa.array([p.row for p in problems], pa.int32()),
                "action": [p.action for p in problems],
                "column_name": [p.column for p in problems],
                "error": [p.error for p in problems],
                "row_json": [
                    json.dumps({k: v for k, v in p.row_data.items() if not k.startswith("__")},
                               ensure_ascii=False, default=str)
                    for p in problems
                ],
            }))
            con.execute(
                "INSERT INTO quarantine.registry_rejects "
                "SELECT import_id, kind, path, row_number, action, column_name, error, row_json "
                "FROM _registry_rejects"
            )
            con.unregister("_registry_rejects")
        con.execute(
            "INSERT INTO meta.registry_imports VALUES ($id, $k, $p, $s, $ok, $bad, now())",
            {"id": import_id, "k": spec.kind, "p": str(path), "s": sha,
             "ok": fr.rows_ok, "bad": fr.rows_rejected},
        )
        if resolve and spec.kind == "vehicles":
            resolve_terminals(con)
        con.execute("COMMIT")
    except Exception as exc:
        con.execute("ROLLBACK")
        fr.status, fr.error = "failed", f"{path}: import failed: {exc}"
