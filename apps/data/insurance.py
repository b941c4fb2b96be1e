"""Insurance: the published premium factors of the viewer's enterprises and the model cards."""

from __future__ import annotations

from typing import Any

from data.core import read, scoped
from hazrisk.portal.scope import Viewer


def premium(v: Viewer) -> dict[str, Any]:
    """``premium_factors`` of the latest priced ``year`` (the viewer's enterprises) and
    ``model_cards``, those the snapshot publishes."""
    out = dict(read("premium"))
    if "premium_factors" in out:
        out["premium_factors"] = scoped(out["premium_factors"], v)
    return out
