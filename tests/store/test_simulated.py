"""End to end on the simulator's output folder: warehouse counts = decoder = simulator truth.

Uses ``data/sample`` when it exists, else simulates a small fleet into a temporary folder.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from test_ingest import decoder_counts

from hazrisk.store.cli import main as store_main
from hazrisk.store.connect import connect

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim_dir(sample_dir: Path) -> Path:
    return sample_dir


@pytest.fixture(scope="module")
def loaded(sim_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    db = tmp_path_factory.mktemp("wh") / "w.duckdb"
    assert store_main(["registry", "import", str(sim_dir), "--db", str(db), "--json"]) == 0
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = store_main(["ingest", str(sim_dir), "--db", str(db), "--json", "--no-progress"])
    assert rc == 0
    return db, json.loads(buf.getvalue())


def test_dumps_match_the_decoder_and_the_truth(sim_dir: Path,
                                               loaded: tuple[Path, dict]) -> None:
    _, summary = loaded
    files = {Path(f["path"]).relative_to(sim_dir).as_posix(): f for f in summary["files"]}
    dumps = sorted(p.relative_to(sim_dir).as_posix() for p in (sim_dir / "dumps").rglob("*")
                   if p.is_file())
    assert sorted(files) == dumps
    # the scalar decoder is slow: compare it on the smallest dump of each format
    for suffix in (".bin", ".log.gz"):
        rel = min((d for d in dumps if d.endswith(suffix)),
                  key=lambda d: (sim_dir / d).stat().st_size)
        truth = decoder_counts(sim_dir / rel)
        assert {k: files[rel][k] for k in truth} == truth, rel
    # every file: rejects by reason as the simulator injected them
    counts = pd.read_csv(sim_dir / "truth" / "fault_counts.csv")
    rej = counts[counts.expected_status == "rejected"]
    want: dict[str, dict[str, int]] = {}
    for r in rej.itertuples():
        want.setdefault(r.file, {})[r.expected_reason] = int(r.count)
    assert {k: f["rejected"] for k, f in files.items() if f["rejected"]} == want
    left = {Path(p).relative_to(sim_dir).parts[0] for p in summary["totals"]["left_alone"]}
    assert left <= {"registry", "logs", "insurance", "history", "manifest.json", "README.md"}


def test_faults_land_where_the_simulator_put_them(sim_dir: Path,
                                                  loaded: tuple[Path, dict]) -> None:
    db, summary = loaded
    faults = pd.read_parquet(sim_dir / "truth" / "faults.parquet")
    con = duckdb.connect(str(db), read_only=True)
    rejected = con.execute(
        "SELECT f.path, r.source_offset, r.reason FROM core.frames_rejected r "
        "JOIN meta.ingested_files f ON f.file_id = r.source_file_id").fetchall()
    got = Counter((Path(p).relative_to(sim_dir.resolve()).as_posix(), int(o), reason)
                  for p, o, reason in rejected)
    want = Counter((r.file, int(r.offset), r.expected_reason)
                   for r in faults[faults.expected_status == "rejected"].itertuples())
    assert got == want
    garbage = faults[faults.kind == "garbage"].groupby("file").length.sum().to_dict()
    by_file = {Path(f["path"]).relative_to(sim_dir).as_posix(): f["garbage_bytes"]
               for f in summary["files"]}
    assert {k: v for k, v in by_file.items() if v} == {k: int(v) for k, v in garbage.items()}
    flagged = dict(con.execute(
        "SELECT 'invalid_bcd_time', count(*) FILTER (WHERE q_time_invalid) "
        "FROM core.positions UNION ALL "
        "SELECT 'speed_out_of_range', count(*) FILTER (WHERE q_gps_speed) "
        "FROM core.positions").fetchall())
    kinds = faults.kind.value_counts().to_dict()
    for kind in ("invalid_bcd_time", "speed_out_of_range"):
        assert flagged[kind] == kinds.get(kind, 0), kind
    con.close()


def test_positions_equal_delivered_samples(sim_dir: Path, loaded: tuple[Path, dict]) -> None:
    db, summary = loaded
    traj = pd.read_parquet(sim_dir / "truth" / "trajectories.parquet",
                           columns=["vehicle_id", "delivery"])
    delivered = traj.delivery.isin(["realtime", "faulted", "backfill"]).sum()
    assert summary["totals"]["positions"] == delivered
    con = connect(db)
    (stored, backfill) = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE is_backfill) FROM core.positions").fetchall()[0]
    assert stored == delivered - summary["totals"]["duplicates"]
    assert backfill == (traj.delivery == "backfill").sum()
    # registered terminals resolve to the vehicle the truth says (terminal moves included);
    # unregistered ones are kept with vehicle_id NULL
    truth_v = pd.read_csv(sim_dir / "truth" / "vehicles.csv")
    registered = set(truth_v.loc[truth_v.registered.astype(bool), "vehicle_id"])
    want = traj[traj.delivery.isin(["realtime", "faulted", "backfill"])].groupby(
        "vehicle_id").size()
    got = dict(con.execute("SELECT vehicle_id, count(*) FROM core.positions "
                           "WHERE vehicle_id IS NOT NULL GROUP BY 1").fetchall())
    if summary["totals"]["duplicates"] == 0:
        assert got == {v: int(n) for v, n in want.items() if v in registered}
    assert set(got) <= registered
    con.close()
