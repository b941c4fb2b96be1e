"""Reading registry files: CSV (UTF-8 or GBK/GB18030), Excel and GeoJSON into raw rows.

Each reader returns ``(row_number, {column: text})`` pairs, rows numbered as the user sees them
(CSV/Excel: the header is row 1; GeoJSON: 1-based feature index). Problems that concern one row
(a wrong field count, an oversized cell, a malformed feature) are attached to that row under
``__*_error__`` keys and reject it later; problems that concern the whole file raise
:class:`RegistryFileError` with a one-line message naming the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from hazrisk.store.registry_specs import SPECS, FileSpec

SEARCH_SUBDIRS = ("", "registry", "logs", "insurance")
#: Default longest cell (conf ``[registry] max_cell_chars`` is what import uses).
MAX_CELL_CHARS = 131072


class RegistryFileError(ValueError):
    """A registry file that cannot be imported at all (the message names the file)."""


#: Encodings tried in order when none is given: UTF-8 (a BOM tolerated), then GB18030 (the
#: superset of GBK that Excel on Chinese Windows writes as "CSV (逗号分隔)").
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")
RESAVE_HINT = ("re-save it in Excel as \"CSV UTF-8 (逗号分隔)(*.csv)\", or give --encoding "
               "(e.g. gbk)")


def decode_text(data: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """The text of a registry file and the encoding used.

    With ``encoding`` that codec is used; otherwise UTF-8, then GB18030 (GBK) when the bytes
    are not UTF-8 - unless they read as UTF-8 nearly everywhere (:func:`_mostly_utf8`): a
    UTF-8 file with a damaged byte is reported, not read as GBK mojibake. An undecodable file raises
    :class:`RegistryFileError` naming the file, row (line) and column of the first bad byte.
    """
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise RegistryFileError(f"{path}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise RegistryFileError(_undecodable(data, path, exc, encoding)) from None
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _mostly_utf8(data):  # a UTF-8 file with a damaged byte, not GBK
        raise RegistryFileError(_undecodable(data, path, utf8_error, "UTF-8"))
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:  # name the spot of the encoding that read further
        if utf8_error.start >= exc.start:
            raise RegistryFileError(_undecodable(
                data, path, utf8_error, "UTF-8 (nor as GBK/GB18030)")) from None
        raise RegistryFileError(_undecodable(
            data, path, exc, "GBK/GB18030 (nor as UTF-8)")) from None


def _mostly_utf8(data: bytes) -> bool:
    """Whether bytes that are not all UTF-8 still read as UTF-8 nearly everywhere: at least
    four characters beyond ASCII decode for every byte that does not. GBK text misread as
    UTF-8 fails on most of its characters (about one in five common hanzi happens to be valid
    UTF-8, e.g. 专业, so the first characters alone decide nothing)."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    wide = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return wide >= 4 * max(bad, 1)


def _undecodable(data: bytes, path: str, exc: UnicodeDecodeError, tried: str) -> str:
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    row = data.count(b"\n", 0, exc.start) + 1
    header = data[:data.find(b"\n")].decode("ascii", errors="replace").strip().split(",")
    before = data[line_start:exc.start].decode("ascii", errors="replace")
    col_index = before.count(",")  # quoted commas are rare in the columns that hold text
    column = header[col_index].strip() if col_index < len(header) else f"#{col_index + 1}"
    return (f"{path}: row {row}, column {column}: byte 0x{data[exc.start]:02x} cannot be read "
            f"as {tried}; {RESAVE_HINT}")


def _read_csv(data: bytes, path: str, *, encoding: str | None = None,
              max_cell_chars: int = MAX_CELL_CHARS
              ) -> tuple[list[str], list[tuple[int, dict[str, Any]]], str]:
    """(header, rows, encoding used) of a CSV file."""
    text, used = decode_text(data, path, encoding)
    header, rows = parse_csv_text(text, path, max_cell_chars=max_cell_chars)
    return header, rows, used


def parse_csv_text(text: str, path: str, *, max_cell_chars: int = MAX_CELL_CHARS
                   ) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    """Header and ``(row number, {column: text})`` records of decoded CSV text; the header
    is row 1, a record's row is the line it starts on, blank lines are skipped, a record
    whose width differs from the header's carries ``__width_error__`` (naming a quote that
    is never closed), one with an oversized cell ``__cell_error__``."""
    header, records = iter_csv_text(text, path, max_cell_chars=max_cell_chars)
    return header, list(records)


def iter_csv_text(text: str, path: str, *, max_cell_chars: int = MAX_CELL_CHARS
                  ) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """:func:`parse_csv_text` with the records as an iterator (bounded memory)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # Cells are judged against max_cell_chars below; csv's own limit (131,072 by default)
    # would raise on the first long cell and lose the rest of the file. Process-wide, only
    # ever raised.
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise RegistryFileError(f"{path}: empty file (no header row)") from None
    except csv.Error as exc:
        raise RegistryFileError(f"{path}: row 1: unreadable header ({exc})") from None

    def records() -> Iterator[tuple[int, dict[str, Any]]]:
        prev_line = reader.line_num
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a NUL byte
                yield prev_line + 1, {"__width_error__": f"unreadable CSV record ({exc})"}
                prev_line = reader.line_num
                continue
            i, prev_line = prev_line + 1, reader.line_num  # row = line where the record starts
            if not values or all(not v.strip() for v in values):
                continue
            yield i, _csv_row(header, values, i, prev_line, max_cell_chars)

    return header, records()


def _csv_row(header: list[str], values: list[str], first_line: int, last_line: int,
             max_cell_chars: int) -> dict[str, Any]:
    row: dict[str, Any] = dict(zip(header, values, strict=False))
    if len(values) != len(header):
        msg = f"{len(values)} fields, header has {len(header)}"
        if last_line > first_line + 1 and any("\n" in v for v in values):
            msg += (f"; a quote (\") opened in this row is never closed and swallows lines "
                    f"{first_line}-{last_line}")
        row["__width_error__"] = msg
    oversized_cell(row, header, max_cell_chars)
    return row


def oversized_cell(row: dict[str, Any], names: list[str], max_cell_chars: int) -> None:
    """Mark ``row`` rejected when one of its cells exceeds ``max_cell_chars`` characters."""
    for name in names:
        value = row.get(name)
        if isinstance(value, str) and len(value) > max_cell_chars:
            row["__cell_error__"] = (name, f"cell of {len(value):,} characters exceeds the "
                                           f"{max_cell_chars:,} limit (registry.max_cell_chars)")
            return


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


def _read_geojson(data: bytes, path: str, spec: FileSpec, *,
                  max_cell_chars: int = MAX_CELL_CHARS) -> list[tuple[int, dict[str, Any]]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise RegistryFileError(f"{path}: not UTF-8 at byte {exc.start} (GeoJSON is UTF-8 by "
                                "definition, RFC 7946 §11)") from None
    except json.JSONDecodeError as exc:
        raise RegistryFileError(f"{path}: not valid GeoJSON: {exc}") from None
    except RecursionError:
        raise RegistryFileError(f"{path}: not valid GeoJSON: nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise RegistryFileError(f"{path}: expected a GeoJSON FeatureCollection")
    features = doc.get("features") or []
    if not isinstance(features, list):
        raise RegistryFileError(f"{path}: \"features\" is not a list")
    return [(i, _feature_row(feat, spec, max_cell_chars))
            for i, feat in enumerate(features, start=1)]


def _feature_row(feat: Any, spec: FileSpec, max_cell_chars: int) -> dict[str, Any]:
    """One feature as a raw row; a malformed feature becomes a row with its error."""
    if not isinstance(feat, dict):
        return {"__geometry_error__": f"feature is a JSON {type(feat).__name__}, not an object",
                "feature": feat}
    props = feat.get("properties") or {}
    if not isinstance(props, dict):
        return {"__geometry_error__": "feature properties are not an object",
                "properties": props}
    row: dict[str, Any] = {k: (None if v is None else str(v)) for k, v in props.items()}
    row["__properties__"] = props
    oversized_cell(row, list(props), max_cell_chars)
    error, warning, wkt = _geometry(feat.get("geometry"), spec)
    if error:
        row["__geometry_error__"] = error
    else:
        row["__wkt__"] = wkt
        if warning:
            row["__geometry_warning__"] = warning
    return row


def _geometry(geom: Any, spec: FileSpec) -> tuple[str | None, str | None, str | None]:
    """(error, warning, wkt) of a feature's geometry."""
    from shapely.geometry import shape

    if not geom:
        return "feature has no geometry", None, None
    try:
        g = shape(geom)
        kind, empty = g.geom_type, g.is_empty
        if kind in spec.geometry_types and not empty:
            return None, (None if g.is_valid else "geometry is not valid (self-intersection?)"), g.wkt
    except Exception as exc:  # noqa: BLE001 - shapely/GEOS raise many types on bad input
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"unreadable geometry: {text}", None, None
    if kind not in spec.geometry_types:
        return f"geometry is {kind}, expected {' or '.join(spec.geometry_types)}", None, None
    return "geometry is empty", None, None


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
