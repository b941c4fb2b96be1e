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
Numba is imported when the first kernel is defined, i.e. by the modules that define one. Those
modules are imported where a kernel is first called (a function-level import, or a package's
PEP 562 ``__getattr__``), never with the modules that call them, so a process that calls no
kernel does not load Numba (``tests/test_lazy_kernels.py``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def kernel(func: F) -> F:
    """``func`` compiled by Numba (cached, GIL released, numpy's error model)."""
    import numba

    compiled: Any = numba.njit(cache=True, nogil=True, error_model="numpy")(func)
    return compiled


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A PEP 562 module ``__getattr__`` for ``package``: each name of ``where`` is taken from
    the module ``where[name]``, imported when the name is first asked for (then kept in the
    package), so importing the package does not import the modules that load the kernels.

    >>> __getattr__ = lazy_attributes(__name__, {"detect": "hazrisk.safety.pipeline"})  # doctest: +SKIP
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
