"""Deterministic random streams: one independent generator per (seed, purpose, entity).

Streams are derived with ``numpy.random.SeedSequence`` from the seed and stable integer keys
(strings are turned into integers with SHA-256, never with the salted built-in ``hash``), so a
vehicle's draws do not depend on how many vehicles are simulated before it or on chunking.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(part: str | int) -> int:
    if isinstance(part, int):
        return part
    return int.from_bytes(hashlib.sha256(part.encode()).digest()[:8], "little")


def rng_for(seed: int, *parts: str | int) -> np.random.Generator:
    """A generator for ``seed`` and a purpose path such as ``("vehicle", "V00012")``."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=tuple(_key(p) for p in parts))
    return np.random.Generator(np.random.PCG64(ss))


def seed_from(random_state: int | np.random.Generator | None) -> int:
    """An integer seed from a scikit-learn style ``random_state``."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(0, 2**63 - 1))
    return int(random_state)
