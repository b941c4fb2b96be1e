"""The Spark session of a ``--engine spark`` run, and the one-line refusal when the engine is
not installed (the ``spark`` extra: pyspark, and a Java runtime)."""

from __future__ import annotations

import os
import shutil
import sys
import warnings
from typing import Any

from hazrisk.cliutil import EXIT_USAGE, CliError

#: Master used when none is given and the process was not started by spark-submit.
DEFAULT_MASTER = "local[2]"
INSTALL_HINT = "pip install -e '.[spark]' and a Java 17 runtime"

#: Settings of every session this package starts (UTC: times are compared as instants;
#: partition values stay strings, e.g. ``date=undated``; Spark's log on errors only).
BASE_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.log.level": "ERROR",
}
#: Only for a local master: a small machine, few shuffle partitions, no web UI.
LOCAL_CONF: dict[str, str] = {
    "spark.sql.shuffle.partitions": "4",
    "spark.driver.memory": "2g",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
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
    """The Spark session (started or reused). ``master`` None: the active session, else the
    master spark-submit gave (under spark-submit), else :data:`DEFAULT_MASTER`."""
    require_spark()
    # pyspark 4.3 warns on pandas 3 at every pandas/Arrow UDF; the kernels exchange Arrow
    # tables (applyInArrow), not pandas frames
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if master is None and "PYSPARK_GATEWAY_PORT" in os.environ:
        chosen = None  # started by spark-submit: its --master and --conf stand
    else:
        chosen = master or DEFAULT_MASTER
    builder = SparkSession.builder.appName("hazrisk")
    settings = dict(BASE_CONF)
    if chosen is not None:
        builder = builder.master(chosen)
        if chosen.startswith("local"):  # this machine: its workers run this interpreter
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no loopback warning
            settings.update(LOCAL_CONF)
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: one line, not a Java trace
        text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise SparkUnavailable(f"Spark did not start ({text})") from None
