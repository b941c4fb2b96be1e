"""The compiled loop of :mod:`hazrisk.fix_batches`: ties of the sort key put in ``pos_seq`` order.

A module of its own so that importing :mod:`hazrisk.fix_batches` (the rates and the detection
pipeline do) does not load Numba (:mod:`hazrisk.kernels`): it is imported where the kernel is
first called.
"""

from __future__ import annotations

import numpy as np

from hazrisk.kernels import kernel


@kernel
def ties_by_seq(key: np.ndarray, seq: np.ndarray, order: np.ndarray) -> None:
    """Within each run of equal ``key[order]``, reorder ``order`` by ``seq`` (insertion
    sort: runs are a few rows)."""
    n = order.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and key[order[j]] == key[order[i]]:
            j += 1
        for a in range(i + 1, j):
            x = order[a]
            b = a - 1
            while b >= i and seq[order[b]] > seq[x]:
                order[b + 1] = order[b]
                b -= 1
            order[b + 1] = x
        i = j
