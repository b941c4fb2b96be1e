"""The worker process the ingest decodes files in (``hazrisk/worker_process.py``): answers in
order, raises the job's own error in the caller, and never outlives its parent."""

from __future__ import annotations

import copy
import importlib
import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hazrisk import worker_process as W

REPO = Path(__file__).resolve().parents[2]


def test_answers_in_order_and_inline_is_the_same() -> None:
    jobs = [W.run(operator.add, i, 10 * i, in_process=True) for i in range(50)]
    assert [j.result() for j in jobs] == [11 * i for i in range(50)]
    assert W.run(operator.add, 2, 3, in_process=False).result() == 5


def test_large_answers_do_not_block_later_jobs() -> None:
    # answers far beyond a pipe's buffer while more jobs are being written
    jobs = [W.run(operator.mul, b"x", 3 << 20, in_process=True) for _ in range(4)]
    assert all(len(j.result()) == 3 << 20 for j in jobs)


def test_the_jobs_error_is_raised_in_the_caller() -> None:
    job = W.run(operator.truediv, 1, 0, in_process=True)
    with pytest.raises(ZeroDivisionError):
        job.result()
    assert W.run(operator.neg, 4, in_process=True).result() == -4  # still serving


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie (not yet reaped by init) counts as gone
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_ends_when_its_parent_is_killed() -> None:
    code = (
        "import operator, time\n"
        "from hazrisk import worker_process as W\n"
        "W.run(operator.add, 1, 1, in_process=True).result()\n"
        "print(W._WORKER.proc.pid, flush=True)\n"
        "time.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO)}, cwd=REPO)
    try:
        assert parent.stdout is not None
        worker = int(parent.stdout.readline())
        assert _alive(worker)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 10
        while _alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(worker)
    finally:
        if parent.poll() is None:
            parent.kill()


def test_large_buffers_cross_out_of_band_and_arrive_whole() -> None:
    """Arrow tables and numpy arrays come back equal: their large buffers written after the
    pickle, a non-contiguous view and small buffers inside it."""
    import numpy as np
    import pyarrow as pa

    big = np.arange(100_000, dtype=np.int64)
    table = pa.table({"a": big, "s": pa.array([f"x{i}" for i in range(50_000)] * 2),
                      "flag": pa.array(big % 3 == 0)}).slice(7, 90_000)  # bits: 12 kB
    strided = big[::3]  # not contiguous: pickled in band
    raws: list[memoryview] = []
    data = W.pickle.dumps(table, protocol=5, buffer_callback=lambda b: W._out_of_band(b, raws))
    assert raws and len(data) < W.OUT_OF_BAND_BYTES * 4  # the data is not in the pickle
    got_table, got_big, got_strided = W.run(copy.copy, (table, big, strided),
                                            in_process=True).result()
    assert got_table.equals(table) and got_table.num_rows == 90_000
    assert np.array_equal(got_big, big) and np.array_equal(got_strided, strided)
    assert W.run(copy.copy, b"", in_process=True).result() == b""


def test_a_broken_answer_fails_the_jobs_instead_of_hanging() -> None:
    """An answer that breaks off while the worker lives on (its stream cut short: here a
    process that writes half a message, closes its output and sleeps) fails the waiting
    jobs with WorkerError; the process is killed, not waited for."""
    half = (W._HEAD.pack(5, 0) + b"ab").hex()
    code = ("import os, sys, time\n"
            f"sys.stdout.buffer.write(bytes.fromhex('{half}'))\n"
            "sys.stdout.buffer.flush(); os.close(1); time.sleep(120)\n")
    worker = W._Worker([sys.executable, "-c", code])
    job = worker.submit(operator.neg, (1,))
    t0 = time.monotonic()
    with pytest.raises(W.WorkerError, match="ended"):
        job.result(timeout=30)
    assert time.monotonic() - t0 < 30 and worker.proc.poll() is not None
    worker.close()


def test_an_answer_that_cannot_cross_is_an_error_not_a_dead_worker() -> None:
    """A job whose result cannot be pickled (a module) fails in the caller with WorkerError
    naming the job; the worker serves the next job. ``prestart`` imports a module there."""
    job = W.run(importlib.import_module, "json", in_process=True)
    with pytest.raises(W.WorkerError, match="import_module: its answer cannot be sent back"):
        job.result(timeout=30)
    W.prestart("hazrisk.store.decode_worker")
    loaded = W.run(eval, "'hazrisk.store.decode_worker' in __import__('sys').modules",
                   in_process=True)
    assert loaded.result(timeout=60) is True
    assert W.run(operator.neg, 4, in_process=True).result() == -4
