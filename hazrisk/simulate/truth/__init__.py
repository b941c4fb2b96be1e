"""The simulation's known truth and its files: ``outputs`` (registry, logs and ``truth/``
files, deterministic bytes), ``rates`` (expected provider rates), ``verdicts`` (expected
标准化评价 verdicts), ``handling`` (handling truth under the warehouse's definitions) and
``readme`` (``truth/README.md``)."""
