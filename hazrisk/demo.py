"""``hazrisk demo``: the main job end to end on the embedded default.

simulated fleet → decode + ingest into DuckDB → registry import → provider rates and ranking
→ violation detection → archived safety history import → enterprise safety league table →
published snapshot → a provider-evaluation report (papermill, HTML); then a list of what was produced and where to look. Each step runs the same public command a user would type, so the demo can never
drift from the CLI.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from hazrisk.cliutil import display_width, fail, prepare_output_dir, usage

DEFAULTS = {"vehicles": 60, "days": 7, "start": "2026-10-01", "seed": 808}

#: Written into the output folder: the demo may later replace what it made there.
MARKER = ".hazrisk-demo"
#: What the demo writes into its folder (the only names it ever removes).
OUTPUTS = ("sim", "hazrisk.duckdb", "hazrisk.duckdb.wal", "published.duckdb",
           "published.restricted.duckdb", "parquet")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole job on a simulated fleet (演示)",
        description=(
            "Simulate a Zhejiang hazmat fleet, ingest its dumps and registry into DuckDB, "
            "compute provider rates and enterprise safety histories, publish the marts, and "
            "print where everything is."
        ),
    )
    p.add_argument("--out", default="data/local/demo",
                   help="output folder: new, empty, or one an earlier demo made (default "
                        "data/local/demo)")
    p.add_argument("--force", action="store_true",
                   help="write into a folder holding other things (only the demo's own "
                        f"outputs {', '.join(OUTPUTS)} are replaced; other files are kept)")
    p.add_argument("--vehicles", type=int, default=DEFAULTS["vehicles"])
    p.add_argument("--days", type=int, default=DEFAULTS["days"])
    p.add_argument("--start", default=DEFAULTS["start"], help="first day YYYY-MM-DD (Beijing)")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.set_defaults(func=run, command_name="demo")


def _step(title: str, fn: Callable[[], int]) -> None:
    sys.stdout.write(f"\n=== {title} ===\n")
    sys.stdout.flush()
    t0 = time.perf_counter()
    rc = fn()
    if rc not in (0, None):
        fail(f"step failed: {title} (exit {rc}); see the message above")
    sys.stdout.write(f"--- {time.perf_counter() - t0:.1f} s\n")


def _remove_outputs(out: Path) -> None:
    """Remove what an earlier demo wrote (the names of :data:`OUTPUTS` only)."""
    for name in OUTPUTS:
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()


def run(args: argparse.Namespace) -> int:
    from hazrisk.cli import main as hz

    try:
        first = date.fromisoformat(args.start)
    except ValueError:
        usage(f"--start {args.start!r} is not a date YYYY-MM-DD")
    if args.vehicles < 1 or args.days < 1:
        usage("need --vehicles >= 1 and --days >= 1")
    out = prepare_output_dir(args.out, made_by_us=lambda p: (p / MARKER).is_file(),
                             force=args.force, command="demo")
    (out / MARKER).write_text("made by `hazrisk demo`; it may replace "
                              f"{', '.join(OUTPUTS)} here\n", encoding="utf-8")
    _remove_outputs(out)
    sim = out / "sim"
    db = out / "hazrisk.duckdb"
    published = out / "published.duckdb"
    span = ["--start", first.isoformat(), "--end", (first + timedelta(days=args.days - 1)).isoformat()]

    _step(
        "1 模拟车队 simulate the fleet",
        lambda: hz(["simulate", "--vehicles", str(args.vehicles), "--days", str(args.days),
                    "--start", args.start, "--seed", str(args.seed), "--out", str(sim)]),
    )
    _step("2 登记数据导入 registry import", lambda: hz(["registry", "import", str(sim), "--db", str(db)]))
    _step("3 解码入库 decode + ingest", lambda: hz(["ingest", str(sim / "dumps"), "--db", str(db)]))
    _step("4 服务商技术指标 provider rates", lambda: hz(["rates", "--db", str(db), *span]))
    _step("5 服务商排名 provider ranking", lambda: hz(["rates", "--db", str(db), *span, "--ranking"]))
    _step("6 设备厂家指标 device KPIs", lambda: hz(["devices", "--db", str(db), *span]))
    _step("7 违规检测 violation detection", lambda: hz(["detect", "--db", str(db), *span]))
    _step("7b 历史安全档案导入 safety history import",
          lambda: hz(["history", "import", str(sim), "--db", str(db)]))
    _step("8 企业安全排名 enterprise league table", lambda: hz(["safety", "--db", str(db), *span]))
    _step(
        "9 发布 publish",
        lambda: hz(["publish", "--db", str(db), "--out", str(published), "--parquet", str(out / "parquet")]),
    )
    reports = out / "reports"
    period = f"{span[1]}..{span[3]}"
    _step(
        "10 服务商考核报告 provider-evaluation report",
        lambda: hz(["report", "run", "provider_evaluation", "--period", period,
                    "--snapshot", str(published), "--reports-dir", str(reports)]),
    )
    year = first.year  # the simulator's policies cover the five years before the fleet's days
    models = out / "models" / "demo"
    _step("11 风险模型 risk model fit", lambda: hz([
        "model", "fit", "--db", str(db), "--train-years", f"{year - 4}-{year - 2}",
        "--test-year", str(year - 1), "--out", str(models)]))
    _step("12 保费调整系数 premium factors", lambda: hz([
        "premium", "--db", str(db), "--model", str(models), "--year", str(year)]))
    _step("13 发布风险模型 publish with the risk marts", lambda: hz([
        "publish", "--db", str(db), "--out", str(published), "--parquet", str(out / "parquet")]))
    produced = [
        ("模拟数据 simulated dumps, registry, truth", sim),
        ("数据仓库 warehouse (read-write)", db),
        ("发布快照 published snapshot (read-only)", published),
        ("门户个人信息 personal data for the portal (0600)", out / "published.restricted.duckdb"),
        ("发布 Parquet published Parquet", out / "parquet"),
        ("评价报告 provider-evaluation report (HTML)",
         reports / "provider_evaluation" / period / "report.html"),
        ("风险模型 risk model + model card", models),
    ]
    width = max(display_width(label) for label, _ in produced)
    lines = [f"  {label}{' ' * (width - display_width(label))}  {path}" for label, path in produced]
    sys.stdout.write(
        "\nProduced 产出:\n" + "\n".join(lines) + "\n"
        "Look next 下一步: `hazrisk decode FILE` on any dump, `hazrisk rates explain ...`,\n"
        "  `jupyter lab notebooks/` (or `hazrisk lab`), `hazrisk report list`,\n"
        f"  `hazrisk safety history --db {db} --enterprise ID`.\n"
    )
    return 0
