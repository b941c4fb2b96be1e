"""Charts for reports and notebooks: matplotlib, Chinese labels first, offline fonts.

matplotlib is imported inside the functions, so ``import hazrisk`` never pulls it in. Chinese
text uses *WenQuanYi Micro Hei* (Debian ``fonts-wqy-microhei``, installed by ``.ci/sysdeps.sh``;
no font is ever downloaded). :func:`use_chinese_font` registers it and warns when it is missing,
in which case Chinese would come out as boxes. Every function returns a
``matplotlib.figure.Figure`` made with pyplot, so notebooks show it inline; tests save it.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.figure import Figure

FONT_FAMILY = "WenQuanYi Micro Hei"
#: Where Debian's fonts-wqy-microhei puts the font (registered when matplotlib's cache predates it).
FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)

#: Colours of the rule groups on maps and bars (colour-blind-safe Okabe-Ito order).
GROUP_COLOURS = {
    "speeding": "#D55E00", "fatigue": "#E69F00", "night_ban": "#0072B2", "route": "#009E73",
    "offline": "#56B4E9", "terminal": "#CC79A7", "adas": "#F0E442", "dsm": "#000000",
}
GROUP_NAMES = {
    "speeding": "超速 speeding", "fatigue": "疲劳驾驶 fatigue", "night_ban": "夜间禁行 night ban",
    "route": "偏离线路 off route", "offline": "离线位移 offline", "terminal": "终端故障出车 terminal",
    "adas": "ADAS 报警", "dsm": "DSM 报警",
}


def label(zh: str, en: str) -> str:
    """A bilingual label, Chinese first: ``label("违规次数", "violations")``."""
    return f"{zh} {en}"


def use_chinese_font() -> bool:
    """Make WenQuanYi Micro Hei matplotlib's sans-serif font; False (and a warning) if absent."""
    import matplotlib as mpl
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if FONT_FAMILY not in known:
        for path in FONT_FILES:
            if Path(path).is_file():
                font_manager.fontManager.addfont(path)
        known = {f.name for f in font_manager.fontManager.ttflist}
    mpl.rcParams["font.sans-serif"] = [FONT_FAMILY, "DejaVu Sans"]
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["axes.unicode_minus"] = False
    if FONT_FAMILY not in known:
        warnings.warn(f"font {FONT_FAMILY!r} not installed (Debian fonts-wqy-microhei, "
                      "`bash .ci/sysdeps.sh`): Chinese labels will not render", stacklevel=2)
        return False
    return True


def _figure(width: float = 8.0, height: float = 4.5) -> tuple[Figure, Any]:
    import matplotlib.pyplot as plt

    use_chinese_font()
    fig, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return fig, ax


def ranking_chart(ranking: pd.DataFrame) -> Figure:
    """Composite score per provider (:func:`hazrisk.snapshot.ranking`), best on top."""
    df = ranking.sort_values("score")
    fig, ax = _figure(8, 0.5 * len(df) + 1.5)
    colours = ["#D55E00" if n else "#0072B2" for n in df.get("floors_failed", [0] * len(df))]
    ax.barh(df["provider_name"].fillna(df["provider_id"]), df["score"], color=colours)
    for y, v in enumerate(df["score"]):
        ax.text(v + 0.5, y, f"{v:.1f}", va="center", fontsize=9)
    ax.set_xlim(0, 105)
    ax.set_xlabel(label("综合得分", "composite score (0-100)"))
    ax.set_title(label("服务商综合排名", "provider ranking") + "（橙色：有指标低于底线 orange: a floor failed）",
                 fontsize=10)
    return fig


def rates_chart(rates: pd.DataFrame, metric: str) -> Figure:
    """One metric across providers: rate with its 95 % interval and the floor line."""
    df = rates[rates["metric"] == metric].sort_values("provider_id")
    fig, ax = _figure(8, 4)
    x = range(len(df))
    rate = df["rate"].astype(float) * 100
    lo = (df["rate"] - df["ci_low"]).astype(float).fillna(0) * 100
    hi = (df["ci_high"] - df["rate"]).astype(float).fillna(0) * 100
    ax.bar(x, rate, color=["#D55E00" if f else "#0072B2" for f in df["floor_failed"]])
    ax.errorbar(x, rate, yerr=[lo, hi], fmt="none", ecolor="black", capsize=4)
    floor = df["floor"].dropna()
    if len(floor):
        ax.axhline(float(floor.iloc[0]) * 100, color="#D55E00", linestyle="--",
                   label=label("底线", "floor"))
        ax.legend(loc="lower right")
    ax.set_xticks(list(x), df["provider_id"])
    ax.set_ylim(0, 105)
    ax.set_ylabel(label("比率 %", "rate %"))
    name = df["name_zh"].iloc[0] if len(df) else metric
    ax.set_title(f"{name} {metric}（95% 置信区间 Wilson interval）", fontsize=10)
    return fig


def trend_chart(trends: pd.DataFrame) -> Figure:
    """Composite score per provider over the periods of :func:`hazrisk.snapshot.rate_trends`."""
    df = trends.drop_duplicates(["period", "provider_id"]).sort_values("period_start")
    fig, ax = _figure(8, 4)
    for prov, grp in df.groupby("provider_id"):
        ax.plot(grp["period"], grp["composite_score"], marker="o", label=str(prov))
    ax.set_ylim(0, 105)
    ax.set_xlabel(label("统计期", "period"))
    ax.set_ylabel(label("综合得分", "composite score"))
    ax.set_title(label("综合得分趋势", "composite score trend"), fontsize=10)
    ax.legend(fontsize=8, ncol=3)
    return fig


def rule_rate_chart(rule_rates: pd.DataFrame, enterprise: str | None = None) -> Figure:
    """Violations per 100 km by rule: the province, or one enterprise against city and province."""
    import numpy as np

    fig, ax = _figure(9, 4.5)
    if enterprise is None:
        df = rule_rates.drop_duplicates("rule_id").sort_values("province_per_100km")
        ax.barh(df["rule_name_zh"], df["province_per_100km"], color="#0072B2")
        ax.set_title(label("全省各规则百公里违规", "province violations per 100 km by rule"),
                     fontsize=10)
    else:
        df = rule_rates[rule_rates["enterprise_id"] == enterprise].sort_values("rule_id")
        y = np.arange(len(df))
        for i, (col, name, colour) in enumerate((
                ("per_100km", label("本企业", "enterprise"), "#D55E00"),
                ("city_per_100km", label("本市", "city"), "#E69F00"),
                ("province_per_100km", label("全省", "province"), "#0072B2"))):
            ax.barh(y + (i - 1) * 0.27, df[col].fillna(0), height=0.27, label=name, color=colour)
        ax.set_yticks(y, df["rule_name_zh"])
        ax.legend(fontsize=8)
        title = df["enterprise_name"].iloc[0] if len(df) else enterprise
        ax.set_title(f"{title}：百公里违规 vs 本市/全省 per 100 km vs city/province", fontsize=10)
    ax.set_xlabel(label("每百公里次数", "events per 100 km"))
    return fig


def violations_map(geo: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Violations (start points) over Zhejiang's cities, coloured by rule group; no tiles."""
    from hazrisk.geodata import zhejiang

    fig, ax = _figure(8, 8)
    cities = zhejiang("city")
    cities.plot(ax=ax, facecolor="#F2F2F2", edgecolor="#888888", linewidth=0.6)
    for _, row in cities.iterrows():
        pt = row.geometry.representative_point()
        ax.annotate(f"{row['short_zh']}\n{row['name_en']}", (pt.x, pt.y), ha="center",
                    va="center", fontsize=8, color="#555555")
    for group, grp in geo.groupby("rule_group"):
        ax.scatter(grp["lon_deg"], grp["lat_deg"], s=14, alpha=0.8,
                   color=GROUP_COLOURS.get(str(group), "#999999"),
                   edgecolor="white", linewidth=0.3,
                   label=f"{GROUP_NAMES.get(str(group), str(group))} ({len(grp)})")
    ax.set_xlabel(label("经度", "longitude °E"))
    ax.set_ylabel(label("纬度", "latitude °N"))
    ax.set_aspect(1 / 0.87)  # ~1/cos(29.5°): degrees look square at Zhejiang's latitude
    if len(geo):
        ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title or label("违规分布图", "where violations happened"), fontsize=11)
    return fig


def quarantine_chart(quarantine: pd.DataFrame) -> Figure:
    """Rejected frames per file date, stacked by reason (:func:`hazrisk.snapshot.quarantine`)."""
    fig, ax = _figure(8, 4)
    if len(quarantine):
        pivot = quarantine.pivot_table(index="source_date", columns="reason", values="frames",
                                       aggfunc="sum", fill_value=0)
        bottom = None
        for reason in pivot.columns:
            ax.bar(pivot.index.astype(str), pivot[reason], bottom=bottom, label=str(reason))
            bottom = pivot[reason] if bottom is None else bottom + pivot[reason]
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "无隔离帧 no rejected frames", ha="center", transform=ax.transAxes)
    ax.set_xlabel(label("文件日期", "file date"))
    ax.set_ylabel(label("拒收帧数", "rejected frames"))
    ax.set_title(label("每日隔离帧（按原因）", "quarantined frames per day by reason"),
                 fontsize=10)
    return fig


def factor_histogram(factors: pd.DataFrame) -> Figure:
    """Distribution of the premium-adjustment factors (1 = no adjustment)."""
    fig, ax = _figure(8, 4)
    ax.hist(factors["factor"].astype(float), bins=20, color="#0072B2", edgecolor="white")
    ax.axvline(1.0, color="#D55E00", linestyle="--", label=label("无调整", "no adjustment"))
    ax.set_xlabel(label("保费调整系数", "premium factor"))
    ax.set_ylabel(label("企业数", "enterprises"))
    ax.set_title(label("调整系数分布", "distribution of the factors"), fontsize=10)
    ax.legend(fontsize=8)
    return fig
