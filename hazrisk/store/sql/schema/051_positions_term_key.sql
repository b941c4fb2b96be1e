-- store.positions keeps the terminal as one INTEGER key into store.terminals instead of the
-- phone string: cheaper appends (DuckDB compresses and checks a VARCHAR per row) and integer
-- keys for the ingest's duplicate check. core.positions joins the phone back. Keys are
-- append-only: a key never changes meaning.
CREATE TABLE IF NOT EXISTS store.terminals (
    term_key        INTEGER PRIMARY KEY,
    terminal_phone  VARCHAR NOT NULL UNIQUE
);

-- Migration of a warehouse created before this file (a fresh one has no rows to move).
INSERT INTO store.terminals
SELECT row_number() OVER (ORDER BY terminal_phone), terminal_phone
FROM (SELECT DISTINCT terminal_phone FROM store.positions);

ALTER TABLE store.positions ADD COLUMN term_key INTEGER;

UPDATE store.positions p SET term_key = t.term_key
FROM store.terminals t
WHERE t.terminal_phone = p.terminal_phone;

ALTER TABLE store.positions DROP COLUMN terminal_phone;
