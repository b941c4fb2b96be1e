DELETE FROM risk.model_cards WHERE model = $model;
INSERT INTO risk.model_cards VALUES ($model, CAST($fitted_at AS TIMESTAMPTZ), $train_years,
    $test_year, CAST($as_at AS DATE), $fingerprint, $version, $card_json, $card_md);
