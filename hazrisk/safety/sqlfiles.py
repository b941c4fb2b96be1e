"""SQL of the safety area: ``hazrisk/safety/sql/<name>.sql`` read with importlib.resources.

Parameters are bound by name (``$name``); the text is never formatted.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def read_sql(name: str) -> str:
    """Text of ``hazrisk/safety/sql/<name>.sql``."""
    return (
        resources.files("hazrisk.safety").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    )
