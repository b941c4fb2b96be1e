"""``hazrisk decode``: the frame explainer (JSON Lines or a compact table)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from hazrisk.cliutil import fail, usage
from hazrisk.jt808.messages import MESSAGES
from hazrisk.jt808.record import Record
from hazrisk.jt808.stream import FORMATS, iter_records

_TABLE_HEAD = (
    f"{'offset':>10} {'length':>6} {'line':>6} {'status':<8} {'msg':<6} {'phone':<20} "
    f"{'serial':>6} {'ver':<4} explanation\n"
)


def register(subparsers: Any) -> None:
    """Add ``decode FILE [--format jsonl|table] [--strict] [--input-format ...]``."""
    p = subparsers.add_parser(
        "decode",
        help="explain a JT/T 808 dump frame by frame (JSON Lines or a table)",
        description=(
            "Decode a raw binary JT/T 808 stream or a gateway hex log (gzip or not) and print "
            "one record per frame, garbage span or reassembled message: JSON Lines with the "
            "keys documented in the README, or a compact table. Every input byte is in "
            "exactly one record."
        ),
    )
    p.add_argument("file", metavar="FILE", help="dump to decode (raw, hex log, or gzip of either)")
    p.add_argument(
        "--format", choices=("jsonl", "table"), default="jsonl",
        help="output: JSON Lines (default) or a human table",
    )
    p.add_argument(
        "--strict", action="store_true",
        help="stop with exit code 1 at the first rejected frame, naming file and offset",
    )
    p.add_argument(
        "--input-format", choices=FORMATS, default="auto",
        help="input format (default: detect raw binary vs hex log; gzip always detected)",
    )
    p.set_defaults(func=run, command_name="decode")


def run(args: argparse.Namespace) -> int:
    path = args.file
    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        usage(f"cannot open {path}: {exc.strerror or exc}")
    out = sys.stdout
    table = args.format == "table"
    if table:
        out.write(_TABLE_HEAD)
    try:
        for rec in iter_records(path, fmt=args.input_format):
            out.write(table_row(rec) if table else json_line(rec))
            if args.strict and rec.status == "rejected":
                where = f"offset {rec.offset}" + (f" (line {rec.line})" if rec.line else "")
                out.flush()
                fail(f"{path}: {where}: rejected frame: {rec.reason}"
                     f"{': ' + rec.detail if rec.detail else ''}")
    except OSError as exc:
        usage(f"cannot read {path}: {exc.strerror or exc}")
    out.flush()
    return 0


def json_line(rec: Record) -> str:
    """One JSON object (raw body hex only for records without a decoded body)."""
    obj = rec.to_json(raw=rec.body is None and rec.raw_body is not None)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n"


def table_row(rec: Record) -> str:
    msg = f"{rec.msg_id:04X}" if rec.msg_id is not None else "-"
    line = str(rec.line) if rec.line is not None else "-"
    row = (
        f"{rec.offset:>10} {rec.length:>6} {line:>6} {rec.status:<8} {msg:<6} "
        f"{rec.phone or '-':<20} {rec.serial if rec.serial is not None else '-':>6} "
        f"{rec.version or '-'!s:<4} {explain(rec)}"
    )
    return row + "\n"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _location(loc: dict[str, Any]) -> str:
    when = _fmt(loc["device_time"]) if loc.get("device_time") else f"bcd:{loc.get('device_time_bcd')}"
    items = ",".join(loc.get("items", {}))
    text = (
        f"{loc['lat_deg']:.6f},{loc['lon_deg']:.6f} {loc['speed_kmh']:g}km/h "
        f"{loc['heading_deg']}° {loc['altitude_m']}m {when}"
    )
    return f"{text} items[{items}]" if items else text


def explain(rec: Record) -> str:
    """A one-line human explanation of a record."""
    if rec.status == "garbage":
        return "garbage bytes between frames"
    if rec.status == "rejected":
        return f"REJECTED {rec.reason}: {rec.detail or ''}".rstrip(": ")
    spec = MESSAGES.get(rec.msg_id) if rec.msg_id is not None else None
    name = spec.name if spec else "unknown"
    parts = [name]
    if rec.reassembled_from is not None:
        parts.append(f"reassembled from {len(rec.reassembled_from)} subpackages")
    body = rec.body
    if body is None and rec.subpackage:
        parts.append(f"subpackage {rec.subpackage['index']}/{rec.subpackage['total']}")
    elif body is not None:
        if rec.msg_id == 0x0200:
            parts.append(_location(body))
        elif rec.msg_id == 0x0704:
            kind = "backfill" if body["batch_type"] == 1 else "normal"
            parts.append(f"{len(body['positions'])} positions ({kind})")
        else:
            scalars = [
                f"{k}={_fmt(v)}" for k, v in body.items() if not isinstance(v, dict | list)
            ]
            scalars += [f"{k}[{len(v)}]" for k, v in body.items() if isinstance(v, dict | list)]
            text = " ".join(scalars)
            if text:
                parts.append(text if len(text) <= 100 else text[:97] + "...")
    if rec.quality:
        parts.append("quality: " + ",".join(rec.quality))
    return " ".join(parts)
