"""Saving and loading a fitted model folder with skops (safe loading, never pickle).

``models/NAME/`` holds one ``<pipeline>.skops`` per fitted pipeline, ``model.json`` (the
non-estimator state: loading, credibility structure, development, settings) and the model
card. Loading checks every type a file needs against :data:`TRUSTED_TYPES`, an explicit list;
a file needing anything else is refused (``skops.io.load(trusted=True)`` is never used).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from hazrisk.risk.credibility import Structure
from hazrisk.risk.models import RiskModel, Settings

MARKER = "model.json"

#: The types beyond skops' defaults that the saved pipelines contain (nothing else loads).
TRUSTED_TYPES: tuple[str, ...] = (
    "hazrisk.risk.design._log_positive",
    "hazrisk.risk.design._string_class",
    "hazrisk.risk.estimators.GLMRegressor",
    "hazrisk.risk.estimators.MonotonicPoissonGBM",
    "hazrisk.risk.estimators.TelematicsCredibility",
    "numpy.dtype",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


class ModelFolderError(ValueError):
    """A model folder that cannot be written or read; the message names it."""


def is_model_folder(path: Path) -> bool:
    return (path / MARKER).is_file()


def check_writable(path: Path) -> None:
    """Refuse to write into an existing folder that is not a hazrisk model folder."""
    if path.exists() and not path.is_dir():
        raise ModelFolderError(f"{path}: exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not is_model_folder(path):
        raise ModelFolderError(f"{path}: exists and is not a hazrisk model folder "
                               f"(no {MARKER}); refusing to overwrite it")


def save(model: RiskModel, path: Path, extra: dict[str, Any] | None = None) -> list[Path]:
    """Write the model folder; returns the files written."""
    import skops.io as sio

    check_writable(path)
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for name, pipe in model.pipelines.items():
        f = path / f"{name}.skops"
        sio.dump(pipe, f)
        written.append(f)
    state = {
        "format": "hazrisk-risk-model/1",
        "pipelines": sorted(model.pipelines),
        "large_loss_loading": model.large_loss_loading,
        "structure": {"mu": model.structure.mu, "s2": model.structure.s2, "a": model.structure.a},
        "development": model.development.assign(as_at=str(model.as_at)).to_dict("records"),
        "settings": asdict(model.settings),
        "train_years": model.train_years,
        "test_year": model.test_year,
        "as_at": model.as_at.isoformat(),
        "book_means": model.book_means,
        "info": model.info,
        **(extra or {}),
    }
    f = path / MARKER
    f.write_text(json.dumps(state, ensure_ascii=False, indent=2, default=str) + "\n", "utf-8")
    written.append(f)
    return written


def load(path: Path) -> tuple[RiskModel, dict[str, Any]]:
    """Read a model folder written by :func:`save` (types checked against the list)."""
    import skops.io as sio

    if not is_model_folder(path):
        raise ModelFolderError(f"{path}: not a hazrisk model folder (no {MARKER})")
    state = json.loads((path / MARKER).read_text("utf-8"))
    pipes = {}
    for name in state["pipelines"]:
        f = path / f"{name}.skops"
        needed = sio.get_untrusted_types(file=f)
        unknown = sorted(set(needed) - set(TRUSTED_TYPES))
        if unknown:
            raise ModelFolderError(f"{f}: refusing to load types outside the trusted list: "
                                   f"{', '.join(unknown)}")
        pipes[name] = sio.load(f, trusted=list(needed))
    model = RiskModel(
        pipelines=pipes, large_loss_loading=float(state["large_loss_loading"]),
        structure=Structure(**state["structure"]),
        development=pd.DataFrame(state["development"]),
        settings=Settings.default(**state["settings"]), train_years=list(state["train_years"]),
        test_year=state["test_year"], as_at=date.fromisoformat(state["as_at"]),
        book_means=dict(state["book_means"]), info=dict(state["info"]))
    return model, state
