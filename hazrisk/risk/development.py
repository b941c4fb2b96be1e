"""Claim-count development of immature accident years (chain ladder, ``chainladder`` package).

A model fitted "as at" a date sees only claims reported by then; the latest accident years
look too good. The reported counts form a triangle (accident = policy year by month of
report), the volume-weighted chain ladder (Mack 1993; ``chainladder.Chainladder``) gives
each year's ultimate count, and ``maturity = reported / ultimate``. Models use
``exposure * maturity`` as their exposure, so an immature year is neither dropped nor taken
at face value, and the test year is judged on developed counts.
"""

from __future__ import annotations

import warnings
from datetime import date
from typing import Any

import numpy as np
import pandas as pd


def development_table(claims: pd.DataFrame, as_at: date, years: list[int]) -> pd.DataFrame:
    """Per accident year: ``reported``, ``ultimate``, ``cdf`` (ultimate / reported) and
    ``maturity`` (reported / ultimate, 1 when nothing can be developed).

    Parameters
    ----------
    claims : DataFrame
        ``year`` (accident = policy year), ``report_date`` (reported by ``as_at``).
    as_at : date
        Valuation date.
    years : list of int
        Accident years wanted (years without claims get maturity 1).
    """
    out = pd.DataFrame({"year": [int(y) for y in years]})
    c = claims[pd.to_datetime(claims["report_date"]) <= pd.Timestamp(as_at)]
    reported = c.groupby("year").size()
    out["reported"] = out["year"].map(reported).fillna(0).astype(float)
    out["ultimate"] = out["reported"]
    if c["year"].nunique() >= 2:
        import chainladder as cl

        d = pd.DataFrame({"origin": c["year"].astype(int).astype(str),
                          "development": pd.to_datetime(c["report_date"]), "count": 1.0})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            triangle: Any = cl.Triangle  # abstract in the stubs, concrete at run time
            tri = triangle(d, origin="origin", development="development", columns=["count"],
                           cumulative=False, origin_format="%Y").incr_to_cum()
            model = cl.Chainladder().fit(tri)
            ult = model.ultimate_.to_frame(origin_as_datetime=True)
        ult_by_year = {int(pd.Timestamp(i).year): float(np.asarray(v).ravel()[0])
                       for i, v in ult.iterrows()}
        ults = [ult_by_year.get(y, float("nan")) for y in out["year"]]
        out["ultimate"] = [max(u, r) if np.isfinite(u) else r
                           for u, r in zip(ults, out["reported"], strict=True)]
    out["cdf"] = np.where(out["reported"] > 0, out["ultimate"] / out["reported"].where(
        out["reported"] > 0, 1.0), 1.0)
    out["maturity"] = 1.0 / out["cdf"]
    out["as_at"] = as_at
    return out
