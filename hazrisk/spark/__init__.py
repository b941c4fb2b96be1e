"""The Spark engine of ``hazrisk detect`` and ``hazrisk rates`` (``--engine spark``).

Spark distributes the project's own kernels, it does not reimplement the rules: positions
are read from the Parquet export (:mod:`hazrisk.spark.source`), partitioned into groups of whole
vehicles, and each group runs in an in-process DuckDB on an executor
(:mod:`hazrisk.spark.local`) through the same SQL and numpy detectors the DuckDB engine uses
(:mod:`hazrisk.spark.detect`, :mod:`hazrisk.spark.rates`); the small per vehicle-day partial
results come back to the driver, where the project's own aggregation stores them in the
warehouse exactly as ``--engine duckdb`` does. Importing this package does not import
pyspark; :func:`hazrisk.spark.session.require_spark` says in one line what is missing.
"""
