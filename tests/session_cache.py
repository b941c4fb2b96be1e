"""Test data built once per session and shared by the pytest-xdist workers."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def shared_dir(tmp_path_factory: pytest.TempPathFactory, worker_id: str,
               name: str) -> Iterator[tuple[Path, bool]]:
    """A folder built once per test session, also across pytest-xdist workers (they share
    the session's base temp folder; an flock serialises the build). Yields (folder, ready):
    build it when not ready; it is marked ready when the block ends without error."""
    base = (tmp_path_factory.getbasetemp() if worker_id == "master"
            else tmp_path_factory.getbasetemp().parent)
    folder = base / name
    folder.mkdir(parents=True, exist_ok=True)
    with open(base / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ready = (folder / ".ready").exists()
        yield folder, ready
        (folder / ".ready").touch()
