-- Latest report (or loss) date of the claims the models read: the default as-at date.
SELECT max(coalesce(report_date, loss_date)) FROM risk_claims
