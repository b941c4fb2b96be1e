"""Fence-set regions kept between detection runs (safety.fence_regions): a second run reads the
regions the first built instead of building them again, with the same violations; a changed
fence gets its set's region built afresh."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from hazrisk.safety import detect
from hazrisk.safety.fence_regions import load_regions
from hazrisk.safety.pipeline import Geography
from hazrisk.store.connect import connect

VIOLATIONS = ("SELECT rule_id, vehicle_id, start_time, end_time, detail_json "
              "FROM safety.violations ORDER BY ALL")


def test_regions_are_built_once_and_read_back(ingested_sample: Any, tmp_path: Path) -> None:
    s = ingested_sample
    end = s.start + timedelta(days=1)
    con = connect(str(s.copy_to(tmp_path)))
    try:
        first = Geography.load(con)
        detect(con, s.start, end, geo=first)
        built = dict(first.fences.built)
        assert len(built) >= 1  # the sample's enterprises' fence sets
        stored = con.execute("SELECT count(*) FROM safety.fence_regions").fetchone()
        assert stored == (len(built),)
        before = con.execute(VIOLATIONS).fetchall()
        assert any(r[0] == "off_route" for r in before)
        # a later run (fresh roads and fences): every region read back, none built
        again = Geography.load(con)
        detect(con, s.start, end, geo=again)
        assert again.fences.built == {} and len(again.fences.stored) == len(built)
        assert con.execute(VIOLATIONS).fetchall() == before
        # a changed fence: its set gets a new key and is built afresh, the others are read
        con.execute("UPDATE core.fences SET buffer_m = buffer_m + 50 WHERE fence_id = "
                    "(SELECT min(fence_id) FROM core.fences WHERE kind = 'route')")
        changed = Geography.load(con)
        assert load_regions(con, changed.fences) == len(built)
        detect(con, s.start, end, geo=changed)
        assert len(changed.fences.built) == 1
    finally:
        con.close()
