"""The trust rule of the premium factors (no discount without trusted data) at its [premium]
bounds: telematics share >= 0.50, offline share <= 0.30, data-quality rate and provider
qualification >= 0.80, provider completeness >= 0.70 (each bound inclusive). A conf sweep
found min_completeness_for_discount and max_offline_share_for_discount unpinned (nudging
either passed every literal test); every bound is pinned here, just inside and just outside."""

from __future__ import annotations

import pandas as pd
import pytest

from hazrisk.risk.premium import Bounds, trusted

B = Bounds.default()
GOOD = {"telematics_share": 0.9, "offline_share": 0.1, "data_quality_rate": 0.95,
        "provider_completeness": 0.95, "provider_qualification": 0.95}


def test_the_defaults_these_rows_assume() -> None:
    assert (B.min_telematics_share, B.max_offline_share, B.min_qualification,
            B.min_completeness) == (0.5, 0.3, 0.8, 0.7)


@pytest.mark.parametrize("column,value,ok", [
    ("telematics_share", 0.50, True), ("telematics_share", 0.49, False),
    ("offline_share", 0.30, True), ("offline_share", 0.31, False),
    ("data_quality_rate", 0.80, True), ("data_quality_rate", 0.79, False),
    ("provider_qualification", 0.80, True), ("provider_qualification", 0.79, False),
    ("provider_completeness", 0.70, True), ("provider_completeness", 0.69, False),
    ("provider_completeness", None, True),   # unknown provider figures pass
    ("offline_share", None, False),          # unknown offline share: all offline
])
def test_trust_bounds(column: str, value: float | None, ok: bool) -> None:
    row = pd.DataFrame([{**GOOD, column: value}]).astype(float)
    assert trusted(row, B).tolist() == [ok]
