"""Registry file specifications and row validation (``hazrisk registry import``).

Each file (README "Registry files") has a spec: its table, its columns with types, its key and
closed value sets. Rows are validated one by one (registries are small); a row missing its key,
repeating a key, with an inverted validity interval or a value outside a closed set is
**rejected**; an unparsable optional value is **nulled** and the row kept (so the conformance
rates still see, e.g., a vehicle with a bad tonnage).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from hazrisk.localtime import BEIJING


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
              Col("valid_from", "date", strict=True), Col("valid_to", "date", strict=True),
              Col("build_year", "int")),
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
