"""[verdict] provider_pass_score (60) pinned at its value: a provider scoring exactly 60.0 passes
(合格 at or above the pass mark). A conf sweep found it unpinned (the other verdict test scores
70, so nudging the mark to 60.5 passed every test)."""

from __future__ import annotations

import pytest
from rates_builders import OCT, World, online

from hazrisk.config import load_rules
from hazrisk.rates import compute_rates


def test_a_score_exactly_at_the_pass_mark_passes(world: World) -> None:
    """One vehicle with one qualified record and a malformed plate: interval 10 + completeness
    25 + qualification 20 + network entry 5 = 60 points; conformance, domain, images and
    phone 0."""
    assert load_rules().verdict["provider_pass_score"] == 60.0
    w = world
    w.provider("P1")
    w.vehicle("A", "P1", plate="BAD")
    online(w, "A")
    w.resolve()
    rows = compute_rates(w.con, OCT)
    assert sum(r["score"] or 0 for r in rows) == pytest.approx(60.0)
    assert w.con.execute("SELECT verdict, reasons FROM rates.verdicts").fetchall() == [
        ("合格", [])]
