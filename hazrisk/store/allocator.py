"""Keep freed decode buffers in the process heap during ingest (glibc only).

Ingest allocates and frees numpy/Arrow buffers of a few MB to ~32 MB per chunk. With glibc's
defaults each such buffer is a fresh ``mmap`` (above the dynamic mmap threshold) or is given
back by heap trimming, so every chunk touches new pages: measured on a 5 M-frame dump, 600 k
minor page faults and 3.2 s of system time out of 12.9 CPU-s. Raising the mmap threshold to
its maximum (32 MB) and the trim threshold keeps the freed pages for the next chunk: system
time 0.9–1.3 s (``benchmarks/bench_ingest.py``). Peak RSS is unchanged (the same buffers are
live at the peak); the heap keeps up to ``trim_mb`` of free memory instead of returning it.

Arrow's own allocator (mimalloc in the pyarrow wheels) purges freed pages the same way, so
Arrow is switched to the system allocator too (``pa.set_memory_pool``): ×1.08–1.13 frames/s
measured back to back (5 M frames: 5.63–5.70 s vs 6.22–6.41 s wall, system time 1.15 vs
2.0 s).

Both are process-wide, so the ``hazrisk ingest`` command applies them
(:func:`tune_for_ingest`), not the library: a program calling
:func:`hazrisk.store.ingest.ingest_paths` opts in by calling :func:`tune_for_ingest` itself.
The reader's default chunk (:data:`hazrisk.jt808.reader.DEFAULT_CHUNK`, 30 MB) keeps its
buffers under the raised threshold. ``mallopt`` only exists in glibc: elsewhere (musl, macOS, Windows) this
is a no-op. ``HAZRISK_MALLOC_TUNING=0`` disables it.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's maximum for M_MMAP_THRESHOLD on 64-bit (HEAP_MAX_SIZE / 2).
MMAP_THRESHOLD_MAX = 32 << 20

_done: bool | None = None


def tune_for_ingest(trim_mb: int = 128) -> bool:
    """Apply the settings once per process; True when they are in effect."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if os.environ.get("HAZRISK_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # Setting either disables glibc's dynamic thresholds, so both are set, mmap first.
    ok = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX))
    ok = bool(mallopt(M_TRIM_THRESHOLD, trim_mb << 20)) and ok
    if ok:
        import pyarrow as pa

        pa.set_memory_pool(pa.system_memory_pool())
    _done = ok
    return ok
