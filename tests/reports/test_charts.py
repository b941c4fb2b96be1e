"""hazrisk.charts: every chart renders its Chinese text with the project's font (no missing
glyphs) from the published sample."""

from __future__ import annotations

import io
import warnings

import pytest
from conftest import Published

import hazrisk.snapshot as snap
from hazrisk import charts


@pytest.fixture(scope="module")
def con(published: Published):
    c = snap.open_snapshot(published.snapshot)
    yield c
    c.close()


def _render(fig) -> list[str]:
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    plt.close(fig)
    assert buf.getbuffer().nbytes > 5_000
    return [str(w.message) for w in caught]


def test_font_is_installed() -> None:
    assert charts.use_chinese_font(), "run `bash .ci/sysdeps.sh` (fonts-wqy-microhei)"


def test_every_chart_renders_chinese(con, published: Published) -> None:
    p = published.period
    rates = snap.provider_rates(con, p)
    rr = snap.rule_rates(con, p)
    figs = [
        charts.ranking_chart(snap.ranking(con, p)),
        charts.rates_chart(rates, "trajectory_completeness_km"),
        charts.trend_chart(snap.rate_trends(con, p)),
        charts.rule_rate_chart(rr),
        charts.rule_rate_chart(rr, rr["enterprise_id"].iloc[0]),
        charts.violations_map(snap.violations_geo(con, p)),
        charts.quarantine_chart(snap.quarantine(con, p)),
        charts.quarantine_chart(snap.quarantine(con, "2020-01")),
    ]
    for fig in figs:
        messages = _render(fig)
        assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages
        texts = [t.get_text() for ax in fig.axes for t in [ax.title, ax.xaxis.label]]
        assert any(any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in texts)


def test_map_draws_every_violation(con, published: Published) -> None:
    geo = snap.violations_geo(con, published.period)
    fig = charts.violations_map(geo)
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")
               and c.get_offsets().shape[1:] == (2,) and len(c.get_offsets()) < 10_000) >= len(geo)
    assert len(ax.texts) == 11  # the city names
    _render(fig)
