-- Policies of the requested years with their vehicle's registry attributes, the enterprise's
-- size that year and the claims reported by $as_at (accident year = policy year).
-- $years: INTEGER[]; $as_at: DATE; $cap: large-loss cap (CNY).
WITH veh AS (
    SELECT vehicle_id,
           any_value(tonnage_t ORDER BY valid_from DESC NULLS LAST)    AS tonnage_t,
           any_value(vehicle_type ORDER BY valid_from DESC NULLS LAST) AS vehicle_type,
           any_value(hazmat_class ORDER BY valid_from DESC NULLS LAST) AS registry_hazmat_class,
           any_value(maker_id ORDER BY valid_from DESC NULLS LAST)     AS maker_id,
           any_value(build_year ORDER BY valid_from DESC NULLS LAST)   AS build_year,
           min(valid_from)                                            AS first_registered
    FROM core.vehicles
    GROUP BY vehicle_id
), size AS (
    SELECT enterprise_id, year, count(DISTINCT vehicle_id) AS enterprise_vehicles,
           sum(exposure_years) AS enterprise_exposure
    FROM core.policies
    GROUP BY ALL
), clm AS (
    SELECT policy_id,
           count(*)                                AS n_claims,
           sum(amount_cny)                         AS amount_cny,
           sum(least(amount_cny, $cap))            AS amount_capped_cny,
           sum(greatest(amount_cny - $cap, 0))     AS amount_excess_cny
    FROM risk_claims
    WHERE coalesce(report_date, loss_date) <= $as_at
    GROUP BY policy_id
)
SELECT p.policy_id, p.vehicle_id, p.enterprise_id, p.insurer_id,
       CAST(p.year AS INTEGER) AS year, p.start_date, p.end_date,
       p.exposure_years, p.premium_cny,
       coalesce(p.hazmat_class, v.registry_hazmat_class) AS hazmat_class,
       v.tonnage_t, v.vehicle_type, v.maker_id,
       CAST(p.year AS INTEGER) - year(v.first_registered) AS years_registered,
       CASE WHEN v.build_year IS NOT NULL  -- greatest() skips NULLs: keep missing missing
            THEN greatest(CAST(p.year AS INTEGER) - v.build_year, 0) END AS vehicle_age,
       s.enterprise_vehicles, s.enterprise_exposure,
       coalesce(c.n_claims, 0)           AS n_claims,
       coalesce(c.amount_cny, 0)         AS amount_cny,
       coalesce(c.amount_capped_cny, 0)  AS amount_capped_cny,
       coalesce(c.amount_excess_cny, 0)  AS amount_excess_cny
FROM core.policies p
LEFT JOIN veh v USING (vehicle_id)
LEFT JOIN size s ON s.enterprise_id = p.enterprise_id AND s.year = p.year
LEFT JOIN clm c USING (policy_id)
WHERE list_contains($years, CAST(p.year AS INTEGER)) AND p.exposure_years > 0
ORDER BY p.year, p.policy_id
