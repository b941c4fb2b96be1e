-- Composite ranking of one period with the change against the previous period, and the
-- number of floors failed.
SELECT k.period, k.provider_id, k.provider_name, k.score, k.rank, k.national_score,
       k.national_rank, k.coverage, k.prev_period, k.prev_score, k.prev_rank, k.score_change,
       k.rank_change, k.national_score_change,
       (SELECT count(*) FROM mart.provider_rates r
        WHERE r.period = k.period AND r.provider_id = k.provider_id AND r.floor IS NOT NULL
          AND ((r.direction = 'higher' AND r.rate < r.floor)
               OR (r.direction = 'lower' AND r.rate > r.floor))) AS floors_failed
FROM mart.provider_ranking k
WHERE k.period = $period AND ($provider IS NULL OR k.provider_id = $provider)
ORDER BY k.rank, k.provider_id
