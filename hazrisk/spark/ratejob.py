"""What every rates kernel of :mod:`hazrisk.spark.rates` / :mod:`hazrisk.spark.days` shares:
the job broadcast to the executors (:class:`RatesJob`: the rules, the days, the small
relations) and the worker's warehouse prepared with them (:func:`prepare`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

import duckdb
import pyarrow as pa

from hazrisk.config import Rules, Section
from hazrisk.rates.compute import install
from hazrisk.spark.local import LocalWarehouse, local_warehouse, put_relation
from hazrisk.spark.source import arrow_partition

#: What a rates kernel call returns: one row per result table of its rows.
PARTIAL_SCHEMA = "kind string, positions long, ipc binary"
#: Small warehouse relations the position flags read besides the positions (broadcast).
BROADCAST_RELATIONS: tuple[str, ...] = ("core.param_answers", "meta.ingested_files")
NO_HEARTBEATS = pa.table({"recv_time": pa.array([], pa.timestamp("us", tz="UTC"))})


@dataclass(frozen=True)
class RatesJob:
    """What a rates kernel needs besides its rows (broadcast to the executors)."""

    rules_parts: tuple[str, dict[str, tuple[dict[str, Any], dict[str, str]]]]
    days: tuple[date, ...]
    relations: dict[str, pa.Table]  # broadcast relations, and the driver's context day
    token: str  # identifies rules + broadcast rows: loaded once per worker
    end: date | None = None  # the days pass: days up to end, stale from since on
    since: date | None = None

    @classmethod
    def of(cls, rules: Rules, days: list[date], relations: dict[str, pa.Table],
           token: str, **more: Any) -> RatesJob:
        """The job for ``rules`` (held as plain dicts: :class:`Rules` wraps read-only
        mappings, which do not pickle)."""
        parts = {name: (dict(sec.entries), dict(sec.sources))
                 for name, sec in rules.sections.items()}
        return cls((rules.path, parts), tuple(days), relations, token, **more)

    @property
    def rules(self) -> Rules:
        path, parts = self.rules_parts
        return Rules(path, MappingProxyType({
            name: Section(name, MappingProxyType(values), MappingProxyType(sources))
            for name, (values, sources) in parts.items()}))


def relations(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> dict[str, pa.Table]:
    """The driver's rows of the warehouse relations ``names`` (fixed names of this package)."""
    return {name: con.sql(f"SELECT * FROM {name}").to_arrow_table() for name in names}


def prepare(job: RatesJob) -> LocalWarehouse:
    """The worker's warehouse with the job's rules and broadcast relations in place."""
    wh = local_warehouse()
    if wh.loaded.get("rates.params") != job.token:
        install(wh.con, job.rules)
        wh.loaded["rates.params"] = job.token
    for name in BROADCAST_RELATIONS:
        put_relation(wh, name, job.relations[name], token=job.token)
    put_relation(wh, "core.heartbeats", NO_HEARTBEATS)  # a kernel's own, if any, comes next
    return wh


def kernel(bc: Any, run: Callable[[pa.Table, RatesJob], pa.Table]
           ) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """``run`` over one partition's rows (``mapInArrow``), the job from the broadcast ``bc``."""
    def call(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        rows = arrow_partition(batches)
        if rows is not None:
            yield from run(rows, bc.value).to_batches()
    return call
