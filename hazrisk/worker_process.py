"""One worker process running module-level jobs in order: the ingest's second core.

:func:`run` hands ``fn(*args)`` to the worker and returns a
:class:`~concurrent.futures.Future` of its answer, or runs it now, inline, and returns it as
:class:`Done` (the same call either way, so a caller has one code path). The ingest uses it
to decode a dump file of 4 MiB or more there, chunk by chunk, while its own process stages
and writes the chunks before (:mod:`hazrisk.store.decode_worker`: ``run(open_file, ...)`` then
``run(next_chunk)`` for each chunk); the worker holds the open file's state between jobs.
Jobs and answers are pickled: ``fn`` must be a module-level function, ``args`` and the
answer picklable; an exception of the job is raised by the caller's ``result()``.

The worker is ``python -c "...; main()"`` (:func:`main`; a plain subprocess, not
``multiprocessing``: no re-import of the caller's main module, no ``fork`` of a process that
holds threads and a DuckDB connection), started on first use and reused by the process. Jobs
and answers are pickles (protocol 5) over its stdin/stdout, answered in the order the
jobs were written; the large buffers of a message (an Arrow table's columns) follow its
pickle as they are in memory (:func:`_send`, out of band), so a chunk's ~40 MB is copied
neither into the pickle nor out of it (the ingest's writing process spent 0.45 -> 0.24 CPU-s
receiving a 219 MB dump's chunks); a thread reads the answers (so a large answer never blocks the next
job's write). The worker ends at the end of its stdin: when its parent closes it, exits or
is killed (also by ``kill -9``: the pipe closes with the process).
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
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

import numpy as np

try:
    import fcntl
except ImportError:  # not on Windows: pipes keep their size
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
#: A message's head: the pickle's length and how many buffers follow it (their lengths next).
_HEAD = struct.Struct("<QQ")
#: Buffers from this size on cross out of band (smaller ones are cheaper inside the pickle).
OUT_OF_BAND_BYTES = 1 << 16


class Done(Generic[T]):
    """A job run inline: its result, with the :class:`~concurrent.futures.Future` method the
    caller calls."""

    def __init__(self, value: T) -> None:
        self.value = value

    def result(self) -> T:
        return self.value


class WorkerError(RuntimeError):
    """The worker process ended before answering."""


def _send(fh: IO[bytes], obj: Any) -> None:
    """``obj`` pickled (protocol 5), its large contiguous buffers (Arrow's, numpy's) written
    after the pickle as they are in memory, out of band: no copy into the pickle here, none
    out of it on the other side (:func:`_receive` reads each into its own buffer)."""
    raws: list[memoryview] = []
    data = pickle.dumps(obj, protocol=5, buffer_callback=lambda b: _out_of_band(b, raws))
    fh.write(_HEAD.pack(len(data), len(raws)))
    if raws:
        fh.write(struct.pack(f"<{len(raws)}Q", *(r.nbytes for r in raws)))
    fh.write(data)
    for raw in raws:
        fh.write(raw)
    fh.flush()


def _out_of_band(buf: pickle.PickleBuffer, raws: list[memoryview]) -> bool:
    """Keep ``buf`` for writing after the pickle (False: out of band); a small or
    non-contiguous one stays in the pickle (True)."""
    try:
        raw = buf.raw()
    except BufferError:
        return True
    if raw.nbytes < OUT_OF_BAND_BYTES:
        return True
    raws.append(raw)
    return False


def _receive(fh: IO[bytes]) -> Any:
    head = fh.read(_HEAD.size)
    if len(head) < _HEAD.size:
        raise EOFError
    n, count = _HEAD.unpack(head)
    sizes = struct.unpack(f"<{count}Q", _read_exactly(fh, 8 * count)) if count else ()
    data = _read_exactly(fh, n)
    buffers = []
    for size in sizes:
        buf = np.empty(size, np.uint8)  # not zeroed; numpy asks large ones in huge pages
        view = memoryview(buf.data)
        got = 0
        while got < size:
            k = fh.readinto(view[got:])  # type: ignore[attr-defined]
            if not k:
                raise EOFError
            got += k
        buffers.append(buf)
    return pickle.loads(data, buffers=buffers)  # noqa: S301 - our own worker's answer


def _read_exactly(fh: IO[bytes], n: int) -> bytes:
    data = fh.read(n)
    if len(data) < n:
        raise EOFError
    return data


#: Capacity asked for the answer pipe (Linux's default is 64 KiB; 1 MiB is the usual
#: ``/proc/sys/fs/pipe-max-size``): a chunk's ~40 MB of answer crosses in 40 writes and
#: wake-ups instead of 640.
PIPE_BYTES = 1 << 20


def _widen(fh: IO[bytes] | None) -> None:
    """Ask for a :data:`PIPE_BYTES` pipe (where the system allows; else it stays as it is)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if fh is None or setsize is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(fh.fileno(), setsize, PIPE_BYTES)


class _Worker:
    def __init__(self, argv: list[str] | None = None) -> None:
        """``argv``: the process to run instead of :func:`main` (tests)."""
        root = str(Path(__file__).resolve().parents[1])  # this hazrisk tree, first
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [root, *filter(None, [os.environ.get("PYTHONPATH")])])}
        self.proc = subprocess.Popen(
            argv or [sys.executable, "-c", "from hazrisk.worker_process import main; main()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        _widen(self.proc.stdout)
        self.waiting: deque[Future[Any]] = deque()  # in the order of the jobs written
        self.lock = threading.Lock()  # held while a job is written (the reader never takes
        # it while the worker is alive: it must keep reading answers, or a worker writing
        # a large answer would never read the job being written)
        self.broken: str | None = None
        self.reader = threading.Thread(target=self._read, name="hazrisk-worker-answers",
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
                raise WorkerError(f"worker process: {exc}") from exc
        return fut

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            try:
                ok, value = _receive(self.proc.stdout)
            except Exception as exc:  # noqa: BLE001 - the stream ended or broke: no more answers
                if self.proc.poll() is None:  # one that broke mid-answer would block its
                    with contextlib.suppress(OSError):  # writes to a pipe no one reads
                        self.proc.kill()
                code = self.proc.wait()
                with self.lock:
                    self.broken = f"worker process ended (exit code {code}): {exc!r}"
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


def prestart(module: str) -> None:
    """Start the worker now and have it import ``module`` (named, so this process need not
    import it first), while this process does its own start-up; the answer is not waited
    for (a worker that fails to start fails the first job that needs it)."""
    with contextlib.suppress(Exception):
        run(_import, module, in_process=True)


def _import(module: str) -> None:
    """(in the worker) Import ``module``."""
    importlib.import_module(module)


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
    first = True
    while True:
        try:
            fn, args = _receive(stdin)
        except EOFError:
            return
        try:
            answer: tuple[bool, Any] = (True, fn(*args))
        except Exception as exc:  # handed to the caller, raised there
            answer = (False, exc)
        if first:  # the imports of the first job (the decoder's, when warming up) live
            gc.freeze()  # as long as the worker: the collector no longer walks them
            first = False  # (its time decoding a province-day log: 0.13 -> 0.05 s)
        try:
            _send(stdout, answer)
        except (pickle.PicklingError, TypeError, AttributeError) as exc:
            # (raised by pickling, before anything is written) the caller gets an error that
            # can cross, and the worker goes on serving
            name = getattr(fn, "__qualname__", repr(fn))
            _send(stdout, (False, WorkerError(f"{name}: its answer cannot be sent back: "
                                              f"{type(exc).__name__}: {exc}")))

