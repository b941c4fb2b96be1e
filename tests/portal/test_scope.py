"""Scope rules: rows outside a role's parties removed, identifiers masked, requests refused."""

from __future__ import annotations

import pandas as pd
import pytest

from hazrisk.portal.scope import ROLE_PAGES, NotAuthorised, mask, restrict, viewer_for
from hazrisk.portal.users import User

ROWS = pd.DataFrame({
    "vehicle_id": ["V1", "V2", "V3"],
    "enterprise_id": ["E1", "E2", "E1"],
    "provider_id": ["P1", "P1", "P2"],
    "plate": ["浙A12345", "浙B67890", "浙A00001"],
    "name": ["张**", "李*", "王**"],
})


def test_enterprise_sees_own_rows_only_and_other_parties_are_refused():
    v = viewer_for(User("e", "enterprise", scope="E1"))
    out = mask(restrict(ROWS, v), v)
    assert list(out["vehicle_id"]) == ["V1", "V3"]
    assert list(out["plate"]) == ["浙A12345", "浙A00001"]
    assert v.check_enterprise("E1") == "E1"
    with pytest.raises(NotAuthorised):
        v.check_enterprise("E2")
    with pytest.raises(NotAuthorised):
        v.check_provider("P1")


def test_operator_sees_its_vehicles_plates_of_other_providers_masked():
    v = viewer_for(User("o", "operator", scope="P1"))
    out = mask(restrict(ROWS, v), v)
    assert list(out["vehicle_id"]) == ["V1", "V2"]
    masked = mask(ROWS, v)
    assert masked.loc[2, "plate"] == "浙A*****"
    assert masked.loc[0, "plate"] == "浙A12345"
    with pytest.raises(NotAuthorised):
        v.check_provider("P2")
    gateway = pd.DataFrame({"source_provider_id": ["P1", "P2"], "frames": [3, 4]})
    assert list(restrict(gateway, v)["frames"]) == [3]


def test_public_and_insurer_get_no_vehicle_rows_and_no_personal_columns():
    for v in (viewer_for(None), viewer_for(User("i", "insurer", scope="I1"), insured=["E1"])):
        assert restrict(ROWS, v).empty
        assert "name" not in mask(ROWS, v).columns
        assert set(mask(ROWS, v)["plate"].str[2:]) == {"*****"}
    aggregates = pd.DataFrame({"enterprise_id": ["E1", "E2"], "km": [1.0, 2.0]})
    assert list(restrict(aggregates, viewer_for(User("i", "insurer", scope="I1"),
                                                insured=["E1"]))["km"]) == [1.0]
    assert restrict(aggregates, viewer_for(User("i", "insurer", scope="I1"))).empty


def test_evaluator_sees_everything_and_pages_per_role():
    v = viewer_for(User("a", "evaluator"))
    pd.testing.assert_frame_equal(mask(restrict(ROWS, v), v), ROWS)
    assert v.check_provider("P2") == "P2"
    assert ROLE_PAGES["public"] == ("public",)
    assert "reports" in ROLE_PAGES["evaluator"]
    assert "quality" not in ROLE_PAGES["enterprise"] and "providers" not in ROLE_PAGES["insurer"]
