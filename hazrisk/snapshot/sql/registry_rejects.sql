-- Registry rows rejected (or with a value set to NULL) by the current imports.
SELECT * FROM mart.registry_rejects ORDER BY kind, row_number, column_name
