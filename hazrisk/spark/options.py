"""``--engine duckdb|spark`` for ``hazrisk detect`` and ``hazrisk rates`` (no pyspark import
here: the options exist whether or not the ``spark`` extra is installed)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

from hazrisk.cliutil import usage

ENGINES = ("duckdb", "spark")


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--engine``, ``--export`` and ``--spark-master`` to a command."""
    g = parser.add_argument_group("engine")
    g.add_argument("--engine", choices=ENGINES, default="duckdb",
                   help="duckdb (default): the warehouse's positions on this machine; spark: "
                        "the positions of the Parquet export (--export) per vehicle group on "
                        "Spark, results stored in --db the same way (needs the spark extra)")
    g.add_argument("--export", metavar="DIR",
                   help="with --engine spark: the folder or URI (hdfs://, s3a://) of "
                        "`hazrisk export --unmasked` of this warehouse")
    g.add_argument("--spark-master", metavar="URL",
                   help="with --engine spark: the Spark master (default: the one spark-submit "
                        "gave, else local[2])")
    g.add_argument("--spark-groups", type=int, metavar="N",
                   help="with --engine spark: vehicle groups (default: 2 per core)")


def add_engine_refusal(parser: argparse.ArgumentParser) -> None:
    """Accept the engine options on a command that runs on DuckDB only (hidden from its
    help), so that :func:`refuse_engine` can say so in one line; also when they were given
    to the parent command (``rates --engine spark explain``: no default here overrides
    them)."""
    for opt in ("--engine", "--export", "--spark-master", "--spark-groups"):
        parser.add_argument(opt, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def refuse_engine(args: argparse.Namespace, what: str) -> None:
    """A one-line usage error when ``args`` ask a DuckDB-only command for the Spark engine."""
    asked = [f"--{o.replace('_', '-')}" for o in ("export", "spark_master", "spark_groups")
             if getattr(args, o, None) is not None]
    engine = getattr(args, "engine", "duckdb")
    if engine != "duckdb":
        asked.insert(0, f"--engine {engine}")
    if asked:
        usage(f"{what} run on the DuckDB engine only (one pass over the warehouse's records); "
              f"{' '.join(asked)} applies to `hazrisk rates` itself")


@dataclass
class SparkEngine:
    """The checked export a Spark run reads; the session starts on first use (after the
    warehouse opened: a missing file is refused before seconds of JVM start-up)."""

    source: Any
    groups: int | None
    master: str | None = None
    _session: Any = None
    output: Any = None  # hazrisk.spark.inputs.Output, once opened

    def open(self, path: str | None) -> Any:
        """The warehouse ``--db`` names, or a new results warehouse (no session started)."""
        from hazrisk.spark.inputs import open_output

        self.output = open_output(path)
        return self.output.con

    def refresh_inputs(self) -> None:
        """A results warehouse's copies of the export's small inputs, refreshed (nothing
        for the warehouse the export came from)."""
        from hazrisk.spark.inputs import refresh_inputs

        if self.output is not None and self.output.copies:
            refresh_inputs(self.session, self.output, self.source)

    def day_counts(self, con: Any) -> dict[Any, int]:
        """The export's positions of registered vehicles per Beijing day, counted on the
        executors by the DuckDB engine's statement (``detect`` without a period covers the
        days with data: :mod:`hazrisk.safety.data_range`, one rule for both engines)."""
        from hazrisk.spark.detect import export_day_counts

        return export_day_counts(self.session, con, self.source)

    @property
    def positions_here(self) -> bool:
        """True when the opened warehouse holds the positions (not a results warehouse)."""
        return self.output is None or not self.output.copies

    @property
    def session(self) -> Any:
        if self._session is None:
            from hazrisk.spark.session import spark_session

            self._session = spark_session(self.master)
        return self._session


def engine_from_args(args: argparse.Namespace) -> SparkEngine | None:
    """``None`` for the DuckDB engine; for Spark the session and export (a one-line refusal
    when the extra, Java or the export is missing, or an option does not fit the engine)."""
    if args.engine != "spark":
        for opt in ("export", "spark_master", "spark_groups"):
            if getattr(args, opt) is not None:
                usage(f"--{opt.replace('_', '-')} applies to --engine spark only")
        return None
    if not args.export:
        usage("--engine spark needs --export DIR (written by `hazrisk export --unmasked`)")
    if args.spark_groups is not None and args.spark_groups < 1:
        usage(f"--spark-groups must be at least 1, not {args.spark_groups}")
    from hazrisk.spark.session import require_spark
    from hazrisk.spark.source import open_export

    require_spark()
    return SparkEngine(open_export(args.export), args.spark_groups, args.spark_master)
