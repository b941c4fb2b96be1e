"""The codec's share of a chunk decoded in a worker process (the chunked reader's option).

The columnar decoder takes ~99 % of a dump's frames with numpy; the rest (registrations,
authentications, parameter answers, 0x0704 backfill, text, rejected frames, garbage) goes
through the codec (:func:`hazrisk.jt808.iter_records`), which is pure Python at ~40-70 µs a
record and held the GIL for about half of the decoding thread's time. With
``scalar_process`` the reader hands that share of a chunk (a small filtered text, a few
percent of the chunk) to one worker process and decodes the next chunk's columnar part
meanwhile; the records come back pickled (~7 µs a record to pickle, ~2 to unpickle). They
are the same records in the same order: the worker runs the function the reader runs inline.

The worker is ``python -c "...; main()"`` (:func:`main`; a plain subprocess, not
``multiprocessing``: no re-import of the caller's main module, no ``fork`` of a process that
holds threads and a DuckDB connection), started on first use and reused by the process. Jobs
and results are length-prefixed pickles over its stdin/stdout, answered in order; a thread
reads the results (so a large result never blocks the next job's write). The worker ends at
the end of its stdin: when its parent closes it, exits or is killed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")
_LEN = struct.Struct("<Q")


class Done(Generic[T]):
    """A job run inline: its result, with the :class:`~concurrent.futures.Future` method the
    reader calls."""

    def __init__(self, value: T) -> None:
        self.value = value

    def result(self) -> T:
        return self.value


class WorkerError(RuntimeError):
    """The worker process ended before answering."""


def _send(fh: IO[bytes], obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    fh.write(_LEN.pack(len(data)))
    fh.write(data)
    fh.flush()


def _receive(fh: IO[bytes]) -> Any:
    head = fh.read(_LEN.size)
    if len(head) < _LEN.size:
        raise EOFError
    (n,) = _LEN.unpack(head)
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own worker's answer


class _Worker:
    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[2])  # this hazrisk tree, first
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from hazrisk.jt808._scalar_worker import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.waiting: deque[Future[Any]] = deque()  # in the order of the jobs written
        self.lock = threading.Lock()  # held while a job is written (the reader never takes
        # it while the worker is alive: it must keep reading answers, or a worker writing
        # a large answer would never read the job being written)
        self.broken: str | None = None
        self.reader = threading.Thread(target=self._read, name="hazrisk-scalar-results",
                                       daemon=True)
        self.reader.start()

    def submit(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Future[T]:
        fut: Future[T] = Future()
        with self.lock:
            if self.broken:
                raise WorkerError(self.broken)
            self.waiting.append(fut)
            try:
                assert self.proc.stdin is not None
                _send(self.proc.stdin, (fn, args))
            except OSError as exc:
                self.waiting.pop()
                raise WorkerError(f"codec worker process: {exc}") from exc
        return fut

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            try:
                ok, value = _receive(self.proc.stdout)
            except (EOFError, OSError, pickle.UnpicklingError) as exc:
                code = self.proc.wait()
                with self.lock:
                    self.broken = f"codec worker process ended (exit code {code}): {exc!r}"
                    while self.waiting:
                        self.waiting.popleft().set_exception(WorkerError(self.broken))
                return
            fut = self.waiting.popleft()
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self.proc.wait()
        self.reader.join()


_WORKER: _Worker | None = None
_START = threading.Lock()


def run(fn: Callable[..., T], *args: Any, in_process: bool) -> Future[T] | Done[T]:
    """``fn(*args)``: in the worker process (``in_process``: a future) or now, inline.

    ``fn`` must be a module-level function and ``args`` picklable."""
    global _WORKER
    if not in_process:
        return Done(fn(*args))
    with _START:
        if _WORKER is None or _WORKER.broken:
            _WORKER = _Worker()
        worker = _WORKER
    return worker.submit(fn, args)


def shutdown() -> None:
    """Stop the worker (a later :func:`run` starts a new one)."""
    global _WORKER
    with _START:
        worker, _WORKER = _WORKER, None
    if worker is not None:
        worker.close()


atexit.register(shutdown)


def main() -> None:
    """The worker: answer jobs from stdin in order until it ends."""
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the answer stream
    while True:
        try:
            fn, args = _receive(stdin)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # handed to the caller, raised there
            answer = (False, exc)
        _send(stdout, answer)

