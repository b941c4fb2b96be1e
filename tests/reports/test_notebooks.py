"""Every notebook executed by papermill on the published sample: no error cells, no missing
glyphs, HTML without code, complete lineage, and the figures shown equal the CLI's."""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import Published, shared_dir

from hazrisk.cli import main
from hazrisk.period import Period
from hazrisk.reports.runner import RunResult, run_report
from hazrisk.reports.schedule import load_schedule

REPO = Path(__file__).resolve().parents[2]
RUNS = {  # schedule entry -> period (the sample holds 2026-10-01..03)
    "provider_evaluation": "2026-10",
    "enterprise_safety": "2026-10",
    "enterprise_safety_quarterly": "2026-Q4",
    "data_quality": "2026-W40",
    "premium_review": "2026",
}
LINEAGE_KEYS = {"report", "notebook", "notebook_sha256", "period", "parameters", "snapshot",
                "hazrisk_version", "git", "started_at", "finished_at", "duration_s", "status",
                "error", "outputs"}


@pytest.fixture(scope="module")
def runs(published: Published, tmp_path_factory: pytest.TempPathFactory,
         worker_id: str) -> dict[str, RunResult]:
    """Every notebook run once per session (shared by the xdist workers)."""
    with shared_dir(tmp_path_factory, worker_id, "nbruns") as (root, ready):
        if not ready:
            _run_all(root, published)
        saved = json.loads((root / "runs.json").read_text(encoding="utf-8"))
    return {name: RunResult(r["report"], r["period"], r["status"],
                            Path(r["output"]) if r["output"] else None, r["duration_s"],
                            r["error"], r["lineage"]) for name, r in saved.items()}


def _run_all(root: Path, published: Published) -> None:
    sched = root / "conf" / "reports.toml"
    sched.parent.mkdir()
    shipped = (REPO / "conf" / "reports.toml").read_text(encoding="utf-8")
    body = shipped[shipped.index("lookback"):]
    sched.write_text(f'[settings]\nsnapshot = "{published.snapshot}"\n'
                     f'reports_dir = "{root / "reports"}"\n'
                     f'notebooks_dir = "{REPO / "notebooks"}"\n{body}', encoding="utf-8")
    s = load_schedule(sched)
    nb_dir = REPO / "notebooks"
    notebooks = {p.stem for p in nb_dir.glob("*.py")}
    out = {name: run_report(s, s.entry(name), Period.parse(p)) for name, p in RUNS.items()}
    out["explore"] = _explore(s, published)
    assert {r.lineage["notebook"] for r in out.values()} == {str(nb_dir / f"{n}.py")
                                                            for n in notebooks}
    (root / "runs.json").write_text(json.dumps(
        {name: {**r.to_json(), "lineage": r.lineage} for name, r in out.items()},
        ensure_ascii=False, default=str), encoding="utf-8")


def _explore(s: Any, published: Published) -> RunResult:
    entry = s.entry("explore")  # not scheduled: an ad-hoc entry for the notebook
    assert entry.source.startswith("unscheduled")
    return run_report(s, entry, Period.parse("2026-10"))


def test_parameters_cells_parse(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """papermill reads every parameters cell (no "Unable to parse" / unknown parameter)."""
    import logging

    import jupytext
    import papermill

    s = load_schedule()
    for path in sorted((REPO / "notebooks").glob("*.py")):
        target = tmp_path / f"{path.stem}.ipynb"
        jupytext.write(jupytext.read(path), target)
        with caplog.at_level(logging.WARNING, logger="papermill"):
            found = papermill.inspect_notebook(str(target))
        assert not caplog.records, [r.getMessage() for r in caplog.records]
        assert "snapshot" in found, path.name
        for entry in s.entries.values():
            if entry.notebook == path.stem:
                assert set(entry.parameters) <= set(found), (entry.name, set(found))


def _shown(result: RunResult, key: str) -> list[dict[str, Any]]:
    nb = nbformat.read(result.output / "report.ipynb", as_version=4)
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("metadata", {}).get("application/json", {}).get("hazrisk") == key:
                return o["data"]["application/json"]["records"]
    raise AssertionError(f"{key} not shown in {result.report}")


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.mark.slow
def test_every_notebook_runs_clean(runs: dict[str, RunResult]) -> None:
    for name, r in runs.items():
        assert r.status == "succeeded", (name, r.error)
        nb = nbformat.read(r.output / "report.ipynb", as_version=4)
        assert nb.cells[0].metadata.get("tags") == ["parameters"], name
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                assert o["output_type"] != "error", (name, o)
                if o["output_type"] == "stream" and o["name"] == "stderr":
                    assert not re.search(r"missing from font|Glyph \d+", o["text"]), o["text"]
                    assert "Warning" not in o["text"], (name, o["text"])


@pytest.mark.slow
def test_lineage_complete(runs: dict[str, RunResult], published: Published) -> None:
    from hazrisk.snapshot import fingerprint

    for name, r in runs.items():
        lineage = json.loads((r.output / "lineage.json").read_text(encoding="utf-8"))
        assert set(lineage) >= LINEAGE_KEYS, (name, LINEAGE_KEYS - set(lineage))
        assert lineage["snapshot"]["sha256"] == fingerprint(published.snapshot)
        assert lineage["snapshot"]["path"] == str(published.snapshot.resolve())
        assert re.fullmatch(r"[0-9a-f]{40}", lineage["git"]["commit"] or "")
        assert lineage["status"] == "succeeded" and lineage["duration_s"] > 0
        assert lineage["parameters"]["snapshot"] == str(published.snapshot.resolve())
        assert lineage["finished_at"] >= lineage["started_at"]
        for path in lineage["outputs"].values():
            assert Path(path).is_file()


@pytest.mark.slow
def test_html_has_no_code(runs: dict[str, RunResult]) -> None:
    for name, r in runs.items():
        html = (r.output / "report.html").read_text(encoding="utf-8")
        code_cells = re.findall(r'class="jp-Cell jp-CodeCell[^"]*"', html)
        assert code_cells and all("jp-mod-noInput" in c for c in code_cells), name
        assert not re.search(r'class="[^"]*(highlight|jp-Editor|CodeMirror)', html), name
        assert "import hazrisk" not in html and "hs.open_snapshot" not in html, name
        assert "data:image/png;base64" in html or name in ("data_quality", "premium_review")
        assert re.search(r"[\u4e00-\u9fff]", html)


@pytest.mark.slow
def test_provider_report_figures_equal_cli(runs: dict[str, RunResult],
                                           published: Published) -> None:
    r = runs["provider_evaluation"]
    shown = {(x["provider_id"], x["metric"]): x for x in _shown(r, "provider_rates")}
    assert len(shown) == len(published.rates_json)
    for rec in published.rates_json:
        row = shown[(rec["provider"], rec["metric"])]
        for key in ("numerator", "denominator", "rate", "ci_low", "ci_high", "score"):
            assert _close(row[key], rec[key]), (rec["provider"], rec["metric"], key)
    ranking = _shown(r, "ranking")
    assert [x["provider_id"] for x in ranking] == [x["provider_id"]
                                                   for x in published.ranking_json]
    assert all(_close(a["score"], b["score"]) for a, b in zip(ranking, published.ranking_json,
                                                              strict=True))
    failed = _shown(r, "floors_failed")
    assert {(x["provider_id"], x["metric"]) for x in failed} == {
        (x["provider_id"], x["metric"]) for x in _shown(r, "worst_vehicles")}


@pytest.mark.slow
@pytest.mark.parametrize(("report", "argv"), [
    ("enterprise_safety", ["--period", "2026-10"]),
    ("enterprise_safety_quarterly", ["--start", "2026-10-01", "--end", "2026-12-31"]),
])
def test_safety_report_figures_equal_cli(runs: dict[str, RunResult], published: Published,
                                         report: str, argv: list[str]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["safety", "--db", str(published.warehouse), *argv, "--format", "json"]) == 0
    cli = json.loads(out.getvalue())
    shown = _shown(runs[report], "league_table")
    assert [x["enterprise_id"] for x in shown] == [x["enterprise_id"] for x in cli]
    for row, rec in zip(shown, cli, strict=True):
        for key, value in rec.items():
            if key in row:
                assert _close(row[key], value), (report, rec["enterprise_id"], key)


@pytest.mark.slow
def test_premium_review_says_no_model(runs: dict[str, RunResult]) -> None:
    html = (runs["premium_review"].output / "report.html").read_text(encoding="utf-8")
    assert "No risk model exists" in html and "尚无风险模型" in html


@pytest.mark.slow
def test_data_quality_shows_quarantine(runs: dict[str, RunResult], published: Published) -> None:
    r = runs["data_quality"]
    by_reason = _shown(r, "quarantine_by_reason")
    days = _shown(r, "ingest_days")
    assert sum(x["frames"] for x in by_reason) == sum(x["frames_rejected"] for x in days) > 0
    assert {Path(x["path"]).name for x in _shown(r, "files_left_alone")} >= {"README.md"}
    # ISO week 40 is 2026-09-28..10-04; the sample's six gateways deliver 10-01..03 only
    missing = _shown(r, "missing_deliveries")
    assert len(missing) == 6 * 4
    assert {x["source_date"][:10] for x in missing} == {"2026-09-28", "2026-09-29",
                                                        "2026-09-30", "2026-10-04"}


@pytest.mark.slow
def test_premium_review_with_a_published_model(published: Published, tmp_path: Path) -> None:
    """Once the risk models publish mart.model_cards / mart.premium_factors (their schema),
    the review shows the validation tables and each enterprise's factor with its parts."""
    import os
    import shutil

    import duckdb

    from hazrisk.reports.due import has_data

    snap = tmp_path / "with_model.duckdb"
    shutil.copy(published.snapshot, snap)
    os.chmod(snap, 0o644)
    card = {"metrics": {"comparison": [{"model": "glm", "gini": 0.31, "lift": 2.1,
                                        "double_lift": 1.4}],
                        "deciles_glm": [{"decile": d, "actual": d, "expected": d + 0.5}
                                        for d in range(1, 11)]}}
    ents = [r["enterprise_id"] for r in published.safety_json]
    con = duckdb.connect(str(snap))
    con.execute("CREATE TABLE mart.model_cards AS SELECT 'glm_2026' AS model, "
                "now() AS fitted_at, '2023-2025' AS train_years, 2025 AS test_year, "
                "DATE '2026-01-31' AS as_at, 'abc' AS fingerprint, '0.1.0' AS hazrisk_version, "
                "$j AS card_json, '# 模型卡 glm_2026' AS card_markdown", {"j": json.dumps(card)})
    con.execute("CREATE TABLE mart.premium_factors (level VARCHAR, enterprise_id VARCHAR, "
                "vehicle_id VARCHAR, year INTEGER, factor DOUBLE, claims_record DOUBLE, "
                "behaviour DOUBLE, management DOUBLE, data_quality DOUBLE, raw_factor DOUBLE, "
                "trusted BOOLEAN, balance_constant DOUBLE, model VARCHAR, "
                "computed_at TIMESTAMPTZ)")
    for i, e in enumerate(ents):
        f = 0.9 + 0.05 * i
        con.execute("INSERT INTO mart.premium_factors VALUES ('enterprise', $e, NULL, 2026, $f, "
                    "$f, 1, 1, 1, $f, true, 1.0, 'glm_2026', now())", {"e": e, "f": f})
    con.execute("INSERT INTO mart.premium_factors VALUES ('vehicle', $e, 'V1', 2026, 1.3, 1.3, "
                "1, 1, 1, 1.3, true, 1.0, 'glm_2026', now())", {"e": ents[0]})
    con.close()
    s = load_schedule()
    entry = s.entry("premium_review")
    assert has_data(entry, Period.parse("2026"), snap)
    assert not has_data(entry, Period.parse("2025"), snap)
    from dataclasses import replace

    s = replace(s, reports_dir=tmp_path / "reports")
    r = run_report(s, entry, Period.parse("2026"), snapshot=snap)
    assert r.status == "succeeded", r.error
    factors = _shown(r, "premium_factors")
    assert [x["enterprise_id"] for x in factors] == ents[::-1]  # highest factor first
    assert all(math.isclose(x["factor"], x["claims_record"] * x["behaviour"] * x["management"]
                            * x["data_quality"]) for x in factors)
    assert _shown(r, "comparison_glm_2026")[0]["gini"] == 0.31
    assert len(_shown(r, "deciles_glm_2026")) == 10
    html = (r.output / "report.html").read_text(encoding="utf-8")
    assert "No risk model exists" not in html and "data:image/png;base64" in html
