-- Published tables and their columns (the snapshot's own catalogue).
SELECT c.table_name, count(*) OVER (PARTITION BY c.table_name) AS n_columns,
       c.column_name, c.data_type
FROM information_schema.columns c
WHERE c.table_catalog = 'snap' AND c.table_schema = 'mart' AND c.table_name <> '_published'
ORDER BY c.table_name, c.ordinal_position
