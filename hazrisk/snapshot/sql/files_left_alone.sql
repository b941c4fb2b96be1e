-- Files ingest or registry import found but did not take, with the reason.
SELECT * FROM mart.files_left_alone ORDER BY command, path
