"""Bad input, as careless users give it: every warehouse command answers with its documented
exit code and one line naming the path and the cause, never a traceback, and changes nothing
stored (the warehouse's tables and the published snapshot are hashed before and after)."""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from store_testkit import VEHICLE_HEADER, mixed_stream, vehicle_row, write_csv

from hazrisk.cli import main as hazrisk_main

REPO = Path(__file__).resolve().parents[2]
ENTERPRISES = "enterprise_id,name,city,license_no,safety_manager,safety_manager_phone"


def _vehicles(n: int) -> list[str]:
    return [vehicle_row(f"V{i:05d}", f"139{i:08d}") for i in range(1, n + 1)]


def table_state(db: Path) -> dict[str, tuple[int, int | None]]:
    """(rows, content hash) of every base table of a DuckDB file, read without writing."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() "
                             "WHERE NOT internal ORDER BY 1, 2").fetchall()
        return {f"{s}.{t}": tuple(con.execute(  # type: ignore[misc]
            f'SELECT count(*), sum(hash(x)) FROM "{s}"."{t}" AS x').fetchall()[0])
            for s, t in tables}
    finally:
        con.close()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def world() -> Iterator[dict[str, Path]]:
    """A warehouse with a registry and one dump, its published snapshot, good registry files;
    in a folder an unprivileged user can read (the read-only cases drop root)."""
    base = Path(tempfile.mkdtemp(prefix="hazrisk-bad-input-"))
    os.chmod(base, 0o755)
    reg = base / "good"
    write_csv(reg / "registry" / "vehicles.csv", VEHICLE_HEADER, _vehicles(20))
    write_csv(reg / "registry" / "enterprises.csv", ENTERPRISES, ["E01,甲公司,杭州,,,"])
    dump = mixed_stream().write(base / "dumps" / "P01" / "2026-10-01.bin")
    db = base / "w.duckdb"
    assert hazrisk_main(["registry", "import", str(reg), "--db", str(db)]) == 0
    assert hazrisk_main(["ingest", str(dump), "--db", str(db), "--no-progress"]) == 0
    snap = base / "published.duckdb"
    assert hazrisk_main(["publish", "--db", str(db), "--out", str(snap)]) == 0
    (base / "not_duckdb.duckdb").write_text("id,name\n1,x\n")
    other = duckdb.connect(str(base / "other_app.duckdb"))  # another application's database
    other.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
    other.close()
    (base / "a_file").write_text("x")
    ro = base / "readonly"
    ro.mkdir()
    os.chmod(ro, 0o555)
    for p in base.rglob("*"):
        if p.is_dir() and p != ro:
            os.chmod(p, 0o777)
        elif p.is_file():
            os.chmod(p, 0o644 if p != snap else 0o444)
    yield {"base": base, "db": db, "snap": snap, "good": reg, "ro": ro}
    shutil.rmtree(base, ignore_errors=True)


def _registry(base: Path, name: str, files: dict[str, bytes]) -> Path:
    folder = base / "bad" / name
    shutil.rmtree(folder, ignore_errors=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _csv(rows: list[str], header: str = VEHICLE_HEADER) -> bytes:
    return (header + "\n" + "".join(r + "\n" for r in rows)).encode()


Case = Callable[[dict[str, Path]], list[str]]

#: (id, argv builder, exit code, text the one line must contain)
CASES: list[tuple[str, Case, int, str]] = [
    ("registry_header_only", lambda w: ["registry", "import", str(_registry(
        w["base"], "h", {"registry/vehicles.csv": _csv([])})), "--db", str(w["db"])],
     1, "nothing imported"),
    ("registry_all_rejected", lambda w: ["registry", "import", str(_registry(
        w["base"], "r", {"registry/vehicles.csv": _csv([",x"] * 20)})), "--db", str(w["db"])],
     1, "nothing imported"),
    ("registry_broken_quote", lambda w: ["registry", "import", str(_registry(
        w["base"], "q", {"registry/vehicles.csv": _csv(_vehicles(2) + ['V3,"13900000003']
                                                       + _vehicles(20)[3:])})),
        "--db", str(w["db"])], 1, "nothing imported"),
    ("registry_undecodable", lambda w: ["registry", "import", str(_registry(
        w["base"], "u", {"registry/enterprises.csv": ENTERPRISES.encode()
                         + "\nE01,甲公司,".encode() + b"\xff\xfe,,,\n"})),
        "--db", str(w["db"])], 1, "nothing imported"),
    ("registry_bad_geojson", lambda w: ["registry", "import", str(_registry(
        w["base"], "g", {"registry/roads.geojson": b'{"type": "FeatureCollection", "feat'})),
        "--db", str(w["db"])], 1, "nothing imported"),
    ("registry_refused_on_a_new_db", lambda w: ["registry", "import", str(_registry(
        w["base"], "n", {"registry/vehicles.csv": _csv([",x"] * 3)})), "--db",
        str(w["base"] / "new.duckdb")], 1, "nothing imported"),
    ("ingest_nothing_readable_new_db", lambda w: ["ingest", str(_registry(
        w["base"], "p", {"picture.bin": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4})),
        "--db", str(w["base"] / "new.duckdb"), "--no-progress"], 1, "no valid JT/T 808 frame"),
    ("registry_no_registry_files", lambda w: ["registry", "import", str(_registry(
        w["base"], "e", {"notes.txt": b"x"})), "--db", str(w["base"] / "new.duckdb")],
     1, "no registry files found"),
    ("ingest_no_dumps", lambda w: ["ingest", str(_registry(w["base"], "d", {"notes.csv": b"x"})),
                                   "--db", str(w["base"] / "new.duckdb"), "--no-progress"],
     1, "no dump files found"),
    ("registry_not_a_folder", lambda w: ["registry", "import", str(w["base"] / "nowhere"),
                                         "--db", str(w["db"])], 2, "no such folder"),
    ("registry_db_snapshot", lambda w: ["registry", "import", str(w["good"]), "--db",
                                        str(w["snap"])], 2, "published snapshot"),
    ("registry_db_not_duckdb", lambda w: ["registry", "import", str(w["good"]), "--db",
                                          str(w["base"] / "not_duckdb.duckdb")],
     2, "cannot open as a hazrisk warehouse"),
    ("ingest_db_snapshot", lambda w: ["ingest", str(w["base"] / "dumps"), "--db", str(w["snap"]),
                                      "--no-progress"], 2, "published snapshot"),
    ("ingest_db_not_duckdb", lambda w: ["ingest", str(w["base"] / "dumps"), "--db",
                                        str(w["base"] / "not_duckdb.duckdb"), "--no-progress"],
     2, "cannot open as a hazrisk warehouse"),
    ("ingest_db_other_app", lambda w: ["ingest", str(w["base"] / "dumps"), "--db",
                                       str(w["base"] / "other_app.duckdb"), "--no-progress"],
     2, "not a hazrisk warehouse"),
    ("registry_db_other_app", lambda w: ["registry", "import", str(w["good"]), "--db",
                                         str(w["base"] / "other_app.duckdb")],
     2, "not a hazrisk warehouse"),
    ("retain_db_other_app", lambda w: ["retain", "--db", str(w["base"] / "other_app.duckdb"),
                                       "--as-of", "2026-10-15"], 2, "not a hazrisk warehouse"),
    ("ingest_db_missing_folder", lambda w: ["ingest", str(w["base"] / "dumps"), "--db",
                                            str(w["base"] / "typo" / "w.duckdb"),
                                            "--no-progress"], 2, "no such folder"),
    ("ingest_db_is_folder", lambda w: ["ingest", str(w["base"] / "dumps"), "--db",
                                       str(w["base"] / "dumps"), "--no-progress"],
     2, "is a folder"),
    ("retain_db_missing", lambda w: ["retain", "--db", str(w["base"] / "wherehouse.duckdb"),
                                     "--as-of", "2026-10-15"], 2, "no such file"),
    ("retain_bad_date", lambda w: ["retain", "--db", str(w["db"]), "--as-of", "2026-02-30"],
     2, "expected a date"),
    ("retain_db_snapshot", lambda w: ["retain", "--db", str(w["snap"]), "--as-of", "2026-10-15"],
     2, "published snapshot"),
    ("publish_out_folder", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                      str(w["base"] / "dumps")], 2, "is a folder"),
    ("publish_out_mart", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                    str(w["base"] / "mart.duckdb")], 2, "ambiguous"),
    ("publish_out_warehouse", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                         str(w["db"])], 2, "different file"),
    ("publish_out_foreign_file", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                            str(w["base"] / "not_duckdb.duckdb")],
     2, "not a snapshot written by hazrisk publish"),
    ("publish_db_snapshot", lambda w: ["publish", "--db", str(w["snap"]), "--out",
                                       str(w["base"] / "p2.duckdb")], 2, "published snapshot"),
    ("publish_db_not_duckdb", lambda w: ["publish", "--db", str(w["base"] / "not_duckdb.duckdb"),
                                         "--out", str(w["base"] / "p2.duckdb")],
     2, "cannot open as a hazrisk warehouse"),
    ("export_out_file", lambda w: ["export", "--db", str(w["db"]), "--out",
                                   str(w["base"] / "a_file")], 1, "is a file"),
    ("export_db_snapshot", lambda w: ["export", "--db", str(w["snap"]), "--out",
                                      str(w["base"] / "exp")], 2, "published snapshot"),
    ("export_db_not_duckdb", lambda w: ["export", "--db", str(w["base"] / "not_duckdb.duckdb"),
                                        "--out", str(w["base"] / "exp")],
     2, "cannot open as a hazrisk warehouse"),
]
#: Cases that need a folder the process cannot write to: run as an unprivileged user.
UNPRIVILEGED: list[tuple[str, Case, int, str]] = [
    ("publish_out_readonly", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                        str(w["ro"] / "p.duckdb")], 1, "cannot publish"),
    ("publish_parquet_readonly", lambda w: ["publish", "--db", str(w["db"]), "--out",
                                            str(w["snap"]), "--parquet", str(w["ro"] / "pq")],
     1, "cannot publish"),
    ("export_out_readonly", lambda w: ["export", "--db", str(w["db"]), "--out",
                                       str(w["ro"] / "exp")], 1, "cannot write the export"),
]


def _check_one_line(err: str, command: str, expect: str, code: int, rc: int) -> None:
    assert rc == code, err
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"hazrisk {command}:") and expect in lines[0], lines[0]


def _stored(w: dict[str, Path]) -> tuple[object, ...]:
    return table_state(w["db"]), file_hash(w["snap"]), file_hash(
        w["base"] / "other_app.duckdb"), sorted(
        str(p.relative_to(w["base"])) for p in w["base"].rglob("*")
        if "bad" not in p.parts and not p.name.endswith(".wal"))


@pytest.mark.parametrize("name, build, code, expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input_changes_nothing(world: dict[str, Path], capsys: pytest.CaptureFixture[str],
                                   name: str, build: Case, code: int, expect: str) -> None:
    argv = build(world)
    before = _stored(world)
    rc = hazrisk_main(argv)
    err = capsys.readouterr().err
    command = "registry import" if argv[0] == "registry" else argv[0]
    _check_one_line(err, command, expect, code, rc)
    assert _stored(world) == before  # tables, snapshot bytes, and no new file


def _unwritable(w: dict[str, Path]) -> Path:
    """A folder this process cannot write to: a read-only folder, or, for root (whom
    permissions do not stop), sysfs, where nobody can create a file."""
    return w["ro"] if os.geteuid() != 0 else Path("/sys")


@pytest.mark.parametrize("name, build, code, expect", UNPRIVILEGED,
                         ids=[c[0] for c in UNPRIVILEGED])
def test_unwritable_targets(world: dict[str, Path], capsys: pytest.CaptureFixture[str],
                            name: str, build: Case, code: int, expect: str) -> None:
    ro = _unwritable(world)
    world = {**world, "ro": ro}
    argv = build(world)
    before = _stored(world)
    listing = sorted(p.name for p in ro.iterdir())
    rc = hazrisk_main(argv)
    _check_one_line(capsys.readouterr().err, argv[0], expect, code, rc)
    assert _stored(world) == before
    assert sorted(p.name for p in ro.iterdir()) == listing


@pytest.mark.slow
def test_disk_full_during_ingest_then_rerun(tmp_path: Path, sample_dir: Path) -> None:
    """A write limit (as a full disk) stops ingest with one line; the rerun, with room, ends
    equal to a clean ingest."""
    dumps = sample_dir / "dumps"
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def ingest(db: Path, limit: int | None) -> subprocess.CompletedProcess[str]:
        def pre() -> None:  # pragma: no cover - runs in the child
            if limit:
                resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        return subprocess.run([sys.executable, "-m", "hazrisk", "ingest", str(dumps), "--db",
                               str(db), "--no-progress", "--json"], capture_output=True,
                              text=True, env=env, preexec_fn=pre, timeout=300, check=False)

    full = tmp_path / "full.duckdb"
    first = ingest(full, 1_500_000)  # the empty warehouse is ~0.8 MB
    _check_one_line(first.stderr, "ingest", "cannot write the warehouse", 1, first.returncode)
    assert "free space and run ingest again" in first.stderr
    second = ingest(full, None)
    assert second.returncode == 0, second.stderr
    clean = tmp_path / "clean.duckdb"
    assert ingest(clean, None).returncode == 0
    counted = ("core.positions", "core.heartbeats", "raw.messages", "core.frames_rejected",
               "meta.ingested_files")

    def counts(db: Path) -> list[int]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return [int(con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0])
                    for t in counted]
        finally:
            con.close()

    assert counts(full) == counts(clean)
    assert json.loads(second.stdout)["totals"]["failed"] == 0
