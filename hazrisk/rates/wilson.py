"""Wilson score interval for a proportion (the same formula as the SQL macro ``rates.wilson``).

    centre = (p + z²/2n) / (1 + z²/n)
    half   = z · sqrt(p(1 − p)/n + z²/4n²) / (1 + z²/n)

>>> lo, hi = wilson_interval(5, 10)
>>> round(lo, 4), round(hi, 4)
(0.2366, 0.7634)
>>> wilson_interval(0, 0)
(None, None)
"""

from __future__ import annotations

import math

Z95 = 1.959963984540054


def wilson_interval(
    successes: float, trials: float, z: float = Z95
) -> tuple[float | None, float | None]:
    """``(low, high)`` of the Wilson score interval; ``(None, None)`` when ``trials`` is 0.

    ``successes`` may be fractional (a ratio × effective n, as for the mileage form). The
    interval of 0/n starts at exactly 0 and that of n/n ends at exactly 1 (the closed form
    cancels there; floating point alone would leave ~2e-17).
    """
    if trials <= 0:
        return None, None
    p = min(max(successes / trials, 0.0), 1.0)
    z2 = z * z
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2.0 * trials)) / denom
    half = z * math.sqrt(p * (1.0 - p) / trials + z2 / (4.0 * trials * trials)) / denom
    low = 0.0 if p <= 0.0 else max(0.0, centre - half)
    high = 1.0 if p >= 1.0 else min(1.0, centre + half)
    return low, high
