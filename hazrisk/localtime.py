"""Beijing time: the one timezone of days, periods and stored times.

Read once from the default ``conf/rules.toml`` key ``[period] timezone`` (JT/T 808-2019 §4:
BCD times are GMT+8; days are Beijing days). The JT/T 808 codec keeps its own fixed +08:00
offset (:data:`hazrisk.jt808.fields.BEIJING`): that is the wire format's, not a setting.

>>> TIMEZONE
'Asia/Shanghai'
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hazrisk.config import DEFAULT_RULES, load_rules

#: IANA name of Beijing time (``[period] timezone``), as DuckDB's ``SET TimeZone`` takes it.
TIMEZONE: str = str(load_rules(DEFAULT_RULES).period.timezone)
#: Beijing time as a ``tzinfo``.
BEIJING = ZoneInfo(TIMEZONE)
