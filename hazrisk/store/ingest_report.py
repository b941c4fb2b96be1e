"""What ``hazrisk ingest`` reports: one :class:`FileSummary` per file, the run's
:class:`IngestReport` (its human-readable lines and the documented ``--json`` shape)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FileSummary:
    """The outcome of one file. :meth:`to_json` gives the documented ``--json`` keys."""

    path: str
    sha256: str | None = None
    skipped: bool = False
    frames_ok: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    garbage_bytes: int = 0
    positions: int = 0
    duplicates: int = 0
    # beyond the JSON contract
    error: str | None = None
    skip_reason: str | None = None
    file_id: int | None = None
    format: str | None = None
    compressed: bool = False
    positions_stored: int = 0
    alarms: int = 0
    safety_events: int = 0
    unknown_terminals: list[str] = field(default_factory=list)
    seconds: float = 0.0
    tables: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "skipped": self.skipped,
            "frames_ok": self.frames_ok,
            "rejected": dict(sorted(self.rejected.items())),
            "garbage_bytes": self.garbage_bytes,
            "positions": self.positions,
            "duplicates": self.duplicates,
            "warnings": self.warnings,
        }

    @property
    def frames(self) -> int:
        return self.frames_ok + sum(self.rejected.values())

    def line(self) -> str:
        """One human-readable summary line."""
        if self.error:
            return f"FAILED  {self.path}: {self.error}"
        if self.skipped:
            return f"skipped {self.path}: {self.skip_reason}"
        rej = ", ".join(f"{k} {v}" for k, v in sorted(self.rejected.items())) or "none"
        rate = self.frames / self.seconds if self.seconds > 0 else 0.0
        text = (
            f"ok      {self.path}: {self.frames_ok:,} frames ok, rejected {sum(self.rejected.values()):,} "
            f"({rej}), garbage {self.garbage_bytes:,} bytes, positions {self.positions:,} "
            f"(duplicates {self.duplicates:,}), {self.seconds:.1f} s, {rate:,.0f} frames/s"
        )
        if self.unknown_terminals:
            shown = ", ".join(self.unknown_terminals[:5])
            more = len(self.unknown_terminals) - 5
            text += (f"; unknown terminals {len(self.unknown_terminals)} ({shown}"
                     f"{f', +{more} more' if more > 0 else ''}) kept")
        for w in self.warnings:
            text += f"; WARNING {w}"
        return text


@dataclass
class IngestReport:
    files: list[FileSummary] = field(default_factory=list)
    left_alone: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FileSummary]:
        return [f for f in self.files if f.error]

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.missing else 0

    def to_json(self) -> dict[str, Any]:
        done = [f for f in self.files if not f.error]
        rejected: Counter[str] = Counter()
        for f in done:
            rejected.update(f.rejected)
        unknown = sorted({t for f in done for t in f.unknown_terminals})
        return {
            "files": [f.to_json() for f in done],
            "totals": {
                "files": len(self.files),
                "ingested": sum(1 for f in done if not f.skipped),
                "skipped": sum(1 for f in done if f.skipped),
                "failed": len(self.failed),
                "frames_ok": sum(f.frames_ok for f in done),
                "rejected": dict(sorted(rejected.items())),
                "garbage_bytes": sum(f.garbage_bytes for f in done),
                "positions": sum(f.positions for f in done),
                "duplicates": sum(f.duplicates for f in done),
                "unknown_terminals": unknown,
                "errors": [{"path": f.path, "error": f.error} for f in self.failed]
                + [{"path": m, "error": "no such file or directory"} for m in self.missing],
                "left_alone": self.left_alone,
            },
        }
