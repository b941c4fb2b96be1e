"""Layout helpers every page uses: bilingual titles, tables with units and a CSV download,
metrics with units, the period picker and the scope notice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from labels import COLUMNS, HANDLING, HANDLING_COLOURS, column_label

from hazrisk.localtime import TIMEZONE
from hazrisk.portal.scope import PAGES


def page_title(key: str, caption: str = "") -> None:
    """The page heading: Chinese first, English beside."""
    zh, en = PAGES[key]
    st.title(f"{zh} · {en}")
    if caption:
        st.caption(caption)


def section(zh: str, en: str) -> None:
    st.subheader(f"{zh} · {en}")


def fmt_number(value: Any, unit: str = "", digits: int = 1) -> str:
    """A number with its unit; ``%`` units take a 0-1 share."""
    try:
        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    if unit == "%":
        return f"{float(value) * 100:.{max(digits, 2)}f} %"
    if isinstance(value, int) or (isinstance(value, float) and float(value).is_integer()
                                  and digits == 0):
        text = f"{int(value):,}"
    else:
        text = f"{float(value):,.{digits}f}"
    return f"{text} {unit}".strip()


def metric(zh: str, en: str, value: Any, unit: str = "", digits: int = 1,
           help: str | None = None) -> None:
    st.metric(f"{zh} {en}", fmt_number(value, unit, digits), help=help)


def display_frame(df: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame as shown and exported: chosen columns, shares as percent, bilingual headers
    with units."""
    cols = [c for c in (columns or df.columns) if c in df.columns]
    out = df[cols].copy()
    for c in cols:
        spec = COLUMNS.get(c)
        if spec and spec[2] == "%":
            out[c] = pd.to_numeric(out[c], errors="coerce") * 100
        elif isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert(TIMEZONE).dt.strftime("%Y-%m-%d %H:%M:%S")
        if len(out) and out[c].isna().all():  # e.g. no previous period: a dash, not "None"
            out[c] = "—"
    return out.rename(columns={c: column_label(c) for c in cols})


def table(df: pd.DataFrame, key: str, *, columns: Sequence[str] | None = None,
          file_name: str | None = None, height: int | None = None) -> pd.DataFrame:
    """A table with bilingual headers and units, and its CSV (UTF-8 with BOM, opens in Excel
    on Chinese Windows) as a download. Returns the frame as shown."""
    shown = display_frame(df, columns)
    config: dict[str, Any] = {}
    for c in [c for c in (columns or df.columns) if c in df.columns]:
        spec = COLUMNS.get(c)
        if not pd.api.types.is_numeric_dtype(shown[column_label(c)]):
            continue
        if spec and spec[2] in ("%",):
            config[column_label(c)] = st.column_config.NumberColumn(format="%.2f %%")
        elif spec and spec[3] is not None:
            config[column_label(c)] = st.column_config.NumberColumn(format=spec[3])
    kwargs: dict[str, Any] = {"height": height} if height else {}
    if shown.empty:
        st.info("无记录 · no rows")
    else:
        st.dataframe(shown, width="stretch", hide_index=True, column_config=config, key=key,
                     **kwargs)
    st.download_button(
        "下载 CSV · download CSV", data=csv_bytes(shown), file_name=f"{file_name or key}.csv",
        mime="text/csv", key=f"{key}-csv", disabled=shown.empty)
    return shown


def csv_bytes(shown: pd.DataFrame) -> bytes:
    """CSV of a shown table, UTF-8 with BOM, CRLF line ends (as ``hazrisk --format csv``)."""
    return shown.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def pick(label_zh: str, label_en: str, options: Sequence[str], key: str,
         fmt: dict[str, str] | None = None, index: int = 0) -> str | None:
    """A select box (Chinese label, English beside); ``None`` when there is nothing to pick."""
    if not options:
        return None
    names = fmt or {}
    return st.selectbox(f"{label_zh} {label_en}", list(options), index=min(index, len(options) - 1),
                        key=key, format_func=lambda v: names.get(v, v))


def period_picker(periods: Sequence[str], key: str = "period",
                  default: str | None = None) -> str | None:
    """The evaluation period (``periods`` newest first; ``default`` preselected)."""
    options = list(periods)
    index = options.index(default) if default in options else 0
    return pick("统计期", "Period", options, key, index=index)


def not_authorised(message: str) -> None:
    st.error(f"{message}")


def no_data(zh: str, en: str) -> None:
    st.info(f"{zh} · {en}")


def violations_map(points: pd.DataFrame, boundaries: dict[str, Any] | None) -> alt.LayerChart | alt.FacetChart:
    """Violations at their start coordinates over the shipped city boundaries (no tiles)."""
    layers = []
    if boundaries:
        layers.append(alt.Chart(alt.Data(values=boundaries["features"])).mark_geoshape(
            fill="#f4f4f4", stroke="#999999", strokeWidth=0.6).encode(
            tooltip=[alt.Tooltip("properties.short_zh:N", title="城市 city"),
                     alt.Tooltip("properties.name_en:N", title="city")]))
    layers.append(alt.Chart(points).mark_circle(size=60, opacity=0.8).encode(
        longitude="lon_deg:Q", latitude="lat_deg:Q",
        color=alt.Color("handling_status:N", title="处置情况 handling", scale=alt.Scale(
            domain=list(HANDLING.values()), range=list(HANDLING_COLOURS.values()))),
        tooltip=["rule_name_zh", "handling_status", "day",
                 alt.Tooltip("duration_s:Q", title="duration (s)")]))
    return alt.layer(*layers).project(type="mercator").properties(height=520)
