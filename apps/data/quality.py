"""Data quality: rejected frames by reason, gateway or day; deliveries; unknown terminals;
registry rejects, files left alone and failed ingests (evaluators)."""

from __future__ import annotations

import pandas as pd

from data.core import read, scoped
from hazrisk.jt808.errors import reason_label
from hazrisk.portal.scope import NotAuthorised, Viewer


def quarantine_by(v: Viewer, period: str, by: str) -> pd.DataFrame:
    """Rejected frames by ``reason``, ``provider`` or ``day``; an operator's own gateway only.
    Reasons are labelled Chinese first with the decoder's id beside (``校验码错误
    bad_checksum``, :func:`hazrisk.jt808.errors.reason_label`)."""
    if v.role == "evaluator":
        summed = read("quarantine_by", period, by)
    else:
        rows = scoped(read("quarantine", period), v)
        keys = {"reason": ["reason"], "provider": ["source_provider_id"],
                "day": ["source_date"]}[by]
        summed = pd.DataFrame(rows.groupby(keys, as_index=False)["frames"].sum()).sort_values(
            "frames", ascending=False, ignore_index=True)
    if "reason" in summed.columns:
        summed = summed.assign(reason=summed["reason"].map(reason_label))
    return summed


def ingest_days(v: Viewer, period: str) -> pd.DataFrame:
    return scoped(read("ingest_days", period), v)


def unknown_terminals(v: Viewer, period: str) -> pd.DataFrame:
    return scoped(read("unknown_terminals", period), v)


def registry_rejects(v: Viewer) -> pd.DataFrame:
    if v.role != "evaluator":
        raise NotAuthorised("登记数据拒收仅协会可见 / registry rejects: evaluators only")
    return read("registry_rejects")


def files_left_alone(v: Viewer) -> pd.DataFrame:
    if v.role != "evaluator":
        raise NotAuthorised("仅协会可见 / evaluators only")
    return read("files_left_alone")


def ingest_errors(v: Viewer) -> pd.DataFrame:
    """Dump files whose ingest failed, with the error (evaluators)."""
    if v.role != "evaluator":
        raise NotAuthorised("仅协会可见 / evaluators only")
    return read("ingest_errors")
