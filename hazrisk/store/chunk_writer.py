"""The ingest's database writer: jobs run in order on one thread, a transaction per chunk.

Receiving the next chunk (the main thread; the decoding worker process decodes and stages the
ones after) overlaps with writing the last one: DuckDB releases the GIL while it inserts. The
chunk transactions are
:func:`hazrisk.sqlfiles.transaction` blocks like every other transaction of the package,
entered by one writer job and left by a later one (:meth:`ChunkWriter.begin`,
:meth:`ChunkWriter.commit`).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import duckdb

from hazrisk.sqlfiles import transaction


class ChunkWriter:
    """Runs database jobs in order on one worker thread, so decoding the next chunk overlaps
    with writing the last one (DuckDB releases the GIL). Each chunk's jobs run in one
    transaction (:func:`hazrisk.sqlfiles.transaction`, entered by the job :meth:`begin`
    submits and left by :meth:`commit`'s; when a job fails or the caller stops, the open one
    is rolled back as the writer exits). The bound is in chunks, not jobs: a chunk's last
    job is submitted with ``end=True`` (its commit) and the caller waits only while more
    than ``depth`` chunks are queued or running, so a chunk's small jobs (the record sink's
    inserts) never make the decoder wait for the previous chunk's positions insert. The
    first failure is raised in the caller's thread; the jobs after it do not run."""

    def __init__(self, depth: int = 1) -> None:
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hazrisk-ingest")
        self.pending: deque[tuple[Future[Any], bool]] = deque()
        self.depth = depth
        self.chunks = 0  # chunk-ending jobs in ``pending``
        self.open: contextlib.AbstractContextManager[Any] | None = None  # (writer thread)
        self.failed = False  # (writer thread) a job failed: later ones are skipped

    def begin(self, con: duckdb.DuckDBPyConnection) -> None:
        """Open the next chunk's transaction (a job: in order, on the writer thread)."""

        def enter() -> None:
            block = transaction(con)
            block.__enter__()
            self.open = block

        self.submit(enter)

    def commit(self) -> None:
        """Commit the chunk's transaction (its last job)."""

        def leave() -> None:
            block, self.open = self.open, None
            if block is not None:
                block.__exit__(None, None, None)

        self.submit(leave, end=True)

    def submit(self, job: Callable[[], Any], *, end: bool = False) -> None:
        self.pending.append((self.pool.submit(self._guarded, job), end))
        self.chunks += end
        while self.pending and (self.chunks > self.depth or self.pending[0][0].done()):
            fut, ended = self.pending.popleft()
            self.chunks -= ended
            fut.result()

    def _guarded(self, job: Callable[[], Any]) -> Any:
        """(writer thread) ``job()``, unless an earlier job failed: then nothing more runs
        (not the chunk's commit either; its transaction is rolled back at exit)."""
        if self.failed:
            raise RuntimeError("skipped: an earlier ingest write failed")
        try:
            return job()
        except BaseException:
            self.failed = True
            raise

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            while self.pending:
                fut, _ = self.pending.popleft()
                if exc[0] is None:
                    fut.result()
                else:
                    fut.cancel()
                    with contextlib.suppress(BaseException):
                        fut.result()
        finally:
            self.pool.shutdown(wait=True)
            block, self.open = self.open, None
            if block is not None:  # a job failed, or the caller stopped: roll it back
                failure = exc[1] if isinstance(exc[1], BaseException) else RuntimeError(
                    "ingest writer stopped inside a chunk")
                with contextlib.suppress(BaseException):
                    block.__exit__(type(failure), failure, failure.__traceback__)
