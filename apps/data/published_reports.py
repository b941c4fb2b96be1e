"""Generated reports (``reports/<report>/<period>/``) for the evaluators' reports page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from data.core import reports_dir
from hazrisk.portal.scope import NotAuthorised, Viewer


@dataclass(frozen=True)
class Report:
    folder: Path
    kind: str
    run: str
    html: list[Path]
    lineage: dict[str, Any]
    modified: float


def reports(v: Viewer) -> list[Report]:
    """Generated reports (``reports/<report>/<period>/`` with ``report.html`` and the
    ``lineage.json`` that ``hazrisk report run`` writes), newest first (lineage
    ``finished_at``, else the files' time); evaluators only."""
    if v.role != "evaluator":
        raise NotAuthorised("报告仅协会可见 / reports: evaluators only")
    root = reports_dir()
    found: list[Report] = []
    for folder in sorted(p for p in root.glob("*/*") if p.is_dir()):
        html = sorted(folder.glob("*.html"))
        lineage_file = folder / "lineage.json"
        if not html and not lineage_file.exists():
            continue
        try:
            lineage = json.loads(lineage_file.read_text(encoding="utf-8")) \
                if lineage_file.exists() else {}
        except (OSError, ValueError) as exc:
            lineage = {"error": f"lineage.json unreadable: {exc}"}
        stamps = [p.stat().st_mtime for p in [*html, lineage_file] if p.exists()]
        found.append(Report(folder, folder.parent.name, folder.name, html,
                            lineage if isinstance(lineage, dict) else {"lineage": lineage},
                            max(stamps)))
    found.sort(key=lambda r: (str(r.lineage.get("finished_at") or r.lineage.get("started_at")
                                  or ""), r.modified), reverse=True)
    return found
