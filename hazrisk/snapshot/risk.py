"""Risk-model results from the snapshot (published by ``hazrisk.risk`` when a model exists):
model cards with their validation metrics, and the enterprises' premium factors with parts.

Check :func:`~hazrisk.snapshot.has_table` (``model_cards``, ``premium_factors``) first: a
snapshot published before any model was fitted holds neither.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pandas as pd

from hazrisk.snapshot.core import query


def model_cards(con: duckdb.DuckDBPyConnection, model: str | None = None) -> pd.DataFrame:
    """Model cards, newest first (``card_json`` / ``card_markdown`` hold the whole card)."""
    return query(con, "model_cards", {"model": model})


def premium_factors(con: duckdb.DuckDBPyConnection, year: int,
                    model: str | None = None) -> pd.DataFrame:
    """Enterprise factors of the priced ``year`` with their parts, highest factor first."""
    return query(con, "premium_factors", {"year": int(year), "model": model})


def card_metrics(card_json: str) -> dict[str, pd.DataFrame]:
    """The validation tables of a model card: ``comparison`` (Gini, lift, double lift per
    model) and ``deciles`` (actual / expected by decile); empty when the card has none."""
    card: dict[str, Any] = json.loads(card_json or "{}")
    metrics = card.get("metrics") or {}
    return {"comparison": pd.DataFrame(metrics.get("comparison") or []),
            "deciles": pd.DataFrame(metrics.get("deciles_glm") or metrics.get("deciles") or [])}
