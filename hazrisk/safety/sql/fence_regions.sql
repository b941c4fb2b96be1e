-- The allowed regions of fence sets built by earlier detection runs
-- (hazrisk/safety/fence_regions.py). Statements are named; parameters are bound ($name).

-- name: load
SELECT region_key, inner_wkb, outer_wkb FROM safety.fence_regions;

-- name: store
-- _safety_fence_regions: (region_key, inner_wkb, outer_wkb) built by this run.
INSERT INTO safety.fence_regions (region_key, inner_wkb, outer_wkb, built_at)
SELECT region_key, inner_wkb, outer_wkb, current_timestamp FROM _safety_fence_regions
ON CONFLICT (region_key) DO NOTHING;
