"""CPU seconds per stage of the columnar decoder (for ``python -m benchmarks``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class StageTimer:
    """CPU seconds per pipeline stage, summed over calls (for ``python -m benchmarks``)."""

    seconds: dict[str, float] = field(default_factory=dict)
    _t: float = 0.0

    def start(self) -> None:
        self._t = time.process_time()

    @staticmethod
    def off() -> StageTimer:
        """A timer that records nothing."""
        return NO_TIMER

    def lap(self, name: str) -> None:
        now = time.process_time()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._t
        self._t = now


class _NoTimer(StageTimer):
    """Does nothing (the default)."""

    def start(self) -> None:
        pass

    def lap(self, name: str) -> None:
        pass


NO_TIMER = _NoTimer()
