"""The Spark session of a ``--engine spark`` run, and the one-line refusal when the engine is
not installed (the ``spark`` extra: pyspark, and a Java runtime)."""

from __future__ import annotations

import os
import shutil
import sys
from typing import Any

from hazrisk.cliutil import EXIT_USAGE, CliError

#: Master used when none is given and the process was not started by spark-submit.
DEFAULT_MASTER = "local[2]"
INSTALL_HINT = "pip install -e '.[spark]' and a Java 17 runtime"

#: Settings of every session this package starts (UTC: times are compared as instants;
#: partition values stay strings, e.g. ``date=undated``).
BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}
#: Only for a local master: a small machine, few shuffle partitions.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "2g",
}


class SparkUnavailable(CliError):
    """The Spark engine cannot run here (exit code 2, one line naming the extra)."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"--engine spark needs the spark extra ({INSTALL_HINT}): {missing}",
                         EXIT_USAGE)


def java_available() -> bool:
    """True when a ``java`` launcher is found ($JAVA_HOME/bin, else PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(os.path.join(home, "bin", "java"), os.X_OK):
        return True
    return shutil.which("java") is not None


def require_spark() -> None:
    """Raise :class:`SparkUnavailable` when pyspark or Java is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise SparkUnavailable("pyspark is not installed") from None
    if not java_available():
        raise SparkUnavailable("no Java runtime found (JAVA_HOME or java on PATH)")


def spark_session(master: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """The Spark session (started or reused). ``master`` None: the master spark-submit gave,
    else :data:`DEFAULT_MASTER`."""
    require_spark()
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    given = SparkConf()  # under spark-submit: the settings it passed (spark.master ...)
    chosen = master or (given.get("spark.master") if given.contains("spark.master") else None)
    chosen = chosen or DEFAULT_MASTER
    if chosen.startswith("local"):  # this machine: its workers run this interpreter, and
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # no loopback warning
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.master(chosen).appName("hazrisk")
    settings = dict(BASE_CONF)
    if chosen.startswith("local"):
        settings.update(LOCAL_CONF)
    settings.update(conf or {})
    for key, value in settings.items():
        if not given.contains(key) or key in (conf or {}):
            builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: one line, not a Java trace
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SparkUnavailable(f"Spark did not start ({text})") from None
