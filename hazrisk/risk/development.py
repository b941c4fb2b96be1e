"""Development of immature accident years: claim counts and claim amounts (chain ladder,
``chainladder`` package).

A model fitted "as at" a date sees only claims reported by then; the latest accident years
look too good. The reported counts form a triangle (accident = policy year by month of
report), the volume-weighted chain ladder (Mack 1993; ``chainladder.Chainladder``) gives
each year's ultimate count, and ``maturity = reported / ultimate``. Models use
``exposure * maturity`` as their exposure, so an immature year is neither dropped nor taken
at face value, and the test year is judged on developed counts. Reported amounts (the sum of
``amount_cny`` by month of report) are developed the same way: ``amount_maturity = reported
amount / ultimate amount`` is the exposure factor of the pure-premium (Tweedie) model, and
``severity_ultimate = ultimate amount / ultimate count`` the developed mean claim.
"""

from __future__ import annotations

import warnings
from datetime import date
from typing import Any

import numpy as np
import pandas as pd


def development_table(claims: pd.DataFrame, as_at: date, years: list[int]) -> pd.DataFrame:
    """Per accident year: ``reported``, ``ultimate``, ``cdf`` (ultimate / reported) and
    ``maturity`` (reported / ultimate, 1 when nothing can be developed) of the claim counts;
    ``reported_amount``, ``ultimate_amount``, ``amount_maturity`` of the claim amounts and
    the reported and developed mean claim (``severity_reported``, ``severity_ultimate``).

    Parameters
    ----------
    claims : DataFrame
        ``year`` (accident = policy year), ``report_date`` (reported by ``as_at``) and
        ``amount_cny`` (when absent, amounts are not developed: amount maturity = count's).
    as_at : date
        Valuation date.
    years : list of int
        Accident years wanted (years without claims get maturity 1).
    """
    out = pd.DataFrame({"year": [int(y) for y in years]})
    c = claims[pd.to_datetime(claims["report_date"]) <= pd.Timestamp(as_at)]
    has_amount = "amount_cny" in c.columns
    c = c.assign(amount=c["amount_cny"].astype(float) if has_amount else 1.0)
    for value, name in (("count", ""), ("amount", "_amount")):
        col = "reported" + name
        reported = c.groupby("year").size() if value == "count" else c.groupby("year")["amount"].sum()
        out[col] = out["year"].map(reported).fillna(0).astype(float)
        ultimate = _chain_ladder(c, value) if c["year"].nunique() >= 2 else {}
        out["ultimate" + name] = [max(ultimate[y], r) if np.isfinite(ultimate.get(y, np.nan)) else r
                                  for y, r in zip(out["year"], out[col], strict=True)]
    out["cdf"] = np.where(out["reported"] > 0, out["ultimate"] / out["reported"].where(
        out["reported"] > 0, 1.0), 1.0)
    out["maturity"] = 1.0 / out["cdf"]
    if has_amount:
        out["amount_maturity"] = np.where(out["ultimate_amount"] > 0, out["reported_amount"]
                                          / out["ultimate_amount"].where(out["ultimate_amount"] > 0,
                                                                         1.0), 1.0)
    else:
        out["amount_maturity"] = out["maturity"]
    out["severity_reported"] = out["reported_amount"] / out["reported"].where(out["reported"] > 0)
    out["severity_ultimate"] = out["ultimate_amount"] / out["ultimate"].where(out["ultimate"] > 0)
    out["as_at"] = as_at
    return out


def _chain_ladder(c: pd.DataFrame, value: str) -> dict[int, float]:
    """Volume-weighted chain-ladder ultimate per accident year of the reported ``value``
    (``count``: one per claim; ``amount``: ``amount``) by report date."""
    import chainladder as cl

    d = pd.DataFrame({"origin": c["year"].astype(int).astype(str),
                      "development": pd.to_datetime(c["report_date"]),
                      "value": 1.0 if value == "count" else c["amount"].to_numpy(float)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        triangle: Any = cl.Triangle  # abstract in the stubs, concrete at run time
        tri = triangle(d, origin="origin", development="development", columns=["value"],
                       cumulative=False, origin_format="%Y").incr_to_cum()
        model = cl.Chainladder().fit(tri)
        ult = model.ultimate_.to_frame(origin_as_datetime=True)
    return {int(pd.Timestamp(i).year): float(np.asarray(v).ravel()[0]) for i, v in ult.iterrows()}
