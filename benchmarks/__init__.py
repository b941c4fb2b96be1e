"""hazrisk benchmarks: throughput and memory measurements, run with ``python -m benchmarks``.

Each benchmark is a module ``benchmarks/bench_<name>.py`` exposing

``run(quick: bool = False) -> dict``
    Do the measurement and return its numbers (JSON-serialisable). A benchmark may take more
    keywords (``bench_ingest``: ``baseline``, a git commit run side by side), given on the
    command line (``--baseline REF``).
``report(result: dict) -> str`` (optional)
    The human-readable lines for ``python -m benchmarks``; without it the dict is printed.
``DESCRIPTION`` (optional)
    One line for ``--list`` (defaults to the module docstring's first line).

Adding a benchmark is adding such a module: :func:`discover` finds it, ``--only NAME`` picks
it. Benchmarks run one after another in this single process (a benchmark that needs a clean
process for peak-RSS numbers starts its own subprocess).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from types import ModuleType
from typing import Any

PREFIX = "bench_"


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def describe(self) -> str:
        mod = self.load()
        text = getattr(mod, "DESCRIPTION", None) or (mod.__doc__ or "").strip().splitlines()[0:1]
        return text if isinstance(text, str) else (text[0] if text else "")

    def run(self, quick: bool = False, **options: Any) -> dict[str, Any]:
        """``run(quick=...)`` plus the ``options`` (e.g. ``baseline``) the module's ``run``
        takes; an option it does not take is refused."""
        fn = self.load().run
        takes = inspect.signature(fn).parameters
        given = {k: v for k, v in options.items() if v is not None}
        unknown = sorted(set(given) - set(takes))
        if unknown:
            raise SystemExit(f"benchmark {self.name} takes no {', '.join(unknown)}")
        result: dict[str, Any] = fn(quick=quick, **given)
        return result

    def report(self, result: dict[str, Any]) -> str | None:
        fn = getattr(self.load(), "report", None)
        return fn(result) if fn is not None else None


def discover() -> dict[str, Benchmark]:
    """Every ``benchmarks/bench_<name>.py`` module, by ``<name>``, sorted by name."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith(PREFIX):
            name = info.name[len(PREFIX) :]
            found[name] = Benchmark(name, f"{__name__}.{info.name}")
    return dict(sorted(found.items()))
