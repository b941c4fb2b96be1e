-- Beijing time in SQL: the one zone of conf [period] timezone (hazrisk/localtime.py).
-- Every statement says core.local_day(t) / core.local_time(t) / core.local_instant(ts)
-- instead of naming the zone or its offset. hazrisk.localtime.install_macros runs this file
-- with $offset_us replaced by the zone's fixed offset from UTC in microseconds (an integer
-- derived from the checked zone name; DuckDB binds no parameters inside a macro). The
-- macros are stored in the warehouse, so its views give Beijing days in any session zone (a
-- plain DuckDB or JupyterLab session set to UTC included). Fixed-offset arithmetic equals
-- timezone(<zone>, t) for a zone without daylight saving (the only kind accepted) and costs
-- a fraction of a time-zone conversion per row.

-- An instant (TIMESTAMPTZ) as Beijing wall-clock time (TIMESTAMP).
CREATE OR REPLACE MACRO core.local_time(t) AS make_timestamp(epoch_us(t) + $offset_us);

-- The Beijing day (DATE) of an instant (TIMESTAMPTZ).
CREATE OR REPLACE MACRO core.local_day(t) AS
    CAST(make_timestamp(epoch_us(t) + $offset_us) AS DATE);

-- The instant (TIMESTAMPTZ) of a Beijing wall-clock time (TIMESTAMP), e.g. of a day's start:
-- core.local_instant(CAST(d AS TIMESTAMP)).
CREATE OR REPLACE MACRO core.local_instant(ts) AS make_timestamptz(epoch_us(ts) - $offset_us);
