"""Compiled byte kernels: one decorator for every loop numpy cannot express as whole arrays.

The decoder's hot loops (hex text to bytes, frame scanning, track building) walk buffers byte
by byte or row by row with branches. As numpy expressions they cost several passes and
temporaries per step; as Python loops they cost ~50 ns a step. :func:`kernel` compiles a
plain Python function over numpy arrays to machine code with Numba (``numba.njit``):

- ``cache=True``: the machine code is kept beside the module (``__pycache__``, or Numba's
  user cache when that is read-only), so the compilation is paid once per machine
  (the decoder's kernels: ~8 s) and a process takes ~0.7 s to load them afterwards;
- ``nogil=True``: a kernel releases the interpreter lock, so the ingest's decoding threads
  and the writing thread run at once;
- ``error_model="numpy"``: division by zero gives inf/nan as numpy does, no exception.

A kernel takes and returns numpy arrays and scalars only; its callers stay in ordinary Python.
Numba is imported when the first kernel is defined, i.e. by the modules that define one, not
by ``import hazrisk`` (a command that decodes nothing does not pay for it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def kernel(func: F) -> F:
    """``func`` compiled by Numba (cached, GIL released, numpy's error model)."""
    import numba

    compiled: Any = numba.njit(cache=True, nogil=True, error_model="numpy")(func)
    return compiled
