"""Small display helpers for the report notebooks (imported by the notebooks only).

:func:`show` displays a table with bilingual headers and, beside it, the same records as
``application/json`` tagged ``{"hazrisk": key}``: the HTML shows the table, and tests read the
JSON to check that what a report shows equals what the CLI gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

#: Column -> header shown in reports (Chinese first).
LABELS: dict[str, str] = {
    "period": "统计期 period", "provider_id": "服务商 provider", "provider_name": "服务商名称 name",
    "metric": "指标 metric id", "number": "序号 no.", "name_zh": "指标 metric",
    "numerator": "分子 numerator", "denominator": "分母 denominator", "rate": "比率 rate",
    "ci_low": "95%下限 CI low", "ci_high": "95%上限 CI high", "floor": "底线 floor",
    "floor_failed": "低于底线 floor failed", "score": "得分 points", "rank": "排名 rank",
    "national_score": "全国口径得分 national", "national_rank": "全国口径排名 national rank",
    "prev_period": "上期 previous", "prev_rank": "上期排名 prev. rank",
    "score_change": "得分变化 Δ score", "rank_change": "名次变化 Δ rank",
    "floors_failed": "不达标项 floors failed", "coverage": "可测权重 coverage",
    "composite_score": "综合得分 composite", "unit_id": "车辆 vehicle", "vehicle_id": "车辆 vehicle",
    "plate": "车牌 plate", "failing": "不合格量 failing", "total": "总量 total",
    "failing_share": "不合格占比 share", "checks": "不合格项 failed checks",
    "position": "名次 #", "unit": "单位 unit", "maker_id": "厂商 maker",
    "maker_name": "厂商名称 maker", "device_model": "型号 model",
    "enterprise_id": "企业 enterprise", "enterprise_name": "企业名称 name", "city": "城市 city",
    "vehicles": "车辆数 vehicles", "vehicles_online": "上线车辆 online", "km": "里程 km",
    "n_violations": "违规数 violations", "violations_per_100km": "百公里违规 per 100 km",
    "handling_rate": "处置率 handled", "reminder_rate": "提醒率 reminded",
    "n_reminded": "已提醒 reminded", "n_unhandled": "未处置 unhandled",
    "n_escalated_safety_dept": "上报安监 to safety dept", "n_escalated_police": "上报公安 to police",
    "n_dismissed": "已排除 dismissed", "median_time_to_reminder_s": "提醒中位时长 s",
    "n_continued_after_reminder": "提醒后继续 continued", "rule_name_zh": "规则 rule",
    "rule_id": "规则 id", "n_events": "次数 events", "per_100km": "本企业 /100 km",
    "city_per_100km": "本市 /100 km city", "province_per_100km": "全省 /100 km province",
    "speeding_score_province": "超速得分(省) speeding score",
    "fatigue_score_province": "疲劳得分(省) fatigue score", "reason": "原因 reason",
    "frames": "帧数 frames", "files": "文件数 files", "source_provider_id": "网关 gateway",
    "source_date": "文件日期 file date", "terminal_phone": "终端号(脱敏) terminal (masked)",
    "positions": "定位数 positions", "path": "文件 file", "command": "命令 command",
    "error": "错误 error", "kind": "类别 kind", "row_number": "行 row", "column_name": "列 column",
    "action": "处理 action", "frames_ok": "正常帧 frames ok", "frames_rejected": "拒收帧 rejected",
    "garbage_bytes": "垃圾字节 garbage bytes", "duplicates": "重复 duplicates",
    "reject_share": "拒收占比 reject share", "enterprises": "企业数 enterprises",
    "speeding_per_vehicle": "车均超速 speeding / vehicle",
    "fatigue_min_per_vehicle": "车均疲劳分钟 fatigue min / vehicle",
    "factor": "调整系数 factor", "claims_record": "赔付记录 claims record",
    "behaviour": "驾驶行为 behaviour", "management": "安全管理 management",
    "data_quality": "数据质量 data quality", "raw_factor": "封顶前 raw factor",
    "trusted": "数据可信 trusted", "model": "模型 model",
}
PERCENT = {"rate", "ci_low", "ci_high", "floor", "failing_share", "handling_rate",
           "reminder_rate", "coverage", "reject_share"}


def nullable(value: Any) -> Any:
    """Schedule parameters cannot be null in TOML: an empty string means "not given"."""
    return None if value in ("", None) else value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records (dates ISO, NaN -> null), as the CLI prints them."""
    out: list[dict[str, Any]] = json.loads(df.to_json(orient="records", date_format="iso",
                                                      force_ascii=False))
    return out


def show(df: pd.DataFrame, key: str, columns: Iterable[str] | None = None, *,
         digits: int = 2) -> None:
    """Display ``df`` (only ``columns``) with bilingual headers, rates as percentages, and
    its full records as ``application/json`` tagged ``{"hazrisk": key}``."""
    from IPython.display import display

    cols = [c for c in (columns or df.columns) if c in df.columns]
    view = df[cols].copy()
    for c in cols:
        view[c] = view[c].map(lambda v, c=c: _cell(c, v, digits)).astype(object)
    view.columns = [LABELS.get(c, c) for c in cols]
    html = ("<p><em>无记录 no rows</em></p>" if view.empty
            else view.to_html(index=False, escape=True, na_rep=""))
    display({"text/html": html, "text/plain": view.to_string(index=False) if len(view)
             else "(no rows)", "application/json": {"key": key, "records": records(df)}},
            raw=True, metadata={"application/json": {"hazrisk": key}})


def _cell(column: str, value: Any, digits: int) -> str:
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if value is None or (not isinstance(value, str | list) and pd.isna(value)):
        return ""
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int | float) and column in PERCENT:
        return f"{float(value) * 100:.{digits}f}%"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def say(markdown: str) -> None:
    """Display a line of Markdown (a finding stated in words)."""
    from IPython.display import Markdown, display

    display(Markdown(markdown))


def banner(con: Any, snapshot: str, period: str | None = None,
           extra: Mapping[str, Any] | None = None) -> None:
    """Where the figures come from: snapshot file, when it was published, the period."""
    from hazrisk.snapshot import info

    meta = info(con)
    lines = [f"- 数据快照 snapshot: `{snapshot}` (发布 published {meta['published_at']})"]
    if period:
        lines.append(f"- 统计期 period: **{period}** (北京时间自然日 Beijing days, inclusive)")
    for k, v in (extra or {}).items():
        lines.append(f"- {k}: {v}")
    say("\n".join(lines))
