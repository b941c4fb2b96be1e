INSERT INTO risk.premium_factors BY NAME SELECT * FROM _risk_fac;
INSERT INTO risk.predictions BY NAME SELECT * FROM _risk_pred;
