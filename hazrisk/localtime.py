"""Beijing time: the one timezone of days, periods and stored times.

Read once from the default ``conf/rules.toml`` key ``[period] timezone`` (JT/T 808-2019 §4:
BCD times are GMT+8; days are Beijing days). Everything that needs the zone takes it from
here:

- :data:`TIMEZONE` / :data:`BEIJING` -- the IANA name (DuckDB's ``SET TimeZone``, Arrow and
  pandas time zones) and the ``tzinfo``;
- :data:`OFFSET_S` -- its fixed offset from UTC in seconds, for the numpy kernels (day
  numbers, hours of the day); a zone with daylight saving or another offset change is refused;
- :func:`install_macros` -- the SQL macros ``core.local_time``, ``core.local_day`` and
  ``core.local_instant`` (``hazrisk/sql/localtime.sql``, the same fixed offset), which every
  statement uses instead of naming the zone. They are stored in the warehouse, so its views give Beijing days also
  in a plain DuckDB session set to another zone.

The JT/T 808 codec keeps its own fixed +08:00 offset (:data:`hazrisk.jt808.fields.BEIJING`):
that is the wire format's, not a setting.

>>> TIMEZONE, OFFSET_S
('Asia/Shanghai', 28800)
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

import duckdb

from hazrisk.config import DEFAULT_RULES, load_rules

_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


def checked_zone(name: str) -> str:
    """``name`` when it is an IANA zone of ``zoneinfo`` (and so safe to write into DDL as a
    literal: letters, digits, ``_+-/`` only); else ``ValueError`` naming the conf key.

    >>> checked_zone("Asia/Shanghai")
    'Asia/Shanghai'
    >>> checked_zone("Asia/Shanghai'; DROP TABLE x; --")
    Traceback (most recent call last):
    ...
    ValueError: [period] timezone = "Asia/Shanghai'; DROP TABLE x; --": not an IANA time zone
    """
    if not _ZONE_NAME.match(name) or name not in available_timezones():
        raise ValueError(f'[period] timezone = "{name}": not an IANA time zone')
    return name


def fixed_offset_s(name: str) -> int:
    """The offset from UTC (seconds) of zone ``name``, which must be the same all year in
    every year the data can hold (1992-2037); a zone with daylight saving is refused, since
    the kernels add one fixed offset.

    >>> fixed_offset_s("Asia/Shanghai"), fixed_offset_s("UTC")
    (28800, 0)
    >>> fixed_offset_s("Europe/Berlin")
    Traceback (most recent call last):
    ...
    ValueError: [period] timezone = "Europe/Berlin": has daylight saving or changes its offset; the kernels need a fixed offset
    """
    zone = ZoneInfo(checked_zone(name))
    offsets = {datetime(y, m, 1, tzinfo=zone).utcoffset() for y in range(1992, 2038)
               for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        raise ValueError(f'[period] timezone = "{name}": has daylight saving or changes its '
                         "offset; the kernels need a fixed offset")
    return int(offsets.pop().total_seconds())  # type: ignore[union-attr]


#: IANA name of Beijing time (``[period] timezone``), as DuckDB's ``SET TimeZone`` takes it.
TIMEZONE: str = checked_zone(str(load_rules(DEFAULT_RULES).period.timezone))
#: Beijing time as a ``tzinfo``.
BEIJING = ZoneInfo(TIMEZONE)
#: Beijing time's offset from UTC in seconds (fixed: China has no daylight saving since 1991).
OFFSET_S: int = fixed_offset_s(TIMEZONE)


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the Beijing-time macros of schema ``core`` on ``con``
    (``hazrisk/sql/localtime.sql``) for :data:`TIMEZONE`.

    DuckDB binds no parameters inside a macro, so the zone's offset goes into the DDL as an
    integer literal: :data:`OFFSET_S` derived from the name checked against ``zoneinfo``; the
    file's one placeholder ``$offset_us`` is the only text replaced.
    """
    from hazrisk.sqlfiles import SQL

    offset_us = str(int(fixed_offset_s(TIMEZONE)) * 1_000_000)
    con.execute(SQL.text("localtime").replace("$offset_us", offset_us))
