-- hazrisk.risk.synthetic.load_book: a simulated book (registered frames _risk_*) into the
-- warehouse tables the risk features read.
INSERT INTO core.enterprises (enterprise_id, city, import_id, source_row)
SELECT enterprise_id, city, import_id, source_row FROM _risk_ent;
INSERT INTO core.vehicles (vehicle_id, enterprise_id, vehicle_type, tonnage_t, hazmat_class,
                           maker_id, import_id, source_row)
SELECT vehicle_id, enterprise_id, vehicle_type, tonnage_t, hazmat_class, maker_id, import_id,
       source_row FROM _risk_veh;
INSERT INTO core.policies (policy_id, vehicle_id, enterprise_id, insurer_id, year, start_date,
                           end_date, exposure_years, premium_cny, hazmat_class, import_id,
                           source_row)
SELECT policy_id, vehicle_id, enterprise_id, insurer_id, year, start_date, end_date,
       exposure_years, premium_cny, hazmat_class, import_id, source_row FROM _risk_pol;
INSERT INTO core.claims (claim_id, policy_id, vehicle_id, enterprise_id, loss_date, amount_cny,
                         cause, report_date, import_id, source_row)
SELECT claim_id, policy_id, vehicle_id, enterprise_id, loss_date, amount_cny, cause,
       report_date, import_id, source_row FROM _risk_clm;
INSERT INTO safety.vehicle_months BY NAME SELECT * FROM _risk_vm;
