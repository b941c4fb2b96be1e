"""The simulated book (:class:`InsuranceResult`) and its files (``insurance/``, ``truth/``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd


@dataclass
class InsuranceResult:
    """Output of :func:`make_insurance` / :func:`make_insurance_book`.

    Attributes
    ----------
    policies : DataFrame
        README ``policies.csv`` columns exactly (dates as ``YYYY-MM-DD`` strings).
    claims : DataFrame
        README ``claims.csv`` columns exactly.
    insurers : DataFrame
        ``insurer_id, name`` (README ``insurers.csv``).
    vehicle_years : DataFrame
        One row per policy: true and observed covariates, km, exposure, the true expected
        frequency (``freq_true`` per year, ``lambda_true`` expected claims), severity
        expectations, limit, NCD, premium and realised claims.
    claims_truth : DataFrame
        Per claim: ``claim_id, component`` (``attritional`` / ``catastrophe``),
        ``amount_uncapped_cny, policy_limit_cny, capped, sev_mean_attritional``.
    truth : dict
        The generating process (``truth/claims_model.json``); see :func:`_truth_dict`.
    enterprises, vehicles : DataFrame or None
        The synthetic inputs when drawn by :func:`make_insurance_book`.
    """

    policies: pd.DataFrame
    claims: pd.DataFrame
    insurers: pd.DataFrame
    vehicle_years: pd.DataFrame
    claims_truth: pd.DataFrame
    truth: dict[str, Any]
    enterprises: pd.DataFrame | None = None
    vehicles: pd.DataFrame | None = None

    def to_files(self, out_dir: str | Path, *, as_at: str | None = None) -> list[Path]:
        """Write the insurance files and their truth under ``out_dir``.

        Writes ``insurance/policies.csv``, ``insurance/claims.csv``, ``insurance/insurers.csv``
        (UTF-8, header, ``\\n`` line ends), ``truth/claims_model.json``,
        ``truth/vehicle_years.parquet`` and ``truth/claims_truth.parquet``. Output bytes are
        a function of the result (and ``as_at``) only.

        Parameters
        ----------
        as_at : str, optional
            Export date (``YYYY-MM-DD``): ``claims.csv`` then holds only the claims reported
            by that day, as the insurer's export would; the truth keeps every claim.

        Returns
        -------
        list of Path
            The files written, in the order above.
        """
        out = Path(out_dir)
        (out / "insurance").mkdir(parents=True, exist_ok=True)
        (out / "truth").mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        claims = self.claims
        truth = self.truth
        if as_at is not None:
            claims = claims[claims["report_date"].astype(str) <= as_at] if len(claims) else claims
            truth = {**truth, "reporting": {**truth["reporting"], "export_as_at": as_at,
                                            "claims_in_export": len(claims)}}
        for name, df in (
            ("policies", self.policies),
            ("claims", claims),
            ("insurers", self.insurers),
        ):
            path = out / "insurance" / f"{name}.csv"
            df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
            written.append(path)
        path = out / "truth" / "claims_model.json"
        path.write_text(
            json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
            encoding="utf-8",
        )
        written.append(path)
        for name, df in (("vehicle_years", self.vehicle_years), ("claims_truth", self.claims_truth)):
            path = out / "truth" / f"{name}.parquet"
            df.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
            written.append(path)
        return written
