"""``hazrisk decode``: JSON Lines, table, strict mode, exit codes."""

from __future__ import annotations

import argparse
import gzip
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pytest

from hazrisk.cli import run_command
from hazrisk.jt808 import BEIJING, encode_message, encode_subpackages
from hazrisk.jt808.cli import register


def main(argv: Sequence[str]) -> int:
    """``hazrisk`` with only this area's subcommand (other areas may be mid-edit)."""
    parser = argparse.ArgumentParser(prog="hazrisk")
    register(parser.add_subparsers(title="commands", metavar="COMMAND"))
    args = parser.parse_args(argv)
    return run_command(args.func, args)


T0 = datetime(2026, 10, 1, 8, tzinfo=BEIJING)
LOC = {"alarm": 0, "status": 3, "lat_deg": 30.274084, "lon_deg": 120.15507, "altitude_m": 15,
       "speed_kmh": 65.2, "heading_deg": 90, "device_time": T0,
       "items": {"0x01": {"mileage_km": 12.5}, "0x30": {"rssi": 20}}}
OK = encode_message(0x0200, LOC, phone="13800000001", serial=1)
BAD = OK[:-2] + bytes([OK[-2] ^ 1]) + OK[-1:]
KEYS = ["offset", "length", "status", "reason", "quality", "msg_id", "phone", "serial",
        "version", "subpackage", "recv_time", "body"]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = encode_subpackages(0x0801, {"media_id": 1, "media_type": 0, "media_format": 0,
                                        "event": 1, "channel": 1,
                                        "location": {k: v for k, v in LOC.items() if k != "items"},
                                        "data_hex": "ff" * 1200}, phone="13800000001", serial=5)
    data = b"zz" + OK + BAD + b"".join(parts)
    path = tmp_path / "dump.bin"
    path.write_bytes(data)
    code, out, err = run(["decode", str(path)], capsys)
    assert code == 0 and err == ""
    objs = [json.loads(line) for line in out.splitlines()]
    assert [o["status"] for o in objs] == ["garbage", "ok", "rejected", "ok", "ok", "ok"]
    assert sum(o["length"] for o in objs) == len(data)
    for o in objs:
        assert list(o)[: len(KEYS)] == KEYS
    loc = objs[1]
    assert loc["msg_id"] == 0x0200 and loc["phone"] == "013800000001" and loc["version"] == 2013
    assert loc["body"]["device_time"] == "2026-10-01T08:00:00+08:00"
    assert loc["body"]["items"]["0x01"] == {"mileage_km": 12.5}
    assert objs[2]["reason"] == "bad_checksum" and objs[2]["raw_body"]  # rejected: raw kept
    assert "raw_body" not in loc
    assert objs[3]["subpackage"] == {"total": 2, "index": 1} and objs[3]["body"] is None
    joined = objs[5]
    assert joined["reassembled_from"] == [objs[3]["offset"], objs[4]["offset"]]
    assert joined["length"] == 0 and joined["body"]["data_hex"] == "ff" * 1200


def test_table_and_hex_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gw.log.gz"
    path.write_bytes(gzip.compress(f"2026-10-01 08:00:01.500 RECV {OK.hex()}\nnoise\n".encode()))
    code, out, _ = run(["decode", str(path), "--format", "table"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["offset", "length", "line", "status"]
    assert "location 30.274084,120.155070 65.2km/h" in lines[1] and " 1 ok " in lines[1]
    assert "garbage" in lines[2]
    code, out, _ = run(["decode", str(path), "--input-format", "hexlog"], capsys)
    first = json.loads(out.splitlines()[0])
    assert first["recv_time"] == "2026-10-01T08:00:01.500000+08:00" and first["line"] == 1


def test_strict_stops_at_the_first_rejected_frame(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "dump.bin"
    path.write_bytes(OK + BAD + OK)
    code, out, err = run(["decode", str(path), "--strict"], capsys)
    assert code == 1
    assert len(out.splitlines()) == 2
    assert str(path) in err and f"offset {len(OK)}" in err and "bad_checksum" in err
    assert "check_code" in err and err.count("\n") == 1
    path.write_bytes(OK + OK)
    assert run(["decode", str(path), "--strict"], capsys)[0] == 0


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.bin"
    code, out, err = run(["decode", str(missing)], capsys)
    assert code == 2 and out == ""
    assert str(missing) in err and err.count("\n") == 1


def test_help_mentions_decode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["decode", "--help"])
    out = capsys.readouterr().out
    assert "--strict" in out and "--input-format" in out and "jsonl" in out
