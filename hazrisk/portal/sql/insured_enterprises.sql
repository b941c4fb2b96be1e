-- Enterprises an insurer insures: those with one of its policies in the latest policy year the
-- snapshot's book holds (mart.insured_enterprises; the year renewals are priced from). An
-- insurer without a policy in that year insures nothing today.
SELECT DISTINCT enterprise_id, year FROM mart.insured_enterprises
WHERE insurer_id = $insurer AND year = (SELECT max(year) FROM mart.insured_enterprises)
ORDER BY enterprise_id;
