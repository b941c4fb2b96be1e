"""Validation and premium plots for notebooks and reports (matplotlib, Chinese labels).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot state, so it
works under any backend. Chinese text uses the locally installed font ``WenQuanYi Micro Hei``
(Debian ``fonts-wqy-microhei``; never downloaded); without it matplotlib falls back to its
default font and warns about missing glyphs.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from hazrisk.risk.premium import PARTS
from hazrisk.risk.validation import lorenz_curve

FONT = "WenQuanYi Micro Hei"
PART_LABELS = {"claims_record": "赔付记录 claims", "behaviour": "驾驶行为 behaviour",
               "management": "安全管理 management", "data_quality": "数据质量 data quality"}


def _figure(width: float = 7.0, height: float = 4.5) -> tuple[Any, Any]:
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    rcParams["font.sans-serif"] = [FONT, *[f for f in rcParams["font.sans-serif"] if f != FONT]]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def plot_lorenz(test: pd.DataFrame, predictions: dict[str, np.ndarray]) -> Any:
    """Ordered Lorenz curves (x = cumulated exposure) of each model on the test year."""
    fig, ax = _figure()
    y = test["n_claims"].to_numpy(float)
    w = (test["exposure_years"] * test["maturity"]).to_numpy(float)
    for name, e in predictions.items():
        x, c = lorenz_curve(y, e / w, w)
        ax.plot(x, c, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="随机 random")
    ax.set_xlabel("累计暴露占比 cumulated exposure share (低风险→高风险)")
    ax.set_ylabel("累计赔案占比 cumulated claims share")
    ax.set_title("洛伦兹曲线（样本外）Lorenz curve, out of time")
    ax.legend()
    return fig


def plot_ae_deciles(deciles: pd.DataFrame) -> Any:
    """Actual and expected claims by predicted decile with the Poisson bands."""
    fig, ax = _figure()
    d = deciles[deciles["decile"] != "total"]
    x = d["decile"].astype(int).to_numpy()
    ax.fill_between(x, d["band_low"], d["band_high"], alpha=0.25, label="泊松区间 Poisson band")
    ax.plot(x, d["expected"], marker="o", label="预期 expected")
    ax.plot(x, d["actual"], marker="s", linestyle="none", label="实际 actual")
    ax.set_xlabel("预测风险十分位 predicted-risk decile")
    ax.set_ylabel("赔案数 claims")
    ax.set_title("实际/预期（按十分位）Actual vs expected by decile")
    ax.legend()
    return fig


def plot_double_lift(dl: pd.DataFrame) -> Any:
    """Double lift: actual losses over the model and over the current premium by decile of
    their ratio."""
    fig, ax = _figure()
    ax.plot(dl["decile"], dl["actual_to_model"], marker="o", label="实际/模型 actual / model")
    ax.plot(dl["decile"], dl["actual_to_current"], marker="s", label="实际/现行保费 actual / current")
    ax.axhline(1.0, color="grey", linestyle="--")
    ax.set_xlabel("模型/现行保费 十分位 decile of model / current premium")
    ax.set_ylabel("赔付率（归一）normalised loss ratio")
    ax.set_title("双提升图 Double lift")
    ax.legend()
    return fig


def plot_relativities(rel: pd.DataFrame, model: str = "glm") -> Any:
    """Relativities with 95 % intervals (one unit of each transformed feature)."""
    r = rel[(rel["model"] == model) & (rel["column"] != "intercept")]
    fig, ax = _figure(7.0, 0.35 * len(r) + 1.5)
    y = np.arange(len(r))
    ax.errorbar(r["relativity"], y, xerr=[r["relativity"] - r["rel_ci_low"],
                                          r["rel_ci_high"] - r["relativity"]], fmt="o")
    ax.axvline(1.0, color="grey", linestyle="--")
    ax.set_yticks(y, [f"{c} ({t})" for c, t in zip(r["column"], r["transform"], strict=True)])
    ax.set_xscale("log")
    ax.set_xlabel("相对系数（95% 置信区间）relativity, 95 % CI")
    ax.set_title("频率模型相对系数 Frequency relativities")
    return fig


def plot_factor_parts(enterprises: pd.DataFrame, top: int = 20) -> Any:
    """Each enterprise's factor split into its parts (log scale bars that add up)."""
    e = enterprises.sort_values("factor").tail(top)
    fig, ax = _figure(7.0, 0.3 * len(e) + 1.5)
    y = np.arange(len(e))
    left_pos = np.zeros(len(e))
    left_neg = np.zeros(len(e))
    for p in PARTS:
        v = np.log(e[p].to_numpy(float))
        left = np.where(v >= 0, left_pos, left_neg)
        ax.barh(y, v, left=left, label=PART_LABELS[p])
        left_pos += np.where(v >= 0, v, 0)
        left_neg += np.where(v < 0, v, 0)
    ax.plot(np.log(e["factor"]), y, "k|", markersize=12, label="系数 factor")
    ax.set_yticks(y, e["enterprise_id"])
    ax.axvline(0.0, color="grey")
    ax.set_xlabel("log 系数分项 log factor parts")
    ax.set_title("保费调整系数分解 Premium factor parts")
    ax.legend(fontsize=8)
    return fig
